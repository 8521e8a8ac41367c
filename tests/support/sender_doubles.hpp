// Test doubles for the sender: a scripted transport, a manual clock, and a bounded waiter.
#pragma once

#include <hookline/core/error.hpp>
#include <hookline/transports/transport.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace test_support {

/// A clock tests move by hand (Unix milliseconds).
struct manual_clock {
    std::shared_ptr<std::atomic<std::int64_t>> ms = std::make_shared<std::atomic<std::int64_t>>(1'700'000'000'000);
    std::int64_t operator()() const { return ms->load(); }
    void advance(std::chrono::milliseconds d) const { ms->fetch_add(d.count()); }
};

/// Records what happened and lets tests wait for it, never longer than a bound.
class recorder {
public:
    template <class F>
    void update(F&& f) {
        {
            std::lock_guard lock(mutex_);
            f();
        }
        cv_.notify_all();
    }
    /// Waits until `pred` holds (checked under the lock), at most `bound`. Returns whether it held.
    template <class P>
    bool wait(P pred, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, bound, pred);
    }
    template <class F>
    auto read(F&& f) {
        std::lock_guard lock(mutex_);
        return f();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
};

struct seen_request {
    std::string url;
    hookline::header_map headers;
    std::string body;
};

/// A transport whose answers a test scripts per URL. Copies share state. `block(url)` makes requests to
/// that URL wait until `unblock()` (or a 10 s bound), to model a hanging endpoint.
class fake_transport {
public:
    using handler = std::function<hookline::result<hookline::http_response>(const seen_request&, int nth)>;

    struct state {
        std::mutex mutex;
        std::condition_variable cv;
        std::map<std::string, handler> handlers;
        std::map<std::string, int> counts;
        std::map<std::string, bool> blocked;
        std::map<std::string, int> in_flight, max_in_flight;
        std::vector<seen_request> requests;
        bool released = false;
    };
    std::shared_ptr<state> s = std::make_shared<state>();
    std::shared_ptr<recorder> events = std::make_shared<recorder>();

    void on(const std::string& url, handler h) {
        std::lock_guard lock(s->mutex);
        s->handlers[url] = std::move(h);
    }
    void answer(const std::string& url, int status) {
        on(url, [status](const seen_request&, int) { return hookline::http_response{status, {}, "", {}}; });
    }
    void block(const std::string& url) {
        std::lock_guard lock(s->mutex);
        s->blocked[url] = true;
    }
    void unblock_all_later() {
        std::lock_guard lock(s->mutex);
        s->blocked.clear();
        s->released = false;
    }
    void unblock() {
        {
            std::lock_guard lock(s->mutex);
            s->released = true;
        }
        s->cv.notify_all();
    }
    int count(const std::string& url) const {
        std::lock_guard lock(s->mutex);
        auto it = s->counts.find(url);
        return it == s->counts.end() ? 0 : it->second;
    }
    int max_in_flight(const std::string& url) const {
        std::lock_guard lock(s->mutex);
        return s->max_in_flight[url];
    }
    std::vector<seen_request> requests() const {
        std::lock_guard lock(s->mutex);
        return s->requests;
    }

    hookline::result<hookline::http_response> send(const hookline::http_request& r) {
        seen_request seen{r.url, r.headers, std::string(r.body)};
        handler h;
        int nth = 0;
        bool blocked = false;
        {
            std::lock_guard lock(s->mutex);
            nth = ++s->counts[r.url];
            s->requests.push_back(seen);
            int now = ++s->in_flight[r.url];
            s->max_in_flight[r.url] = std::max(s->max_in_flight[r.url], now);
            h = s->handlers.count(r.url) ? s->handlers[r.url] : handler{};
            blocked = s->blocked[r.url];
        }
        events->update([] {}); // never while holding s->mutex: waiters read counts under the recorder lock
        if (blocked) {
            std::unique_lock lock(s->mutex);
            s->cv.wait_for(lock, std::chrono::seconds(10), [&] { return s->released; });
        }
        auto out =
            h ? h(seen, nth) : hookline::result<hookline::http_response>(hookline::http_response{200, {}, "", {}});
        {
            std::lock_guard lock(s->mutex);
            --s->in_flight[r.url];
        }
        events->update([] {});
        return out;
    }
};

} // namespace test_support
