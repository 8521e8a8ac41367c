/// \file What a sender counts (`basic_sender::metrics()`): deliveries by outcome, attempts and their
/// latency, what is in flight, endpoint health, store errors. `hookline/management/metrics.hpp` writes
/// it in the Prometheus text format.
///
/// Thread-safety: `sender_metrics` is a plain value (a snapshot); `detail::sender_counters` is updated
/// from the sender's workers with relaxed atomics.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/stores/store.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

HOOKLINE_BEGIN_NAMESPACE

/// Upper bounds (seconds) of the attempt latency histogram's buckets; the last bucket is +Inf.
inline constexpr std::array<double, 11> attempt_latency_buckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                   0.5,   1,    2.5,   5,    10};

/// A snapshot of a sender's counters (all counts since the sender started).
struct sender_metrics {
    std::uint64_t attempts = 0;             ///< HTTP attempts made (a response or not)
    std::uint64_t attempts_no_response = 0; ///< of which got no response (timeout, refused, DNS, TLS)
    std::uint64_t delivered = 0;            ///< deliveries that ended delivered (2xx)
    std::uint64_t retried = 0;              ///< attempts that failed and left their delivery pending a retry
    std::uint64_t exhausted = 0;            ///< deliveries given up by the retry policy
    std::uint64_t failed = 0;               ///< deliveries ended without retry (410 Gone, invalid request)
    std::uint64_t messages_accepted = 0;    ///< `send` calls that queued a new message
    std::uint64_t store_errors = 0;         ///< store calls that failed (lost leases excluded)
    /// Attempt latency, counts per bucket of `attempt_latency_buckets` (not cumulative) and +Inf last.
    std::array<std::uint64_t, attempt_latency_buckets.size() + 1> latency_buckets{};
    double latency_seconds_sum = 0;
    std::size_t in_flight = 0;          ///< attempts under way now
    std::size_t queued = 0;             ///< claimed and waiting for a worker now
    std::size_t endpoints = 0;          ///< endpoints registered with the sender
    std::size_t endpoints_disabled = 0; ///< of which disabled
};

namespace detail {

/// The sender's counters, updated where things happen.
struct sender_counters {
    std::atomic<std::uint64_t> attempts{0}, attempts_no_response{0}, delivered{0}, retried{0}, exhausted{0}, failed{0},
        messages_accepted{0}, store_errors{0};
    std::array<std::atomic<std::uint64_t>, attempt_latency_buckets.size() + 1> buckets{};
    std::atomic<std::uint64_t> latency_us_sum{0};

    void attempt(delivery_status status, bool responded, std::chrono::microseconds latency) noexcept {
        constexpr auto relaxed = std::memory_order_relaxed;
        attempts.fetch_add(1, relaxed);
        if (!responded) attempts_no_response.fetch_add(1, relaxed);
        switch (status) {
        case delivery_status::delivered: delivered.fetch_add(1, relaxed); break;
        case delivery_status::pending: retried.fetch_add(1, relaxed); break;
        case delivery_status::exhausted: exhausted.fetch_add(1, relaxed); break;
        case delivery_status::failed: failed.fetch_add(1, relaxed); break;
        default: break;
        }
        if (!responded) return; // no response: no latency to speak of
        const double s = static_cast<double>(latency.count()) / 1e6;
        std::size_t b = 0;
        while (b < attempt_latency_buckets.size() && s > attempt_latency_buckets[b]) ++b;
        buckets[b].fetch_add(1, relaxed);
        latency_us_sum.fetch_add(static_cast<std::uint64_t>(latency.count() < 0 ? 0 : latency.count()), relaxed);
    }

    void fill(sender_metrics& m) const noexcept {
        constexpr auto relaxed = std::memory_order_relaxed;
        m.attempts = attempts.load(relaxed);
        m.attempts_no_response = attempts_no_response.load(relaxed);
        m.delivered = delivered.load(relaxed);
        m.retried = retried.load(relaxed);
        m.exhausted = exhausted.load(relaxed);
        m.failed = failed.load(relaxed);
        m.messages_accepted = messages_accepted.load(relaxed);
        m.store_errors = store_errors.load(relaxed);
        for (std::size_t i = 0; i < buckets.size(); ++i) m.latency_buckets[i] = buckets[i].load(relaxed);
        m.latency_seconds_sum = static_cast<double>(latency_us_sum.load(relaxed)) / 1e6;
    }
};

} // namespace detail

HOOKLINE_END_NAMESPACE
