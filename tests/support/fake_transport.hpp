// A scripted `transport` test double: returns queued results in order (then a default) and records
// every request it was given. Safe to call from several threads at once.
#pragma once

#include <hookline/transports/transport.hpp>

#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace hookline_test {

class fake_transport {
public:
    /// What `send` returns once the script is used up.
    explicit fake_transport(hookline::result<hookline::http_response> fallback = hookline::http_response{.status = 200})
        : fallback_(std::move(fallback)) {}

    /// Queues the next result.
    void push(hookline::result<hookline::http_response> r) {
        std::lock_guard lock(mutex_);
        script_.push_back(std::move(r));
    }
    /// Queues a response with just a status (and optional headers).
    void push_status(int status, hookline::header_map headers = {}) {
        push(hookline::http_response{.status = status, .headers = std::move(headers)});
    }

    hookline::result<hookline::http_response> send(const hookline::http_request& r) {
        std::lock_guard lock(mutex_);
        sent_.push_back({r.url, r.headers, std::string(r.body), r.timeout, r.method});
        if (script_.empty()) return fallback_;
        auto next = std::move(script_.front());
        script_.pop_front();
        return next;
    }

    /// A copy of a request as sent (the body owned).
    struct recorded {
        std::string url;
        hookline::header_map headers;
        std::string body;
        std::chrono::milliseconds timeout;
        std::string method;
    };
    std::vector<recorded> sent() const {
        std::lock_guard lock(mutex_);
        return sent_;
    }

private:
    mutable std::mutex mutex_;
    std::deque<hookline::result<hookline::http_response>> script_;
    hookline::result<hookline::http_response> fallback_;
    std::vector<recorded> sent_;
};

static_assert(hookline::transport<fake_transport>);

} // namespace hookline_test
