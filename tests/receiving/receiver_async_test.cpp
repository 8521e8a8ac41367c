// Asynchronous receiving and the worker pool: acknowledge after verification, run handlers on the
// pool, push back with 503 + Retry-After when the queue is full. No network, so it runs under TSan.
#include "support/receiver_doubles.hpp"

#include <hookline/core/worker_pool.hpp>
#include <hookline/receiving/receiver.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;

namespace {
constexpr std::int64_t t0 = test_support::receiver_t0;
using signed_request = test_support::signed_event;
using test_support::fixed_clock;
const secret& key() { return test_support::receiver_key(); }

/// A latch handlers block on until the test opens it.
struct gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    int waiting = 0;
    void pass() {
        std::unique_lock lock(m);
        ++waiting;
        cv.notify_all();
        cv.wait(lock, [&] { return open; });
    }
    void wait_for_waiters(int n) {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return waiting >= n; });
    }
    void release() {
        std::lock_guard lock(m);
        open = true;
        cv.notify_all();
    }
};

receiver_options async_options(std::size_t threads, std::size_t capacity) {
    receiver_options o;
    o.clock = [] { return t0; };
    o.asynchronous = true;
    o.workers = {.threads = threads, .queue_capacity = capacity};
    return o;
}
} // namespace

TEST_CASE("worker pool: runs every task and waits until idle", "[pool]") {
    worker_pool pool({.threads = 3, .queue_capacity = 1000});
    std::atomic<int> n{0};
    for (int i = 0; i < 500; ++i) REQUIRE(pool.try_submit([&] { ++n; }));
    pool.wait_idle();
    CHECK(n == 500);
}

TEST_CASE("worker pool: refuses work beyond its capacity and drains on stop", "[pool]") {
    gate g;
    std::atomic<int> n{0};
    {
        worker_pool pool({.threads = 1, .queue_capacity = 2});
        REQUIRE(pool.try_submit([&] {
            g.pass();
            ++n;
        }));
        g.wait_for_waiters(1); // the worker is busy
        CHECK(pool.try_submit([&] { ++n; }));
        CHECK(pool.try_submit([&] { ++n; }));
        CHECK_FALSE(pool.try_submit([&] { ++n; }));
        CHECK(pool.queued() == 2);
        g.release();
    } // destructor runs the queued tasks
    CHECK(n == 3);
}

TEST_CASE("worker pool: a throwing task does not kill its worker", "[pool]") {
    worker_pool pool({.threads = 1, .queue_capacity = 10});
    std::atomic<int> n{0};
    REQUIRE(pool.try_submit([] { throw std::runtime_error("x"); }));
    REQUIRE(pool.try_submit([&] { ++n; }));
    pool.wait_idle();
    CHECK(n == 1);
}

TEST_CASE("async receiver: acknowledges with 202 and handles on a worker", "[receiver][async]") {
    std::mutex m;
    std::vector<request_info> deferred;
    std::vector<std::string> ids;
    auto opts = async_options(2, 100);
    opts.observer = [&](const request_info& i) {
        if (!i.deferred) return;
        std::lock_guard lock(m);
        deferred.push_back(i);
    };
    standard_receiver rx(standard_verifier(key()), opts);
    rx.on_any([&](const webhook_event& e) {
        std::lock_guard lock(m);
        ids.push_back(e.id);
    });
    for (int i = 0; i < 20; ++i) {
        auto res = rx.handle(signed_request("a", "m" + std::to_string(i)).view());
        CHECK(res.status == 202);
    }
    rx.wait_idle();
    std::lock_guard lock(m);
    CHECK(ids.size() == 20);
    REQUIRE(deferred.size() == 20);
    CHECK(deferred[0].result == outcome::handled);
    CHECK(deferred[0].scheme == "standard");
    // Handled ids are duplicates afterwards.
    CHECK(rx.handle(signed_request("a", "m0").view()).body == "200 duplicate");
}

TEST_CASE("async receiver: a full queue answers 503 with Retry-After and forgets the id", "[receiver][async]") {
    gate g;
    std::atomic<int> calls{0};
    auto opts = async_options(1, 1);
    opts.retry_after = std::chrono::seconds(7);
    standard_receiver rx(standard_verifier(key()), opts);
    rx.on_any([&](const webhook_event&) {
        ++calls;
        g.pass();
    });
    CHECK(rx.handle(signed_request("a", "first").view()).status == 202);
    g.wait_for_waiters(1);                                                // the only worker is now busy
    CHECK(rx.handle(signed_request("a", "second").view()).status == 202); // fills the queue
    auto res = rx.handle(signed_request("a", "third").view());
    CHECK(res.status == 503);
    CHECK(res.headers.get("Retry-After") == "7");
    // While "first" is being handled, another delivery of it is told to come back later.
    CHECK(rx.handle(signed_request("a", "first").view()).status == 409);
    g.release();
    rx.wait_idle();
    CHECK(calls == 2);
    // The refused delivery was not marked handled: the sender's retry is dispatched.
    CHECK(rx.handle(signed_request("a", "third").view()).status == 202);
    rx.wait_idle();
    CHECK(calls == 3);
}

TEST_CASE("async receiver: a failed handler is reported and its id stays unhandled", "[receiver][async]") {
    std::atomic<int> failures{0};
    std::atomic<int> calls{0};
    auto opts = async_options(1, 10);
    opts.observer = [&](const request_info& i) {
        if (i.deferred && i.result == outcome::failed) ++failures;
    };
    standard_receiver rx(standard_verifier(key()), opts);
    rx.on_any([&](const webhook_event&) {
        if (++calls == 1) throw std::runtime_error("first attempt fails");
    });
    CHECK(rx.handle(signed_request("a", "x").view()).status == 202);
    rx.wait_idle();
    CHECK(failures == 1);
    CHECK(rx.handle(signed_request("a", "x").view()).status == 202);
    rx.wait_idle();
    CHECK(calls == 2);
}

TEST_CASE("async receiver: concurrent handle calls from many threads", "[receiver][async]") {
    std::atomic<int> calls{0};
    auto opts = async_options(2, 100000);
    standard_receiver rx(standard_verifier(key()), opts);
    rx.on("a.*", [&](const webhook_event&) { ++calls; });
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                // Every id twice: exactly one of the two is dispatched.
                const std::string id = "m" + std::to_string(i);
                (void)rx.handle(signed_request("a.b", id + "_" + std::to_string(t % 2)).view());
            }
        });
    for (auto& t : threads) t.join();
    rx.wait_idle();
    CHECK(calls == 100);
}
