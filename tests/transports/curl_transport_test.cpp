// curl_transport against real servers on 127.0.0.1: requests and responses intact, error statuses,
// timeouts, a tarpit holding hundreds of requests while another completes, keep-alive reuse, capped
// bodies, a proxy, TLS, the address policy on the address actually connected, and shutdown.
#include "support/http_servers.hpp"

#include <hookline/transports/curl_transport.hpp>
#include <hookline/transports/threaded_transport.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;
using test_support::self_signed;
using test_support::test_server;

namespace {

curl_transport_options loopback_allowed(curl_transport_options o = {}) {
    o.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value();
    return o;
}

/// Collects completions; waits on them are bounded.
struct completions {
    std::mutex m;
    std::condition_variable cv;
    std::vector<result<http_response>> results;
    completion_handler handler() {
        return [this](result<http_response> r) {
            std::lock_guard lock(m);
            results.push_back(std::move(r));
            cv.notify_all();
        };
    }
    bool wait_for(std::size_t n, std::chrono::milliseconds limit = 30s) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, limit, [&] { return results.size() >= n; });
    }
    std::size_t size() {
        std::lock_guard lock(m);
        return results.size();
    }
};

/// A port that completes TCP handshakes (the kernel's backlog) and never reads or answers.
struct tarpit {
    int fd = -1;
    int port = -1;
    tarpit() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd, 1024) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
    ~tarpit() { ::close(fd); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; }
};

} // namespace

static_assert(async_transport<curl_transport>);
static_assert(transport<curl_transport>);
static_assert(async_transport<threaded_transport<curl_transport>>);
static_assert(bounded_transport<threaded_transport<curl_transport>>);

TEST_CASE("curl_transport: the address policy refuses loopback unless allow-listed, by address connected",
          "[curl_transport][ssrf]") {
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    s.start();
    curl_transport strict;
    CHECK(strict.send({.url = s.url("/hook"), .body = "{}"}).error() == errc::address_refused);
    // A name is resolved by libcurl and checked at connect time, whatever form it takes.
    CHECK(strict.send({.url = s.url("/hook", "localhost"), .body = "{}"}).error() == errc::address_refused);
    CHECK_FALSE(strict.send({.url = "http://2130706433:" + std::to_string(s.port) + "/hook", .body = "{}"}));
    CHECK(s.requests == 0);
    curl_transport allowed(loopback_allowed());
    auto ok = allowed.send({.url = s.url("/hook"), .body = "{}"});
    REQUIRE(ok);
    CHECK(ok->status == 200);
}

TEST_CASE("curl_transport: a name that resolves to a refused address is refused; an allowed one is pinned",
          "[curl_transport][ssrf]") {
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request& req, httplib::Response& res) {
        res.set_content(req.get_header_value("Host"), "text/plain");
    });
    s.start();
    auto to_loopback = [](const std::string&) -> result<std::vector<ip_address>> {
        return std::vector<ip_address>{*ip_address::parse("127.0.0.1")};
    };
    curl_transport strict({.resolver = to_loopback});
    const std::string url = "http://rebind.test:" + std::to_string(s.port) + "/hook";
    CHECK(strict.send({.url = url, .body = "{}"}).error() == errc::address_refused);
    CHECK(s.requests == 0);
    curl_transport allowed(loopback_allowed({.resolver = to_loopback}));
    auto ok = allowed.send({.url = url, .body = "{}"});
    REQUIRE(ok);
    CHECK(ok->body_excerpt == "rebind.test:" + std::to_string(s.port)); // the name kept for Host (and TLS)
}

TEST_CASE("curl_transport: requests arrive intact and responses come back whole", "[curl_transport]") {
    test_server s;
    std::string got_body, got_type, got_agent, got_custom, got_expect, got_method;
    s.svr->Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
        got_body = req.body;
        got_type = req.get_header_value("Content-Type");
        got_agent = req.get_header_value("User-Agent");
        got_custom = req.get_header_value("X-Custom");
        got_expect = req.get_header_value("Expect");
        got_method = req.method;
        res.status = 202;
        res.set_header("X-Reply", "yes");
        res.set_content("accepted", "text/plain");
    });
    s.start();
    curl_transport t(loopback_allowed());
    const std::string body(5000, 'x'); // above libcurl's 1 KiB Expect: 100-continue threshold
    http_request r{.url = s.url("/hook"), .body = body};
    r.headers.add("Content-Type", "application/json");
    r.headers.add("X-Custom", "value with spaces");
    auto res = t.send(r);
    REQUIRE(res);
    CHECK(res->status == 202);
    CHECK(res->body_excerpt == "accepted");
    CHECK(res->headers.get("X-Reply") == "yes");
    CHECK_FALSE(res->body_truncated);
    CHECK(res->latency.count() > 0);
    CHECK(got_method == "POST");
    CHECK(got_body == body);
    CHECK(got_type == "application/json");
    CHECK(got_agent == "hookline/" HOOKLINE_VERSION_STRING);
    CHECK(got_custom == "value with spaces");
    CHECK(got_expect.empty());
}

TEST_CASE("curl_transport: error statuses are responses, with their headers", "[curl_transport]") {
    test_server s;
    s.svr->Post("/busy", [](const httplib::Request&, httplib::Response& res) {
        res.status = 503;
        res.set_header("Retry-After", "120");
    });
    s.svr->Post("/gone", [](const httplib::Request&, httplib::Response& res) { res.status = 410; });
    s.start();
    curl_transport t(loopback_allowed());
    auto busy = t.send({.url = s.url("/busy"), .body = "{}"});
    REQUIRE(busy);
    CHECK(busy->status == 503);
    CHECK(busy->headers.get("Retry-After") == "120");
    CHECK(t.send({.url = s.url("/gone"), .body = "{}"})->status == 410);
    CHECK(t.send({.url = s.url("/missing"), .body = "{}"})->status == 404);
}

TEST_CASE("curl_transport: what can never be sent is refused at once", "[curl_transport]") {
    curl_transport t(loopback_allowed());
    CHECK(t.send({.url = "ftp://127.0.0.1/x", .body = "{}"}).error() == errc::invalid_url);
    CHECK(t.send({.url = "not a url", .body = "{}"}).error() == errc::invalid_url);
    http_request r{.url = "http://127.0.0.1:9/hook", .body = "{}"};
    r.headers.add("X-Bad", "a\r\nInjected: yes");
    CHECK(t.send(r).error() == errc::invalid_argument);
}

TEST_CASE("curl_transport: closed ports, unknown names and silent servers fail with their reason", "[curl_transport]") {
    curl_transport t(loopback_allowed());
    int port = 0;
    {
        tarpit closed; // bound, then closed: nothing listens there now
        port = closed.port;
    }
    CHECK(t.send({.url = "http://127.0.0.1:" + std::to_string(port) + "/", .body = "{}"}).error() ==
          errc::connection_failed);
    CHECK(t.send({.url = "http://no-such-host.invalid/", .body = "{}"}).error() == errc::dns_failure);
    tarpit silent;
    CHECK(t.send({.url = silent.url(), .body = "{}", .timeout = 300ms}).error() == errc::timeout);
}

TEST_CASE("curl_transport: hundreds of requests held by a tarpit do not delay another one", "[curl_transport]") {
    tarpit pit;
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    s.start();
    completions held; // outlives the transport, whose destructor completes what is still in flight
    const std::size_t n = 300;
    {
        curl_transport t(loopback_allowed());
        for (std::size_t i = 0; i < n; ++i) t.start({.url = pit.url(), .body = "{}", .timeout = 20s}, held.handler());
        // All 300 are in flight on one I/O thread; a request elsewhere completes while they wait.
        auto ok = t.send({.url = s.url("/hook"), .body = "{}"});
        REQUIRE(ok);
        CHECK(ok->status == 200);
        CHECK(held.size() == 0);
        CHECK(t.in_flight() == n);
    }
    // Destroying the transport completes each held request once, as stopped.
    REQUIRE(held.size() == n);
    for (auto& r : held.results) CHECK(r.error() == errc::stopped);
}

TEST_CASE("curl_transport: keep-alive connections are reused", "[curl_transport]") {
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    s.start();
    curl_transport t(loopback_allowed());
    for (int i = 0; i < 5; ++i) REQUIRE(t.send({.url = s.url("/hook"), .body = "{}"})->status == 200);
    CHECK(s.requests == 5);
    CHECK(s.connections() == 1);
}

TEST_CASE("curl_transport: long bodies are capped: truncated, or an error when asked", "[curl_transport]") {
    test_server s;
    s.svr->Post("/big", [](const httplib::Request&, httplib::Response& res) {
        res.set_content(std::string(200'000, 'b'), "text/plain");
    });
    s.start();
    curl_transport cut(loopback_allowed({.max_response_body = 1000}));
    auto r = cut.send({.url = s.url("/big"), .body = "{}"});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body_truncated);
    CHECK(r->body_excerpt == std::string(1000, 'b'));
    curl_transport strict(loopback_allowed({.max_response_body = 1000, .fail_on_large_response = true}));
    CHECK(strict.send({.url = s.url("/big"), .body = "{}"}).error() == errc::response_too_large);
}

TEST_CASE("curl_transport: a proxy receives the request for the checked destination", "[curl_transport]") {
    test_server proxy;
    std::string request_target, host;
    std::atomic<int> proxied{0};
    proxy.svr->set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
        ++proxied;
        request_target = req.target;
        host = req.get_header_value("Host");
        res.set_content("via proxy", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
    });
    proxy.start();
    const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port);
    curl_transport t(loopback_allowed({.proxy = proxy_url}));
    auto r = t.send({.url = "http://127.0.0.1:9/hook?x=1", .body = "{}", .timeout = 10s});
    REQUIRE(r);
    CHECK(r->body_excerpt == "via proxy");
    CHECK(host == "127.0.0.1:9");
    CHECK(request_target == "http://127.0.0.1:9/hook?x=1"); // absolute form, as proxies expect
    // The destination is still checked before anything goes to the proxy, literal or name.
    curl_transport guarded({.proxy = proxy_url});
    CHECK(guarded.send({.url = "http://127.0.0.1:9/hook", .body = "{}"}).error() == errc::address_refused);
    CHECK(guarded.send({.url = "http://localhost:9/hook", .body = "{}"}).error() == errc::address_refused);
    CHECK(proxied == 1);
}

TEST_CASE("curl_transport: TLS verification is on by default and trusts a given CA", "[curl_transport][tls]") {
    self_signed pki;
    test_server s(std::make_unique<httplib::SSLServer>(pki.cert, pki.key));
    REQUIRE(s.svr->is_valid());
    s.svr->Post("/hook",
                [](const httplib::Request&, httplib::Response& res) { res.set_content("secure", "text/plain"); });
    s.start();
    http_request r{.url = s.url("/hook"), .body = "{}", .timeout = 10s};
    curl_transport strict(loopback_allowed());
    CHECK(strict.send(r).error() == errc::tls_failure);
    curl_transport trusting(loopback_allowed({.ca_file = pki.ca_file.string()}));
    for (int i = 0; i < 3; ++i) {
        auto ok = trusting.send(r);
        REQUIRE(ok);
        CHECK(ok->body_excerpt == "secure");
    }
    CHECK(s.connections() == 1); // the TLS connection is kept and reused
    self_signed other("DNS:elsewhere.example");
    curl_transport wrong_host(loopback_allowed({.ca_file = other.ca_file.string()}));
    CHECK(wrong_host.send(r).error() == errc::tls_failure);
}

TEST_CASE("curl_transport: requests in flight when the transport goes away complete as stopped", "[curl_transport]") {
    tarpit pit;
    completions done;
    {
        curl_transport t(loopback_allowed());
        for (int i = 0; i < 20; ++i) t.start({.url = pit.url(), .body = "{}", .timeout = 60s}, done.handler());
    }
    REQUIRE(done.wait_for(20, 1s)); // the destructor completed them all before returning
    for (auto& r : done.results) CHECK(r.error() == errc::stopped);
}

TEST_CASE("threaded_transport: runs a blocking transport on its threads, each request completing once",
          "[curl_transport]") {
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    s.start();
    completions done;
    threaded_transport<curl_transport> t(curl_transport(loopback_allowed()), 3);
    CHECK(t.capacity() == 3);
    for (int i = 0; i < 10; ++i) t.start({.url = s.url("/hook"), .body = "{}"}, done.handler());
    REQUIRE(done.wait_for(10));
    for (auto& r : done.results) CHECK(r->status == 200);
}
