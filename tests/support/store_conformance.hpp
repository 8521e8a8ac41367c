// The behaviour every `store` must have, written once and run against each store type (the memory,
// SQLite and PostgreSQL stores' tests run it), with the ordering contract of an `ordered_store`.
#pragma once

#include <hookline/stores/store.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace test_support {

inline hookline::stored_message make_message(std::string id, std::int64_t at = 1000, std::string type = "a.b") {
    return {std::move(id), std::move(type), std::make_shared<const std::string>("{\"n\":1}"), at};
}

/// A message delivered in order to each of `targets` (the endpoints passed to `insert_message` may include others).
inline hookline::stored_message ordered_message(std::string id, std::vector<hookline::ordered_target> targets,
                                                std::int64_t at = 1000) {
    auto m = make_message(std::move(id), at);
    m.ordered = std::move(targets);
    return m;
}

/// Deliveries a migration to the ordered schema found in place: `n` of them, all unordered.
inline void check_unordered_after_migration(const std::vector<hookline::delivery_record>& old, std::size_t n) {
    REQUIRE(old.size() == n);
    for (const auto& d : old) {
        CHECK(d.sequence == 0);
        CHECK(d.ordering_key.empty());
        CHECK_FALSE(d.waiting);
        CHECK_FALSE(d.holds_key);
    }
}

/// The ordering contract of an `ordered_store` (docs/ordering.md), run by `check_store_conformance`.
template <class Store>
void check_ordered_store_conformance(Store& s) {
    using namespace hookline;
    const std::vector<std::string> eps = {"e1", "e2"};
    const std::vector<std::string> e1 = {"e1"};
    auto one = [&](const std::string& message, const std::string& endpoint = "e1") {
        auto d = s.list_deliveries({.message_id = message, .endpoint_id = endpoint}).value();
        REQUIRE(d.size() == 1);
        return d[0];
    };
    auto in_order = [&](const std::string& id, const std::string& key, std::int64_t due, bool block = true,
                        std::int64_t at = 1000) {
        REQUIRE(s.insert_message(ordered_message(id, {{"e1", key, block}}, at), e1, due).value());
        return one(id);
    };
    auto claim_ids = [&](std::int64_t now, std::int64_t lease_until) {
        std::vector<std::string> out;
        for (auto& c : s.claim_due(now, 100, e1, lease_until).value()) out.push_back(c.delivery.message_id);
        std::sort(out.begin(), out.end());
        return out;
    };
    auto claim_one = [&](std::int64_t now, std::int64_t lease_until) {
        auto got = s.claim_due(now, 100, e1, lease_until).value();
        REQUIRE(got.size() == 1);
        return got[0].delivery;
    };
    auto finish = [&](const delivery_record& d, delivery_status st, std::int64_t at, std::int64_t next = 0) {
        REQUIRE(s.record_attempt(d.id, d.lease, {.number = d.attempts + 1, .started_at = at, .status = 500}, st, next));
    };

    SECTION("ordered: positions are gap-free from 1 per endpoint and key, independent across keys and endpoints") {
        REQUIRE(s.insert_message(ordered_message("m1", {{"e1", "a"}, {"e2", "a"}}), eps, 1000).value());
        REQUIRE(s.insert_message(ordered_message("m2", {{"e1", "a"}, {"e2", "b"}}), eps, 1000).value());
        REQUIRE(s.insert_message(ordered_message("m3", {{"e1", "b"}}), e1, 1000).value());
        REQUIRE(s.insert_message(ordered_message("m4", {{"e1", "a"}}), eps, 1000).value());    // e2 unordered
        REQUIRE(s.insert_message(ordered_message("m5", {{"e1", ""}}), e1, 1000).value());      // endpoint-wide
        CHECK_FALSE(s.insert_message(ordered_message("m2", {{"e1", "a"}}), e1, 1000).value()); // takes no position
        REQUIRE(s.insert_message(ordered_message("m6", {{"e1", "a"}}), e1, 1000).value());
        struct want {
            const char* message;
            const char* endpoint;
            const char* key;
            std::uint64_t sequence;
            bool waiting;
        };
        for (const want& w :
             {want{"m1", "e1", "a", 1, false}, want{"m1", "e2", "a", 1, false}, want{"m2", "e1", "a", 2, true},
              want{"m2", "e2", "b", 1, false}, want{"m3", "e1", "b", 1, false}, want{"m4", "e1", "a", 3, true},
              want{"m4", "e2", "", 0, false}, want{"m5", "e1", "", 1, false}, want{"m6", "e1", "a", 4, true}}) {
            INFO(w.message << " to " << w.endpoint);
            auto d = one(w.message, w.endpoint);
            CHECK(d.ordering_key == w.key);
            CHECK(d.sequence == w.sequence);
            CHECK(d.waiting == w.waiting);
            CHECK(d.sequence_prev == 0);
            CHECK_FALSE(d.holds_key);
            CHECK(d.status == delivery_status::pending);
        }
    }
    SECTION("ordered: only a stream's head is claimable; the waiting are invisible to next_due and due_endpoints") {
        in_order("k1", "a", 1000);
        in_order("k2", "a", 500);
        in_order("k3", "a", 500);
        in_order("b1", "b", 2000);
        CHECK(s.next_due(e1).value() == 1000); // k2 and k3 are due earlier, but wait
        if constexpr (due_index_store<Store>) {
            CHECK(s.due_endpoints(999, 10).value().endpoints.empty());
            CHECK(s.due_endpoints(1000, 10).value().endpoints == std::vector<std::string>{"e1"});
        }
        auto got = s.claim_due(5000, 100, e1, 9000).value();
        REQUIRE(got.size() == 2); // the heads of "a" and "b"
        for (auto& c : got) {
            CHECK((c.delivery.message_id == "k1" || c.delivery.message_id == "b1"));
            CHECK(c.delivery.sequence == 1);
            CHECK(c.delivery.sequence_prev == 0);
            CHECK_FALSE(c.delivery.waiting);
            CHECK(c.delivery.ordering_key == (c.delivery.message_id == "k1" ? "a" : "b"));
        }
        CHECK(s.claim_due(5000, 100, e1, 9000).value().empty());
        CHECK(s.next_due(e1).value() == 9000); // the leases; not the waiting ones' due times
        if constexpr (due_index_store<Store>) CHECK(s.due_endpoints(8999, 10).value().endpoints.empty());
        // Unordered work of the endpoint flows beside them.
        REQUIRE(s.insert_message(make_message("u1"), e1, 1000).value());
        CHECK(claim_ids(5000, 9000) == std::vector<std::string>{"u1"});
    }
    SECTION("ordered: settling the head makes the next one the head, due at its own time, with sequence_prev") {
        in_order("k1", "a", 1000);
        in_order("k2", "a", 3000);
        in_order("k3", "a", 1000);
        finish(claim_one(1000, 9000), delivery_status::delivered, 1500);
        auto k2 = one("k2");
        CHECK_FALSE(k2.waiting);
        CHECK(k2.sequence_prev == 1);
        CHECK(one("k3").waiting);
        CHECK(s.next_due(e1).value() == 3000);
        CHECK(s.claim_due(2999, 100, e1, 9000).value().empty());
        auto c2 = claim_one(3000, 9000);
        CHECK(c2.message_id == "k2");
        CHECK(c2.sequence == 2);
        CHECK(c2.sequence_prev == 1);
        // A retry keeps the head; a failure settles it (not delivered: the last delivered stays 1).
        finish(c2, delivery_status::pending, 3000, 4000);
        CHECK(one("k3").waiting);
        CHECK(s.claim_due(3999, 100, e1, 9000).value().empty());
        finish(claim_one(4000, 9000), delivery_status::failed, 4000);
        auto c3 = claim_one(4000, 9000); // k3 was due at 1000 already
        CHECK(c3.message_id == "k3");
        CHECK(c3.sequence == 3);
        CHECK(c3.sequence_prev == 1);
        in_order("k4", "a", 1000);
        CHECK(one("k4").waiting);
        finish(c3, delivery_status::delivered, 4000);
        auto k4 = one("k4");
        CHECK_FALSE(k4.waiting);
        CHECK(k4.sequence == 4);
        CHECK(k4.sequence_prev == 3);
        // With nothing unsettled, a new message is the head at once.
        finish(claim_one(4000, 9000), delivery_status::delivered, 4000);
        auto k5 = in_order("k5", "a", 5000);
        CHECK_FALSE(k5.waiting);
        CHECK(k5.sequence == 5);
        CHECK(k5.sequence_prev == 4);
    }
    SECTION("ordered: an exhausted head under block holds its key, survives prune, and skip releases it") {
        in_order("k1", "a", 100, true, 100);
        in_order("k2", "a", 100, true, 100);
        in_order("b1", "b", 100, true, 100);
        for (auto& c : s.claim_due(100, 100, e1, 900).value())
            finish(c.delivery, c.delivery.message_id == "k1" ? delivery_status::exhausted : delivery_status::delivered,
                   100);
        auto k1 = one("k1");
        CHECK(k1.status == delivery_status::exhausted);
        CHECK(k1.holds_key);
        CHECK(one("k2").waiting);
        CHECK_FALSE(s.next_due(e1).value().has_value());
        in_order("b2", "b", 200, true, 100); // the other key goes on
        CHECK(claim_ids(200, 100'000) == std::vector<std::string>{"b2"});
        CHECK(s.prune(1'000'000).value() == 1); // b1 only: k1 holds its key
        CHECK(one("k1").holds_key);
        REQUIRE(s.skip(k1.id, 1000));
        k1 = one("k1");
        CHECK(k1.status == delivery_status::skipped);
        CHECK_FALSE(k1.holds_key);
        CHECK(s.skip(k1.id, 1000).error() == errc::invalid_argument); // already settled
        auto k2 = claim_one(1000, 9000);
        CHECK(k2.message_id == "k2");
        CHECK(k2.sequence_prev == 0);
        CHECK(s.prune(1'000'000).value() == 1); // k1 now
        CHECK(s.list_deliveries({.message_id = "k1"}).value().empty());
    }
    SECTION("ordered: a held head made pending again by reschedule is the head, due, without holds_key") {
        in_order("k1", "a", 100);
        in_order("k2", "a", 100);
        finish(claim_one(100, 900), delivery_status::exhausted, 100);
        REQUIRE(one("k1").holds_key);
        REQUIRE(s.reschedule({.message_id = "k1"}, 500).value() == 1);
        auto k1 = one("k1");
        CHECK(k1.status == delivery_status::pending);
        CHECK_FALSE(k1.holds_key);
        CHECK_FALSE(k1.waiting);
        CHECK(s.next_due(e1).value() == 500);
        auto c = claim_one(500, 900);
        CHECK(c.message_id == "k1");
        CHECK(c.attempts == 1);
        finish(c, delivery_status::delivered, 500);
        CHECK(claim_one(500, 900).message_id == "k2");
    }
    SECTION("ordered: an exhausted head without block passes its key on") {
        in_order("k1", "a", 100, false);
        in_order("k2", "a", 100, false);
        finish(claim_one(100, 900), delivery_status::exhausted, 100);
        auto k1 = one("k1");
        CHECK(k1.status == delivery_status::exhausted);
        CHECK_FALSE(k1.holds_key);
        auto k2 = claim_one(100, 900);
        CHECK(k2.message_id == "k2");
        CHECK(k2.sequence_prev == 0);
        CHECK(s.prune(1'000'000).value() == 1); // k1 is finished
    }
    SECTION("ordered: skip of a waiting delivery, of a pending head, refused in flight") {
        in_order("k1", "a", 1000);
        auto k2 = in_order("k2", "a", 1000);
        in_order("k3", "a", 1000);
        REQUIRE(s.skip(k2.id, 1100));
        k2 = one("k2");
        CHECK(k2.status == delivery_status::skipped);
        CHECK_FALSE(k2.waiting);
        CHECK(k2.updated_at == 1100);
        auto c1 = claim_one(1000, 9000);
        CHECK(c1.message_id == "k1");
        CHECK(s.skip(c1.id, 1200).error() == errc::delivery_in_flight);
        CHECK(one("k1").status == delivery_status::in_flight);
        CHECK(s.skip(987654, 1200).error() == errc::message_not_found);
        finish(c1, delivery_status::delivered, 1200);
        auto k3 = one("k3"); // k2 skipped: k3 is next
        CHECK_FALSE(k3.waiting);
        CHECK(k3.sequence_prev == 1);
        REQUIRE(s.skip(k3.id, 1300)); // the head, pending
        CHECK_FALSE(s.next_due(e1).value().has_value());
        auto k4 = in_order("k4", "a", 1000);
        CHECK(k4.sequence == 4);
        CHECK_FALSE(k4.waiting);
        CHECK(k4.sequence_prev == 1);
        // An unordered pending delivery can be skipped too.
        REQUIRE(s.insert_message(make_message("u1"), e1, 1000).value());
        REQUIRE(s.skip(one("u1").id, 1300));
        CHECK(one("u1").status == delivery_status::skipped);
        CHECK(claim_ids(5000, 9000) == std::vector<std::string>{"k4"});
    }
    SECTION("ordered: reschedule replays a settled position behind the head at once, one ahead of it waits") {
        in_order("k1", "a", 1000);
        in_order("k2", "a", 1000);
        auto k3 = in_order("k3", "a", 1000);
        finish(claim_one(1000, 9000), delivery_status::delivered, 1000);
        REQUIRE(s.skip(k3.id, 1000)); // waiting behind k2
        // k1 is behind the head (k2): a replay, claimable at once beside the head.
        REQUIRE(s.reschedule({.message_id = "k1"}, 2000).value() == 1);
        CHECK_FALSE(one("k1").waiting);
        // k3 is ahead of the head: pending again, but waiting.
        REQUIRE(s.reschedule({.message_id = "k3"}, 2000).value() == 1);
        k3 = one("k3");
        CHECK(k3.status == delivery_status::pending);
        CHECK(k3.waiting);
        auto got = s.claim_due(2000, 100, e1, 9000).value();
        REQUIRE(got.size() == 2);
        std::sort(got.begin(), got.end(),
                  [](const auto& a, const auto& b) { return a.delivery.sequence < b.delivery.sequence; });
        CHECK(got[0].delivery.message_id == "k1");
        CHECK(got[1].delivery.message_id == "k2");
        // The replay's outcome moves nothing; the head's promotes k3.
        finish(got[0].delivery, delivery_status::exhausted, 2000);
        CHECK_FALSE(one("k1").holds_key);
        CHECK(one("k3").waiting);
        finish(got[1].delivery, delivery_status::delivered, 2000);
        auto c3 = claim_one(2000, 9000);
        CHECK(c3.message_id == "k3");
        CHECK(c3.sequence_prev == 2);
        // A replay skipped then made pending again stays claimable, once (no stale index entry).
        REQUIRE(s.reschedule({.message_id = "k1"}, 3000).value() == 1);
        auto r1 = claim_one(3000, 4000);
        CHECK(r1.message_id == "k1");
        finish(r1, delivery_status::pending, 3000, 5000);
        CHECK(s.claim_due(4999, 100, e1, 9000).value().empty());
        CHECK(claim_one(5000, 9000).message_id == "k1");
        CHECK(s.claim_due(9000, 100, e1, 9500).value().size() == 2); // both leases ran out: k1 and k3 once each
    }
    SECTION("ordered: a skipped waiting delivery made pending again after its stream moved on is claimable once") {
        in_order("k1", "a", 1000);
        auto k2 = in_order("k2", "a", 1000);
        REQUIRE(s.skip(k2.id, 1000));
        finish(claim_one(1000, 9000), delivery_status::delivered, 1000);
        REQUIRE(s.reschedule({.message_id = "k2"}, 2000).value() == 1); // behind the head now: a replay
        CHECK_FALSE(one("k2").waiting);
        auto r = claim_one(2000, 3000);
        CHECK(r.message_id == "k2");
        finish(r, delivery_status::pending, 2000, 4000);
        CHECK(s.claim_due(3999, 100, e1, 9000).value().empty());
        CHECK(claim_one(4000, 9000).message_id == "k2");
        CHECK(s.claim_due(8999, 100, e1, 9500).value().empty());
    }
    SECTION("ordered: streams keep their numbering after their messages are pruned") {
        in_order("k1", "a", 100, true, 100);
        finish(claim_one(100, 900), delivery_status::delivered, 100);
        CHECK(s.prune(1000).value() == 1);
        auto k2 = in_order("k2", "a", 2000, true, 2000);
        CHECK(k2.sequence == 2);
        CHECK(k2.sequence_prev == 1);
        CHECK_FALSE(k2.waiting);
    }
    SECTION("ordered: fencing holds; a released head stays the head") {
        in_order("k1", "a", 1000);
        in_order("k2", "a", 1000);
        auto first = claim_one(1000, 2000);
        auto second = claim_one(2000, 9000); // the first lease ran out
        REQUIRE(second.id == first.id);
        CHECK(second.lease > first.lease);
        CHECK(s.record_attempt(first.id, first.lease, {.number = 1, .started_at = 1000, .status = 200},
                               delivery_status::delivered, 0)
                  .error() == errc::lease_lost);
        CHECK(one("k2").waiting); // the late outcome moved nothing
        CHECK(s.release(first.id, first.lease, 1000).error() == errc::lease_lost);
        REQUIRE(s.release(second.id, second.lease, 3000));
        CHECK(one("k1").status == delivery_status::pending);
        CHECK(one("k2").waiting);
        auto third = claim_one(3000, 9000);
        CHECK(third.message_id == "k1");
        finish(third, delivery_status::delivered, 3000);
        CHECK(s.record_attempt(third.id, third.lease, {.number = 2, .started_at = 3000, .status = 200},
                               delivery_status::delivered, 0)
                  .error() == errc::lease_lost);
        auto k2 = claim_one(3000, 9000);
        CHECK(k2.message_id == "k2");
        CHECK(k2.sequence_prev == 1);
    }
    SECTION("ordered: concurrent inserts into one stream never share a position") {
        std::atomic<int> inserted{0};
        std::vector<std::thread> threads;
        threads.reserve(4);
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 25; ++i) {
                    const std::string id = "c" + std::to_string(t) + "-" + std::to_string(i);
                    auto r = s.insert_message(ordered_message(id, {{"e1", "a"}, {"e2", "a"}}), eps, 1000);
                    if (r && *r) ++inserted;
                }
            });
        for (auto& th : threads) th.join();
        REQUIRE(inserted == 100);
        for (const auto& ep : eps) {
            std::set<std::uint64_t> seqs;
            std::size_t heads = 0;
            for (auto& d : s.list_deliveries({.endpoint_id = ep}).value()) {
                seqs.insert(d.sequence);
                heads += d.waiting ? 0 : 1;
            }
            CHECK(seqs.size() == 100);
            CHECK(*seqs.begin() == 1);
            CHECK(*seqs.rbegin() == 100);
            CHECK(heads == 1);
        }
    }
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
    SECTION("reschedule and list_deliveries take an unlimited limit (size_t(-1), as recover passes)") {
        REQUIRE(s.insert_message(make_message("m1"), eps, 1000).value());
        const auto all = static_cast<std::size_t>(-1);
        CHECK(s.list_deliveries({.limit = all}).value().size() == 2);
        CHECK(s.reschedule({.endpoint_id = "e1", .limit = all}, 2000).value() == 1);
    }
    SECTION("list_deliveries newest_first gives the latest, latest first") {
        for (int i = 1; i <= 3; ++i) REQUIRE(s.insert_message(make_message("m" + std::to_string(i)), e1, 1000).value());
        auto latest = s.list_deliveries({.endpoint_id = "e1", .limit = 2, .newest_first = true}).value();
        REQUIRE(latest.size() == 2);
        CHECK(latest[0].message_id == "m3");
        CHECK(latest[1].message_id == "m2");
        auto oldest = s.list_deliveries({.endpoint_id = "e1", .limit = 2}).value();
        REQUIRE(oldest.size() == 2);
        CHECK(oldest[0].message_id == "m1");
    }
    if constexpr (depth_store<Store>) {
        SECTION("queue_depth counts due, scheduled and in-flight deliveries") {
            REQUIRE(s.insert_message(make_message("m1"), eps, 1000).value());
            REQUIRE(s.insert_message(make_message("m2"), eps, 5000).value());
            REQUIRE(s.claim_due(1000, 1, e1, 61000).value().size() == 1);
            auto d = s.queue_depth(2000).value();
            CHECK(d.due == 1);
            CHECK(d.scheduled == 2);
            CHECK(d.in_flight == 1);
        }
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
    if constexpr (ordered_store<Store>) check_ordered_store_conformance(s);
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
