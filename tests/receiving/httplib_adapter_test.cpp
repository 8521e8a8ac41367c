// The cpp-httplib adapter, over real loopback HTTP: routing, statuses, 413 before reading the body
// (declared and chunked), keep-alive, and concurrent clients against the asynchronous receiver.
#include "support/adapter_checks.hpp"
#include "support/listen.hpp"

#include <hookline/receiving/httplib_adapter.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;
using test_support::receiver_key;
using test_support::signed_headers;

namespace {
/// A server on 127.0.0.1 with an OS-chosen port, serving on its own thread.
struct test_server {
    httplib::Server server;
    int port = 0;
    std::thread thread;
    template <class Receiver>
    explicit test_server(Receiver& rx) {
        server.set_tcp_nodelay(true);
        mount(server, rx, "/webhooks");
        port = server.bind_to_any_port("127.0.0.1");
        REQUIRE(port > 0);
        thread = test_support::listen_in_background(server);
        REQUIRE(server.is_running());
    }
    ~test_server() {
        server.stop();
        thread.join();
    }
    httplib::Client client() const {
        httplib::Client c("127.0.0.1", port);
        c.set_tcp_nodelay(true);
        return c;
    }
};
} // namespace

TEST_CASE("httplib adapter: signed requests are handled and forged ones refused", "[httplib]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    test_support::type_log log(rx);
    test_server srv(rx);
    auto c = srv.client();
    test_support::check_statuses(c);
    CHECK(log.types() == std::vector<std::string>{"invoice.paid"});
}

TEST_CASE("httplib adapter: an oversized body is refused with 413", "[httplib]") {
    receiver_options opts;
    opts.max_body_size = 1024;
    standard_receiver rx(standard_verifier(receiver_key()), opts);
    std::atomic<int> calls{0};
    rx.on_any([&](const webhook_event&) { ++calls; });
    test_server srv(rx);
    const std::string big(1 << 20, 'x');
    {
        auto c = srv.client();
        auto res = c.Post("/webhooks", signed_headers("msg_big", big), big, "application/json");
        // The server may answer 413 and close before the client finished sending: either the 413 or a
        // broken connection is acceptable, never a dispatch.
        if (res) CHECK(res->status == 413);
    }
    {
        auto c = srv.client();
        std::size_t sent = 0;
        auto res = c.Post(
            "/webhooks",
            [&](std::size_t, httplib::DataSink& sink) {
                if (sent >= big.size()) {
                    sink.done();
                    return true;
                }
                sink.write(big.data() + sent, 4096);
                sent += 4096;
                return true;
            },
            "application/json");
        if (res) CHECK(res->status == 413);
    }
    // The server still works on a new connection.
    auto c = srv.client();
    const std::string body = R"({"type":"small"})";
    auto ok = c.Post("/webhooks", signed_headers("msg_small", body), body, "application/json");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(calls == 1);
}

TEST_CASE("httplib adapter: many keep-alive clients against the asynchronous receiver", "[httplib][async]") {
    receiver_options opts;
    opts.asynchronous = true;
    opts.workers = {.threads = 2, .queue_capacity = 10000};
    std::atomic<int> handled{0};
    std::atomic<int> busy{0};
    opts.observer = [&](const request_info& i) {
        if (i.deferred && i.result == outcome::handled) ++handled;
        if (i.result == outcome::busy) ++busy;
    };
    standard_receiver rx(standard_verifier(receiver_key()), opts);
    rx.on_any([](const webhook_event&) {});
    int accepted = 0;
    {
        test_server srv(rx);
        accepted = test_support::post_from_clients([&] { return srv.client(); });
    }
    rx.wait_idle();
    CHECK(accepted == 100);
    CHECK(handled == 100);
    CHECK(busy == 0);
}

TEST_CASE("httplib adapter: a handler's reply reaches the client", "[httplib][reply]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    test_support::add_reply_handlers(rx);
    test_server srv(rx);
    auto c = srv.client();
    test_support::check_replies(c);
    const std::string ping = R"({"type":"ping"})";
    // The connection stays usable after a 204.
    auto again = c.Post("/webhooks", signed_headers("msg_ping2", ping), ping, "application/json");
    REQUIRE(again);
    CHECK(again->status == 200);
}

TEST_CASE("httplib adapter: requests with more header fields than the stack holds are read whole", "[httplib]") {
    standard_receiver rx{standard_verifier(receiver_key())};
    std::string seen;
    rx.on_any([&](const webhook_event& e) { seen = std::string(e.headers().get_or("X-Extra-39", "")); });
    test_server srv(rx);
    auto c = srv.client();
    const std::string body = R"({"type":"many"})";
    auto headers = signed_headers("msg_many", body);
    for (int i = 0; i < 40; ++i) headers.emplace("X-Extra-" + std::to_string(i), "v" + std::to_string(i));
    auto res = c.Post("/webhooks", headers, body, "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(seen == "v39");
}
