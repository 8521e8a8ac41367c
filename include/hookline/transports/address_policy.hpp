/// \file SSRF protection for outgoing webhooks: strict URL parsing, IP address classification, an
/// address policy with an allow-list, and resolution that checks every address before use.
///
/// A webhook sender connects to URLs its users typed in, from inside your network. Without checks a
/// user can point an endpoint at 127.0.0.1, 10.0.0.0/8 or the cloud metadata service and read the
/// answers back in delivery logs. `resolve_checked` resolves the host once, refuses the whole host if
/// any address is refused, and returns the addresses so the caller connects to exactly those (no
/// second lookup that DNS rebinding could answer differently).
///
/// Thread-safety: every type here is a value; const member functions may be called concurrently.
/// `resolve_checked` calls `getaddrinfo`, which is thread-safe.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

// ---------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------

/// A destination URL split into what a client needs. Produced only by `parse_url`.
struct parsed_url {
    std::string scheme;      ///< "http" or "https", lower-case
    std::string host;        ///< lower-case host name, or an IP literal without brackets
    std::uint16_t port = 0;  ///< explicit port, or 80 / 443
    std::string target;      ///< path and query, at least "/" (the fragment is dropped)
    bool host_is_ip = false; ///< the host is an IPv4 or IPv6 literal

    /// "host:port", with brackets around IPv6 literals.
    std::string authority() const {
        std::string a = host.find(':') != std::string::npos ? "[" + host + "]" : host;
        return a + ":" + std::to_string(port);
    }
};

namespace detail {
inline bool is_hex_digit(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
inline char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

/// WHATWG's "ends in a number": a host whose last label is all digits or 0x-hex is an IPv4 address.
inline bool ends_in_number(std::string_view host) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    auto dot = host.rfind('.');
    std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
    if (last.empty()) return false;
    if (std::all_of(last.begin(), last.end(), [](char c) { return c >= '0' && c <= '9'; })) return true;
    if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
        return std::all_of(last.begin() + 2, last.end(), is_hex_digit);
    return false;
}
} // namespace detail

/// Parses an absolute http(s) URL strictly. Refused with `errc::invalid_url`: other schemes, user
/// info (`user:pass@`), empty hosts, control characters, spaces, non-ASCII bytes, backslashes, percent
/// signs in the host, bad ports, and IPv4 addresses in any form other than canonical dotted decimal
/// (`http://2130706433/`, `http://0x7f.1/`, `http://0177.0.0.1/`, `http://127.1/`), which resolvers
/// would otherwise quietly turn into 127.0.0.1.
inline result<parsed_url> parse_url(std::string_view url) {
    if (url.empty() || url.size() > 8192) return errc::invalid_url;
    for (char c : url) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '\\') return errc::invalid_url;
    }
    parsed_url out;
    auto colon = url.find(':');
    if (colon == std::string_view::npos) return errc::invalid_url;
    for (char c : url.substr(0, colon)) out.scheme.push_back(detail::ascii_lower(c));
    if (out.scheme != "http" && out.scheme != "https") return errc::invalid_url;
    auto rest = url.substr(colon + 1);
    if (rest.substr(0, 2) != "//") return errc::invalid_url;
    rest.remove_prefix(2);
    auto end = rest.find_first_of("/?#");
    auto authority = rest.substr(0, end);
    auto tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    if (authority.find('@') != std::string_view::npos) return errc::invalid_url;

    std::string_view host;
    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos) return errc::invalid_url;
        host = authority.substr(1, close - 1);
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return errc::invalid_url;
            port_text = after.substr(1);
            has_port = true;
        }
        in6_addr a6{};
        std::string h(host);
        if (h.empty() || inet_pton(AF_INET6, h.c_str(), &a6) != 1) return errc::invalid_url; // no zone ids
        out.host_is_ip = true;
    } else {
        auto c = authority.rfind(':');
        host = authority.substr(0, c);
        if (c != std::string_view::npos) {
            port_text = authority.substr(c + 1);
            has_port = true;
        }
        if (host.empty() || host.size() > 253) return errc::invalid_url;
        for (char ch : host) {
            bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                      ch == '.' || ch == '_';
            if (!ok) return errc::invalid_url;
        }
        if (host.front() == '.' || host.find("..") != std::string_view::npos) return errc::invalid_url;
        if (detail::ends_in_number(host)) {
            in_addr a4{};
            std::string h(host);
            if (inet_pton(AF_INET, h.c_str(), &a4) != 1) return errc::invalid_url;
            out.host_is_ip = true;
        }
    }
    for (char ch : host) out.host.push_back(detail::ascii_lower(ch));

    if (has_port) {
        if (port_text.empty() || port_text.size() > 5) return errc::invalid_url;
        unsigned value = 0;
        for (char ch : port_text) {
            if (ch < '0' || ch > '9') return errc::invalid_url;
            value = value * 10 + static_cast<unsigned>(ch - '0');
        }
        if (value == 0 || value > 65535) return errc::invalid_url;
        out.port = static_cast<std::uint16_t>(value);
    } else {
        out.port = out.scheme == "https" ? 443 : 80;
    }

    auto hash = tail.find('#');
    if (hash != std::string_view::npos) tail = tail.substr(0, hash);
    if (tail.empty())
        out.target = "/";
    else if (tail.front() == '?')
        out.target = "/" + std::string(tail);
    else
        out.target = std::string(tail);
    return out;
}

// ---------------------------------------------------------------------------------------------
// IP addresses and networks
// ---------------------------------------------------------------------------------------------

/// An IPv4 or IPv6 address as bytes (IPv4 uses the first 4).
struct ip_address {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};

    static ip_address v4_from(std::uint32_t host_order) {
        ip_address a;
        a.bytes[0] = static_cast<std::uint8_t>(host_order >> 24);
        a.bytes[1] = static_cast<std::uint8_t>(host_order >> 16);
        a.bytes[2] = static_cast<std::uint8_t>(host_order >> 8);
        a.bytes[3] = static_cast<std::uint8_t>(host_order);
        return a;
    }

    /// Parses a canonical IPv4 dotted quad or any IPv6 text form (no brackets, no zone id).
    static std::optional<ip_address> parse(std::string_view text) {
        std::string t(text);
        ip_address a;
        in_addr a4{};
        in6_addr a6{};
        if (inet_pton(AF_INET, t.c_str(), &a4) == 1) {
            std::memcpy(a.bytes.data(), &a4, 4);
            return a;
        }
        if (inet_pton(AF_INET6, t.c_str(), &a6) == 1) {
            a.v6 = true;
            std::memcpy(a.bytes.data(), &a6, 16);
            return a;
        }
        return std::nullopt;
    }

    /// From a `sockaddr_in` / `sockaddr_in6`; nothing for other families.
    static std::optional<ip_address> from_sockaddr(const sockaddr* sa) {
        if (!sa) return std::nullopt;
        ip_address a;
        if (sa->sa_family == AF_INET) {
            sockaddr_in in{};
            std::memcpy(&in, sa, sizeof in);
            std::memcpy(a.bytes.data(), &in.sin_addr, 4);
            return a;
        }
        if (sa->sa_family == AF_INET6) {
            sockaddr_in6 in6{};
            std::memcpy(&in6, sa, sizeof in6);
            a.v6 = true;
            std::memcpy(a.bytes.data(), &in6.sin6_addr, 16);
            return a;
        }
        return std::nullopt;
    }

    std::uint32_t v4_value() const noexcept {
        return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) |
               std::uint32_t{bytes[3]};
    }

    /// Canonical text (inet_ntop).
    std::string to_string() const {
        char buf[INET6_ADDRSTRLEN] = {};
        inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof buf);
        return buf;
    }

    friend bool operator==(const ip_address& a, const ip_address& b) noexcept {
        return a.v6 == b.v6 &&
               (a.v6 ? a.bytes == b.bytes : std::equal(a.bytes.begin(), a.bytes.begin() + 4, b.bytes.begin()));
    }
};

/// A CIDR network such as "10.0.0.0/8" or "fe80::/10". A bare address is a /32 or /128.
struct ip_network {
    ip_address base;
    int prefix = 0;

    /// Parses "address/prefix"; the address bits below the prefix must be zero.
    static result<ip_network> parse(std::string_view text) {
        auto slash = text.find('/');
        auto addr = ip_address::parse(text.substr(0, slash));
        if (!addr) return errc::invalid_argument;
        int max = addr->v6 ? 128 : 32;
        int prefix = max;
        if (slash != std::string_view::npos) {
            auto p = text.substr(slash + 1);
            if (p.empty() || p.size() > 3) return errc::invalid_argument;
            prefix = 0;
            for (char c : p) {
                if (c < '0' || c > '9') return errc::invalid_argument;
                prefix = prefix * 10 + (c - '0');
            }
            if (prefix > max) return errc::invalid_argument;
        }
        ip_network n{*addr, prefix};
        if (!(n.contains(*addr) && n.masked(*addr) == *addr)) return errc::invalid_argument;
        return n;
    }

    /// Whether `a` (of the same family) lies inside this network.
    bool contains(const ip_address& a) const noexcept {
        if (a.v6 != base.v6) return false;
        return masked(a) == masked(base);
    }

private:
    ip_address masked(const ip_address& a) const noexcept {
        ip_address m = a;
        int len = a.v6 ? 16 : 4;
        for (int i = 0; i < len; ++i) {
            int bits = std::clamp(prefix - i * 8, 0, 8);
            m.bytes[static_cast<std::size_t>(i)] &= static_cast<std::uint8_t>(0xff00u >> bits);
        }
        for (int i = len; i < 16; ++i) m.bytes[static_cast<std::size_t>(i)] = 0;
        return m;
    }
};

/// Why an address is or is not a public destination.
enum class address_class {
    global,        ///< public unicast: allowed
    unspecified,   ///< 0.0.0.0/8, ::
    loopback,      ///< 127.0.0.0/8, ::1
    private_use,   ///< 10/8, 172.16/12, 192.168/16
    shared,        ///< carrier-grade NAT 100.64/10
    link_local,    ///< 169.254/16, fe80::/10
    unique_local,  ///< fc00::/7 (and deprecated site-local fec0::/10)
    multicast,     ///< 224/4, ff00::/8
    broadcast,     ///< 255.255.255.255
    documentation, ///< 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
    benchmarking,  ///< 198.18/15, 2001:2::/48
    reserved,      ///< 240/4, 192.0.0/24, ::/96, 2001::/23, 64:ff9b:1::/48, non-2000::/3 IPv6, ...
    metadata,      ///< cloud metadata services (169.254.169.254, 169.254.170.2, 100.100.100.200, fd00:ec2::254)
};

/// A short name for `c`, for logs and test output.
inline const char* to_string(address_class c) noexcept {
    switch (c) {
    case address_class::global: return "global";
    case address_class::unspecified: return "unspecified";
    case address_class::loopback: return "loopback";
    case address_class::private_use: return "private";
    case address_class::shared: return "shared (CGNAT)";
    case address_class::link_local: return "link-local";
    case address_class::unique_local: return "unique-local";
    case address_class::multicast: return "multicast";
    case address_class::broadcast: return "broadcast";
    case address_class::documentation: return "documentation";
    case address_class::benchmarking: return "benchmarking";
    case address_class::reserved: return "reserved";
    case address_class::metadata: return "cloud metadata";
    }
    return "?";
}

namespace detail {
inline address_class classify_v4(std::uint32_t a) noexcept {
    auto in = [a](std::uint32_t net, int prefix) {
        std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
        return (a & mask) == net;
    };
    if (a == 0xA9FEA9FEu /*169.254.169.254*/ || a == 0xA9FEAA02u /*169.254.170.2*/ ||
        a == 0x646464C8u /*100.100.100.200*/)
        return address_class::metadata;
    if (a == 0xFFFFFFFFu) return address_class::broadcast;
    if (in(0x00000000u, 8)) return address_class::unspecified;
    if (in(0x7F000000u, 8)) return address_class::loopback;
    if (in(0x0A000000u, 8) || in(0xAC100000u, 12) || in(0xC0A80000u, 16)) return address_class::private_use;
    if (in(0x64400000u, 10)) return address_class::shared;
    if (in(0xA9FE0000u, 16)) return address_class::link_local;
    if (in(0xE0000000u, 4)) return address_class::multicast;
    if (in(0xF0000000u, 4)) return address_class::reserved;
    if (in(0xC0000200u, 24) || in(0xC6336400u, 24) || in(0xCB007100u, 24)) return address_class::documentation;
    if (in(0xC6120000u, 15)) return address_class::benchmarking;
    if (in(0xC0000000u, 24) /*IETF protocol assignments*/ || in(0xC0586300u, 24) /*6to4 relay anycast*/)
        return address_class::reserved;
    return address_class::global;
}
} // namespace detail

/// Classifies `a`. IPv6 forms that embed an IPv4 address — IPv4-mapped `::ffff:a.b.c.d`, NAT64
/// `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::` — are classified by the embedded IPv4 address
/// (use `embedded_ipv4` to get it); deprecated IPv4-compatible `::a.b.c.d` and Teredo are reserved.
inline address_class classify(const ip_address& a) noexcept;

/// The IPv4 address embedded in an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) IPv6
/// address; an IPv4 address is returned as is.
inline std::optional<ip_address> embedded_ipv4(const ip_address& a) noexcept {
    if (!a.v6) return a;
    const auto& b = a.bytes;
    auto zero = [&](std::size_t from, std::size_t to) {
        return std::all_of(b.begin() + static_cast<long>(from), b.begin() + static_cast<long>(to),
                           [](std::uint8_t x) { return x == 0; });
    };
    ip_address v4;
    if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) { // ::ffff:0:0/96
        std::copy(b.begin() + 12, b.end(), v4.bytes.begin());
        return v4;
    }
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12)) { // 64:ff9b::/96
        std::copy(b.begin() + 12, b.end(), v4.bytes.begin());
        return v4;
    }
    if (b[0] == 0x20 && b[1] == 0x02) { // 2002::/16
        std::copy(b.begin() + 2, b.begin() + 6, v4.bytes.begin());
        return v4;
    }
    return std::nullopt;
}

inline address_class classify(const ip_address& a) noexcept {
    if (!a.v6) return detail::classify_v4(a.v4_value());
    const auto& b = a.bytes;
    if (auto v4 = embedded_ipv4(a)) return detail::classify_v4(v4->v4_value());
    auto in = [&](std::initializer_list<std::uint8_t> prefix_bytes, int prefix) {
        std::array<std::uint8_t, 16> net{};
        std::copy(prefix_bytes.begin(), prefix_bytes.end(), net.begin());
        ip_network n{ip_address{true, net}, prefix};
        return n.contains(a);
    };
    static constexpr std::array<std::uint8_t, 16> metadata6 = {0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0,    0,
                                                               0,    0,    0,    0,    0, 0, 0x02, 0x54};
    if (b == metadata6) return address_class::metadata;
    bool all_zero_but_last = std::all_of(b.begin(), b.end() - 1, [](std::uint8_t x) { return x == 0; });
    if (all_zero_but_last && b[15] == 0) return address_class::unspecified;
    if (all_zero_but_last && b[15] == 1) return address_class::loopback;
    if (in({0xff}, 8)) return address_class::multicast;
    if (in({0xfe, 0x80}, 10)) return address_class::link_local;
    if (in({0xfc}, 7) || in({0xfe, 0xc0}, 10)) return address_class::unique_local;
    if (in({0x20, 0x01, 0x0d, 0xb8}, 32) || in({0x3f, 0xff}, 20)) return address_class::documentation;
    if (in({0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48)) return address_class::benchmarking;
    if (in({0x20, 0x01}, 23)) return address_class::reserved; // Teredo, ORCHID, AS112, ...
    if (!in({0x20}, 3)) return address_class::reserved;       // ::/96, 64:ff9b:1::/48, 100::/64, ...
    return address_class::global;
}

/// Which destination addresses the transport may connect to.
///
/// Default: only `address_class::global`. Networks in `allow` are accepted even when not global
/// (a test server on 127.0.0.1/32, a partner on 10.1.2.0/24); IPv4-mapped IPv6 addresses also match
/// IPv4 entries. Cloud metadata addresses are refused even inside an allowed network unless the
/// exact address is listed (/32, /128). `enabled = false` turns the check off entirely (don't).
struct address_policy {
    std::vector<ip_network> allow{};
    bool enabled = true;

    /// Builds a policy from CIDR strings; `errc::invalid_argument` on a malformed one.
    static result<address_policy> with_allowed(const std::vector<std::string>& cidrs) {
        address_policy p;
        for (const auto& c : cidrs) {
            auto n = ip_network::parse(c);
            if (!n) return n.error();
            p.allow.push_back(*n);
        }
        return p;
    }

    /// Success or `errc::address_refused`.
    result<void> check(const ip_address& a) const {
        if (!enabled) return {};
        auto cls = classify(a);
        // Only IPv4-mapped addresses (the same IPv4 host, reached through an IPv6 socket) match IPv4
        // entries; NAT64 and 6to4 addresses are other hosts.
        bool mapped = a.v6 &&
                      std::all_of(a.bytes.begin(), a.bytes.begin() + 10, [](std::uint8_t x) { return x == 0; }) &&
                      a.bytes[10] == 0xff && a.bytes[11] == 0xff;
        auto v4 = embedded_ipv4(a);
        auto listed = [&](bool exact_only) {
            for (const auto& n : allow) {
                if (exact_only && n.prefix != (n.base.v6 ? 128 : 32)) continue;
                if (n.contains(a) || (mapped && n.contains(*v4))) return true;
            }
            return false;
        };
        if (cls == address_class::global) return {};
        if (listed(cls == address_class::metadata)) return {};
        return errc::address_refused;
    }

    /// Checks a `sockaddr_in` / `sockaddr_in6`; other families are refused.
    result<void> check(const sockaddr* sa) const {
        auto a = ip_address::from_sockaddr(sa);
        if (!a) return errc::address_refused;
        return check(*a);
    }
};

/// Resolves `host` (a name or an IP literal) with getaddrinfo: the addresses in resolver order,
/// duplicates removed, or `errc::dns_failure`. Blocking; the resolver's own timeouts apply
/// (resolv.conf). Use `resolve_checked` to connect anywhere.
inline result<std::vector<ip_address>> resolve(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    if (ip_address::parse(host)) hints.ai_flags = AI_NUMERICHOST;
    addrinfo* list = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &list) != 0 || !list) {
        if (list) freeaddrinfo(list);
        return errc::dns_failure;
    }
    std::vector<ip_address> out;
    for (auto* ai = list; ai; ai = ai->ai_next) {
        auto a = ip_address::from_sockaddr(ai->ai_addr);
        if (a && std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(*a);
    }
    freeaddrinfo(list);
    if (out.empty()) return errc::dns_failure;
    return out;
}

/// `errc::address_refused` unless every address passes `policy`; `errc::dns_failure` when empty.
inline result<void> check_all(const std::vector<ip_address>& addresses, const address_policy& policy) {
    if (addresses.empty()) return errc::dns_failure;
    for (const auto& a : addresses)
        if (!policy.check(a)) return errc::address_refused;
    return {};
}

/// Resolves `host` and checks every address against `policy`. Returns the addresses only if all of
/// them pass (a name that resolves to a public and a private address is refused as a whole):
/// `errc::dns_failure` when the name does not resolve, `errc::address_refused` when any address is
/// refused. Connect to the returned addresses only — never resolve the name again.
inline result<std::vector<ip_address>> resolve_checked(const std::string& host, const address_policy& policy) {
    auto addresses = resolve(host);
    if (!addresses) return addresses.error();
    if (auto ok = check_all(*addresses, policy); !ok) return ok.error();
    return addresses;
}

HOOKLINE_END_NAMESPACE
