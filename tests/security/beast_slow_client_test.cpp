// Slow clients against the Boost.Beast receiver (issue #17, item 1): connections that send part of a
// request head and then nothing, or trickle it a byte at a time, or stall in the body, are closed at
// the one request deadline, and valid webhooks are answered meanwhile. Every wait is bounded; nothing
// asserts how long anything took.
#include "support/raw_http.hpp"
#include "support/signed_http.hpp"

#include <hookline/receiving/beast_adapter.hpp>
#include <hookline/receiving/receiver.hpp>

#include <catch2/catch.hpp>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace hookline;
using test_support::raw_connection;
using test_support::receiver_key;
using namespace std::chrono_literals;

namespace {
/// Posts one signed webhook on a new connection; its status, or 0 when none came (10 s bound).
int post_valid(int port, const std::string& id) {
    const std::string body = R"({"type":"invoice.paid"})";
    httplib::Client c("127.0.0.1", port);
    c.set_tcp_nodelay(true);
    c.set_connection_timeout(10, 0);
    c.set_read_timeout(10, 0);
    c.set_write_timeout(10, 0);
    auto res = c.Post("/webhooks", test_support::signed_headers(id, body), body, "application/json");
    return res ? res->status : 0;
}

const std::string slow_head = "POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                              "X-Padding: " +
                              std::string(2000, 'p') + "\r\n\r\n";
} // namespace

TEST_CASE("beast_slow_client: stalled heads are cut at the deadline while valid webhooks are answered",
          "[beast][security]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    std::atomic<int> handled{0};
    rx.on_any([&](const webhook_event&) { ++handled; });
    beast_server server({.request_deadline = 300ms});
    mount(server, rx);
    REQUIRE(server.start());

    constexpr int stalled_count = 200;
    std::vector<std::unique_ptr<raw_connection>> stalled;
    for (int i = 0; i < stalled_count; ++i) {
        stalled.push_back(std::make_unique<raw_connection>(server.port()));
        REQUIRE(stalled.back()->send(slow_head.substr(0, 1 + i % 30))); // a few bytes, then nothing
    }
    // Valid webhooks get through while the stalled connections are open (or being cut).
    for (int i = 0; i < 5; ++i) CHECK(post_valid(server.port(), "msg_" + std::to_string(i)) == 200);
    CHECK(handled == 5);
    // Every stalled connection is closed by the server, without a response.
    int closed = 0;
    for (auto& c : stalled) {
        if (c->wait_closed(10s) && c->received.empty()) ++closed;
    }
    CHECK(closed == stalled_count);
    CHECK(server.stats().closed_request_deadline >= static_cast<std::uint64_t>(stalled_count));
}

TEST_CASE("beast_slow_client: a head trickled byte by byte is cut at the deadline, not per byte", "[beast][security]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    beast_server server({.request_deadline = 300ms});
    mount(server, rx);
    REQUIRE(server.start());
    raw_connection c(server.port());
    // One byte, then wait up to 20 ms for the server's close (that wait paces the trickle); repeat.
    // The whole head would take 40 s at this pace: the server must close well before it is sent.
    std::size_t sent = 0;
    bool closed = false;
    const auto bound = std::chrono::steady_clock::now() + 20s;
    while (sent < slow_head.size() && std::chrono::steady_clock::now() < bound) {
        if (!c.send(slow_head.substr(sent, 1))) {
            closed = true; // reset by the server
            break;
        }
        ++sent;
        if (c.readable(20ms)) {
            closed = c.wait_closed(10s);
            break;
        }
    }
    CHECK(closed);
    CHECK(sent < slow_head.size());
    CHECK(c.received.empty());
    CHECK(server.stats().closed_request_deadline == 1);
    // The server still serves.
    CHECK(post_valid(server.port(), "msg_after") == 200);
}

TEST_CASE("beast_slow_client: a body that stalls and a silent connection are cut too", "[beast][security]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    beast_server server({.request_deadline = 300ms, .idle_timeout = 300ms});
    mount(server, rx);
    REQUIRE(server.start());
    raw_connection body(server.port());
    REQUIRE(body.send("POST /webhooks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      "Content-Length: 100\r\n\r\n{\"type\":"));
    raw_connection silent(server.port()); // connects, sends nothing
    CHECK(body.wait_closed(10s));
    CHECK(silent.wait_closed(10s));
    CHECK(body.received.empty());
    CHECK(server.stats().closed_request_deadline == 2);
    // A keep-alive connection that goes quiet after its request is closed at idle_timeout.
    raw_connection idle(server.port());
    REQUIRE(idle.send("GET /webhooks HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto res = idle.read_response();
    REQUIRE(res);
    CHECK(res->status == 405);
    CHECK(idle.wait_closed(10s));
    CHECK(server.stats().closed_idle_timeout == 1);
}

TEST_CASE("beast_slow_client: stalled connections filling the cap are cut and the cap frees again",
          "[beast][security]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    beast_server server({.max_connections = 20, .request_deadline = 300ms});
    mount(server, rx);
    REQUIRE(server.start());
    std::vector<std::unique_ptr<raw_connection>> stalled;
    for (int i = 0; i < 20; ++i) {
        stalled.push_back(std::make_unique<raw_connection>(server.port()));
        REQUIRE(stalled.back()->send(slow_head.substr(0, 5)));
    }
    // The valid webhook waits in the listen queue until the deadline frees a slot, then is served.
    CHECK(post_valid(server.port(), "msg_cap") == 200);
    for (auto& c : stalled) CHECK(c->wait_closed(10s));
    CHECK(server.stats().closed_request_deadline >= 20);
}
