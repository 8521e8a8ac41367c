// worker_pool: every task runs once, the queue is bounded, stop runs what is queued.
#include <hookline/core/worker_pool.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

using namespace hookline;
using namespace std::chrono_literals;

namespace {
/// A one-way gate: `open` once, `wait` (bounded) from anywhere.
class gate {
public:
    void open() {
        {
            std::lock_guard lock(mutex_);
            open_ = true;
        }
        cv_.notify_all();
    }
    bool wait(std::chrono::milliseconds limit = 10s) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, limit, [&] { return open_; });
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool open_ = false;
};

} // namespace

TEST_CASE("worker_pool: every task runs once and wait_idle waits for them all", "[worker_pool]") {
    worker_pool pool({.threads = 4, .queue_capacity = 100'000});
    std::atomic<int> ran{0};
    for (int i = 0; i < 20'000; ++i) REQUIRE(pool.try_submit([&] { ran.fetch_add(1); }));
    pool.wait_idle();
    CHECK(ran.load() == 20'000);
    CHECK(pool.queued() == 0);
}

TEST_CASE("worker_pool: the queue is bounded, and stop runs what is queued", "[worker_pool]") {
    std::atomic<int> ran{0};
    gate started, release;
    {
        worker_pool pool({.threads = 1, .queue_capacity = 2});
        REQUIRE(pool.try_submit([&] {
            started.open();
            release.wait();
        }));
        REQUIRE(started.wait());
        CHECK(pool.try_submit([&] { ran.fetch_add(1); }));
        CHECK(pool.try_submit([&] { ran.fetch_add(1); }));
        CHECK_FALSE(pool.try_submit([&] { ran.fetch_add(100); })); // full: refused, never run
        CHECK(pool.queued() == 2);
        release.open();
        pool.stop();
        CHECK_FALSE(pool.try_submit([&] { ran.fetch_add(100); })); // stopped
    }
    CHECK(ran.load() == 2);
}

TEST_CASE("worker_pool: a blocked task does not hold up the others", "[worker_pool]") {
    worker_pool pool({.threads = 2});
    gate started, other_ran, release;
    REQUIRE(pool.try_submit([&] {
        started.open();
        release.wait();
    }));
    REQUIRE(started.wait());
    REQUIRE(pool.try_submit([&] { other_ran.open(); }));
    CHECK(other_ran.wait());
    release.open();
    pool.wait_idle();
}
