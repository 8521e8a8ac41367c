// httplib_transport against real servers on 127.0.0.1 that misbehave on purpose: error statuses,
// slow and dripping responses, resets, closed ports, endless bodies, TLS, SSRF; plus keep-alive reuse
// and concurrent use.
#include "support/fake_transport.hpp"
#include "support/http_servers.hpp"
#include "support/listen.hpp"

#include <hookline/sending/retry_policy.hpp>
#include <hookline/transports/httplib_transport.hpp>

#include <catch2/catch.hpp>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;

namespace {

using test_support::gate;
using test_support::raw_server;
using test_support::read_request_head;
using test_support::self_signed;
using test_support::send_all;
using test_support::test_server;

httplib_transport_options loopback_allowed(httplib_transport_options o = {}) {
    o.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value();
    return o;
}

} // namespace

static_assert(transport<httplib_transport>);
static_assert(transport<hookline_test::fake_transport>);

TEST_CASE("transport: the fake transport plays its script and records requests", "[transport]") {
    hookline_test::fake_transport t;
    t.push_status(503, {{"Retry-After", "7"}});
    t.push(errc::timeout);
    std::string body = "{}";
    http_request r{.url = "https://example.com/h", .body = body};
    CHECK(t.send(r)->status == 503);
    CHECK(t.send(r).error() == errc::timeout);
    CHECK(t.send(r)->status == 200);
    REQUIRE(t.sent().size() == 3);
    CHECK(t.sent()[0].body == "{}");
}

TEST_CASE("transport: SSRF protection refuses loopback unless allow-listed", "[transport][ssrf]") {
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    s.start();
    httplib_transport guarded; // default options: public addresses only
    http_request r{.url = s.url("/hook"), .body = "{}"};
    CHECK(guarded.send(r).error() == errc::address_refused);
    r.url = s.url("/hook", "localhost");
    CHECK(guarded.send(r).error() == errc::address_refused);
    r.url = "http://2130706433:" + std::to_string(s.port) + "/hook";
    CHECK(guarded.send(r).error() == errc::invalid_url);
    r.url = "http://0x7f.1:" + std::to_string(s.port) + "/hook";
    CHECK(guarded.send(r).error() == errc::invalid_url);
    CHECK(s.requests.load() == 0);

    httplib_transport allowed(loopback_allowed());
    r.url = s.url("/hook");
    auto res = allowed.send(r);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body_excerpt == "ok");
    CHECK(s.requests.load() == 1);
}

TEST_CASE("transport: requests arrive intact and responses come back whole", "[transport]") {
    test_server s;
    httplib::Request seen;
    s.svr->Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
        seen = req;
        res.set_header("X-Reply", "yes");
        res.set_content(req.body, "application/octet-stream");
    });
    s.start();
    httplib_transport t(loopback_allowed());
    std::string body("{\"a\":1}\0\xff binary", 16);
    http_request r{.url = s.url("/echo?x=1&y=%20"),
                   .headers = {{"Content-Type", "application/json"},
                               {"webhook-id", "msg_1"},
                               {"Content-Length", "999"},
                               {"Transfer-Encoding", "chunked"}},
                   .body = body,
                   .timeout = 10s};
    auto res = t.send(r);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body_excerpt == body);
    CHECK_FALSE(res->body_truncated);
    CHECK(res->headers.get("x-reply") == "yes");
    CHECK(res->latency.count() > 0);
    CHECK(seen.body == body);
    CHECK(seen.get_header_value("Content-Type") == "application/json");
    CHECK(seen.get_header_value("webhook-id") == "msg_1");
    CHECK(seen.get_header_value("Content-Length") == std::to_string(body.size()));
    CHECK_FALSE(seen.has_header("Transfer-Encoding"));
    CHECK(seen.get_header_value("User-Agent") == std::string("hookline/") + HOOKLINE_VERSION_STRING);
    CHECK(seen.get_header_value("Host") == "127.0.0.1:" + std::to_string(s.port));
    CHECK(seen.get_param_value("y") == " ");

    http_request injected{.url = s.url("/echo"), .headers = {{"X-Evil", "a\r\nX-Injected: 1"}}};
    CHECK(t.send(injected).error() == errc::invalid_argument);
    http_request bad_name{.url = s.url("/echo"), .headers = {{"Bad Name", "x"}}};
    CHECK(t.send(bad_name).error() == errc::invalid_argument);
}

TEST_CASE("transport: bodies around the size written with the head arrive intact", "[transport]") {
    test_server s;
    std::vector<std::string> seen;
    std::mutex m;
    s.svr->Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
        {
            std::lock_guard lock(m);
            seen.push_back(req.body);
        }
        res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    s.start();
    httplib_transport t(loopback_allowed());
    // Below, at and above the 64 KiB of body the transport writes together with the request head.
    for (std::size_t size : {std::size_t{65536 - 200}, std::size_t{65536}, std::size_t{300000}}) {
        std::string body(size, '\0');
        for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>('a' + i % 26);
        auto res = t.send({.url = s.url("/echo"), .body = body, .timeout = 10s});
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body_excerpt == std::to_string(size));
        std::lock_guard lock(m);
        REQUIRE_FALSE(seen.empty());
        CHECK(seen.back() == body);
    }
    CHECK(seen.size() == 3);
}

TEST_CASE("transport: error statuses are responses for the retry policy", "[transport]") {
    test_server s;
    s.svr->Post("/500", [](const httplib::Request&, httplib::Response& res) {
        res.status = 500;
        res.set_content("boom", "text/plain");
    });
    s.svr->Post("/429", [](const httplib::Request&, httplib::Response& res) {
        res.status = 429;
        res.set_header("Retry-After", "120");
    });
    s.svr->Post("/410", [](const httplib::Request&, httplib::Response& res) { res.status = 410; });
    s.svr->Post("/302", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/elsewhere"); });
    std::atomic<int> redirected{0};
    s.svr->Post("/elsewhere", [&](const httplib::Request&, httplib::Response&) { ++redirected; });
    s.svr->Get("/elsewhere", [&](const httplib::Request&, httplib::Response&) { ++redirected; });
    s.start();
    httplib_transport t(loopback_allowed());
    standard_schedule policy;

    auto r500 = t.send({.url = s.url("/500"), .body = "{}"});
    REQUIRE(r500);
    CHECK(r500->status == 500);
    CHECK(r500->body_excerpt == "boom");
    CHECK(policy.next(1, {.status = r500->status}).delay == 5s);

    auto r429 = t.send({.url = s.url("/429"), .body = "{}"});
    REQUIRE(r429);
    CHECK(r429->status == 429);
    auto ra = parse_retry_after(r429->headers.get_or("Retry-After", ""), 0);
    CHECK(ra == 120s);
    CHECK(policy.next(1, {.status = 429, .retry_after = ra}).delay == 5min);

    auto r410 = t.send({.url = s.url("/410"), .body = "{}"});
    REQUIRE(r410);
    CHECK(r410->status == 410);
    CHECK(policy.next(1, {.status = 410}).action == retry_action::endpoint_gone);

    auto r302 = t.send({.url = s.url("/302"), .body = "{}"});
    REQUIRE(r302);
    CHECK(r302->status == 302);
    CHECK(r302->headers.get("Location") == "/elsewhere");
    CHECK(redirected.load() == 0);
}

TEST_CASE("transport: a slow server times out within the total timeout", "[transport]") {
    test_server s;
    s.svr->Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
        s.release.wait(10s); // released at teardown
        res.set_content("late", "text/plain");
    });
    s.start();
    httplib_transport t(loopback_allowed());
    auto r = t.send({.url = s.url("/slow"), .body = "{}", .timeout = 300ms});
    CHECK(r.error() == errc::timeout);
    // The options' total timeout applies when the request has none.
    httplib_transport short_default(loopback_allowed({.total_timeout = 300ms}));
    CHECK(short_default.send({.url = s.url("/slow"), .body = "{}"}).error() == errc::timeout);
}

TEST_CASE("transport: a reused connection honours a later request's longer timeout", "[transport]") {
    test_server s;
    s.svr->Post("/fast", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    s.svr->Post("/slowish", [&](const httplib::Request&, httplib::Response& res) {
        s.release.wait(1500ms); // answers after 1.5 s: longer than the first request's whole timeout
        res.set_content("in time", "text/plain");
    });
    s.start();
    httplib_transport t(loopback_allowed());
    REQUIRE(t.send({.url = s.url("/fast"), .body = "{}", .timeout = 500ms}));
    auto r = t.send({.url = s.url("/slowish"), .body = "{}", .timeout = 10s});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body_excerpt == "in time");
    CHECK(s.connections() == 1); // the second request went over the first one's connection
}

TEST_CASE("transport: concurrent slow requests all time out", "[transport]") {
    test_server s;
    s.svr->Post("/slow", [&](const httplib::Request&, httplib::Response&) { s.release.wait(10s); });
    s.start();
    httplib_transport t(loopback_allowed());
    std::atomic<int> timed_out{0};
    std::vector<std::thread> workers;
    workers.reserve(4);
    for (int w = 0; w < 4; ++w)
        workers.emplace_back([&, w] {
            auto timeout = std::chrono::milliseconds(150 + 50 * w);
            if (t.send({.url = s.url("/slow"), .body = "{}", .timeout = timeout}).error() == errc::timeout) ++timed_out;
        });
    for (auto& w : workers) w.join();
    CHECK(timed_out.load() == 4);
}

TEST_CASE("transport: a proxy receives the request for the checked destination", "[transport]") {
    test_server proxy;
    std::string request_target, host;
    proxy.svr->set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
        request_target = req.target;
        host = req.get_header_value("Host");
        res.set_content("via proxy", "text/plain");
        return httplib::Server::HandlerResponse::Handled;
    });
    proxy.start();
    httplib_transport t(loopback_allowed({.proxy_host = "127.0.0.1", .proxy_port = proxy.port}));
    auto r = t.send({.url = "http://127.0.0.1:9/hook?x=1", .body = "{}", .timeout = 10s});
    REQUIRE(r);
    CHECK(r->body_excerpt == "via proxy");
    CHECK(host == "127.0.0.1:9");
    CHECK(request_target == "http://127.0.0.1:9/hook?x=1"); // absolute form, as proxies expect
    // The destination is still checked before anything goes to the proxy.
    httplib_transport guarded({.proxy_host = "127.0.0.1", .proxy_port = proxy.port});
    CHECK(guarded.send({.url = "http://127.0.0.1:9/hook", .body = "{}"}).error() == errc::address_refused);
}

TEST_CASE("transport: a server dripping headers cannot outlast the total timeout", "[transport]") {
    // Each header line arrives well within any per-read timeout; only a whole-request deadline stops it.
    std::atomic<int> drips{0};
    raw_server s([&](int c, gate& release) {
        read_request_head(c);
        if (!send_all(c, "HTTP/1.1 200 OK\r\n")) return;
        for (int i = 0; i < 100 && !release.wait(50ms); ++i) {
            if (!send_all(c, "X-Drip: " + std::to_string(i) + "\r\n")) return;
            ++drips;
        }
        send_all(c, "Content-Length: 0\r\n\r\n");
    });
    httplib_transport t(loopback_allowed());
    auto r = t.send({.url = s.url("/drip"), .body = "{}", .timeout = 400ms});
    CHECK(r.error() == errc::timeout);
    CHECK(drips.load() < 100); // cut off, not served to the end
}

TEST_CASE("transport: a connection reset mid-response is a connection failure", "[transport]") {
    raw_server s([](int c, gate&) {
        read_request_head(c);
        send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\npartial body");
        linger l{1, 0}; // close with RST
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    });
    httplib_transport t(loopback_allowed());
    auto r = t.send({.url = s.url("/reset"), .body = "{}", .timeout = 10s});
    CHECK(r.error() == errc::connection_failed);
}

TEST_CASE("transport: unusual but valid responses are read and the connection reused only when allowed",
          "[transport]") {
    std::vector<std::string> heads;
    std::mutex m;
    auto read_head = [&](int c) {
        auto got = read_request_head(c);
        if (!got) return false;
        std::lock_guard lock(m);
        heads.push_back(got->substr(0, got->find("\r\n\r\n")));
        return true;
    };
    int connection = 0;
    raw_server s(
        [&](int c, gate&) {
            if (connection++ == 0) {
                // An interim response, then a chunked body with a trailer; then, on the same connection,
                // a response that closes it.
                if (!read_head(c)) return;
                if (!send_all(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n"
                                 "\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"))
                    return;
                if (!read_head(c)) return;
                send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
            } else {
                // HTTP/1.0, the body delimited by the end of the connection; then garbage.
                if (!read_head(c)) return;
                send_all(c, "HTTP/1.0 503 Service Unavailable\r\nRetry-After: 3\r\n\r\nbusy, bye");
            }
        },
        3);
    httplib_transport t(loopback_allowed());
    auto a = t.send({.url = s.url("/a"), .body = "{}", .timeout = 10s});
    REQUIRE(a);
    CHECK(a->status == 202);
    CHECK(a->body_excerpt == "abc");
    auto b = t.send({.url = s.url("/b"), .body = "{}", .timeout = 10s});
    REQUIRE(b);
    CHECK(b->status == 200);
    CHECK(b->body_excerpt == "ok");
    auto c = t.send({.url = s.url("/c"), .body = "{}", .timeout = 10s}); // a new connection
    REQUIRE(c);
    CHECK(c->status == 503);
    CHECK(c->headers.get("Retry-After") == "3");
    CHECK(c->body_excerpt == "busy, bye");
    CHECK(connection == 2);
    std::lock_guard lock(m);
    REQUIRE(heads.size() == 3);
    CHECK(heads[0].starts_with("POST /a HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(s.port) + "\r\n"));
    CHECK(heads[0].find("\r\nContent-Length: 2") != std::string::npos);
    CHECK(heads[1].starts_with("POST /b HTTP/1.1\r\n"));
}

TEST_CASE("transport: bytes a kept connection receives unasked are never read as the next response", "[transport]") {
    // The receiver answers, then sends a second, unasked response. The next request must not take
    // it for its own answer (that would report a delivery the receiver never acknowledged): it goes
    // out on a new connection instead, and gets that connection's answer.
    gate answered, stale_sent;
    int connection = 0;
    raw_server s(
        [&](int c, gate&) {
            if (connection++ == 0) {
                read_request_head(c);
                send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst");
                if (!answered.wait(10s)) return;
                send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale");
                stale_sent.release();
            } else {
                read_request_head(c);
                send_all(c, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nfresh");
            }
        },
        2);
    httplib_transport t(loopback_allowed());
    auto first = t.send({.url = s.url("/a"), .body = "{}", .timeout = 10s});
    REQUIRE(first);
    CHECK(first->body_excerpt == "first");
    answered.release();
    REQUIRE(stale_sent.wait(10s)); // on loopback the bytes are queued at the client when send returns
    auto second = t.send({.url = s.url("/b"), .body = "{}", .timeout = 10s});
    REQUIRE(second);
    CHECK(second->status == 500);
    CHECK(second->body_excerpt == "fresh");
    CHECK(connection == 2);
}

TEST_CASE("transport: a kept connection the receiver closed is replaced without failing the request", "[transport]") {
    // The receiver answers with a kept-alive response and then closes the connection while it idles
    // (as servers do after their keep-alive timeout). The next request must go out on a new one.
    int connection = 0;
    gate closed;
    raw_server s(
        [&](int c, gate&) {
            ++connection;
            read_request_head(c);
            send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(connection) + "\r\n\r\n" +
                            std::string(static_cast<std::size_t>(connection), 'x'));
            ::shutdown(c, SHUT_RDWR); // on loopback the FIN is queued at the client when this returns
            closed.release();
        },
        2);
    httplib_transport t(loopback_allowed());
    auto first = t.send({.url = s.url("/a"), .body = "{}", .timeout = 10s});
    REQUIRE(first);
    CHECK(first->body_excerpt == "x");
    REQUIRE(closed.wait(10s));
    auto second = t.send({.url = s.url("/b"), .body = "{}", .timeout = 10s});
    REQUIRE(second);
    CHECK(second->body_excerpt == "xx");
    CHECK(connection == 2);
}

TEST_CASE("transport: HEAD reads no body and framing headers follow the method", "[transport]") {
    std::vector<std::string> heads;
    raw_server s([&](int c, gate&) {
        for (int i = 0; i < 3; ++i) {
            auto got = read_request_head(c);
            if (!got) return;
            heads.push_back(*got);
            // A HEAD answer announces a length but sends no body; the others have empty bodies.
            if (!send_all(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n" + std::string(i == 0 ? "" : "hello")))
                return;
        }
    });
    httplib_transport t(loopback_allowed());
    auto head = t.send({.url = s.url("/h"), .timeout = 10s, .method = "HEAD"});
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->body_excerpt.empty());
    auto get = t.send({.url = s.url("/g"), .timeout = 10s, .method = "GET"}); // the same connection
    REQUIRE(get);
    CHECK(get->body_excerpt == "hello");
    auto post = t.send({.url = s.url("/p"), .timeout = 10s});
    REQUIRE(post);
    CHECK(post->body_excerpt == "hello");
    REQUIRE(heads.size() == 3);
    CHECK(heads[0].starts_with("HEAD /h HTTP/1.1\r\n"));
    CHECK(heads[0].find("Content-Length") == std::string::npos);
    CHECK(heads[1].starts_with("GET /g HTTP/1.1\r\n"));
    CHECK(heads[1].find("Content-Length") == std::string::npos);
    CHECK(heads[2].starts_with("POST /p HTTP/1.1\r\n"));
    CHECK(heads[2].find("\r\nContent-Length: 0\r\n") != std::string::npos);
}

TEST_CASE("transport: a body delimited by the connection's end that stalls times out", "[transport]") {
    raw_server s([](int c, gate& release) {
        read_request_head(c);
        send_all(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npartial");
        release.wait(10s); // stalls until the test ends
    });
    httplib_transport t(loopback_allowed());
    CHECK(t.send({.url = s.url("/stall"), .body = "{}", .timeout = 300ms}).error() == errc::timeout);
}

TEST_CASE("transport: a user agent with a line break is refused", "[transport]") {
    httplib_transport t(loopback_allowed({.user_agent = "hookline\r\nX-Injected: 1"}));
    CHECK(t.send({.url = "http://127.0.0.1:9/", .body = "{}"}).error() == errc::invalid_argument);
}

TEST_CASE("transport: a response that is not HTTP/1.x is a connection failure", "[transport]") {
    raw_server s([](int c, gate&) {
        read_request_head(c);
        send_all(c, "SSH-2.0-OpenSSH_9.2\r\n\r\n");
    });
    httplib_transport t(loopback_allowed());
    CHECK(t.send({.url = s.url("/ssh"), .body = "{}", .timeout = 10s}).error() == errc::connection_failed);
}

TEST_CASE("transport: a server closing before answering is a connection failure", "[transport]") {
    raw_server s([](int c, gate&) { read_request_head(c); });
    httplib_transport t(loopback_allowed());
    CHECK(t.send({.url = s.url("/close"), .body = "{}", .timeout = 10s}).error() == errc::connection_failed);
}

TEST_CASE("transport: a closed port is a connection failure", "[transport]") {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    int port = ntohs(a.sin_port);
    ::close(fd);
    httplib_transport t(loopback_allowed());
    auto r = t.send({.url = "http://127.0.0.1:" + std::to_string(port) + "/", .body = "{}", .timeout = 10s});
    CHECK(r.error() == errc::connection_failed);
}

TEST_CASE("transport: unresolvable hosts are DNS failures", "[transport]") {
    httplib_transport t;
    CHECK(t.send({.url = "http://does-not-exist.invalid/", .body = "{}"}).error() == errc::dns_failure);
    CHECK(t.send({.url = "ftp://example.com/"}).error() == errc::invalid_url);
}

TEST_CASE("transport: endless and oversized bodies are capped", "[transport]") {
    std::atomic<std::size_t> served{0}; // outlives the server, whose thread may still be streaming at the end
    test_server s;
    s.svr->Post("/endless", [&](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/plain", [&](std::size_t, httplib::DataSink& sink) {
            std::string chunk(4096, 'x');
            if (served > (std::size_t{1} << 30) || !sink.write(chunk.data(), chunk.size())) return false;
            served += chunk.size();
            return true;
        });
    });
    s.svr->Post("/big", [](const httplib::Request&, httplib::Response& res) {
        res.status = 500;
        res.set_content(std::string(200000, 'y'), "text/plain");
    });
    s.start();
    httplib_transport t(loopback_allowed({.max_response_body = 1000}));
    auto r = t.send({.url = s.url("/endless"), .body = "{}", .timeout = 10s});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body_truncated);
    CHECK(r->body_excerpt == std::string(1000, 'x'));

    auto big = t.send({.url = s.url("/big"), .body = "{}", .timeout = 10s});
    REQUIRE(big);
    CHECK(big->status == 500);
    CHECK(big->body_truncated);
    CHECK(big->body_excerpt.size() == 1000);

    httplib_transport strict(loopback_allowed({.max_response_body = 1000, .fail_on_large_response = true}));
    CHECK(strict.send({.url = s.url("/endless"), .body = "{}", .timeout = 10s}).error() == errc::response_too_large);

    // The default cap (64 KiB) holds too.
    httplib_transport defaults(loopback_allowed());
    auto d = defaults.send({.url = s.url("/endless"), .body = "{}", .timeout = 10s});
    REQUIRE(d);
    CHECK(d->body_excerpt.size() == std::size_t{64} * 1024);
}

TEST_CASE("transport: keep-alive connections are reused", "[transport]") {
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    s.svr->Post("/fail", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    s.start();
    httplib_transport t(loopback_allowed());
    for (int i = 0; i < 10; ++i) {
        auto r = t.send({.url = s.url(i % 2 ? "/hook" : "/fail"), .body = "{}", .timeout = 10s});
        REQUIRE(r);
    }
    CHECK(s.requests.load() == 10);
    CHECK(s.connections() == 1);

    // Copies share the pool.
    httplib_transport copy = t; // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
    REQUIRE(copy.send({.url = s.url("/hook"), .body = "{}", .timeout = 10s}));
    CHECK(s.connections() == 1);

    // Connections idle longer than idle_timeout, or beyond the pool's size, are not reused.
    httplib_transport no_idle(loopback_allowed({.idle_timeout = 0ms}));
    for (int i = 0; i < 3; ++i) REQUIRE(no_idle.send({.url = s.url("/hook"), .body = "{}", .timeout = 10s}));
    CHECK(s.connections() == 4);
    httplib_transport no_pool(loopback_allowed({.max_idle_total = 0}));
    for (int i = 0; i < 3; ++i) REQUIRE(no_pool.send({.url = s.url("/hook"), .body = "{}", .timeout = 10s}));
    CHECK(s.connections() == 7);
}

TEST_CASE("transport: concurrent senders each get a connection and share the pool", "[transport]") {
    test_server s;
    s.svr->Post("/hook",
                [](const httplib::Request& req, httplib::Response& res) { res.set_content(req.body, "text/plain"); });
    s.start();
    httplib_transport t(loopback_allowed());
    constexpr int threads = 4, per_thread = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (int w = 0; w < threads; ++w)
        workers.emplace_back([&, w] {
            for (int i = 0; i < per_thread; ++i) {
                std::string body = std::to_string(w) + ":" + std::to_string(i);
                auto r = t.send({.url = s.url("/hook"), .body = body, .timeout = 20s});
                if (r && r->status == 200 && r->body_excerpt == body) ++ok;
            }
        });
    for (auto& w : workers) w.join();
    CHECK(ok.load() == threads * per_thread);
    CHECK(s.connections() <= static_cast<std::size_t>(threads) * 2);
}

TEST_CASE("transport: SIGPIPE raised inside send does not kill the process", "[transport]") {
    // No httplib::Server in this test: its constructor would set SIGPIPE to SIG_IGN process-wide.
    auto previous = ::signal(SIGPIPE, SIG_DFL);
    {
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        ::close(sv[1]);
        {
            detail::sigpipe_blocker blocker(true);
            errno = 0;
            auto n = ::write(sv[0], "x", 1); // EPIPE and a SIGPIPE for this thread
            CHECK(n == -1);
            CHECK(errno == EPIPE);
        }
        ::close(sv[0]);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        CHECK(sigismember(&pending, SIGPIPE) == 0);
        sigset_t mask;
        pthread_sigmask(SIG_SETMASK, nullptr, &mask);
        CHECK(sigismember(&mask, SIGPIPE) == 0); // the thread's mask is restored
    }
    ::signal(SIGPIPE, previous);
}

TEST_CASE("transport: a thread that keeps SIGPIPE blocked survives a broken pipe and can discard it", "[transport]") {
    auto previous = ::signal(SIGPIPE, SIG_DFL);
    bool write_failed = false, was_pending = false, still_pending = true, still_blocked = false;
    std::thread worker([&] { // a fresh thread: the mask change stays in it
        detail::block_sigpipe_for_this_thread();
        detail::block_sigpipe_for_this_thread(); // idempotent
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return;
        ::close(sv[1]);
        write_failed = ::write(sv[0], "x", 1) == -1 && errno == EPIPE;
        ::close(sv[0]);
        sigset_t set;
        sigemptyset(&set);
        sigpending(&set);
        was_pending = sigismember(&set, SIGPIPE) == 1;
        detail::consume_pending_sigpipe();
        sigemptyset(&set);
        sigpending(&set);
        still_pending = sigismember(&set, SIGPIPE) == 1;
        pthread_sigmask(SIG_SETMASK, nullptr, &set);
        still_blocked = sigismember(&set, SIGPIPE) == 1;
    });
    worker.join();
    ::signal(SIGPIPE, previous);
    CHECK(write_failed);
    CHECK(was_pending);
    CHECK_FALSE(still_pending);
    CHECK(still_blocked);
}

TEST_CASE("transport: TLS verification is on by default and trusts a given CA", "[transport][tls]") {
    self_signed pki;
    test_server s(std::make_unique<httplib::SSLServer>(pki.cert, pki.key));
    REQUIRE(s.svr->is_valid());
    s.svr->Post("/hook",
                [](const httplib::Request&, httplib::Response& res) { res.set_content("secure", "text/plain"); });
    s.start();
    http_request r{.url = s.url("/hook"), .body = "{}", .timeout = 10s};

    httplib_transport strict(loopback_allowed());
    CHECK(strict.send(r).error() == errc::tls_failure);

    httplib_transport trusting(loopback_allowed({.ca_file = pki.ca_file.string()}));
    auto ok = trusting.send(r);
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(ok->body_excerpt == "secure");

    httplib_transport unverified(loopback_allowed({.verify_tls = false})); // for tests only
    CHECK(unverified.send(r));
}

TEST_CASE("transport: over TLS large and chunked bodies arrive intact on one connection and a slow read times out",
          "[transport][tls]") {
    self_signed pki;
    test_server s(std::make_unique<httplib::SSLServer>(pki.cert, pki.key));
    REQUIRE(s.svr->is_valid());
    std::vector<std::string> seen;
    std::mutex m;
    s.svr->Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
        {
            std::lock_guard lock(m);
            seen.push_back(req.body);
        }
        res.set_content(req.body, "application/octet-stream");
    });
    s.svr->Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
        s.release.wait(10s); // released at teardown
        res.set_content("late", "text/plain");
    });
    s.svr->Post("/chunked", [](const httplib::Request&, httplib::Response& res) {
        res.set_chunked_content_provider("text/plain", [](std::size_t offset, httplib::DataSink& sink) {
            if (offset >= 30000) {
                sink.done();
                return true;
            }
            std::string piece(1000, static_cast<char>('a' + offset / 1000 % 26));
            return sink.write(piece.data(), piece.size());
        });
    });
    s.start();
    httplib_transport t(loopback_allowed({.max_response_body = 1 << 20, .ca_file = pki.ca_file.string()}));
    for (std::size_t size : {std::size_t{10}, std::size_t{70000}, std::size_t{300000}}) {
        std::string body(size, '\0');
        for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>('A' + i % 23);
        auto res = t.send({.url = s.url("/echo"), .body = body, .timeout = 10s});
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body_excerpt == body);
        std::lock_guard lock(m);
        REQUIRE_FALSE(seen.empty());
        CHECK(seen.back() == body);
    }
    auto chunked = t.send({.url = s.url("/chunked"), .body = "{}", .timeout = 10s});
    REQUIRE(chunked);
    REQUIRE(chunked->body_excerpt.size() == 30000);
    CHECK(chunked->body_excerpt.substr(0, 3) == "aaa");
    CHECK(chunked->body_excerpt.substr(29997) == std::string(3, static_cast<char>('a' + 29 % 26)));
    CHECK(s.connections() == 1); // one keep-alive TLS connection served every request
    // A blocked TLS read ends at the total timeout.
    CHECK(t.send({.url = s.url("/slow"), .body = "{}", .timeout = 300ms}).error() == errc::timeout);
}

TEST_CASE("transport: over TLS a body delimited by the connection's end is read with or without close_notify",
          "[transport][tls]") {
    // cpp-httplib's server always frames its bodies; this one ends them by closing, once cleanly
    // (close_notify) and once by dropping the TCP connection. The status is the receiver's answer
    // either way; the excerpt holds what arrived.
    self_signed pki;
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    REQUIRE(ctx);
    REQUIRE(SSL_CTX_use_certificate(ctx, pki.cert) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(ctx, pki.key) == 1);
    int connection = 0;
    raw_server s(
        [&](int c, gate&) {
            const bool clean = connection++ == 0;
            SSL* ssl = SSL_new(ctx);
            SSL_set_fd(ssl, c);
            if (SSL_accept(ssl) == 1) {
                std::string got;
                char buf[1024];
                while (got.find("\r\n\r\n") == std::string::npos && got.size() < 65536) {
                    const int n = SSL_read(ssl, buf, sizeof buf);
                    if (n <= 0) break;
                    got.append(buf, static_cast<std::size_t>(n));
                }
                const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
                SSL_write(ssl, response.data(), static_cast<int>(response.size()));
                if (clean) SSL_shutdown(ssl);
            }
            SSL_free(ssl);
        },
        2);
    httplib_transport t(loopback_allowed({.ca_file = pki.ca_file.string()}));
    const std::string url = "https://127.0.0.1:" + std::to_string(s.port) + "/";
    for (const char* how : {"with close_notify", "without close_notify"}) {
        INFO(how);
        auto r = t.send({.url = url, .body = "{}", .timeout = 10s});
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body_excerpt == "until the end");
    }
    CHECK(connection == 2); // never reused after a body delimited by the connection's end
    SSL_CTX_free(ctx);
}

TEST_CASE("transport: a TLS handshake dripping one byte at a time cannot outlast the total timeout",
          "[transport][tls]") {
    // The peer reads the ClientHello, then sends the start of a ServerHello one byte per 100 ms (each
    // read of the handshake succeeds well inside any per-operation timeout) for up to 10 s. The total
    // timeout must end the request while the peer is still dripping.
    std::atomic<bool> dripping{false}, done_dripping{false};
    raw_server s([&](int c, gate& release) {
        pollfd p{c, POLLIN, 0}; // one read: the ClientHello
        char buf[4096];
        if (::poll(&p, 1, 10000) <= 0 || ::recv(c, buf, sizeof buf, 0) <= 0) return;
        dripping = true;
        const std::string hello("\x16\x03\x03\x00\x7a\x02\x00\x00\x76\x03\x03", 11);
        for (int i = 0; i < 100; ++i) {
            if (!send_all(c, std::string(1, hello[static_cast<std::size_t>(i) % hello.size()]))) break;
            if (release.wait(100ms)) break;
        }
        done_dripping = true;
    });
    httplib_transport t(loopback_allowed());
    const std::string url = "https://127.0.0.1:" + std::to_string(s.port) + "/";
    auto r = t.send({.url = url, .body = "{}", .timeout = 500ms});
    CHECK(r.error() == errc::timeout);
    CHECK(dripping);
    CHECK_FALSE(done_dripping); // it ended at the deadline, not when the peer gave up
}

TEST_CASE("transport: TLS refuses a trusted certificate for another host", "[transport][tls]") {
    self_signed pki("DNS:other.example");
    test_server s(std::make_unique<httplib::SSLServer>(pki.cert, pki.key));
    REQUIRE(s.svr->is_valid());
    s.svr->Post("/hook", [](const httplib::Request&, httplib::Response&) {});
    s.start();
    httplib_transport t(loopback_allowed({.ca_file = pki.ca_file.string()}));
    CHECK(t.send({.url = s.url("/hook"), .body = "{}", .timeout = 10s}).error() == errc::tls_failure);
    CHECK(s.requests.load() == 0);
}

TEST_CASE("transport: mutual TLS presents the client certificate", "[transport][tls]") {
    self_signed server_pki;
    self_signed client_pki("DNS:hookline-client");
    X509_STORE* client_cas = X509_STORE_new(); // owned by the server's SSL_CTX
    X509_STORE_add_cert(client_cas, client_pki.cert);
    test_server s(std::make_unique<httplib::SSLServer>(server_pki.cert, server_pki.key, client_cas));
    REQUIRE(s.svr->is_valid());
    s.svr->Post("/hook",
                [](const httplib::Request&, httplib::Response& res) { res.set_content("mtls", "text/plain"); });
    s.start();
    http_request r{.url = s.url("/hook"), .body = "{}", .timeout = 10s};

    httplib_transport anonymous(loopback_allowed({.ca_file = server_pki.ca_file.string()}));
    auto refused = anonymous.send(r);
    REQUIRE_FALSE(refused);
    // TLS 1.3 completes the client's side of the handshake before the server rejects it, so the
    // rejection can surface while reading the response.
    CHECK((refused.error() == errc::tls_failure || refused.error() == errc::connection_failed));

    httplib_transport with_cert(loopback_allowed({.ca_file = server_pki.ca_file.string(),
                                                  .client_cert_file = client_pki.ca_file.string(),
                                                  .client_key_file = client_pki.key_file.string()}));
    auto ok = with_cert.send(r);
    REQUIRE(ok);
    CHECK(ok->body_excerpt == "mtls");

    httplib_transport missing_key(loopback_allowed({.ca_file = server_pki.ca_file.string(),
                                                    .client_cert_file = client_pki.ca_file.string(),
                                                    .client_key_file = "/nonexistent/key.pem"}));
    CHECK(missing_key.send(r).error() == errc::tls_failure);
}

TEST_CASE("transport: IPv6 literals connect to the checked address", "[transport][ssrf]") {
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request& req, httplib::Response& res) {
        res.set_content(req.get_header_value("Host"), "text/plain");
    });
    s.port = s.svr->bind_to_any_port("::1");
    if (s.port <= 0) {
        WARN("no IPv6 loopback here: skipped");
        return;
    }
    s.thread = test_support::listen_in_background(*s.svr);
    std::string url = "http://[::1]:" + std::to_string(s.port) + "/hook";

    httplib_transport guarded;
    CHECK(guarded.send({.url = url, .body = "{}"}).error() == errc::address_refused);
    httplib_transport allowed({.addresses = address_policy::with_allowed({"::1/128"}).value()});
    auto r = allowed.send({.url = url, .body = "{}", .timeout = 10s});
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body_excerpt == "[::1]:" + std::to_string(s.port));
}

TEST_CASE("transport: every resolved address is checked and the next one tried", "[transport][ssrf]") {
    test_server s;
    s.svr->Post("/hook", [](const httplib::Request& req, httplib::Response& res) {
        res.set_content(req.get_header_value("Host"), "text/plain");
    });
    s.start();
    // A name answering with a public and a loopback address (DNS rebinding, split answers) is refused
    // as a whole, even though the public one alone would pass.
    auto rebinding = [](const std::string&) -> result<std::vector<ip_address>> {
        return std::vector<ip_address>{*ip_address::parse("93.184.216.34"), *ip_address::parse("127.0.0.1")};
    };
    httplib_transport guarded({.resolver = rebinding});
    CHECK(guarded.send({.url = "http://hooks.example:" + std::to_string(s.port) + "/hook"}).error() ==
          errc::address_refused);
    // Two allowed addresses: the first refuses connections, the second answers; the host name
    // stays the request's.
    auto two = [](const std::string&) -> result<std::vector<ip_address>> {
        return std::vector<ip_address>{*ip_address::parse("127.0.0.2"), *ip_address::parse("127.0.0.1")};
    };
    httplib_transport fallback({.addresses = address_policy::with_allowed({"127.0.0.0/8"}).value(), .resolver = two});
    auto r = fallback.send({.url = "http://hooks.example:" + std::to_string(s.port) + "/hook", .timeout = 10s});
    REQUIRE(r);
    CHECK(r->body_excerpt == "hooks.example:" + std::to_string(s.port));
    auto none = [](const std::string&) -> result<std::vector<ip_address>> { return std::vector<ip_address>{}; };
    httplib_transport empty({.resolver = none});
    CHECK(empty.send({.url = "http://hooks.example/"}).error() == errc::dns_failure);
}

TEST_CASE("transport: head and body of a plain HTTP request leave in one segment", "[transport]") {
    // cpp-httplib writes the head and the body separately; the transport writes them at once so the
    // peer gets them together (one wake-up, one trip through TCP). The server's first read after the
    // connection turns readable must hold the whole request, on a new and on a reused connection.
    const std::string body(1000, 'b');
    std::vector<std::string> first_reads;
    raw_server s([&](int c, gate&) {
        for (int i = 0; i < 3; ++i) {
            pollfd p{c, POLLIN, 0};
            if (::poll(&p, 1, 10000) <= 0) return;
            char buf[65536];
            auto n = ::recv(c, buf, sizeof buf, 0);
            if (n <= 0) return;
            std::string got(buf, static_cast<std::size_t>(n));
            // Bounded: read the rest if a request did arrive split, so the test reports it, not hangs.
            const auto head_end = got.find("\r\n\r\n");
            const std::size_t want = got.find("Content-Length: 0") != std::string::npos ? 0 : body.size();
            first_reads.push_back(got);
            while (head_end != std::string::npos && got.size() < head_end + 4 + want) {
                if (::poll(&p, 1, 10000) <= 0) return;
                n = ::recv(c, buf, sizeof buf, 0);
                if (n <= 0) return;
                got.append(buf, static_cast<std::size_t>(n));
            }
            if (!send_all(c, "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")) return;
        }
    });
    httplib_transport t(loopback_allowed());
    REQUIRE(t.send({.url = s.url("/a"), .body = body, .timeout = 10s}).value().status == 204);
    REQUIRE(t.send({.url = s.url("/b"), .body = body, .timeout = 10s}).value().status == 204);
    // An empty body: the head alone arrives whole and is answered.
    REQUIRE(t.send({.url = s.url("/c"), .body = "", .timeout = 10s}).value().status == 204);
    REQUIRE(first_reads.size() == 3);
    for (std::size_t i = 0; i < 2; ++i) {
        INFO("request " << i);
        CHECK(first_reads[i].find("\r\n\r\n" + body) != std::string::npos);
        CHECK(first_reads[i].ends_with(body));
    }
    CHECK(first_reads[2].ends_with("\r\n\r\n"));
}
