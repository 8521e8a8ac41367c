// memory_store against the store contract every store must meet.
// [snippet:conformance]
#include "support/registry_conformance.hpp"
#include "support/store_conformance.hpp"

#include <hookline/stores/memory_store.hpp>

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("memory_store: meets the store contract", "[memory_store]") {
    hookline::memory_store s;
    test_support::check_store_conformance(s);
}
// [/snippet:conformance]

TEST_CASE("memory_store: meets the registry contract", "[memory_store]") {
    hookline::memory_store s;
    test_support::check_registry_conformance(s);
}

TEST_CASE("memory_store: copies share one state", "[memory_store]") {
    hookline::memory_store a;
    hookline::memory_store b = a;
    const std::vector<std::string> eps = {"e"};
    REQUIRE(a.insert_message(test_support::make_message("m"), eps, 1).value());
    CHECK(b.message_count() == 1);
    CHECK_FALSE(b.insert_message(test_support::make_message("m"), eps, 1).value());
}

TEST_CASE("memory_store: every transition leaves one index entry per waiting delivery", "[memory_store]") {
    using hookline::delivery_status;
    hookline::memory_store s;
    const std::vector<std::string> eps = {"e"};
    REQUIRE(s.insert_message(test_support::make_message("m"), eps, 1000).value());
    auto claim = [&](std::int64_t now, std::int64_t lease_until) {
        auto got = s.claim_due(now, 10, eps, lease_until).value();
        REQUIRE(got.size() == 1);
        return got[0].delivery;
    };
    auto d = claim(1000, 5000);
    // in flight -> pending, then pending -> pending without a claim in between (a reschedule)
    REQUIRE(s.record_attempt(d.id, d.lease, {.number = 1, .started_at = 1000, .status = 500}, delivery_status::pending,
                             3000));
    REQUIRE(s.reschedule({.message_id = "m"}, 4000).value() == 1);
    CHECK(s.next_due(eps).value() == 4000);
    CHECK(s.claim_due(3999, 10, eps, 8000).value().empty());
    d = claim(4000, 8000);
    // The lease runs out: claimable once more, and only once.
    CHECK(s.claim_due(7999, 10, eps, 12000).value().empty());
    d = claim(8000, 12000);
    CHECK(s.claim_due(8000, 10, eps, 12000).value().empty());
    // Released: due again, once.
    REQUIRE(s.release(d.id, d.lease, 8500));
    CHECK(s.next_due(eps).value() == 8500);
    d = claim(8500, 12000);
    // Finished: nothing waits; a manual retry (reschedule) indexes it again, once.
    REQUIRE(s.record_attempt(d.id, d.lease, {.number = 2, .started_at = 8500, .status = 200},
                             delivery_status::delivered, 0));
    CHECK_FALSE(s.next_due(eps).value().has_value());
    CHECK(s.claim_due(1'000'000, 10, eps, 2'000'000).value().empty());
    REQUIRE(s.reschedule({.message_id = "m"}, 20000).value() == 1);
    CHECK(s.next_due(eps).value() == 20000);
    d = claim(20000, 30000);
    CHECK(s.claim_due(20000, 10, eps, 30000).value().empty());
    REQUIRE(s.record_attempt(d.id, d.lease, {.number = 3, .started_at = 20000, .status = 200},
                             delivery_status::delivered, 0));
    CHECK_FALSE(s.next_due(eps).value().has_value());
    CHECK(s.list_attempts(d.id).value().size() == 3);
}
