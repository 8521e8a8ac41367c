/// \file Time as hookline sees it: Unix seconds from an injectable source.
///
/// Thread-safety: `system_unix_clock` is stateless; `clock_function` is as safe as its target.
#pragma once

#include <hookline/core/config.hpp>

#include <chrono>
#include <cstdint>
#include <functional>

HOOKLINE_BEGIN_NAMESPACE

/// Current Unix time in whole seconds from the system clock.
inline std::int64_t unix_now() noexcept {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A source of Unix seconds; tests inject a fixed or stepping one. Empty means the system clock.
using clock_function = std::function<std::int64_t()>;

/// Calls `clock`, or the system clock when it is empty.
inline std::int64_t now_from(const clock_function& clock) { return clock ? clock() : unix_now(); }

HOOKLINE_END_NAMESPACE
