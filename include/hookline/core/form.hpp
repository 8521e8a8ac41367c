/// \file Strict `application/x-www-form-urlencoded` decoding (the HTML form body format Twilio posts).
///
/// Thread-safety: pure functions.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// One decoded `name=value` pair of a form body or query string.
struct form_field {
    std::string name;
    std::string value;
    friend bool operator==(const form_field&, const form_field&) = default;
    // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads the defaulted operator<=>
    friend auto operator<=>(const form_field&, const form_field&) = default;
};

/// Decodes one form component: `+` becomes a space and `%XX` (either case) the byte XX. A `%` not
/// followed by two hex digits makes the whole component invalid (nullopt); bytes are not checked
/// for UTF-8 validity.
inline std::optional<std::string> form_decode(std::string_view component) {
    std::string out;
    out.reserve(component.size());
    for (std::size_t i = 0; i < component.size(); ++i) {
        char c = component[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (component.size() - i < 3) return std::nullopt;
            int hi = detail::hex_value(component[i + 1]);
            int lo = detail::hex_value(component[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>((hi << 4) | lo));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

/// Splits `text` on `&` into fields, each split at its first `=` (no `=`: an empty value) and
/// decoded with `form_decode`. Empty segments (`a=1&&b=2`, a trailing `&`) are skipped, as browsers
/// do. Order and repeated names are kept. A bad `%` escape anywhere gives `errc::malformed_body`.
inline result<std::vector<form_field>> parse_form_urlencoded(std::string_view text) {
    std::vector<form_field> fields;
    while (!text.empty()) {
        std::size_t amp = text.find('&');
        std::string_view segment = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (segment.empty()) continue;
        std::size_t eq = segment.find('=');
        auto name = form_decode(segment.substr(0, eq));
        auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : segment.substr(eq + 1));
        if (!name || !value) return errc::malformed_body;
        fields.push_back({std::move(*name), std::move(*value)});
    }
    return fields;
}

HOOKLINE_END_NAMESPACE
