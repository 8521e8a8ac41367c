// The behaviour every `store` must have, written once and run against each store type
// (memory_store now; the SQLite and PostgreSQL stores reuse it).
#pragma once

#include <hookline/stores/store.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace test_support {

inline hookline::stored_message make_message(std::string id, std::int64_t at = 1000, std::string type = "a.b") {
    return {std::move(id), std::move(type), std::make_shared<const std::string>("{\"n\":1}"), at};
}

template <class Store>
void check_store_conformance(Store& s) {
    using namespace hookline;
    const std::vector<std::string> eps = {"e1", "e2"};
    const std::vector<std::string> e1 = {"e1"};

    SECTION("insert is idempotent by message id") {
        CHECK(s.insert_message(make_message("m1"), eps, 1000).value());
        CHECK_FALSE(s.insert_message(make_message("m1"), eps, 1000).value());
        CHECK(s.list_deliveries({.message_id = "m1"}).value().size() == 2);
    }
    SECTION("claims only due deliveries of the given endpoints and leases them") {
        REQUIRE(s.insert_message(make_message("m1"), eps, 1000).value());
        REQUIRE(s.insert_message(make_message("m2"), eps, 5000).value());
        CHECK(s.claim_due(999, 10, eps, 2000).value().empty());
        auto got = s.claim_due(1000, 10, e1, 61000).value();
        REQUIRE(got.size() == 1);
        CHECK(got[0].delivery.endpoint_id == "e1");
        CHECK(got[0].delivery.message_id == "m1");
        CHECK(*got[0].message->payload == "{\"n\":1}");
        CHECK(got[0].message->event_type == "a.b");
        // Claimed once: not handed out again while the lease runs.
        CHECK(s.claim_due(1000, 10, e1, 61000).value().empty());
        // The lease is the next due time: an expired lease makes it claimable again.
        CHECK(s.next_due(e1).value() == 5000);
        CHECK(s.claim_due(61000, 10, e1, 120000).value().size() == 2);
    }
    if constexpr (due_index_store<Store>) {
        SECTION("due_endpoints names the endpoints with work due, earliest first, without the endpoint list") {
            const std::vector<std::string> e2 = {"e2"};
            const std::vector<std::string> e3 = {"e3"};
            CHECK(s.due_endpoints(10'000, 10).value().endpoints.empty());
            REQUIRE(s.insert_message(make_message("m1"), e1, 1000).value());
            REQUIRE(s.insert_message(make_message("m2"), e2, 3000).value());
            REQUIRE(s.insert_message(make_message("m3"), e3, 2000).value());
            REQUIRE(s.insert_message(make_message("m4"), e3, 2500).value()); // e3 twice: named once
            auto page = s.due_endpoints(999, 10).value();
            CHECK(page.endpoints.empty());
            CHECK_FALSE(page.more);
            page = s.due_endpoints(2000, 10).value();
            CHECK(page.endpoints == std::vector<std::string>{"e1", "e3"});
            CHECK_FALSE(page.more);
            page = s.due_endpoints(5000, 10).value();
            CHECK(page.endpoints == std::vector<std::string>{"e1", "e3", "e2"});
            // A bounded look: the earliest delivery only, and word that more was due.
            page = s.due_endpoints(5000, 1).value();
            CHECK(page.endpoints == std::vector<std::string>{"e1"});
            CHECK(page.more);
            // In flight under a live lease: not due; once the lease runs out, due again (at its end).
            auto d = s.claim_due(1000, 1, e1, 4000).value().at(0).delivery;
            CHECK(s.due_endpoints(3500, 10).value().endpoints == std::vector<std::string>{"e3", "e2"});
            CHECK(s.due_endpoints(4000, 10).value().endpoints == std::vector<std::string>{"e3", "e2", "e1"});
            // Finished: gone from the index.
            REQUIRE(s.record_attempt(d.id, d.lease, {.number = 1, .started_at = 1000, .status = 200},
                                     delivery_status::delivered, 0));
            CHECK(s.due_endpoints(10'000, 10).value().endpoints == std::vector<std::string>{"e3", "e2"});
            // Retried later: due at its new time.
            auto d2 = s.claim_due(3000, 1, e2, 9000).value().at(0).delivery;
            REQUIRE(s.record_attempt(d2.id, d2.lease, {.number = 1, .started_at = 3000, .status = 500},
                                     delivery_status::pending, 7000));
            CHECK(s.due_endpoints(6000, 10).value().endpoints == std::vector<std::string>{"e3"});
            CHECK(s.due_endpoints(7000, 10).value().endpoints == std::vector<std::string>{"e3", "e2"});
        }
    }
    SECTION("claims respect the limit and the earliest-due order") {
        for (int i = 0; i < 5; ++i)
            REQUIRE(s.insert_message(make_message("m" + std::to_string(i)), e1, 1000 - i).value());
        auto got = s.claim_due(2000, 3, e1, 9000).value();
        REQUIRE(got.size() == 3);
        CHECK(got[0].delivery.message_id == "m4");
        CHECK(got[1].delivery.message_id == "m3");
        CHECK(got[2].delivery.message_id == "m2");
    }
    SECTION("record_attempt moves a delivery on and keeps its attempts") {
        REQUIRE(s.insert_message(make_message("m1"), e1, 1000).value());
        auto d = s.claim_due(1000, 1, e1, 9000).value().at(0).delivery;
        attempt_record a{.number = 1,
                         .started_at = 1000,
                         .status = 500,
                         .error = errc::http_status,
                         .latency = std::chrono::microseconds(1200),
                         .response_excerpt = "boom"};
        REQUIRE(s.record_attempt(d.id, d.lease, a, delivery_status::pending, 6000));
        CHECK(s.next_due(e1).value() == 6000);
        auto again = s.claim_due(6000, 1, e1, 9000).value();
        REQUIRE(again.size() == 1);
        CHECK(again[0].delivery.attempts == 1);
        CHECK(again[0].delivery.lease > d.lease); // every claim a larger fencing token
        REQUIRE(s.record_attempt(d.id, again[0].delivery.lease, {.number = 2, .started_at = 6000, .status = 200},
                                 delivery_status::delivered, 0));
        CHECK_FALSE(s.next_due(e1).value().has_value());
        auto listed = s.list_deliveries({.message_id = "m1"}).value();
        REQUIRE(listed.size() == 1);
        CHECK(listed[0].status == delivery_status::delivered);
        CHECK(listed[0].attempts == 2);
        auto attempts = s.list_attempts(d.id).value();
        REQUIRE(attempts.size() == 2);
        CHECK(attempts[0].status == 500);
        CHECK(attempts[0].error == errc::http_status);
        CHECK(attempts[0].response_excerpt == "boom");
        CHECK(attempts[0].latency == std::chrono::microseconds(1200));
        CHECK(attempts[1].status == 200);
        CHECK(s.record_attempt(987654, 1, a, delivery_status::pending, 0).error() == errc::message_not_found);
        // Finished: no lease records or releases it any more.
        CHECK(s.record_attempt(d.id, again[0].delivery.lease, a, delivery_status::pending, 0).error() ==
              errc::lease_lost);
        CHECK(s.release(d.id, again[0].delivery.lease, 0).error() == errc::lease_lost);
        CHECK(s.list_attempts(d.id).value().size() == 2);
    }
    SECTION("release hands an in-flight delivery back") {
        REQUIRE(s.insert_message(make_message("m1"), e1, 1000).value());
        auto d = s.claim_due(1000, 1, e1, 90000).value().at(0).delivery;
        REQUIRE(s.release(d.id, d.lease, 1500));
        CHECK(s.list_deliveries({.message_id = "m1"}).value().at(0).status == delivery_status::pending);
        // Released: the lease is spent.
        CHECK(s.release(d.id, d.lease, 1500).error() == errc::lease_lost);
        CHECK(
            s.record_attempt(d.id, d.lease, {.number = 1, .started_at = 1500}, delivery_status::delivered, 0).error() ==
            errc::lease_lost);
        CHECK(s.list_attempts(d.id).value().empty());
        CHECK(s.claim_due(1500, 1, e1, 90000).value().size() == 1);
        CHECK(s.release(987654, 1, 1500).error() == errc::message_not_found);
    }
    SECTION("a lease that ran out is fenced: the first claimant's late outcome changes nothing") {
        REQUIRE(s.insert_message(make_message("m1"), e1, 1000).value());
        auto first = s.claim_due(1000, 1, e1, 2000).value().at(0).delivery;
        // The first claimant stalls past its lease; a second claims the delivery again.
        auto second = s.claim_due(2000, 1, e1, 9000).value().at(0).delivery;
        REQUIRE(second.id == first.id);
        CHECK(second.lease > first.lease);
        CHECK(s.list_deliveries({.message_id = "m1"}).value().at(0).lease == second.lease);
        // The first one's outcome and hand-back are refused...
        CHECK(s.record_attempt(first.id, first.lease, {.number = 1, .started_at = 1000, .status = 200},
                               delivery_status::delivered, 0)
                  .error() == errc::lease_lost);
        CHECK(s.release(first.id, first.lease, 1000).error() == errc::lease_lost);
        // ...and the second owner's state is intact: in flight, its lease, no attempt recorded.
        auto now = s.list_deliveries({.message_id = "m1"}).value().at(0);
        CHECK(now.status == delivery_status::in_flight);
        CHECK(now.lease_until == 9000);
        CHECK(now.lease == second.lease);
        CHECK(now.attempts == 0);
        CHECK(s.list_attempts(first.id).value().empty());
        CHECK(s.claim_due(8999, 1, e1, 20000).value().empty());
        // The second owner records fine.
        REQUIRE(s.record_attempt(second.id, second.lease, {.number = 1, .started_at = 2000, .status = 500},
                                 delivery_status::pending, 3000));
        auto later = s.list_deliveries({.message_id = "m1"}).value().at(0);
        CHECK(later.status == delivery_status::pending);
        CHECK(later.next_attempt_at == 3000);
        CHECK(later.attempts == 1);
        REQUIRE(s.list_attempts(first.id).value().size() == 1);
        CHECK(s.list_attempts(first.id).value().at(0).status == 500);
        // Still refused once the delivery has moved on.
        CHECK(s.record_attempt(first.id, first.lease, {.number = 1, .started_at = 1000, .status = 200},
                               delivery_status::delivered, 0)
                  .error() == errc::lease_lost);
    }
    SECTION("reschedule then prune: a message made pending again is kept") {
        REQUIRE(s.insert_message(make_message("m1", 100), e1, 100).value());
        auto d = s.claim_due(100, 1, e1, 900).value().at(0).delivery;
        REQUIRE(s.record_attempt(d.id, d.lease, {.number = 1, .started_at = 100, .status = 500},
                                 delivery_status::exhausted, 0));
        REQUIRE(s.reschedule({.message_id = "m1"}, 500).value() == 1);
        CHECK(s.prune(1000).value() == 0);
        CHECK(s.list_deliveries({.message_id = "m1"}).value().at(0).status == delivery_status::pending);
    }
    SECTION("reschedule and queries select by message and endpoint and status and time") {
        REQUIRE(s.insert_message(make_message("old", 100), eps, 100).value());
        REQUIRE(s.insert_message(make_message("new", 5000), eps, 5000).value());
        for (auto& c : s.claim_due(10000, 10, eps, 20000).value())
            REQUIRE(s.record_attempt(c.delivery.id, c.delivery.lease, {.number = 1, .started_at = 10000, .status = 500},
                                     delivery_status::exhausted, 0));
        CHECK(s.list_deliveries({.statuses = {delivery_status::exhausted}}).value().size() == 4);
        CHECK(s.list_deliveries({.endpoint_id = "e2"}).value().size() == 2);
        CHECK(
            s.reschedule({.endpoint_id = "e1", .statuses = {delivery_status::exhausted}, .created_since = 1000}, 11000)
                .value() == 1);
        auto pending = s.list_deliveries({.statuses = {delivery_status::pending}}).value();
        REQUIRE(pending.size() == 1);
        CHECK(pending[0].message_id == "new");
        CHECK(pending[0].endpoint_id == "e1");
        CHECK(s.list_deliveries({.limit = 3}).value().size() == 3);
    }
    SECTION("endpoint state round-trips") {
        CHECK_FALSE(s.load_endpoint_state("e1").value().has_value());
        REQUIRE(s.save_endpoint_state({.endpoint_id = "e1",
                                       .disabled = true,
                                       .disabled_reason = "gone",
                                       .failing_since = 42,
                                       .exhausted_count = 3}));
        auto st = s.load_endpoint_state("e1").value();
        REQUIRE(st);
        CHECK(st->disabled);
        CHECK(st->disabled_reason == "gone");
        CHECK(st->failing_since == 42);
        CHECK(st->exhausted_count == 3);
    }
    SECTION("prune forgets old finished messages only") {
        REQUIRE(s.insert_message(make_message("done", 100), e1, 100).value());
        REQUIRE(s.insert_message(make_message("open", 100), e1, 100).value());
        REQUIRE(s.insert_message(make_message("young", 5000), e1, 5000).value());
        REQUIRE(s.insert_message(make_message("none", 100), {}, 100).value());
        for (auto& c : s.claim_due(6000, 10, e1, 9000).value())
            if (c.delivery.message_id != "open")
                REQUIRE(s.record_attempt(c.delivery.id, c.delivery.lease,
                                         {.number = 1, .started_at = 6000, .status = 200}, delivery_status::delivered,
                                         0));
        CHECK(s.prune(1000).value() == 2); // "done" and "none"
        CHECK(s.list_deliveries({.message_id = "done"}).value().empty());
        CHECK(s.list_deliveries({.message_id = "open"}).value().size() == 1);
        CHECK(s.list_deliveries({.message_id = "young"}).value().size() == 1);
        CHECK(s.insert_message(make_message("done", 7000), e1, 7000).value()); // a pruned id may be sent again
    }
    SECTION("concurrent claims never hand one delivery to two claimants") {
        for (int i = 0; i < 400; ++i)
            REQUIRE(s.insert_message(make_message("m" + std::to_string(i)), eps, 1000).value());
        std::vector<std::vector<std::uint64_t>> seen(4);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (;;) {
                    auto got = s.claim_due(1000, 7, eps, 999999).value();
                    if (got.empty()) return;
                    for (auto& c : got) seen[t].push_back(c.delivery.id);
                }
            });
        for (auto& th : threads) th.join();
        std::set<std::uint64_t> all;
        std::size_t total = 0;
        for (auto& v : seen) {
            total += v.size();
            all.insert(v.begin(), v.end());
        }
        CHECK(total == 800);
        CHECK(all.size() == 800);
    }
}

} // namespace test_support
