/// \file What a sender takes and gives back: events, receipts, attempt reports, callbacks, options.
///
/// Thread-safety: plain values; the callbacks and logger in `sender_options` are called from the
/// sender's worker threads, several at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/logger.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/sending/endpoint.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/stores/store.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// A signer a sender can build per endpoint from that endpoint's keys.
template <class S>
concept signer_factory = signer<S> && requires(std::span<const secret> keys) {
    { S::make(keys) } -> std::same_as<result<S>>;
};

/// An event to send. `payload` is sent byte for byte as `application/json`.
struct event {
    std::string type{};                  ///< matched against endpoints' filters; required
    std::string payload{};               ///< request body
    std::string id{};                    ///< message id; empty = a fresh random `msg_…` id
    std::vector<std::string> channels{}; ///< restricts delivery to endpoints on these channels
    /// Orders it on `per_key` endpoints behind earlier events with the same key (for example an order
    /// id); empty = the endpoint's default key. At most 256 bytes, no control characters.
    std::string ordering_key{};
    /// The tenant (application) it is for: only that tenant's endpoints take it ("" = the endpoints
    /// of no tenant). At most 256 bytes, no control characters.
    std::string tenant{};
};

/// What `send` did.
struct send_receipt {
    std::string message_id{};
    std::size_t deliveries = 0; ///< endpoints it was queued for
    bool duplicate = false;     ///< a message with this id was already accepted: nothing was queued
};

/// Reported to callbacks after each attempt.
struct attempt_report {
    std::string message_id{};
    std::string endpoint_id{};
    std::string event_type{};
    std::uint64_t delivery_id = 0;
    attempt_record attempt{};
    delivery_status status = delivery_status::pending; ///< the delivery's status after this attempt
    std::optional<std::int64_t> next_attempt_at;       ///< Unix ms, when it will be tried again
};

/// Hooks a sender calls from its workers.
struct sender_callbacks {
    std::function<void(const attempt_report&)> on_attempt;   ///< every attempt
    std::function<void(const attempt_report&)> on_delivered; ///< a 2xx arrived
    std::function<void(const attempt_report&)> on_exhausted; ///< retries ran out, or 410 Gone: not retried
    std::function<void(const std::string& endpoint_id, const std::string& reason)> on_endpoint_disabled;
};

/// Options of a sender; every field has a sensible default.
struct sender_options {
    /// Threads that run attempts. With a blocking transport each one waits for its request; with an
    /// asynchronous one (`curl_transport`, the default) they sign requests and record outcomes, and
    /// never wait on the network.
    std::size_t workers = 8;
    /// Requests in flight at once over all endpoints with an asynchronous transport (at most a
    /// `bounded_transport`'s capacity). With a blocking transport the limit is `workers`.
    std::size_t max_in_flight = 10000;
    /// Default per-endpoint limit; 0 = 16 with an asynchronous transport, max(1, workers / 4) with a
    /// blocking one.
    std::size_t max_concurrency_per_endpoint = 0;
    /// Slow start: an endpoint gets one request at a time until it answers, then one more slot per
    /// response, up to its concurrency limit; an attempt that brings no response (timeout, refused
    /// connection, DNS or TLS failure) puts it back to one. An endpoint that hangs or is dead then
    /// holds one connection, not its whole limit. false: every endpoint gets its limit at once.
    bool slow_start = true;
    std::chrono::milliseconds timeout{15000};      ///< default whole-request timeout
    std::chrono::milliseconds lease_margin{30000}; ///< a claim's lease is the timeout plus this
    std::chrono::milliseconds max_idle{1000};      ///< longest the scheduler sleeps without news
    std::chrono::hours disable_after{24 * 5};      ///< an endpoint failing this long is disabled
    int disable_after_exhausted = 0;               ///< ...or after this many exhausted messages; 0 = never
    std::string user_agent = "hookline/" HOOKLINE_VERSION_STRING;
    std::size_t response_excerpt_bytes = 1024; ///< of each response body kept with its attempt
    /// Unix milliseconds now; empty = the system clock. Tests inject one and call `wake()` after moving it.
    std::function<std::int64_t()> clock{};
    sender_callbacks callbacks{};
    /// Told once about each delivery that ends undelivered: refused by the address policy, a
    /// non-retryable error, 410 Gone (the endpoint is disabled), or retries exhausted. One line per
    /// delivery, callbacks or not: endpoint id, message id, event type, reason, attempts and the
    /// destination's scheme, host and port (never a secret, signature, body, URL path or query).
    /// `nullptr` silences it.
    hookline::logger logger = stderr_logger();
};

/// Why `o` cannot configure a sender, naming the field (for example
/// `"sender_options.user_agent contains a control character"`); empty when it can. The sender's
/// constructor throws `hookline::error` (a `std::system_error`) with `errc::invalid_option` and this text.
/// Refused: no workers; `max_in_flight` 0; a limit above 2^30 (a negative number converted); `timeout`
/// or `max_idle` not positive; `lease_margin` negative; any of these three over 24 hours; `disable_after`
/// not positive or over ten years; `disable_after_exhausted` negative; a control character in `user_agent`.
inline std::string_view sender_options_problem(const sender_options& o) noexcept {
    constexpr std::size_t max_count = std::size_t{1} << 30;
    constexpr auto max_duration = std::chrono::hours(24);
    if (o.workers == 0) return "sender_options.workers is 0";
    if (o.workers > max_count) return "sender_options.workers is too large";
    if (o.max_in_flight == 0) return "sender_options.max_in_flight is 0";
    if (o.max_in_flight > max_count) return "sender_options.max_in_flight is too large";
    if (o.max_concurrency_per_endpoint > max_count) return "sender_options.max_concurrency_per_endpoint is too large";
    if (o.timeout.count() <= 0 || o.timeout > max_duration)
        return "sender_options.timeout is not between 1 ms and 24 hours";
    if (o.lease_margin.count() < 0 || o.lease_margin > max_duration)
        return "sender_options.lease_margin is not between 0 and 24 hours";
    if (o.max_idle.count() <= 0 || o.max_idle > max_duration)
        return "sender_options.max_idle is not between 1 ms and 24 hours";
    if (o.disable_after.count() <= 0 || o.disable_after > std::chrono::hours(24 * 366 * 10))
        return "sender_options.disable_after is not between 1 hour and ten years";
    if (o.disable_after_exhausted < 0) return "sender_options.disable_after_exhausted is negative";
    if (!header_value_ok(o.user_agent)) return "sender_options.user_agent contains a control character";
    return {};
}

/// What `stop` did with the work it found.
struct stop_report {
    std::size_t finished = 0;    ///< attempts that completed during the stop
    std::size_t handed_back = 0; ///< deliveries left pending in the store, due at once on the next start
};

/// An endpoint as the sender sees it now.
struct endpoint_info {
    std::string id{};
    endpoint_config config{};
    endpoint_state state{};
    std::size_t in_flight = 0;
    std::size_t window = 0; ///< requests it may have in flight now (slow start), at most its limit
};

HOOKLINE_END_NAMESPACE
