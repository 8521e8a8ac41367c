// basic_registry: applications, endpoints (secrets, rotation, sealing at rest), event types, paging, and
// a sender resuming with the registered endpoints (tenant-scoped delivery).
#include "support/sender_doubles.hpp"

#include <hookline/registry/registry.hpp>
#include <hookline/sending/sender.hpp>
#include <hookline/stores/memory_store.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <string>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;
using test_support::manual_clock;

namespace {

const std::string key32 = std::string(32, 'k');

registered_endpoint endpoint_of(const std::string& app, std::string url = "https://hooks.example.com/in") {
    return registered_endpoint{.app_id = app, .url = std::move(url)};
}

} // namespace

TEST_CASE("registry: applications are created, found by id or uid, updated, listed in pages and deleted",
          "[registry]") {
    manual_clock clock;
    auto r = basic_registry<memory_store>::open(memory_store{}, {.clock = clock}).value();
    auto a = r.create_application({.uid = "acme", .name = "Acme", .metadata = {{"tier", "gold"}}}).value();
    CHECK(a.id.starts_with("app_"));
    CHECK(a.id.size() == 4 + 26);
    CHECK(a.created_at == clock());
    CHECK(r.find_application(a.id).value()->uid == "acme");
    CHECK(r.find_application("acme").value()->id == a.id);
    CHECK_FALSE(r.find_application("nobody").value());
    CHECK(r.create_application({.uid = "acme", .name = "Other"}).error() == errc::already_exists);
    CHECK(r.create_application({.name = ""}).error() == errc::invalid_argument);
    CHECK(r.create_application({.uid = "no spaces", .name = "x"}).error() == errc::invalid_argument);
    CHECK(r.create_application({.name = "bad\nname"}).error() == errc::invalid_argument);

    clock.advance(5ms);
    a.name = "Acme Corp";
    auto updated = r.update_application(a).value();
    CHECK(updated.created_at + 5 == updated.updated_at);
    CHECK(r.find_application(a.id).value()->name == "Acme Corp");

    // Ids sort by creation time: pages come in creation order, forward and backward.
    std::vector<std::string> ids{a.id};
    for (int i = 0; i < 4; ++i) {
        clock.advance(1ms);
        ids.push_back(r.create_application({.name = "n" + std::to_string(i)}).value().id);
    }
    auto p1 = r.list_applications({.limit = 2}).value();
    REQUIRE(p1.data.size() == 2);
    CHECK_FALSE(p1.done);
    CHECK(p1.data[0].id == ids[0]);
    auto p2 = r.list_applications({.iterator = p1.iterator, .limit = 2}).value();
    auto p3 = r.list_applications({.iterator = p2.iterator, .limit = 2}).value();
    CHECK(p2.data[0].id == ids[2]);
    CHECK(p3.data.size() == 1);
    CHECK(p3.done);
    auto back = r.list_applications({.iterator = p3.prev_iterator, .limit = 2}).value();
    REQUIRE(back.data.size() == 2);
    CHECK(back.data[0].id == ids[2]); // the page before, in the same order
    CHECK(r.list_applications({.limit = 10, .descending = true}).value().data.front().id == ids.back());

    auto ep = r.create_endpoint(endpoint_of(a.id)).value();
    auto removed = r.delete_application(a.id).value();
    CHECK(removed == std::vector<std::string>{ep.id}); // its endpoints go with it
    CHECK_FALSE(r.endpoint_by_id(ep.id).value());
    CHECK(r.delete_application(a.id).error() == errc::not_found);
}

TEST_CASE("registry: endpoints belong to one application and are checked at the door", "[registry]") {
    auto r = basic_registry<memory_store>::open(memory_store{}).value();
    auto a = r.create_application({.name = "A"}).value();
    auto b = r.create_application({.name = "B"}).value();
    auto e = r.create_endpoint({.app_id = a.id,
                                .uid = "main",
                                .url = "https://a.example/h",
                                .filter_types = {"invoice.paid"},
                                .headers = {{"X-Team", "pay"}}})
                 .value();
    CHECK(e.id.starts_with("ep_"));
    REQUIRE(e.secrets.size() == 1);
    CHECK(e.secrets[0].key.size() == 24); // like Svix's whsec_ secrets
    CHECK(r.find_endpoint(a.id, "main").value()->id == e.id);
    CHECK_FALSE(r.find_endpoint(b.id, e.id).value()); // not another application's
    CHECK(r.create_endpoint({.app_id = a.id, .uid = "main", .url = "https://a.example/2"}).error() ==
          errc::already_exists);
    CHECK(r.create_endpoint({.app_id = b.id, .uid = "main", .url = "https://b.example/h"})); // uids are per application
    CHECK(r.create_endpoint(endpoint_of("app_nope")).error() == errc::not_found);
    CHECK(r.create_endpoint(endpoint_of(a.id, "ftp://a.example")).error() == errc::invalid_url);
    CHECK(r.create_endpoint(endpoint_of(a.id, "https://a.example/\r\nx")).error() == errc::invalid_url);
    CHECK(r.create_endpoint({.app_id = a.id, .url = "https://a.example", .headers = {{"Bad Name", "v"}}}).error() ==
          errc::invalid_header_name);
    CHECK(r.create_endpoint({.app_id = a.id, .url = "https://a.example", .headers = {{"X-A", "v\x01"}}}).error() ==
          errc::invalid_header_value);
    CHECK(r.create_endpoint(endpoint_of(a.id), secret::generate_ed25519().value()).error() == errc::invalid_secret);
    CHECK(r.list_endpoints(a.id, {}).value().data.size() == 1);
    CHECK(r.list_endpoints(b.id, {}).value().data.size() == 1);
}

TEST_CASE("registry: rotating a secret keeps the old one signing for the grace period", "[registry]") {
    manual_clock clock;
    auto r = basic_registry<memory_store>::open(memory_store{}, {.rotation_grace = 1h, .clock = clock}).value();
    auto a = r.create_application({.name = "A"}).value();
    auto e = r.create_endpoint(endpoint_of(a.id)).value();
    const secret first = e.secrets[0].key;
    auto rotated = r.rotate_secret(a.id, e.id).value();
    REQUIRE(rotated.secrets.size() == 2);
    CHECK_FALSE(rotated.secrets[0].key == first); // the new one first: it is what getSecret shows
    CHECK(rotated.secrets[0].expires_at == 0);
    CHECK(rotated.secrets[1].key == first);
    CHECK(rotated.secrets[1].expires_at == clock() + 3'600'000);
    CHECK(r.find_endpoint(a.id, e.id).value()->secrets.size() == 2); // stored so
    clock.advance(2h);
    const secret given = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    auto again = r.rotate_secret(a.id, e.id, given).value();
    REQUIRE(again.secrets.size() == 2); // the first one's grace is over: dropped
    CHECK(again.secrets[0].key == given);
    CHECK(again.secrets[1].key == rotated.secrets[0].key);
    // The sender's view keeps the expiry: it signs with both until then.
    auto cfg = to_endpoint_config(again);
    CHECK(cfg.secrets.size() == 2);
    CHECK(cfg.tenant == a.id);
}

TEST_CASE("registry: secrets are sealed at rest with the application's key, and a wrong key is refused at open",
          "[registry]") {
    memory_store store;
    auto r = basic_registry<memory_store>::open(store, {.secret_key = key32}).value();
    auto a = r.create_application({.name = "A"}).value();
    auto e = r.create_endpoint(endpoint_of(a.id)).value();
    const std::string text = e.secrets[0].key.reveal();
    auto row = store.registry_get("endpoint", e.id).value();
    REQUIRE(row);
    CHECK(row->body.find("aes256gcm:") != std::string::npos);
    CHECK(row->body.find(text.substr(6)) == std::string::npos); // not the secret, nor its base64
    CHECK(r.find_endpoint(a.id, e.id).value()->secrets[0].key == e.secrets[0].key);

    CHECK(basic_registry<memory_store>::open(store, {.secret_key = std::string(32, 'x')}).error() ==
          errc::wrong_store_key);
    CHECK(basic_registry<memory_store>::open(store).error() == errc::wrong_store_key); // sealed, no key given
    CHECK(basic_registry<memory_store>::open(store, {.secret_key = "short"}).error() == errc::invalid_key);
    auto plain = memory_store{};
    (void)basic_registry<memory_store>::open(plain).value();
    CHECK(basic_registry<memory_store>::open(plain, {.secret_key = key32}).error() == errc::wrong_store_key);

    // A sealed secret moved to another row does not open there (the row is its associated data).
    auto e2 = r.create_endpoint(endpoint_of(a.id)).value();
    auto other = store.registry_get("endpoint", e2.id).value().value();
    other.body = row->body;
    REQUIRE(store.registry_update(other));
    CHECK(r.find_endpoint(a.id, e2.id).error() == errc::wrong_store_key);
}

TEST_CASE("registry: event types, archived or not", "[registry]") {
    auto r = basic_registry<memory_store>::open(memory_store{}).value();
    REQUIRE(r.create_event_type({.name = "invoice.paid", .description = "paid"}));
    CHECK(r.create_event_type({.name = "invoice.paid"}).error() == errc::already_exists);
    CHECK(r.create_event_type({.name = "bad name"}).error() == errc::invalid_event_type);
    auto t = r.find_event_type("invoice.paid").value().value();
    t.archived = true;
    REQUIRE(r.update_event_type(t));
    CHECK(r.find_event_type("invoice.paid").value()->archived);
    CHECK(r.list_event_types({}).value().data.size() == 1);
    CHECK(r.delete_event_type("invoice.paid").value());
    CHECK_FALSE(r.find_event_type("invoice.paid").value());
}

TEST_CASE("registry: a sender started on the store resumes with every registered endpoint, each tenant's apart",
          "[registry]") {
    using sender_type = basic_sender<test_support::fake_transport, standard_signer, fixed_schedule, memory_store>;
    memory_store store;
    std::vector<std::string> a_eps, b_eps;
    std::string a_id, b_id;
    {
        auto r = basic_registry<memory_store>::open(store).value();
        a_id = r.create_application({.name = "A"}).value().id;
        b_id = r.create_application({.name = "B"}).value().id;
        for (int i = 0; i < 3; ++i)
            a_eps.push_back(r.create_endpoint(endpoint_of(a_id, "https://a.example/" + std::to_string(i))).value().id);
        b_eps.push_back(r.create_endpoint(endpoint_of(b_id, "https://b.example/0")).value().id);
    }
    test_support::fake_transport transport;
    sender_type sender(transport, fixed_schedule({}), store, sender_options{.workers = 2, .logger = nullptr});
    auto r = basic_registry<memory_store>::open(store).value();
    CHECK(load_registered_endpoints(sender, r).value() == 4);
    const auto ids = sender.endpoint_ids();
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 4);
    // An event for tenant A reaches A's three endpoints, not B's, nor endpoints of no tenant.
    REQUIRE(sender.add_endpoint(
        "untenanted", {.url = "https://c.example/", .secrets = r.find_endpoint(a_id, a_eps[0]).value()->secrets}));
    auto receipt = sender.send(event{.type = "invoice.paid", .payload = "{}", .tenant = a_id}).value();
    CHECK(receipt.deliveries == 3);
    CHECK(sender.send(event{.type = "invoice.paid", .payload = "{}", .tenant = b_id}).value().deliveries == 1);
    CHECK(sender.send(event{.type = "invoice.paid", .payload = "{}"}).value().deliveries == 1); // the untenanted one
    CHECK(sender.send(event{.type = "x", .payload = "{}", .tenant = "nobody"}).value().deliveries == 0);
    CHECK(sender.send(event{.type = "x", .payload = "{}", .tenant = "bad\ntenant"}).error() == errc::invalid_tenant);
    CHECK(sender.drain(10s));
    CHECK(transport.count("https://a.example/0") == 1);
    CHECK(transport.count("https://b.example/0") == 1);
    CHECK(transport.count("https://c.example/") == 1);
    sender.stop();
}
