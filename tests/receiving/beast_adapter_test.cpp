// The Boost.Beast server and its receiver adapter, over real loopback HTTP: routing and statuses
// (404/405/413/415/431), keep-alive and pipelining, 100-continue, the connection cap (idle connections
// closed first, accepting paused when none is idle), handlers off the I/O thread, start errors.
#include "support/adapter_checks.hpp"
#include "support/raw_http.hpp"

#include <hookline/receiving/beast_adapter.hpp>
#include <hookline/receiving/receiver.hpp>

#include <catch2/catch.hpp>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;
using test_support::raw_connection;
using test_support::receiver_key;
using test_support::signed_headers;
using namespace std::chrono_literals;

namespace {

/// A signed Standard Webhooks request as raw HTTP/1.1.
std::string signed_request(const std::string& id, const std::string& body, const std::string& path = "/webhooks",
                           const std::string& extra = "") {
    auto h = standard_signer(receiver_key()).sign({.id = id, .body = body, .timestamp = unix_now()}).value();
    std::string out = "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
    for (const auto& f : h) out += f.name + ": " + f.value + "\r\n";
    out += extra + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    return out + body;
}

/// A started server with `rx` mounted at /webhooks.
template <class Receiver>
beast_server started(Receiver& rx, beast_server_options options = {}) {
    beast_server server(std::move(options));
    mount(server, rx, "/webhooks");
    auto ok = server.start();
    REQUIRE(ok);
    REQUIRE(server.port() != 0);
    return server;
}

httplib::Client client_for(const beast_server& server) {
    httplib::Client c("127.0.0.1", server.port());
    c.set_tcp_nodelay(true);
    c.set_read_timeout(10, 0);
    return c;
}

const std::string& invoice = test_support::invoice_body;
} // namespace

TEST_CASE("beast_adapter: signed requests are handled, forged ones and other routes refused", "[beast]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    test_support::type_log log(rx);
    auto server = started(rx);
    auto c = client_for(server);
    const auto replies = test_support::check_statuses(c, "/webhooks?x=1");
    CHECK(replies.ok->body == "200 ok");
    CHECK(replies.not_found->body == "404 not found");
    auto put = c.Put("/webhooks", invoice, "application/json");
    REQUIRE(put);
    CHECK(put->status == 405);
    auto prefix = c.Post("/webhooks/x", invoice, "application/json");
    REQUIRE(prefix);
    CHECK(prefix->status == 404);
    CHECK(log.types() == std::vector<std::string>{"invoice.paid"});
}

TEST_CASE("beast_adapter: a body over the limit is refused with 413 before it is read", "[beast]") {
    standard_receiver rx(standard_verifier(receiver_key()), {.max_body_size = 1024});
    std::atomic<int> calls{0};
    rx.on_any([&](const webhook_event&) { ++calls; });
    auto server = started(rx);
    CHECK(server.options().max_body_bytes == 1024);
    {
        // Declared: answered from the head alone, the (never sent) body is not waited for.
        raw_connection conn(server.port());
        REQUIRE(conn.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Content-Length: 100000000\r\n\r\n"));
        auto res = conn.read_response();
        REQUIRE(res);
        CHECK(res->status == 413);
        CHECK(conn.wait_closed());
    }
    {
        // Chunked: cut off at the limit.
        raw_connection conn(server.port());
        REQUIRE(conn.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n"));
        const std::string chunk = "400\r\n" + std::string(1024, 'x') + "\r\n";
        REQUIRE(conn.send(chunk));
        conn.send(chunk); // may fail once the server answered and closed
        auto res = conn.read_response();
        REQUIRE(res);
        CHECK(res->status == 413);
        CHECK(conn.wait_closed());
    }
    {
        // 413 on another path is a 404: the path is checked first.
        raw_connection conn(server.port());
        REQUIRE(conn.send("POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"));
        auto res = conn.read_response();
        REQUIRE(res);
        CHECK(res->status == 404);
    }
    // A body within the limit still works.
    raw_connection conn(server.port());
    REQUIRE(conn.send(signed_request("msg_small", invoice)));
    auto res = conn.read_response();
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(calls == 1);
    CHECK(server.stats().refused_body_too_large == 3);
}

TEST_CASE("beast_adapter: a head over max_header_bytes is refused with 431", "[beast]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    auto server = started(rx, {.max_header_bytes = 2048});
    raw_connection conn(server.port());
    REQUIRE(conn.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n"));
    auto res = conn.read_response();
    REQUIRE(res);
    CHECK(res->status == 431);
    CHECK(conn.wait_closed());
    CHECK(server.stats().refused_header_too_large == 1);
    // Garbage is a 400.
    raw_connection bad(server.port());
    REQUIRE(bad.send("NOT HTTP AT ALL\r\n\r\n"));
    auto res2 = bad.read_response();
    REQUIRE(res2);
    CHECK(res2->status == 400);
    CHECK(bad.wait_closed());
    CHECK(server.stats().refused_bad_request == 1);
}

TEST_CASE("beast_adapter: keep-alive, pipelining and 100-continue on one connection", "[beast]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    std::atomic<int> calls{0};
    rx.on_any([&](const webhook_event&) { ++calls; });
    auto server = started(rx);
    raw_connection conn(server.port());
    REQUIRE(conn.send(signed_request("msg_1", invoice)));
    auto first = conn.read_response();
    REQUIRE(first);
    CHECK(first->status == 200);
    REQUIRE(conn.send(signed_request("msg_2", invoice) + signed_request("msg_3", invoice))); // pipelined
    auto second = conn.read_response();
    auto third = conn.read_response();
    REQUIRE(second);
    REQUIRE(third);
    CHECK(second->status == 200);
    CHECK(third->status == 200);
    // Expect: 100-continue: the head alone gets "100 Continue", then the body is read.
    const std::string full = signed_request("msg_4", invoice, "/webhooks", "Expect: 100-continue\r\n");
    const auto head_end = full.find("\r\n\r\n") + 4;
    REQUIRE(conn.send(full.substr(0, head_end)));
    auto cont = conn.read_response();
    REQUIRE(cont);
    CHECK(cont->status == 100);
    REQUIRE(conn.send(full.substr(head_end)));
    auto fourth = conn.read_response();
    REQUIRE(fourth);
    CHECK(fourth->status == 200);
    CHECK(calls == 4);
    // "Connection: close" is honoured.
    REQUIRE(conn.send(signed_request("msg_5", invoice, "/webhooks", "Connection: close\r\n")));
    auto last = conn.read_response();
    REQUIRE(last);
    CHECK(last->status == 200);
    CHECK(conn.wait_closed());
    const auto s = server.stats();
    CHECK(s.connections_accepted == 1);
    CHECK(s.responses == 5);
}

TEST_CASE("beast_adapter: at the connection cap the oldest idle connection is closed first", "[beast]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    rx.on_any([](const webhook_event&) {});
    auto server = started(rx, {.max_connections = 2, .idle_timeout = 60s});
    raw_connection a(server.port());
    REQUIRE(a.send(signed_request("msg_a", invoice)));
    REQUIRE(a.read_response());
    raw_connection b(server.port());
    REQUIRE(b.send(signed_request("msg_b", invoice)));
    REQUIRE(b.read_response());
    // Both idle; a third connection makes the server close `a`, the oldest idle one.
    raw_connection c(server.port());
    REQUIRE(c.send(signed_request("msg_c", invoice)));
    auto rc = c.read_response();
    REQUIRE(rc);
    CHECK(rc->status == 200);
    CHECK(a.wait_closed());
    CHECK(server.stats().closed_for_capacity == 1);
    // `b` kept its connection (it is now the oldest idle one, so a fourth would close it).
    REQUIRE(b.send(signed_request("msg_b2", invoice)));
    auto rb = b.read_response();
    REQUIRE(rb);
    CHECK(rb->status == 200);
    CHECK(server.stats().connections_open <= 2);
}

TEST_CASE("beast_adapter: at the cap with no idle connection, accepting waits until one frees", "[beast]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    rx.on_any([](const webhook_event&) {});
    auto server = started(rx, {.max_connections = 1, .idle_timeout = 60s});
    raw_connection a(server.port());
    const std::string req_a = signed_request("msg_a", invoice);
    REQUIRE(a.send(req_a.substr(0, 20))); // busy: a request under way
    raw_connection b(server.port());      // waits in the listen queue
    REQUIRE(b.send(signed_request("msg_b", invoice)));
    // `a` finishes; once idle it is the one closed to let `b` in.
    REQUIRE(a.send(req_a.substr(20)));
    auto ra = a.read_response();
    REQUIRE(ra);
    CHECK(ra->status == 200);
    auto rb = b.read_response();
    REQUIRE(rb);
    CHECK(rb->status == 200);
    CHECK(a.wait_closed());
    const auto s = server.stats();
    CHECK(s.accept_paused >= 1);
    CHECK(s.closed_for_capacity == 1);
    CHECK(s.connections_accepted == 2);
}

TEST_CASE("beast_adapter: a blocked handler does not hold up other connections", "[beast]") {
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    bool entered = false;
    standard_receiver rx{standard_verifier(receiver_key())};
    rx.on("block", [&](const webhook_event&) {
        std::unique_lock lock(m);
        entered = true;
        cv.notify_all();
        cv.wait_for(lock, 20s, [&] { return release; });
    });
    rx.on_any([](const webhook_event&) {});
    auto server = started(rx, {.workers = {.threads = 2, .queue_capacity = 16}});
    raw_connection blocked(server.port());
    REQUIRE(blocked.send(signed_request("msg_block", R"({"type":"block"})")));
    {
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, 10s, [&] { return entered; }));
    }
    raw_connection other(server.port());
    REQUIRE(other.send(signed_request("msg_other", invoice)));
    auto r = other.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    auto rb = blocked.read_response();
    REQUIRE(rb);
    CHECK(rb->status == 200);
}

TEST_CASE("beast_adapter: many keep-alive clients against the asynchronous receiver", "[beast][async]") {
    receiver_options opts;
    opts.asynchronous = true;
    opts.workers = {.threads = 2, .queue_capacity = 10000};
    std::atomic<int> handled{0};
    opts.observer = [&](const request_info& i) {
        if (i.deferred && i.result == outcome::handled) ++handled;
    };
    standard_receiver rx(standard_verifier(receiver_key()), opts);
    rx.on_any([](const webhook_event&) {});
    int ok = 0;
    {
        auto server = started(rx, {.io_threads = 2});
        ok = test_support::post_from_clients([&] {
            auto c = client_for(server);
            c.set_keep_alive(true);
            return c;
        });
        CHECK(server.stats().connections_accepted == 4);
        server.stop();
        server.stop(); // idempotent
    }
    rx.wait_idle();
    CHECK(ok == 100);
    CHECK(handled == 100);
}

TEST_CASE("beast_adapter: a handler's reply and a 204 reach the client", "[beast]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    test_support::add_reply_handlers(rx);
    auto server = started(rx, {.inline_handlers = true});
    auto c = client_for(server);
    test_support::check_replies(c);
}

TEST_CASE("beast_adapter: start reports errors instead of throwing", "[beast]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    auto first = started(rx);
    beast_server second({.port = first.port()});
    mount(second, rx);
    auto in_use = second.start();
    REQUIRE_FALSE(in_use);
    CHECK(in_use.error() == std::errc::address_in_use);
    beast_server bad({.address = "not an address"});
    mount(bad, rx);
    CHECK(bad.start().error() == errc::invalid_argument);
    beast_server no_handler;
    CHECK(no_handler.start().error() == errc::invalid_argument);
    CHECK(first.start().error() == errc::invalid_argument); // already started
}
