// SSRF protection: strict URL parsing (tricks included), address classification over a large table of
// IPv4 and IPv6 addresses, the allow-list, and resolve-then-check.
#include <hookline/transports/address_policy.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace hookline;

namespace {
ip_address ip(std::string_view text) {
    auto a = ip_address::parse(text);
    INFO(text);
    REQUIRE(a);
    return *a;
}
} // namespace

TEST_CASE("ssrf: URLs parse into scheme host port and target", "[ssrf]") {
    struct row {
        const char* url;
        const char* scheme;
        const char* host;
        int port;
        const char* target;
        bool is_ip;
    };
    const row rows[] = {
        {"https://example.com/hooks", "https", "example.com", 443, "/hooks", false},
        {"http://example.com", "http", "example.com", 80, "/", false},
        {"HTTPS://Example.COM:8443/a/b?x=1&y=2#frag", "https", "example.com", 8443, "/a/b?x=1&y=2", false},
        {"http://example.com?q=1", "http", "example.com", 80, "/?q=1", false},
        {"http://[::1]:8080/x", "http", "::1", 8080, "/x", true},
        {"https://[2001:db8::1]/", "https", "2001:db8::1", 443, "/", true},
        {"http://127.0.0.1:1/", "http", "127.0.0.1", 1, "/", true},
        {"http://my_host.internal-1.example/", "http", "my_host.internal-1.example", 80, "/", false},
        {"http://localhost.:65535/", "http", "localhost.", 65535, "/", false},
        {"http://example.com/%2e%2e/x", "http", "example.com", 80, "/%2e%2e/x", false},
    };
    for (const auto& r : rows) {
        INFO(r.url);
        auto u = parse_url(r.url);
        REQUIRE(u);
        CHECK(u->scheme == r.scheme);
        CHECK(u->host == r.host);
        CHECK(u->port == r.port);
        CHECK(u->target == r.target);
        CHECK(u->host_is_ip == r.is_ip);
    }
    CHECK(parse_url("http://[::1]:8080/").value().authority() == "[::1]:8080");
}

TEST_CASE("ssrf: malformed and tricky URLs are refused", "[ssrf]") {
    const char* bad[] = {
        "",
        "example.com/hook",
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:25/",
        "javascript:alert(1)",
        "http:/example.com/",
        "http:example.com",
        "http://",
        "http:///path",
        "http://:80/",
        "http://user@example.com/",
        "http://user:pass@example.com/",
        "http://example.com@evil.com/",
        "http://evil.com\\@example.com/",
        "http://exa mple.com/",
        "http://example.com/a b",
        "http://example.com/\r\nHost: evil",
        "http://example.com/\x01",
        "http://ex\xc3\xa4mple.com/",
        "http://example.com:0/",
        "http://example.com:65536/",
        "http://example.com:99999999/",
        "http://example.com:-1/",
        "http://example.com:8o/",
        "http://example.com:/",
        "http://%65xample.com/",
        "http://.example.com/",
        "http://example..com/",
        "http://[::1/",
        "http://[::1]x/",
        "http://[not-ipv6]/",
        "http://[fe80::1%25eth0]/",
        "http://[127.0.0.1]/",
        "http://::1/",
        // IPv4 in forms resolvers accept but that are not canonical dotted decimal
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0x7f.1/",
        "http://0x7F.0.0.1/",
        "http://0177.0.0.1/",
        "http://017700000001/",
        "http://127.1/",
        "http://127.0.1/",
        "http://127.000.000.001/",
        "http://1.2.3.4.5/",
        "http://256.0.0.1/",
        "http://example.0x10/",
        "http://example.123/",
    };
    for (const char* u : bad) {
        INFO("url: " << u);
        CHECK(parse_url(u).error() == errc::invalid_url);
    }
}

TEST_CASE("ssrf: addresses are classified by range", "[ssrf]") {
    struct row {
        const char* address;
        address_class expected;
    };
    using ac = address_class;
    const row rows[] = {
        // IPv4 public
        {"8.8.8.8", ac::global},
        {"1.1.1.1", ac::global},
        {"93.184.216.34", ac::global},
        {"9.255.255.255", ac::global},
        {"11.0.0.0", ac::global},
        {"100.63.255.255", ac::global},
        {"100.128.0.0", ac::global},
        {"126.255.255.255", ac::global},
        {"128.0.0.0", ac::global},
        {"169.253.255.255", ac::global},
        {"169.255.0.0", ac::global},
        {"172.15.255.255", ac::global},
        {"172.32.0.0", ac::global},
        {"192.167.255.255", ac::global},
        {"192.169.0.0", ac::global},
        {"198.17.255.255", ac::global},
        {"198.20.0.0", ac::global},
        {"223.255.255.255", ac::global},
        // IPv4 refused
        {"0.0.0.0", ac::unspecified},
        {"0.1.2.3", ac::unspecified},
        {"127.0.0.1", ac::loopback},
        {"127.255.255.254", ac::loopback},
        {"127.1.2.3", ac::loopback},
        {"10.0.0.1", ac::private_use},
        {"10.255.255.255", ac::private_use},
        {"172.16.0.1", ac::private_use},
        {"172.31.255.255", ac::private_use},
        {"192.168.0.1", ac::private_use},
        {"192.168.255.255", ac::private_use},
        {"100.64.0.1", ac::shared},
        {"100.127.255.255", ac::shared},
        {"169.254.0.1", ac::link_local},
        {"169.254.255.255", ac::link_local},
        {"169.254.169.254", ac::metadata},
        {"169.254.170.2", ac::metadata},
        {"100.100.100.200", ac::metadata},
        {"224.0.0.1", ac::multicast},
        {"239.255.255.250", ac::multicast},
        {"240.0.0.1", ac::reserved},
        {"255.255.255.254", ac::reserved},
        {"255.255.255.255", ac::broadcast},
        {"192.0.0.8", ac::reserved},
        {"192.88.99.1", ac::reserved},
        {"192.0.2.1", ac::documentation},
        {"198.51.100.7", ac::documentation},
        {"203.0.113.255", ac::documentation},
        {"198.18.0.1", ac::benchmarking},
        {"198.19.255.255", ac::benchmarking},
        // IPv6 public
        {"2606:4700:4700::1111", ac::global},
        {"2a00:1450:4001:80b::200e", ac::global},
        {"2001:4860:4860::8888", ac::global},
        {"2001:200::1", ac::global},
        {"3ffe::1", ac::global},
        // IPv6 refused
        {"::", ac::unspecified},
        {"::1", ac::loopback},
        {"fe80::1", ac::link_local},
        {"febf:ffff::1", ac::link_local},
        {"fec0::1", ac::unique_local},
        {"fc00::1", ac::unique_local},
        {"fd12:3456:789a::1", ac::unique_local},
        {"fd00:ec2::254", ac::metadata},
        {"ff02::1", ac::multicast},
        {"ff0e::1", ac::multicast},
        {"2001:db8::1", ac::documentation},
        {"3fff::1", ac::documentation},
        {"2001:2::1", ac::benchmarking},
        {"2001::1", ac::reserved}, // Teredo
        {"2001:0:4136:e378:8000:63bf:3fff:fdd2", ac::reserved},
        {"2001:10::1", ac::reserved}, // ORCHID
        {"100::1", ac::reserved},     // discard-only
        {"::2", ac::reserved},        // IPv4-compatible (deprecated)
        {"::7f00:1", ac::reserved},   // ::127.0.0.1, IPv4-compatible
        {"::8.8.8.8", ac::reserved},
        {"64:ff9b:1::1", ac::reserved}, // local-use NAT64
        {"4000::1", ac::reserved},
        {"1::1", ac::reserved},
        // IPv4-mapped, NAT64 and 6to4 follow the embedded IPv4 address
        {"::ffff:127.0.0.1", ac::loopback},
        {"::ffff:7f00:1", ac::loopback},
        {"::ffff:10.1.2.3", ac::private_use},
        {"::ffff:169.254.169.254", ac::metadata},
        {"::ffff:0.0.0.0", ac::unspecified},
        {"::ffff:8.8.8.8", ac::global},
        {"64:ff9b::127.0.0.1", ac::loopback},
        {"64:ff9b::a9fe:a9fe", ac::metadata},
        {"64:ff9b::192.168.1.1", ac::private_use},
        {"64:ff9b::8.8.8.8", ac::global},
        {"2002:7f00:1::", ac::loopback},
        {"2002:c0a8:101::1", ac::private_use},
        {"2002:0808:0808::1", ac::global},
    };
    for (const auto& r : rows) {
        INFO(r.address << " expected " << to_string(r.expected));
        auto a = ip(r.address);
        CHECK(to_string(classify(a)) == std::string(to_string(r.expected)));
        address_policy policy;
        CHECK(bool(policy.check(a)) == (r.expected == address_class::global));
    }
}

TEST_CASE("ssrf: the allow-list admits what the user means and nothing more", "[ssrf]") {
    auto policy =
        address_policy::with_allowed({"127.0.0.1/32", "10.1.2.0/24", "fd00:1234::/32", "169.254.0.0/16"}).value();
    CHECK(policy.check(ip("127.0.0.1")));
    CHECK(policy.check(ip("::ffff:127.0.0.1")));
    CHECK(policy.check(ip("10.1.2.200")));
    CHECK(policy.check(ip("fd00:1234:5::1")));
    CHECK(policy.check(ip("169.254.1.1")));
    CHECK(policy.check(ip("8.8.8.8")));
    CHECK(policy.check(ip("127.0.0.2")).error() == errc::address_refused);
    CHECK(policy.check(ip("64:ff9b::127.0.0.1")).error() == errc::address_refused); // NAT64: another host
    CHECK(policy.check(ip("2002:7f00:1::")).error() == errc::address_refused);      // 6to4: another host
    CHECK(policy.check(ip("10.1.3.1")).error() == errc::address_refused);
    CHECK(policy.check(ip("::1")).error() == errc::address_refused);
    CHECK(policy.check(ip("fd00:1235::1")).error() == errc::address_refused);
    // Metadata needs the exact address listed, even inside an allowed network.
    CHECK(policy.check(ip("169.254.169.254")).error() == errc::address_refused);
    auto exact = address_policy::with_allowed({"169.254.169.254/32"}).value();
    CHECK(exact.check(ip("169.254.169.254")));

    address_policy off{.enabled = false};
    CHECK(off.check(ip("127.0.0.1")));

    for (const char* bad : {"10.0.0.1/8", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/x", "nonsense", "10.0.0.0/-1",
                            "fe80::1/10", ""}) {
        INFO(bad);
        CHECK(ip_network::parse(bad).error() == errc::invalid_argument);
    }
    CHECK(ip_network::parse("0.0.0.0/0").value().contains(ip("8.8.8.8")));
    CHECK(!ip_network::parse("0.0.0.0/0").value().contains(ip("::1")));
}

TEST_CASE("ssrf: sockaddr checks cover both families", "[ssrf]") {
    address_policy policy;
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
    CHECK(policy.check(reinterpret_cast<const sockaddr*>(&v4)).error() == errc::address_refused);
    inet_pton(AF_INET, "8.8.4.4", &v4.sin_addr);
    CHECK(policy.check(reinterpret_cast<const sockaddr*>(&v4)));
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:192.168.0.1", &v6.sin6_addr);
    CHECK(policy.check(reinterpret_cast<const sockaddr*>(&v6)).error() == errc::address_refused);
    sockaddr other{};
    other.sa_family = AF_UNIX;
    CHECK(policy.check(&other).error() == errc::address_refused);
}

TEST_CASE("ssrf: resolution checks every address before use", "[ssrf]") {
    address_policy policy;
    CHECK(resolve_checked("127.0.0.1", policy).error() == errc::address_refused);
    CHECK(resolve_checked("localhost", policy).error() == errc::address_refused);
    CHECK(resolve_checked("::1", policy).error() == errc::address_refused);
    CHECK(resolve_checked("host.invalid", policy).error() == errc::dns_failure);
    auto allowed = address_policy::with_allowed({"127.0.0.1/32"}).value();
    auto r = resolve_checked("127.0.0.1", allowed);
    REQUIRE(r);
    REQUIRE(r->size() == 1);
    CHECK(r->front().to_string() == "127.0.0.1");
}
