/// \file Endpoints a sender delivers to: URL, keys, event-type filter, channels and limits.
///
/// Thread-safety: plain values.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// A signing key of an endpoint; during a rotation an endpoint has several, each signing until it expires.
struct endpoint_secret {
    secret key;
    std::int64_t expires_at = 0; ///< Unix milliseconds after which it stops signing; 0 = never
};

/// Whether an endpoint receives messages in send order (docs/ordering.md).
enum class delivery_order {
    none,    ///< as soon as each is due, up to `max_concurrency` at once (the default)
    per_key, ///< one stream per ordering key: a key's next message waits until the previous one is settled
    endpoint ///< one stream for the whole endpoint, whatever the keys
};

/// What an ordered endpoint does when its stream's head is exhausted.
enum class head_exhaustion {
    block, ///< its key waits (the others go on) until an operator skips or replays the head
    skip   ///< the head stays exhausted and the key goes on to its next message
};

/// How an endpoint is configured. Only `url` and `secrets` are required.
struct endpoint_config {
    std::string url{};
    std::vector<endpoint_secret> secrets{};
    /// Event types it subscribes to: exact (`invoice.paid`), prefix (`invoice.*`) or `*`; empty = all.
    std::vector<std::string> event_types{};
    /// Channels it listens on; empty = every message. Otherwise a message must carry one of them.
    std::vector<std::string> channels{};
    header_map headers{};                 ///< extra headers sent with every request
    std::chrono::milliseconds timeout{0}; ///< whole-request timeout; 0 = the sender's default
    double rate_limit = 0;                ///< deliveries per second; 0 = unlimited
    std::size_t max_concurrency = 0;      ///< requests in flight at once; 0 = the sender's default
    bool enabled = true;
    std::string description{};
    /// Ordered delivery; needs an `ordered_store` (the stock stores are). Applies to messages sent
    /// from then on.
    delivery_order order = delivery_order::none;
    head_exhaustion on_head_exhausted = head_exhaustion::block; ///< with `order`, as the message is sent
    /// The tenant (application) it belongs to: it takes only events sent to that tenant. "" (the
    /// default) takes only events sent to no tenant.
    std::string tenant{};
};

/// True when `type` matches `pattern`: equal, `*`, or a `prefix.*` pattern whose prefix (with the dot) starts it.
inline bool event_type_matches(std::string_view pattern, std::string_view type) noexcept {
    if (pattern == "*") return true;
    if (pattern.size() >= 2 && pattern.ends_with(".*")) {
        std::string_view prefix = pattern.substr(0, pattern.size() - 1); // keeps the dot
        return type.size() > prefix.size() && type.starts_with(prefix);
    }
    return pattern == type;
}

/// True when an endpoint configured with `cfg` subscribes to a message of `type` on `channels`.
inline bool endpoint_subscribes(const endpoint_config& cfg, std::string_view type,
                                const std::vector<std::string>& channels) noexcept {
    bool type_ok = cfg.event_types.empty();
    for (const auto& p : cfg.event_types) type_ok = type_ok || event_type_matches(p, type);
    if (!type_ok) return false;
    if (cfg.channels.empty()) return true;
    for (const auto& want : cfg.channels)
        for (const auto& have : channels)
            if (want == have) return true;
    return false;
}

HOOKLINE_END_NAMESPACE
