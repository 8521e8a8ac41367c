// memory_store against the store contract every store must meet.
// [snippet:conformance]
#include "support/store_conformance.hpp"

#include <hookline/stores/memory_store.hpp>

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("memory_store: meets the store contract", "[memory_store]") {
    hookline::memory_store s;
    test_support::check_store_conformance(s);
}
// [/snippet:conformance]

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
    const auto id = s.claim_due(1000, 10, eps, 5000).value().at(0).delivery.id;
    // in flight -> pending, then pending -> pending without a claim in between
    REQUIRE(s.record_attempt(id, {.number = 1, .started_at = 1000, .status = 500}, delivery_status::pending, 3000));
    REQUIRE(s.record_attempt(id, {.number = 2, .started_at = 1100, .status = 500}, delivery_status::pending, 4000));
    CHECK(s.next_due(eps).value() == 4000);
    CHECK(s.claim_due(3999, 10, eps, 8000).value().empty());
    CHECK(s.claim_due(4000, 10, eps, 8000).value().size() == 1);
    // The lease runs out: claimable once more, and only once.
    CHECK(s.claim_due(7999, 10, eps, 12000).value().empty());
    CHECK(s.claim_due(8000, 10, eps, 12000).value().size() == 1);
    // Finished: nothing waits; a later pending record (a manual retry) indexes it again, once.
    REQUIRE(s.record_attempt(id, {.number = 3, .started_at = 8000, .status = 200}, delivery_status::delivered, 0));
    CHECK_FALSE(s.next_due(eps).value().has_value());
    CHECK(s.claim_due(1'000'000, 10, eps, 2'000'000).value().empty());
    REQUIRE(s.record_attempt(id, {.number = 4, .started_at = 9000, .status = 500}, delivery_status::pending, 20000));
    CHECK(s.next_due(eps).value() == 20000);
    CHECK(s.claim_due(20000, 10, eps, 30000).value().size() == 1);
    CHECK(s.list_attempts(id).value().size() == 4);
}
