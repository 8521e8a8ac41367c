/// \file How a receiver is configured (`receiver_options`) and what it reports about each request
/// (`outcome`, `request_info`, the `request_observer` hook).
///
/// Thread-safety: plain values; an observer must itself be thread-safe (see `request_observer`).
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/logger.hpp>
#include <hookline/core/worker_pool.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

HOOKLINE_BEGIN_NAMESPACE

/// How the receiver disposed of a request.
enum class outcome {
    handled,     ///< verified and its handler succeeded (2xx)
    duplicate,   ///< verified, but this id was handled before: acknowledged, not dispatched (2xx)
    unhandled,   ///< verified, but no handler matches its type: acknowledged (2xx)
    queued,      ///< verified and queued for a worker (asynchronous mode, 2xx)
    in_progress, ///< verified, but the same id is being handled right now (409)
    rejected,    ///< the request failed a check: path, method, size, content type, signature, body (4xx)
    failed,      ///< the handler threw or reported failure (5xx; in asynchronous mode reported afterwards)
    busy,        ///< the worker queue is full or the de-duplication store failed (503 + Retry-After)
    // ordered delivery (`receiver_options::check_sequence`), appended
    stale,        ///< verified, but its `webhook-sequence` is not after the last one handled: not dispatched (2xx)
    out_of_order, ///< verified, but an earlier position of its key was not handled yet (409 + Retry-After)
};

/// A short lower-case name for `o` ("handled", "duplicate", ...).
inline std::string_view to_string(outcome o) noexcept {
    switch (o) {
    case outcome::handled: return "handled";
    case outcome::duplicate: return "duplicate";
    case outcome::unhandled: return "unhandled";
    case outcome::queued: return "queued";
    case outcome::in_progress: return "in_progress";
    case outcome::rejected: return "rejected";
    case outcome::failed: return "failed";
    case outcome::busy: return "busy";
    case outcome::stale: return "stale";
    case outcome::out_of_order: return "out_of_order";
    }
    return "unknown";
}

/// What the observer hook learns about each request.
struct request_info {
    outcome result = outcome::rejected;
    int status = 0;
    std::string_view scheme;             ///< the verifier's `scheme_name` ("custom" when it has none)
    std::string_view event_type;         ///< empty when not known (for example, rejected before parsing)
    std::string_view id;                 ///< empty when not known
    std::error_code error;               ///< what failed (rejected, failed, busy); empty otherwise
    std::string_view detail;             ///< a handler's exception message, or the positions of a stale or out-of-order
                                         ///< delivery; for logs only (never sent back)
    std::chrono::nanoseconds latency{0}; ///< time spent in `handle` (or in the handler when `deferred`)
    bool deferred = false;               ///< true for the second report of a queued event, once its handler ran
};

/// Called once per `handle` (and once more per queued event when its handler finishes). Must be
/// thread-safe and must not throw.
using request_observer = std::function<void(const request_info&)>;

/// Options of a `basic_receiver`. Aggregate: use designated initialisers.
struct receiver_options {
    /// Path the receiver answers on (compared with `target` without its query); empty accepts any.
    std::string path{};
    /// Largest accepted body in bytes (413 beyond).
    std::size_t max_body_size = std::size_t{1024} * 1024;
    /// Required media type (compared without parameters, case-insensitively), e.g. "application/json".
    /// Unset: the scheme's own requirement (JSON for Standard Webhooks); empty string: no check.
    std::optional<std::string> content_type{};
    /// Prefix of the public URL for schemes that sign it: the URL is this + the request target.
    std::string public_base_url{};
    /// Source of the current time (timestamp tolerance, de-duplication TTL). Empty: the system clock.
    clock_function clock{};
    /// Acknowledge after verification and run handlers on a worker pool (see `worker_pool_options`).
    bool asynchronous = false;
    worker_pool_options workers{};
    /// The `Retry-After` seconds sent with 503.
    std::chrono::seconds retry_after{5};
    /// Nesting depth beyond which a JSON body is rejected as malformed (bounds parser work).
    std::size_t max_json_depth = 128;
    /// Called for every request with its outcome.
    request_observer observer{};
    /// Ordered delivery: check `webhook-sequence` per `webhook-ordering-key` (docs/receiver.md). Needs a
    /// store that keeps sequences (a `sequence_store`) and synchronous handling: the constructor throws
    /// `hookline::error` (`errc::invalid_option`) otherwise.
    bool check_sequence = false;
    /// The `Retry-After` seconds sent with the 409 of a delivery ahead of a missing one.
    std::chrono::seconds sequence_retry_after{1};
    /// Where warnings go (a stale sequence position, for now). `nullptr` silences them.
    hookline::logger logger = stderr_logger();
};

HOOKLINE_END_NAMESPACE
