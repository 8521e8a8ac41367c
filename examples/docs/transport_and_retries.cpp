// Snippets of docs/transport-and-retries.md (see docs.hpp).
// The snippets keep the guide's layout:
// clang-format off
// [snippet:transport]
#include <hookline/transports/httplib_transport.hpp>
// [/snippet:transport]
// [snippet:curl-transport]
#include <hookline/transports/curl_transport.hpp>
// [/snippet:curl-transport]

#include "docs.hpp"

#include <hookline/sending/retry_policy.hpp>

#include <chrono>
#include <iostream>
#include <string>

namespace docs::transport_and_retries {

// Compiled only: it would connect to example.com.
void transport() {
    // [snippet:transport]
    hookline::httplib_transport transport({
        .total_timeout = std::chrono::seconds(15),
        .max_response_body = 64 * 1024,
    });
    std::string body = R"({"type":"invoice.paid"})";
    auto r = transport.send({
        .url = "https://example.com/webhooks",
        .headers = {{"Content-Type", "application/json"}},
        .body = body,                       // a view: keep the bytes alive during send
    });
    if (r) std::cout << r->status << " in " << r->latency.count() << " us\n";
    else   std::cout << r.error().message() << "\n";   // e.g. "destination address refused"
    // [/snippet:transport]
}

// Compiled only: it would connect to example.com.
void curl_transport() {
    // [snippet:curl-transport]
    hookline::curl_transport transport({
        .total_timeout = std::chrono::seconds(15),
        .max_connections_per_host = 64,
    });
    static const std::string body = R"({"type":"invoice.paid"})"; // alive until the completion
    transport.start({.url = "https://example.com/webhooks",
                     .headers = {{"Content-Type", "application/json"}},
                     .body = body},
                    [](hookline::result<hookline::http_response> r) {   // on the I/O thread: be quick
                        if (r) std::cout << r->status << "\n";
                        else   std::cout << r.error().message() << "\n";
                    });
    // transport.send(request) does the same and waits; destroying the transport completes what is
    // still in flight with errc::stopped.
    // [/snippet:curl-transport]
}

hookline::httplib_transport allow_list() {
    // [snippet:allow-list]
    hookline::httplib_transport transport({
        .addresses = hookline::address_policy::with_allowed({"10.1.2.0/24", "127.0.0.1/32"}).value(),
    });
    // [/snippet:allow-list]
    return transport;
}

bool policies() {
    // [snippet:policies]
    using namespace std::chrono_literals;
    hookline::fixed_schedule fixed{.delays = {1s, 10s, 1min}};                   // 4 attempts
    hookline::exponential_backoff backoff{.base = 1s, .factor = 2, .max_delay = 1h, .max_attempts = 8};
    hookline::exponential_backoff reproducible{.random = [] { return 0.5; }};  // reproducible jitter in tests
    hookline::no_retry once{};
    // [/snippet:policies]
    const auto d = reproducible.next(1, {.status = 500});
    return fixed.next(3, {.status = 500}).action == hookline::retry_action::retry &&
           fixed.next(4, {.status = 500}).action == hookline::retry_action::give_up &&
           backoff.next(8, {.status = 500}).action == hookline::retry_action::give_up &&
           d.action == hookline::retry_action::retry &&
           once.next(1, {.status = 500}).action == hookline::retry_action::give_up;
}

} // namespace docs::transport_and_retries

namespace docs {
bool run_transport_and_retries() {
    using namespace transport_and_retries;
    // The allow-list admits 127.0.0.1: a request to a closed local port fails to connect instead of
    // being refused before connecting.
    const auto transport = allow_list();
    const std::string body = "{}";
    auto r = transport.send({.url = "http://127.0.0.1:1/webhooks", .body = body});
    const auto refused = transport.send({.url = "http://127.0.0.2:1/webhooks", .body = body});
    return !r && r.error() != hookline::errc::address_refused && !refused &&
           refused.error() == hookline::errc::address_refused && policies();
}
} // namespace docs
