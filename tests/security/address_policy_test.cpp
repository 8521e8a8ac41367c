// SSRF protection, kept as regression tests (issue #17: the address policy held in every form tried).
// First the policy functions: strict URL parsing (tricks included), address classification over a large
// table of IPv4 and IPv6 addresses, the allow-list, and resolve-then-check. Then the same forms against
// both stock transports (curl_transport, httplib_transport) and loopback servers on OS-picked ports:
// each refused form next to a permissive policy that does reach the server, so every test can fail.
// tests/transports/curl_transport_test.cpp adds the transport's own mechanics ("[ssrf]": the check at
// connect time, pinning a checked name, proxies); tests/transports/transport_test.cpp the same for
// httplib_transport.
#include "support/http_servers.hpp"

#include <hookline/transports/address_policy.hpp>
#include <hookline/transports/curl_transport.hpp>
#include <hookline/transports/httplib_transport.hpp>

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
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

// ---------------------------------------------------------------------------------------------
// The forms of issue #17 against the stock transports, on loopback servers
// ---------------------------------------------------------------------------------------------

namespace {

using resolver_fn = std::function<result<std::vector<ip_address>>(const std::string&)>;

struct curl_kind {
    using transport = curl_transport;
    using options = curl_transport_options;
};
struct httplib_kind {
    using transport = httplib_transport;
    using options = httplib_transport_options;
};

/// One POST through a fresh `Kind::transport` with `policy` (and a simulated resolver, when given).
template <class Kind>
result<http_response> post(const std::string& url, address_policy policy, resolver_fn resolver = {}) {
    typename Kind::options o;
    o.addresses = std::move(policy);
    o.resolver = std::move(resolver);
    o.total_timeout = std::chrono::seconds(10);
    typename Kind::transport t(std::move(o));
    return t.send({.url = url, .body = "{}"});
}

address_policy allowing(std::vector<std::string> cidrs) { return address_policy::with_allowed(cidrs).value(); }

/// A loopback server answering 200 "reached" on /hook; binds `host` ("127.0.0.1" or "::1").
struct hook_server : test_support::test_server {
    explicit hook_server(const std::string& host = "127.0.0.1") {
        svr->Post("/hook",
                  [](const httplib::Request&, httplib::Response& res) { res.set_content("reached", "text/plain"); });
        if (host == "127.0.0.1") {
            start();
        } else {
            port = svr->bind_to_any_port(host);
            REQUIRE(port > 0);
            thread = test_support::listen_in_background(*svr);
            REQUIRE(svr->is_running());
        }
    }
    /// http://HOST:PORT/hook, HOST as given (brackets included for IPv6).
    std::string at(const std::string& host) const { return "http://" + host + ":" + std::to_string(port) + "/hook"; }
};

void check_reached(const result<http_response>& r) {
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body_excerpt == "reached");
}

/// The addresses /etc/hosts gives `name` (no DNS query).
std::vector<std::string> hosts_file_entries(const std::string& name) {
    std::vector<std::string> out;
    std::ifstream in("/etc/hosts");
    std::string line;
    while (std::getline(in, line)) {
        line = line.substr(0, line.find('#'));
        std::istringstream words(line);
        std::string address, alias;
        if (!(words >> address)) continue;
        while (words >> alias)
            if (alias == name) out.push_back(address);
    }
    return out;
}

} // namespace

TEMPLATE_TEST_CASE("ssrf regression: decimal, hex, octal and short IPv4 never reach a server, even one allowed",
                   "[ssrf][security]", curl_kind, httplib_kind) {
    hook_server s;
    const auto loopback = allowing({"127.0.0.0/8"});
    for (const char* form : {"2130706433", "0x7f000001", "0x7F000001", "0177.0.0.1", "0177.0.0.01", "017700000001",
                             "127.1", "127.0.1", "0x7f.1", "0x7f.0.0.1", "127.000.000.001", "0127.0.0.1"}) {
        INFO("host " << form);
        CHECK(post<TestType>(s.at(form), loopback).error() == errc::invalid_url);
        CHECK(post<TestType>(s.at(form), address_policy{.enabled = false}).error() == errc::invalid_url);
    }
    CHECK(s.requests == 0);
    // The canonical spelling: refused by default, reached when allowed.
    CHECK(post<TestType>(s.at("127.0.0.1"), {}).error() == errc::address_refused);
    CHECK(s.requests == 0);
    check_reached(post<TestType>(s.at("127.0.0.1"), loopback));
    CHECK(s.requests == 1);
}

TEMPLATE_TEST_CASE("ssrf regression: IPv4-mapped IPv6, 0.0.0.0 and [::] reach this host: refused unless allowed",
                   "[ssrf][security]", curl_kind, httplib_kind) {
    hook_server v4;
    for (const char* mapped : {"[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]"}) {
        INFO("host " << mapped);
        CHECK(post<TestType>(v4.at(mapped), {}).error() == errc::address_refused);
        CHECK(post<TestType>(v4.at(mapped), allowing({"10.0.0.0/8", "::1/128"})).error() == errc::address_refused);
    }
    // 0.0.0.0 connects to this host: the loopback server answers it.
    CHECK(post<TestType>(v4.at("0.0.0.0"), {}).error() == errc::address_refused);
    CHECK(post<TestType>(v4.at("0.0.0.0"), allowing({"127.0.0.0/8"})).error() == errc::address_refused);
    CHECK(v4.requests == 0);
    check_reached(post<TestType>(v4.at("[::ffff:127.0.0.1]"), allowing({"127.0.0.1/32"}))); // mapped matches IPv4
    check_reached(post<TestType>(v4.at("0.0.0.0"), allowing({"0.0.0.0/32"})));
    CHECK(v4.requests == 2);

    hook_server v6("::1");
    CHECK(post<TestType>(v6.at("[::]"), {}).error() == errc::address_refused);
    CHECK(post<TestType>(v6.at("[::1]"), {}).error() == errc::address_refused);
    CHECK(post<TestType>(v6.at("[0:0:0:0:0:0:0:1]"), {}).error() == errc::address_refused);
    CHECK(post<TestType>(v6.at("[::]"), allowing({"::1/128"})).error() == errc::address_refused);
    CHECK(v6.requests == 0);
    check_reached(post<TestType>(v6.at("[::]"), allowing({"::/128"})));
    check_reached(post<TestType>(v6.at("[::1]"), allowing({"::1/128"})));
    CHECK(v6.requests == 2);
}

TEMPLATE_TEST_CASE("ssrf regression: metadata addresses are refused, even inside an allowed network",
                   "[ssrf][security]", curl_kind, httplib_kind) {
    // Nothing here is connected to: the policy refuses before any socket is opened (an address that
    // got through would fail differently: connection_failed or timeout, not address_refused).
    const auto broad = allowing({"169.254.0.0/16", "100.64.0.0/10", "fd00::/8", "::ffff:0:0/96"});
    for (const char* url : {"http://169.254.169.254/latest/meta-data/", "http://169.254.170.2/v2/credentials",
                            "http://100.100.100.200/latest/meta-data/", "http://[fd00:ec2::254]/latest/meta-data/",
                            "http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/",
                            "http://169.254.169.254:80/computeMetadata/v1/"}) {
        INFO(url);
        CHECK(post<TestType>(url, {}).error() == errc::address_refused);
        CHECK(post<TestType>(url, broad).error() == errc::address_refused);
    }
    // By name: metadata.google.internal as a cloud resolver answers it (simulated here), and as
    // /etc/hosts answers it when it lists the name.
    const resolver_fn metadata = [](const std::string&) -> result<std::vector<ip_address>> {
        return std::vector<ip_address>{*ip_address::parse("169.254.169.254")};
    };
    CHECK(post<TestType>("http://metadata.google.internal/computeMetadata/v1/", {}, metadata).error() ==
          errc::address_refused);
    CHECK(post<TestType>("http://metadata.google.internal/computeMetadata/v1/", broad, metadata).error() ==
          errc::address_refused);
    for (const auto& listed : hosts_file_entries("metadata.google.internal")) {
        INFO("/etc/hosts: " << listed);
        CHECK(resolve_checked("metadata.google.internal", broad).error() == errc::address_refused);
    }
    // What the check refuses is the address, not the form: listing the exact address admits it.
    CHECK(allowing({"169.254.169.254/32"}).check(*ip_address::parse("169.254.169.254")));
    CHECK(allowing({"fd00:ec2::254/128"}).check(*ip_address::parse("fd00:ec2::254")));
}

TEMPLATE_TEST_CASE("ssrf regression: names resolving to loopback are refused, a mixed answer as a whole",
                   "[ssrf][security]", curl_kind, httplib_kind) {
    hook_server s;
    REQUIRE_FALSE(hosts_file_entries("localhost").empty()); // answered by /etc/hosts, not DNS
    CHECK(post<TestType>(s.at("localhost"), {}).error() == errc::address_refused);
    CHECK(post<TestType>(s.at("LOCALHOST"), {}).error() == errc::address_refused);
    const auto dotted = post<TestType>(s.at("localhost."), {}).error(); // some resolvers do not know it
    CHECK((dotted == errc::address_refused || dotted == errc::dns_failure));
    // A name whose answers mix a public address with a loopback one (a rebinding set-up) is refused whole.
    const resolver_fn mixed = [](const std::string&) -> result<std::vector<ip_address>> {
        return std::vector<ip_address>{*ip_address::parse("93.184.216.34"), *ip_address::parse("127.0.0.1")};
    };
    CHECK(post<TestType>(s.at("rebind.test"), {}, mixed).error() == errc::address_refused);
    const resolver_fn to_loopback = [](const std::string&) -> result<std::vector<ip_address>> {
        return std::vector<ip_address>{*ip_address::parse("127.0.0.1")};
    };
    CHECK(post<TestType>(s.at("rebind.test"), {}, to_loopback).error() == errc::address_refused);
    CHECK(s.requests == 0);
    check_reached(post<TestType>(s.at("localhost"), allowing({"127.0.0.1/32", "::1/128"})));
    check_reached(post<TestType>(s.at("rebind.test"), allowing({"127.0.0.1/32"}), to_loopback));
    CHECK(s.requests == 2);
}

TEMPLATE_TEST_CASE("ssrf regression: redirects are answers, never followed", "[ssrf][security]", curl_kind,
                   httplib_kind) {
    hook_server s;
    std::atomic<int> followed{0};
    const std::string metadata = "http://169.254.169.254/latest/meta-data/";
    for (int code : {301, 302, 303, 307, 308}) {
        s.svr->Post("/to-metadata-" + std::to_string(code),
                    [=](const httplib::Request&, httplib::Response& res) { res.set_redirect(metadata, code); });
        s.svr->Post("/to-local-" + std::to_string(code),
                    [=](const httplib::Request&, httplib::Response& res) { res.set_redirect("/landing", code); });
    }
    s.svr->Get("/landing", [&](const httplib::Request&, httplib::Response&) { ++followed; });
    s.svr->Post("/landing", [&](const httplib::Request&, httplib::Response&) { ++followed; });
    const auto loopback = allowing({"127.0.0.1/32"});
    for (int code : {301, 302, 303, 307, 308}) {
        INFO("status " << code);
        auto away = post<TestType>(s.url("/to-metadata-" + std::to_string(code)), loopback);
        REQUIRE(away);
        CHECK(away->status == code);
        CHECK(away->headers.get("Location") == metadata);
        auto local = post<TestType>(s.url("/to-local-" + std::to_string(code)), loopback);
        REQUIRE(local);
        CHECK(local->status == code);
    }
    CHECK(followed == 0);
    CHECK(s.requests == 10);
}
