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

namespace {
hookline::attempt_result result_of(const hookline::claimed_delivery& c, int number, int status,
                                   hookline::delivery_status st, std::int64_t next_due) {
    return {.delivery_id = c.delivery.id,
            .lease = c.delivery.lease,
            .attempt = {.number = number, .started_at = 1000, .status = status},
            .status = st,
            .next_due = next_due};
}
} // namespace

TEST_CASE("memory_store: every transition leaves one index entry per waiting delivery", "[memory_store]") {
    using hookline::delivery_status;
    hookline::memory_store s;
    const std::vector<std::string> eps = {"e"};
    REQUIRE(s.insert_message(test_support::make_message("m"), eps, 1000).value());
    auto c = s.claim_due("e", 1000, 10, 5000).value().at(0);
    const auto id = c.delivery.id;
    // in flight -> pending: due at 3000, and only then
    auto r = result_of(c, 1, 500, delivery_status::pending, 3000);
    REQUIRE(s.record_attempts({&r, 1}).value().empty());
    CHECK(s.due_endpoints(2999, 10).value().empty());
    REQUIRE(s.due_endpoints(3000, 10).value().size() == 1);
    CHECK(s.due_endpoints(3000, 10).value().at(0).due == 3000);
    CHECK(s.claim_due("e", 2999, 10, 8000).value().empty());
    c = s.claim_due("e", 3000, 10, 8000).value().at(0);
    // The lease runs out: claimable once more, and only once, under a new token.
    CHECK(s.due_endpoints(7999, 10).value().empty());
    CHECK(s.due_endpoints(8000, 10).value().at(0).due == 8000);
    auto again = s.claim_due("e", 8000, 10, 12000).value();
    REQUIRE(again.size() == 1);
    CHECK(again[0].delivery.lease > c.delivery.lease);
    CHECK(s.claim_due("e", 8000, 10, 12000).value().empty());
    // The first claimant's record is fenced off; the second's lands.
    auto stale = result_of(c, 2, 200, delivery_status::delivered, 0);
    CHECK(s.record_attempts({&stale, 1}).value() == std::vector<std::uint64_t>{id});
    CHECK(s.release(id, c.delivery.lease, 0).error() == hookline::errc::lease_lost);
    auto fresh = result_of(again[0], 3, 200, delivery_status::delivered, 0);
    CHECK(s.record_attempts({&fresh, 1}).value().empty());
    // Finished: nothing waits; a manual retry indexes it again, once.
    CHECK(s.due_endpoints(1'000'000, 10).value().empty());
    CHECK(s.claim_due("e", 1'000'000, 10, 2'000'000).value().empty());
    REQUIRE(s.reschedule({.message_id = "m"}, 20000).value() == 1);
    CHECK(s.due_endpoints(1'000'000, 10).value().size() == 1);
    CHECK(s.claim_due("e", 20000, 10, 30000).value().size() == 1);
    CHECK(s.list_attempts(id).value().size() == 2);
}

TEST_CASE("memory_store: due_endpoints lists each endpoint with work due once, earliest first", "[memory_store]") {
    hookline::memory_store s;
    std::vector<std::string> many;
    for (int i = 0; i < 1000; ++i) many.push_back("ep" + std::to_string(i));
    REQUIRE(s.insert_message(test_support::make_message("later"), std::vector<std::string>{"b"}, 500).value());
    REQUIRE(s.insert_message(test_support::make_message("m1"), std::vector<std::string>{"a", "b"}, 100).value());
    REQUIRE(s.insert_message(test_support::make_message("m2"), std::vector<std::string>{"a"}, 50).value());
    REQUIRE(s.insert_message(test_support::make_message("idle"), many, 10'000).value());
    auto due = s.due_endpoints(200, 10).value();
    REQUIRE(due.size() == 2);
    CHECK(due[0].endpoint_id == "a");
    CHECK(due[0].due == 50);
    CHECK(due[1].endpoint_id == "b");
    CHECK(due[1].due == 100);
    CHECK(s.due_endpoints(200, 1).value().size() == 1);
    // Claiming b's due delivery leaves b listed only when its next one is due.
    REQUIRE(s.claim_due("b", 200, 10, 100'000).value().size() == 1);
    CHECK(s.due_endpoints(200, 10).value().size() == 1);
    CHECK(s.due_endpoints(500, 10).value().size() == 2);
    CHECK(s.due_endpoints(10'000, 2000).value().size() == 1002);
}
