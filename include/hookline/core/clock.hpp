/// \file Time as hookline sees it: Unix seconds (or milliseconds) from an injectable source.
///
/// Thread-safety: `system_unix_clock` is stateless; `clock_function` is as safe as its target.
#pragma once

#include <hookline/core/config.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>

HOOKLINE_BEGIN_NAMESPACE

/// Current Unix time in whole seconds from the system clock.
inline std::int64_t unix_now() noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Current Unix time in milliseconds from the system clock.
inline std::int64_t unix_now_ms() noexcept {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

namespace detail {
/// `ms` (Unix milliseconds) as RFC 3339 UTC with milliseconds: `2026-12-05T21:48:01.042Z`.
inline std::string iso8601_ms(std::int64_t ms) {
    const auto t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[40];
    std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
    return out;
}
} // namespace detail

/// A source of Unix seconds; tests inject a fixed or stepping one. Empty means the system clock.
using clock_function = std::function<std::int64_t()>;

/// Calls `clock`, or the system clock when it is empty.
inline std::int64_t now_from(const clock_function& clock) { return clock ? clock() : unix_now(); }

HOOKLINE_END_NAMESPACE
