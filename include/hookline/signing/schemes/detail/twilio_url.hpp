/// \file The request URLs twilio-node 6.2's `validateRequest` tries a signature against, reproduced:
/// the URL as received with its port removed and with the scheme's default port added, then the
/// URL as `new URL(url).toString()` normalises it (WHATWG), again without and with a port, each also
/// with its query re-encoded by Node's legacy `querystring` module. Internal: everything here is in
/// `hookline::detail` and may change without notice.
///
/// The WHATWG step is reproduced for plain `http`/`https` URLs only, and gives up (no normalised
/// variants: hookline is then stricter than the SDK, never more lenient) on what it does not model:
/// IPv6 literals, IPv4 numbers in other than dotted-decimal form, host names needing IDNA or
/// percent-decoding, unusual user info. The legacy query step gives up when a decoded name or value
/// is not UTF-8.
///
/// Thread-safety: pure functions over values.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/encoding.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::twilio_url {

/// twilio-node's `splitUrl`: `scheme://`, user info (with its `@`), host, port (with its `:`), rest.
struct parts {
    std::string_view scheme, userinfo, host, port, rest;
};

constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// `/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i`, split as twilio-node splits it; nullopt without a match.
inline std::optional<parts> split(std::string_view url) {
    if (url.empty() || !is_alpha(url[0])) return std::nullopt;
    std::size_t i = 1;
    while (i < url.size() && (is_alpha(url[i]) || is_digit(url[i]) || url[i] == '+' || url[i] == '.' || url[i] == '-'))
        ++i;
    if (url.substr(i, 3) != "://") return std::nullopt;
    parts p;
    p.scheme = url.substr(0, i + 3);
    const std::size_t auth_begin = i + 3;
    std::size_t auth_end = url.find_first_of("/?#", auth_begin);
    if (auth_end == std::string_view::npos) auth_end = url.size();
    const std::string_view authority = url.substr(auth_begin, auth_end - auth_begin);
    const std::size_t at = authority.rfind('@');
    const std::size_t host_begin = at == std::string_view::npos ? 0 : at + 1;
    p.userinfo = authority.substr(0, host_begin);
    const std::string_view hostport = authority.substr(host_begin);
    const std::size_t bracket = hostport.rfind(']');
    const std::size_t colon = hostport.find(':', bracket == std::string_view::npos ? 0 : bracket + 1);
    p.host = hostport.substr(0, colon);
    p.port = colon == std::string_view::npos ? std::string_view{} : hostport.substr(colon);
    p.rest = url.substr(auth_end);
    return p;
}

/// twilio-node's `removePort`: any port goes.
inline std::string remove_port(std::string_view url) {
    auto p = split(url);
    if (!p) return std::string(url);
    std::string out;
    out.append(p->scheme).append(p->userinfo).append(p->host).append(p->rest);
    return out;
}

/// twilio-node's `addPort`: `:443` for `https://` (any case), `:80` for any other scheme, when absent.
inline std::string add_port(std::string_view url) {
    auto p = split(url);
    if (!p || !p->port.empty()) return std::string(url);
    std::string out;
    out.append(p->scheme).append(p->userinfo).append(p->host).append(iequals(p->scheme, "https://") ? ":443" : ":80");
    out.append(p->rest);
    return out;
}

/// Appends `text`, each byte for which `encode` is true percent-encoded (upper-case hex).
template <class Pred>
void append_encoded(std::string& out, std::string_view text, Pred encode) {
    static constexpr char hex[] = "0123456789ABCDEF";
    for (char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (encode(c)) {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        } else {
            out.push_back(ch);
        }
    }
}

// WHATWG percent-encode sets (https://url.spec.whatwg.org/#percent-encoded-bytes).
constexpr bool c0_control(unsigned char c) noexcept { return c < 0x20 || c > 0x7E; }
constexpr bool query_set(unsigned char c) noexcept {
    return c0_control(c) || c == ' ' || c == '"' || c == '#' || c == '<' || c == '>';
}
constexpr bool special_query_set(unsigned char c) noexcept { return query_set(c) || c == '\''; }
constexpr bool path_set(unsigned char c) noexcept {
    return query_set(c) || c == '?' || c == '`' || c == '{' || c == '}';
}
constexpr bool fragment_set(unsigned char c) noexcept {
    return c0_control(c) || c == ' ' || c == '"' || c == '<' || c == '>' || c == '`';
}

/// A path segment WHATWG reads as `.` (`1`) or `..` (`2`), `%2e` counting as a dot; 0 otherwise.
inline int dot_segment(std::string_view s) noexcept {
    int dots = 0;
    while (!s.empty()) {
        if (s.front() == '.') {
            s.remove_prefix(1);
        } else if (s.size() >= 3 && s[0] == '%' && s[1] == '2' && (s[2] == 'e' || s[2] == 'E')) {
            s.remove_prefix(3);
        } else {
            return 0;
        }
        if (++dots > 2) return 0;
    }
    return dots;
}

/// A dotted-decimal IPv4 address as WHATWG serialises it (four parts 0..255, no leading zeros).
inline bool canonical_ipv4(std::string_view host) noexcept {
    int parts_seen = 0;
    while (true) {
        std::size_t dot = host.find('.');
        std::string_view part = host.substr(0, dot);
        if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
        int v = 0;
        for (char c : part) {
            if (!is_digit(c)) return false;
            v = v * 10 + (c - '0');
        }
        if (v > 255 || ++parts_seen > 4) return false;
        if (dot == std::string_view::npos) return parts_seen == 4;
        host.remove_prefix(dot + 1);
    }
}

/// The host as WHATWG serialises an ASCII domain (lower case); nullopt for what is not modelled.
inline std::optional<std::string> normalise_host(std::string_view host) {
    if (host.empty()) return std::nullopt;
    std::string out;
    for (char c : host) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '.' || c == '-')) return std::nullopt;
        out.push_back(c);
    }
    // A last label (before an optional final dot) that is numeric or 0x… makes WHATWG parse an IPv4.
    std::string_view labels = out;
    if (labels.ends_with('.')) labels.remove_suffix(1);
    const std::string_view last =
        labels.substr(labels.rfind('.') == std::string_view::npos ? 0 : labels.rfind('.') + 1);
    const bool numeric = !last.empty() && std::all_of(last.begin(), last.end(), is_digit);
    if ((numeric || last.starts_with("0x")) && !canonical_ipv4(out)) return std::nullopt;
    return out;
}

/// `new URL(url).toString()` for `http`/`https` URLs; nullopt where the URL is invalid or uses
/// something this does not model (see the file comment).
inline std::optional<std::string> whatwg_normalise(std::string_view input) {
    while (!input.empty() && static_cast<unsigned char>(input.front()) <= 0x20) input.remove_prefix(1);
    while (!input.empty() && static_cast<unsigned char>(input.back()) <= 0x20) input.remove_suffix(1);
    std::string url;
    for (char c : input)
        if (c != '\t' && c != '\n' && c != '\r') url.push_back(c);
    auto p = split(url);
    if (!p) return std::nullopt;
    const bool https = iequals(p->scheme, "https://");
    if (!https && !iequals(p->scheme, "http://")) return std::nullopt;
    if (!p->userinfo.empty()) {
        // `user@` or `user:password@`, both non-empty and of characters WHATWG leaves as they are.
        const std::string_view info = p->userinfo.substr(0, p->userinfo.size() - 1);
        const std::size_t colon = info.find(':');
        const std::string_view user = info.substr(0, colon);
        const std::string_view password = colon == std::string_view::npos ? "x" : info.substr(colon + 1);
        const auto plain = [](std::string_view t) {
            return !t.empty() && std::all_of(t.begin(), t.end(), [](char c) {
                return is_alpha(c) || is_digit(c) ||
                       std::string_view("-._~!$&()*+,%").find(c) != std::string_view::npos;
            });
        };
        if (!plain(user) || !plain(password)) return std::nullopt;
    }
    auto host = normalise_host(p->host);
    if (!host) return std::nullopt;
    std::string port;
    if (p->port.size() > 1) {
        std::uint32_t v = 0;
        for (char c : p->port.substr(1)) {
            if (!is_digit(c)) return std::nullopt;
            v = v * 10 + static_cast<std::uint32_t>(c - '0');
            if (v > 65535) return std::nullopt;
        }
        if (v != (https ? 443u : 80u)) port = ":" + std::to_string(v);
    }

    std::string out = https ? "https://" : "http://";
    out.append(p->userinfo).append(*host).append(port);
    std::string_view rest = p->rest;
    const std::size_t hash = rest.find('#');
    const std::optional<std::string_view> fragment =
        hash == std::string_view::npos ? std::nullopt : std::optional(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
    const std::size_t q = rest.find('?');
    const std::optional<std::string_view> query =
        q == std::string_view::npos ? std::nullopt : std::optional(rest.substr(q + 1));
    std::string path(rest.substr(0, q));
    std::replace(path.begin(), path.end(), '\\', '/');

    // Path segments, with `.` and `..` resolved.
    std::vector<std::string_view> segments;
    std::string_view remaining = path;
    if (remaining.starts_with('/')) remaining.remove_prefix(1);
    while (true) {
        const std::size_t slash = remaining.find('/');
        const std::string_view segment = remaining.substr(0, slash);
        const bool last = slash == std::string_view::npos;
        const int dots = dot_segment(segment);
        if (dots == 2 && !segments.empty()) segments.pop_back();
        if (dots == 0)
            segments.push_back(segment);
        else if (last)
            segments.push_back({});
        if (last) break;
        remaining.remove_prefix(slash + 1);
    }
    for (auto segment : segments) {
        out.push_back('/');
        append_encoded(out, segment, path_set);
    }
    if (query) {
        out.push_back('?');
        append_encoded(out, *query, special_query_set);
    }
    if (fragment) {
        out.push_back('#');
        append_encoded(out, *fragment, fragment_set);
    }
    return out;
}

/// Node's `querystring.unescape` for one name or value: `+` is a space, valid `%XX` escapes decode,
/// others stay as they are.
inline std::string qs_unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

/// True for well-formed UTF-8 (what a JavaScript string can hold without replacement characters).
inline bool valid_utf8(std::string_view s) noexcept {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (n == 0 || i + n > s.size() || (n == 2 && c < 0xC2)) return false;
        std::uint32_t cp = n == 1 ? c : c & (0x7F >> n);
        for (std::size_t k = 1; k < n; ++k) {
            const auto d = static_cast<unsigned char>(s[i + k]);
            if ((d >> 6) != 0x2) return false;
            cp = (cp << 6) | (d & 0x3F);
        }
        if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        i += n;
    }
    return true;
}

/// A JavaScript array-index property name ("0", or no leading zero, at most 4294967294): such keys
/// come first, in numeric order, when an object's keys are listed.
inline std::optional<std::uint64_t> array_index(std::string_view key) noexcept {
    if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : key) {
        if (!is_digit(c)) return std::nullopt;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (v > 4294967294ull) return std::nullopt;
    return v;
}

/// `url` with its query replaced by `querystring.stringify(querystring.parse(query))`: names grouped
/// in order of first appearance (array-index names first), every name and value re-escaped.
/// nullopt when a decoded name or value is not UTF-8 or the query holds raw non-ASCII bytes; `url`
/// itself without a non-empty query.
inline std::optional<std::string> legacy_querystring(std::string_view url) {
    const std::size_t q = url.find('?');
    if (q == std::string_view::npos || q + 1 == url.size()) return std::string(url);
    // Node decodes raw non-ASCII characters differently once an escape is malformed; the normalised
    // URLs this is applied to have none.
    if (std::any_of(url.begin() + static_cast<std::ptrdiff_t>(q), url.end(),
                    [](char c) { return static_cast<unsigned char>(c) > 0x7E; }))
        return std::nullopt;
    std::vector<std::pair<std::string, std::vector<std::string>>> fields;
    std::string_view query = url.substr(q + 1);
    std::size_t pairs = 0;
    while (pairs < 1000) { // querystring.parse's default maxKeys
        const std::size_t amp = query.find('&');
        const std::string_view segment = query.substr(0, amp);
        if (!segment.empty()) {
            ++pairs;
            const std::size_t eq = segment.find('=');
            std::string name = qs_unescape(segment.substr(0, eq));
            std::string value = eq == std::string_view::npos ? std::string() : qs_unescape(segment.substr(eq + 1));
            if (!valid_utf8(name) || !valid_utf8(value)) return std::nullopt;
            auto it = std::find_if(fields.begin(), fields.end(), [&](const auto& f) { return f.first == name; });
            if (it == fields.end()) {
                auto& added = fields.emplace_back(std::move(name), std::vector<std::string>{});
                added.second.push_back(std::move(value));
            } else {
                it->second.push_back(std::move(value));
            }
        }
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    std::stable_sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
        auto ia = array_index(a.first), ib = array_index(b.first);
        if (ia && ib) return *ia < *ib;
        return ia.has_value() && !ib.has_value();
    });
    // querystring.escape keeps A-Z a-z 0-9 - _ . ! ~ * ' ( ) and escapes every other byte.
    const auto escape = [](unsigned char c) {
        return !(is_alpha(static_cast<char>(c)) || is_digit(static_cast<char>(c)) ||
                 std::string_view("-_.!~*'()").find(static_cast<char>(c)) != std::string_view::npos);
    };
    std::string out(url.substr(0, q + 1));
    bool first = true;
    for (const auto& [name, values] : fields)
        for (const auto& value : values) {
            if (!first) out.push_back('&');
            first = false;
            append_encoded(out, name, escape);
            out.push_back('=');
            append_encoded(out, value, escape);
        }
    return out;
}

/// Every URL `validateRequest` tries, the URL as received first, without repeats.
inline std::vector<std::string> variants(std::string_view url) {
    std::vector<std::string> out{std::string(url)};
    const auto add = [&](std::string v) {
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
    };
    add(remove_port(url));
    add(add_port(url));
    if (auto normalised = whatwg_normalise(url)) {
        std::string without = remove_port(*normalised), with = add_port(*normalised);
        auto legacy_without = legacy_querystring(without), legacy_with = legacy_querystring(with);
        add(std::move(without));
        add(std::move(with));
        if (legacy_without) add(std::move(*legacy_without));
        if (legacy_with) add(std::move(*legacy_with));
    }
    return out;
}

} // namespace detail::twilio_url

HOOKLINE_END_NAMESPACE
