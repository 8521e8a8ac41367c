/// \file The management API's HTTP plumbing: path segments and query parameters (percent-decoded),
/// RFC 3339 times, and Svix-shaped error responses.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/receiving/request.hpp>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Percent-decodes `s` (and `+` as a space when `form`); nullopt for a broken escape or a NUL.
inline std::optional<std::string> percent_decode(std::string_view s, bool form) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && form) {
            c = ' ';
        }
        if (c == '\0') return std::nullopt;
        out.push_back(c);
    }
    return out;
}

/// A request target split into decoded path segments and query parameters.
struct parsed_target {
    std::vector<std::string> segments{};
    std::map<std::string, std::string> query{};
    bool ok = true;
};

inline parsed_target parse_target(std::string_view target) {
    parsed_target t;
    const auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    while (!path.empty()) {
        const auto slash = path.find('/');
        const auto part = path.substr(0, slash);
        if (!part.empty()) {
            auto d = percent_decode(part, false);
            if (!d)
                t.ok = false;
            else
                t.segments.push_back(std::move(*d));
        }
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    if (q == std::string_view::npos) return t;
    std::string_view query = target.substr(q + 1);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        auto k = percent_decode(pair.substr(0, eq), true);
        auto v = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!k || !v)
            t.ok = false;
        else if (!k->empty())
            t.query[*k] = std::move(*v);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return t;
}

/// RFC 3339 (`2026-12-08T02:30:00.123Z`, `...+01:00`, fraction optional) to Unix milliseconds.
inline std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s) {
    int y, mo, d, h, mi, sec, n = 0;
    static constexpr std::string_view shape = "dddd-dd-ddTdd:dd:dd"; // digits where 'd', else as written
    if (s.size() < shape.size()) return std::nullopt;
    for (std::size_t k = 0; k < shape.size(); ++k)
        if (shape[k] == 'd' ? (s[k] < '0' || s[k] > '9') : s[k] != shape[k]) return std::nullopt;
    const std::string text(s);
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
        return std::nullopt;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    std::size_t i = 19;
    std::int64_t ms = 0;
    if (i < s.size() && s[i] == '.') {
        int digits = 0;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++digits)
            if (digits < 3) ms = ms * 10 + (s[i] - '0');
        if (digits == 0) return std::nullopt;
        for (; digits < 3; ++digits) ms *= 10;
    }
    std::int64_t offset_min = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
               std::isdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isdigit(static_cast<unsigned char>(s[i + 2])) &&
               std::isdigit(static_cast<unsigned char>(s[i + 4])) &&
               std::isdigit(static_cast<unsigned char>(s[i + 5]))) {
        const int oh = (s[i + 1] - '0') * 10 + (s[i + 2] - '0'), om = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
        if (oh > 23 || om > 59) return std::nullopt;
        offset_min = (s[i] == '+' ? 1 : -1) * (std::int64_t{oh} * 60 + om);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) return std::nullopt;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    const std::int64_t secs = static_cast<std::int64_t>(timegm(&tm)) - offset_min * 60;
    return secs * 1000 + ms;
}

inline response json_response(int status, const nlohmann::json& body) {
    response r;
    r.status = status;
    r.headers.add("Content-Type", "application/json");
    r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return r;
}

inline response empty_response(int status = 204) {
    response r;
    r.status = status;
    return r;
}

/// `{"code": ..., "detail": ...}`, as Svix answers 4xx and 5xx.
inline response error_response(int status, std::string_view code, std::string_view detail) {
    return json_response(status, {{"code", code}, {"detail", detail}});
}

/// 422 with Svix's validation shape: `{"detail": [{"loc": ["body", field], "msg": ..., "type": ...}]}`.
inline response validation_error(std::string_view field, std::string_view msg, std::string_view where = "body") {
    return json_response(
        422,
        {{"detail", nlohmann::json::array(
                        {{{"loc", nlohmann::json::array({where, field})}, {"msg", msg}, {"type", "value_error"}}})}});
}

} // namespace detail

HOOKLINE_END_NAMESPACE
