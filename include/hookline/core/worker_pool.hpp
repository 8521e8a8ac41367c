/// \file `worker_pool`: a fixed number of threads draining a bounded queue of tasks.
///
/// Thread-safety: `try_submit`, `wait_idle` and `queued` may be called from any thread at once. The
/// destructor (or `stop`) must not race with itself.
#pragma once

#include <hookline/core/config.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Options of a `worker_pool`.
struct worker_pool_options {
    std::size_t threads = 2;           ///< worker threads (at least one is started)
    std::size_t queue_capacity = 1024; ///< tasks waiting beyond the ones running; more are refused
};

/// Runs submitted tasks on its threads. The queue is bounded: `try_submit` refuses work instead of
/// growing without limit, so callers can push back (a receiver answers 503 + Retry-After). Tasks must
/// not throw (an escaping exception is swallowed). Stopping runs the tasks already queued, then joins.
class worker_pool {
public:
    explicit worker_pool(worker_pool_options options = {}) : options_(options) {
        const std::size_t n = options_.threads == 0 ? 1 : options_.threads;
        threads_.reserve(n);
        for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
    }
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;
    ~worker_pool() { stop(); }

    /// Queues `task`; false when the queue is full or the pool is stopping.
    bool try_submit(std::function<void()> task) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ || queue_.size() >= options_.queue_capacity) return false;
            queue_.push_back(std::move(task));
        }
        work_cv_.notify_one();
        return true;
    }

    /// Blocks until the queue is empty and no task is running.
    void wait_idle() {
        std::unique_lock lock(mutex_);
        idle_cv_.wait(lock, [&] { return queue_.empty() && running_ == 0; });
    }

    /// Tasks waiting (not counting the ones running).
    std::size_t queued() const {
        std::lock_guard lock(mutex_);
        return queue_.size();
    }

    /// Refuses new tasks, runs the queued ones, joins the threads. Idempotent.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        work_cv_.notify_all();
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return; // stopping and drained
            auto task = std::move(queue_.front());
            queue_.pop_front();
            ++running_;
            lock.unlock();
            try {
                task();
            } catch (...) {
            }
            task = nullptr; // destroy captures outside the lock
            lock.lock();
            --running_;
            if (queue_.empty() && running_ == 0) idle_cv_.notify_all();
        }
    }

    worker_pool_options options_;
    mutable std::mutex mutex_;
    std::condition_variable work_cv_;
    std::condition_variable idle_cv_;
    std::deque<std::function<void()>> queue_;
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

HOOKLINE_END_NAMESPACE
