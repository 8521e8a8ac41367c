/// \file `threaded_transport`: runs a blocking `transport` on a bounded pool of threads, so a sender
/// (which drives an `async_transport`) can use it. A request holds one thread while it runs: with `n`
/// threads at most `n` requests are in flight, and the sender never starts more (`capacity()`).
///
/// Thread-safety: `start` may be called from any thread. Copies share one pool; the last copy to go
/// away finishes the requests already started (each bounded by its timeout) and joins the threads.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/transports/async_transport.hpp>
#include <hookline/transports/detail/sigpipe.hpp>
#include <hookline/transports/transport.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Makes the blocking transport `T` an `async_transport` with `threads` threads.
template <transport T>
class threaded_transport {
public:
    explicit threaded_transport(T inner = T(), std::size_t threads = 8)
        : state_(std::make_shared<state>(std::move(inner), threads == 0 ? 1 : threads)) {}

    void start(const http_request& request, completion_handler done) {
        {
            std::lock_guard lock(state_->mutex);
            if (!state_->stopping) {
                state_->queue.push_back({request, std::move(done)});
                state_->cv.notify_one();
                return;
            }
        }
        done(errc::stopped);
    }

    /// Blocking send, on the caller's thread.
    result<http_response> send(const http_request& request) { return state_->inner.send(request); }

    std::size_t capacity() const noexcept { return state_->threads.size(); }
    T& inner() noexcept { return state_->inner; }

private:
    struct job {
        http_request request;
        completion_handler done;
    };
    struct state {
        state(T t, std::size_t n) : inner(std::move(t)) {
            threads.reserve(n);
            for (std::size_t i = 0; i < n; ++i) threads.emplace_back([this] { run(); });
        }
        state(const state&) = delete;
        state& operator=(const state&) = delete;
        ~state() {
            {
                std::lock_guard lock(mutex);
                stopping = true;
            }
            cv.notify_all();
            for (auto& t : threads) t.join();
        }
        void run() {
            detail::block_sigpipe_for_this_thread();
            std::unique_lock lock(mutex);
            for (;;) {
                cv.wait(lock, [&] { return stopping || !queue.empty(); });
                if (queue.empty()) return;
                job j = std::move(queue.front());
                queue.pop_front();
                lock.unlock();
                result<http_response> r = stopping_now() ? result<http_response>(errc::stopped) : inner.send(j.request);
                j.done(std::move(r));
                j = {};
                lock.lock();
            }
        }
        bool stopping_now() {
            std::lock_guard lock(mutex);
            return stopping;
        }
        T inner;
        std::mutex mutex;
        std::condition_variable cv;
        std::deque<job> queue;
        bool stopping = false;
        std::vector<std::thread> threads;
    };
    std::shared_ptr<state> state_;
};

HOOKLINE_END_NAMESPACE
