/// \file The receiver's side of ordered delivery: the three headers a sender puts on an ordered
/// delivery (`webhook-ordering-key`, `webhook-sequence`, `webhook-sequence-previous`), read and checked,
/// and the log line of a stale position.
///
/// Thread-safety: pure functions.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/logger.hpp>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE
namespace detail {

/// The names of the ordered-delivery headers.
struct sequence_headers {
    static constexpr std::string_view ordering_key = "webhook-ordering-key";
    static constexpr std::string_view sequence = "webhook-sequence";
    static constexpr std::string_view previous = "webhook-sequence-previous";
};

/// Where a delivery stands in its key's stream. `key` views the request's header.
struct sequence_position {
    std::string_view key;       ///< the ordering key; "" when the header is absent
    std::uint64_t number = 0;   ///< `webhook-sequence`: 1, 2, 3 ...
    std::uint64_t previous = 0; ///< `webhook-sequence-previous`: 0 = none; `number - 1` when absent
};

/// A position: decimal digits only, at most 2^63 - 1 (what SQL stores keep); nullopt otherwise.
inline std::optional<std::uint64_t> parse_position(std::string_view text) noexcept {
    std::uint64_t v = 0;
    const char* end = text.data() + text.size();
    if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc{} || ptr != end) return std::nullopt;
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return v;
}

/// The single value of header `name` (nullopt when absent); `errc::duplicate_header` when repeated.
inline result<std::optional<std::string_view>> single_value(header_view h, std::string_view name) {
    const std::size_t n = h.count(name);
    if (n > 1) return errc::duplicate_header;
    return n == 0 ? std::optional<std::string_view>{} : h.get(name);
}

/// The position a request carries; nullopt without `webhook-sequence`. Errors (400): a repeated header
/// (`duplicate_header`); a sequence that is not a decimal number from 1, or a previous that is not a
/// decimal number below it (`malformed_header`); a key over 256 bytes or with a control character
/// other than HTAB, the sender's own rule (`invalid_ordering_key`).
inline result<std::optional<sequence_position>> read_sequence(header_view h) {
    auto seq = single_value(h, sequence_headers::sequence);
    if (!seq) return seq.error();
    if (!*seq) return std::optional<sequence_position>{};
    auto prev = single_value(h, sequence_headers::previous);
    if (!prev) return prev.error();
    auto key = single_value(h, sequence_headers::ordering_key);
    if (!key) return key.error();

    sequence_position p;
    const auto n = parse_position(**seq);
    if (!n || *n == 0) return errc::malformed_header;
    p.number = *n;
    p.previous = *n - 1;
    if (*prev) {
        const auto v = parse_position(**prev);
        if (!v || *v >= *n) return errc::malformed_header;
        p.previous = *v;
    }
    if (*key) {
        if (!ordering_key_ok(**key)) return errc::invalid_ordering_key;
        p.key = **key;
    }
    return std::optional<sequence_position>{p};
}

/// What a stale position's warning says (`id` and `key` come from outside: control characters become '?').
inline std::string stale_sequence_line(std::string_view id, const sequence_position& p, std::uint64_t last) {
    std::string line = "stale webhook-sequence acknowledged without calling the handler: message ";
    append_log_text(line, id);
    line.append(", ordering key \"");
    append_log_text(line, p.key);
    line.append("\", sequence ").append(std::to_string(p.number));
    line.append(", last processed ").append(std::to_string(last));
    return line;
}

} // namespace detail
HOOKLINE_END_NAMESPACE
