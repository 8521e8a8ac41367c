/// \file `logger`: where hookline reports what went wrong when no one asked (a delivery refused or
/// given up on), one line per event.
///
/// Thread-safety: a `logger` is called from the library's worker threads, possibly several at once;
/// its target must be safe for that. `stderr_logger` is: each line is one `fwrite` to unbuffered stderr.
#pragma once

#include <hookline/core/config.hpp>

#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

/// How serious a logged line is.
enum class log_level { info, warning, error };

/// The level's name, as `stderr_logger` prints it.
constexpr std::string_view to_string(log_level level) noexcept {
    switch (level) {
    case log_level::info: return "info";
    case log_level::warning: return "warning";
    case log_level::error: return "error";
    }
    return "unknown";
}

/// Receives one complete line (no trailing newline) and its level. A copyable value; an empty one
/// (`nullptr`) logs nothing. The library never puts a secret, a signature, a body, URL user
/// information, a URL path or a query string into a line.
using logger = std::function<void(log_level level, std::string_view line)>;

/// The stock logger: `hookline: <level>: <line>` on stderr, each line in one write.
inline logger stderr_logger() {
    return [](log_level level, std::string_view line) {
        std::string out;
        out.reserve(line.size() + 24);
        out.append("hookline: ").append(to_string(level)).append(": ").append(line).push_back('\n');
        std::fwrite(out.data(), 1, out.size(), stderr);
    };
}

namespace detail {

/// Appends `text` to a log line with control characters (line breaks included) replaced by '?', so
/// a value from outside (an event type, an id) can neither end the line nor forge another.
inline void append_log_text(std::string& line, std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        line.push_back(u < 0x20 || u == 0x7f ? '?' : c);
    }
}

} // namespace detail

HOOKLINE_END_NAMESPACE
