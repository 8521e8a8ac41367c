/// \file Group commit for the SQLite store: callers queue their insert and wait; one committer thread
/// takes up to a batch of them at a time and commits them in one transaction.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/store.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// One queued insert; `outcome` is set by the batch function before the caller wakes.
struct sqlite_group_request {
    const stored_message* message;
    std::span<const std::string> endpoints;
    std::int64_t due;
    result<bool> outcome = errc::store_failure;
    bool done = false;
};

/// The committer thread and its queue. Thread-safe: `submit` may be called from any thread; the batch
/// function runs on the committer thread only. Destruction commits what is queued, then joins.
class sqlite_group_committer {
public:
    using batch_fn = std::function<void(std::span<sqlite_group_request* const>)>;

    sqlite_group_committer(batch_fn commit, std::size_t max_batch, std::chrono::microseconds delay)
        : commit_(std::move(commit)), max_batch_(max_batch == 0 ? 1 : max_batch), delay_(delay),
          thread_([this] { loop(); }) {}
    sqlite_group_committer(const sqlite_group_committer&) = delete;
    sqlite_group_committer& operator=(const sqlite_group_committer&) = delete;
    ~sqlite_group_committer() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        queue_cv_.notify_all();
        thread_.join();
    }

    /// Queues the insert and returns once its batch has committed (or failed).
    result<bool> submit(const stored_message& m, std::span<const std::string> endpoints, std::int64_t due) {
        sqlite_group_request req{&m, endpoints, due};
        std::unique_lock lock(mutex_);
        if (stopping_) return errc::store_failure;
        queue_.push_back(&req);
        queue_cv_.notify_one();
        done_cv_.wait(lock, [&] { return req.done; });
        return req.outcome;
    }

private:
    void loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return; // stopping, nothing left
            if (delay_.count() > 0 && queue_.size() < max_batch_) {
                auto until = std::chrono::steady_clock::now() + delay_;
                queue_cv_.wait_until(lock, until, [&] { return stopping_ || queue_.size() >= max_batch_; });
            }
            std::vector<sqlite_group_request*> batch;
            while (!queue_.empty() && batch.size() < max_batch_) {
                batch.push_back(queue_.front());
                queue_.pop_front();
            }
            lock.unlock();
            commit_(batch);
            lock.lock();
            for (auto* r : batch) r->done = true;
            done_cv_.notify_all();
        }
    }

    batch_fn commit_;
    std::size_t max_batch_;
    std::chrono::microseconds delay_;
    std::mutex mutex_;
    std::condition_variable queue_cv_, done_cv_;
    std::deque<sqlite_group_request*> queue_;
    bool stopping_ = false;
    std::thread thread_; // last: starts once the members above exist
};

} // namespace detail

HOOKLINE_END_NAMESPACE
