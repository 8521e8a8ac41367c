// The behaviour every `registry_store` must have (registry/registry_store.hpp), written once and run
// against the memory, SQLite and PostgreSQL stores.
#pragma once

#include <hookline/registry/registry_store.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace test_support {

inline hookline::registry_row row(std::string kind, std::string id, std::string tenant = {}, std::string uid = {},
                                  std::int64_t at = 1000) {
    return {.kind = std::move(kind),
            .id = std::move(id),
            .tenant = std::move(tenant),
            .uid = std::move(uid),
            .body = "{\"n\":\"" + std::string(3, 'x') + "\"}",
            .created_at = at,
            .updated_at = at};
}

inline std::vector<std::string> ids_of(const std::vector<hookline::registry_row>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
}

template <class Store>
void check_registry_conformance(Store& s) {
    using hookline::errc;
    using V = std::vector<std::string>;
    // insert, get, find; ids unique per kind, uids unique per (kind, tenant)
    REQUIRE(s.registry_insert(row("app", "app_2", "", "acme")));
    REQUIRE(s.registry_insert(row("app", "app_1")));
    REQUIRE(s.registry_insert(row("app", "app_3", "", "beta")));
    CHECK(s.registry_insert(row("app", "app_1")).error() == errc::already_exists);
    CHECK(s.registry_insert(row("app", "app_9", "", "acme")).error() == errc::already_exists);
    REQUIRE(s.registry_insert(row("endpoint", "app_1", "app_2", "acme"))); // other kind: no clash
    auto got = s.registry_get("app", "app_2");
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->uid == "acme");
    CHECK((*got)->body == "{\"n\":\"xxx\"}");
    CHECK((*got)->created_at == 1000);
    CHECK_FALSE(s.registry_get("app", "app_404")->has_value());
    CHECK_FALSE(s.registry_get("event_type", "app_1")->has_value());
    auto by_uid = s.registry_find("app", "", "acme");
    REQUIRE(by_uid->has_value());
    CHECK((*by_uid)->id == "app_2");
    CHECK_FALSE(s.registry_find("app", "", "")->has_value());
    CHECK_FALSE(s.registry_find("app", "app_2", "acme")->has_value()); // uids are per tenant

    // list: id order both ways, paged with `after`, limited, per tenant
    CHECK(ids_of(*s.registry_list({.kind = "app"})) == V{"app_1", "app_2", "app_3"});
    CHECK(ids_of(*s.registry_list({.kind = "app", .limit = 2})) == V{"app_1", "app_2"});
    CHECK(ids_of(*s.registry_list({.kind = "app", .after = "app_2"})) == V{"app_3"});
    CHECK(ids_of(*s.registry_list({.kind = "app", .descending = true})) == V{"app_3", "app_2", "app_1"});
    CHECK(ids_of(*s.registry_list({.kind = "app", .after = "app_3", .descending = true, .limit = 1})) == V{"app_2"});
    CHECK(s.registry_list({.kind = "nothing"})->empty());
    for (auto [id, tenant] : {std::pair{"ep_1", "t1"}, {"ep_2", "t2"}, {"ep_3", "t1"}, {"ep_4", "t1x"}, {"ep_5", "t"}})
        REQUIRE(s.registry_insert(row("endpoint", id, tenant)));
    CHECK(ids_of(*s.registry_list({.kind = "endpoint", .tenant = "t1"})) == V{"ep_1", "ep_3"});
    CHECK(ids_of(*s.registry_list({.kind = "endpoint", .tenant = "t1", .descending = true})) == V{"ep_3", "ep_1"});
    CHECK(ids_of(*s.registry_list({.kind = "endpoint", .tenant = "t1", .after = "ep_1"})) == V{"ep_3"});
    CHECK(ids_of(*s.registry_list({.kind = "endpoint", .tenant = "t1", .after = "ep_3", .descending = true})) ==
          V{"ep_1"});
    CHECK(s.registry_list({.kind = "endpoint", .tenant = "nobody"})->empty());
    CHECK(s.registry_list({.kind = "endpoint", .limit = 0})->empty());

    // update: by (kind, id), keeps created_at, moves the uid, refuses a taken one
    auto changed = row("app", "app_1", "", "gamma", 5000);
    changed.body = "{\"changed\":true}";
    REQUIRE(s.registry_update(changed));
    got = s.registry_get("app", "app_1");
    CHECK((*got)->body == "{\"changed\":true}");
    CHECK((*got)->created_at == 1000);
    CHECK((*got)->updated_at == 5000);
    CHECK((*s.registry_find("app", "", "gamma"))->id == "app_1");
    CHECK(s.registry_update(row("app", "app_1", "", "beta")).error() == errc::already_exists);
    CHECK((*s.registry_get("app", "app_1"))->uid == "gamma"); // unchanged by the refused update
    CHECK(s.registry_update(row("app", "app_404")).error() == errc::not_found);
    REQUIRE(s.registry_update(row("app", "app_1", "", "", 6000))); // uid dropped: free for others
    CHECK_FALSE(s.registry_find("app", "", "gamma")->has_value());
    REQUIRE(s.registry_insert(row("app", "app_4", "", "gamma")));

    // erase and prune
    CHECK(*s.registry_erase("app", "app_4"));
    CHECK_FALSE(*s.registry_erase("app", "app_4"));
    CHECK_FALSE(s.registry_find("app", "", "gamma")->has_value());
    REQUIRE(s.registry_insert(row("message", "msg_1", "t1", "", 100)));
    REQUIRE(s.registry_insert(row("message", "msg_2", "t1", "k", 200)));
    REQUIRE(s.registry_insert(row("message", "msg_3", "t1", "", 300)));
    CHECK(*s.registry_prune("message", 300) == 2);
    CHECK(ids_of(*s.registry_list({.kind = "message", .tenant = "t1"})) == V{"msg_3"});
    CHECK_FALSE(s.registry_find("message", "t1", "k")->has_value());
    CHECK(*s.registry_prune("message", 0) == 0);

    // bodies are kept byte for byte (a sealed secret is binary-safe text, but JSON may hold any UTF-8)
    auto odd = row("event_type", "a.b");
    odd.body = "{\"d\":\"caf\xc3\xa9 \\u0000\"}";
    REQUIRE(s.registry_insert(odd));
    CHECK((*s.registry_get("event_type", "a.b"))->body == odd.body);
}

} // namespace test_support
