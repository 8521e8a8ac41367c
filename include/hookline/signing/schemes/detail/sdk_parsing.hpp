/// \file How the providers' reference SDKs (JavaScript) read header fields, reproduced so hookline
/// accepts what they accept: `String.split` fields and `parseInt(text, 10)`. Internal: everything
/// here is in `hookline::detail` and may change without notice.
///
/// Thread-safety: pure functions over values.
#pragma once

#include <hookline/core/config.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Field `index` of `text.split(separator)` in JavaScript: the text between the index-th and the
/// next separator; nullopt (JavaScript's `undefined`) when there are fewer fields.
constexpr std::optional<std::string_view> js_split_field(std::string_view text, char separator,
                                                         std::size_t index) noexcept {
    for (std::size_t i = 0; i < index; ++i) {
        std::size_t at = text.find(separator);
        if (at == std::string_view::npos) return std::nullopt;
        text.remove_prefix(at + 1);
    }
    return text.substr(0, text.find(separator));
}

/// `parseInt(text, 10)` in JavaScript for Unix seconds: leading ASCII white space, an optional
/// `+`, then decimal digits up to the first other character (which ends the number, as in
/// JavaScript). nullopt when there is no digit, for a `-` sign (a time before 1970, which no
/// tolerance accepts) and beyond 18 significant digits (where JavaScript's doubles lose integers).
constexpr std::optional<std::int64_t> js_parse_int_seconds(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size() && (text[i] == ' ' || (text[i] >= '\t' && text[i] <= '\r'))) ++i;
    if (i < text.size() && text[i] == '+') ++i;
    const std::size_t first = i;
    while (i < text.size() && text[i] == '0') ++i;
    std::int64_t v = 0;
    std::size_t significant = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (++significant > 18) return std::nullopt;
        v = v * 10 + (text[i] - '0');
    }
    if (i == first) return std::nullopt;
    return v;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
