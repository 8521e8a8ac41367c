/// \file Prometheus text exposition (format 0.0.4) of a sender's metrics: `prometheus_text(sender)` for
/// an application's own `/metrics`, and `GET <prefix>/metrics` on the management API (bearer token
/// required, like every other call).
///
/// Series (all prefixed `hookline_`): `deliveries_total{outcome=delivered|retried|exhausted|failed}`,
/// `attempts_total`, `attempts_no_response_total`, `attempt_duration_seconds` (histogram),
/// `messages_accepted_total`, `store_errors_total`, `in_flight`, `queued`, `queue_depth{state=due|
/// scheduled|in_flight}` (when the store is a `depth_store`; counts every process's work), `endpoints`,
/// `endpoints_disabled`.
///
/// Thread-safety: pure functions over a snapshot; `prometheus_text` may be called from any thread.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/sending/sender_metrics.hpp>
#include <hookline/stores/store.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

HOOKLINE_BEGIN_NAMESPACE

/// `m` (and the store's queue depth, when known) in the Prometheus text format.
inline std::string prometheus_text(const sender_metrics& m, const std::optional<queue_depth_counts>& depth = {}) {
    std::string out;
    auto line = [&](const char* name, const std::string& labels, double v) {
        char num[64];
        std::snprintf(num, sizeof num, "%.17g", v);
        out.append("hookline_").append(name).append(labels).append(" ").append(num).append("\n");
    };
    auto head = [&](const char* name, const char* type, const char* help) {
        out.append("# HELP hookline_").append(name).append(" ").append(help).append("\n");
        out.append("# TYPE hookline_").append(name).append(" ").append(type).append("\n");
    };
    auto u = [](std::uint64_t v) { return static_cast<double>(v); };
    head("deliveries_total", "counter", "Attempt outcomes by what became of the delivery.");
    line("deliveries_total", "{outcome=\"delivered\"}", u(m.delivered));
    line("deliveries_total", "{outcome=\"retried\"}", u(m.retried));
    line("deliveries_total", "{outcome=\"exhausted\"}", u(m.exhausted));
    line("deliveries_total", "{outcome=\"failed\"}", u(m.failed));
    head("attempts_total", "counter", "HTTP attempts made.");
    line("attempts_total", "", u(m.attempts));
    head("attempts_no_response_total", "counter", "Attempts that got no HTTP response (timeout, refused, DNS, TLS).");
    line("attempts_no_response_total", "", u(m.attempts_no_response));
    head("attempt_duration_seconds", "histogram", "Time from request to response of attempts that got one.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < attempt_latency_buckets.size(); ++i) {
        cumulative += m.latency_buckets[i];
        char le[32];
        std::snprintf(le, sizeof le, "%g", attempt_latency_buckets[i]);
        line("attempt_duration_seconds_bucket", std::string("{le=\"") + le + "\"}", u(cumulative));
    }
    cumulative += m.latency_buckets.back();
    line("attempt_duration_seconds_bucket", "{le=\"+Inf\"}", u(cumulative));
    line("attempt_duration_seconds_sum", "", m.latency_seconds_sum);
    line("attempt_duration_seconds_count", "", u(cumulative));
    head("messages_accepted_total", "counter", "Messages accepted by send.");
    line("messages_accepted_total", "", u(m.messages_accepted));
    head("store_errors_total", "counter", "Store calls that failed.");
    line("store_errors_total", "", u(m.store_errors));
    head("in_flight", "gauge", "Attempts under way in this process.");
    line("in_flight", "", static_cast<double>(m.in_flight));
    head("queued", "gauge", "Deliveries claimed by this process, waiting for a worker.");
    line("queued", "", static_cast<double>(m.queued));
    if (depth) {
        head("queue_depth", "gauge", "Deliveries in the store by state (all processes).");
        line("queue_depth", "{state=\"due\"}", u(depth->due));
        line("queue_depth", "{state=\"scheduled\"}", u(depth->scheduled));
        line("queue_depth", "{state=\"in_flight\"}", u(depth->in_flight));
    }
    head("endpoints", "gauge", "Endpoints registered with this sender.");
    line("endpoints", "", static_cast<double>(m.endpoints));
    head("endpoints_disabled", "gauge", "Endpoints disabled (gone, failing, exhausted or by hand).");
    line("endpoints_disabled", "", static_cast<double>(m.endpoints_disabled));
    return out;
}

/// The sender's metrics, with its store's queue depth when the store can count it (a failed count
/// leaves the depth out and counts as a store error).
template <class Sender>
std::string prometheus_text(Sender& sender) {
    auto m = sender.metrics();
    std::optional<queue_depth_counts> depth;
    if constexpr (depth_store<typename Sender::store_type>) {
        const auto now =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        if (auto d = sender.store().queue_depth(now))
            depth = *d;
        else
            ++m.store_errors;
    }
    return prometheus_text(m, depth);
}

HOOKLINE_END_NAMESPACE
