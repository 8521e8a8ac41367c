// Test doubles for the sender: a scripted transport (blocking, and asynchronous), a manual clock, a
// bounded waiter, and an endpoint signing with a fixed key.
#pragma once

#include <hookline/core/error.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/sending/endpoint.hpp>
#include <hookline/transports/async_transport.hpp>
#include <hookline/transports/transport.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
    int in_flight(const std::string& url) const {
        std::lock_guard lock(s->mutex);
        return s->in_flight[url];
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

/// `fake_transport`'s script, asynchronous: `start` records the request and returns; the answer comes
/// from the double's own thread, and requests to blocked URLs are held (in flight, no thread used)
/// until `unblock()`. Copies share state; what is still held when the last copy goes completes as
/// `errc::stopped`. A sender drives it as it drives `curl_transport`.
class async_fake_transport : public fake_transport {
public:
    struct job {
        seen_request seen;
        handler h;
        int nth = 0;
        hookline::completion_handler done;
    };
    struct worker {
        std::mutex mutex;
        std::condition_variable cv;
        std::deque<job> ready;
        std::vector<job> held;
        bool stopping = false;
        std::thread thread;
        ~worker() {
            {
                std::lock_guard lock(mutex);
                stopping = true;
            }
            cv.notify_all();
            if (thread.joinable()) thread.join();
            for (auto& j : held) j.done(hookline::errc::stopped);
        }
    };

    async_fake_transport() : w(std::make_shared<worker>()) {
        auto* raw = w.get();
        auto st = s;
        auto ev = events;
        raw->thread = std::thread([raw, st, ev] {
            std::unique_lock lock(raw->mutex);
            for (;;) {
                raw->cv.wait(lock, [&] { return raw->stopping || !raw->ready.empty(); });
                if (raw->ready.empty()) return;
                job j = std::move(raw->ready.front());
                raw->ready.pop_front();
                lock.unlock();
                auto out = j.h ? j.h(j.seen, j.nth)
                               : hookline::result<hookline::http_response>(hookline::http_response{200, {}, "", {}});
                {
                    std::lock_guard g(st->mutex);
                    --st->in_flight[j.seen.url];
                }
                ev->update([] {});
                j.done(std::move(out));
                lock.lock();
            }
        });
    }

    void start(const hookline::http_request& r, hookline::completion_handler done) {
        job j{{r.url, r.headers, std::string(r.body)}, {}, 0, std::move(done)};
        {
            // Deciding "held" and holding it are one step under w->mutex, which unblock() takes too:
            // a request is either released by it or sees it released.
            std::lock_guard held_lock(w->mutex);
            bool blocked = false;
            {
                std::lock_guard lock(s->mutex);
                j.nth = ++s->counts[r.url];
                s->requests.push_back(j.seen);
                int now = ++s->in_flight[r.url];
                s->max_in_flight[r.url] = std::max(s->max_in_flight[r.url], now);
                j.h = s->handlers.count(r.url) ? s->handlers[r.url] : handler{};
                blocked = s->blocked[r.url] && !s->released;
            }
            (blocked ? w->held.push_back(std::move(j)) : w->ready.push_back(std::move(j)));
        }
        w->cv.notify_one();
        events->update([] {}); // never under w->mutex or s->mutex: waiters read counts under its lock
    }

    /// Releases every held request (and lets later ones through, as `fake_transport::unblock` does).
    void unblock() {
        {
            std::lock_guard lock(w->mutex);
            fake_transport::unblock();
            for (auto& j : w->held) w->ready.push_back(std::move(j));
            w->held.clear();
        }
        w->cv.notify_all();
    }

private:
    std::shared_ptr<worker> w;
};

/// The Standard Webhooks key the sender tests sign with.
inline const hookline::secret& sender_key() {
    static const hookline::secret k = hookline::secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    return k;
}

/// An endpoint at `url` that signs with `sender_key()`.
inline hookline::endpoint_config signed_endpoint(std::string url) {
    hookline::endpoint_config c;
    c.url = std::move(url);
    c.secrets = {{sender_key(), 0}};
    return c;
}

} // namespace test_support
