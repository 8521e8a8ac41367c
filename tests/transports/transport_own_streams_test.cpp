// The transport with HOOKLINE_HTTPLIB_OWN_STREAMS: cpp-httplib writes the request and reads the
// response itself, instead of hookline's own HTTP/1.1 exchange (an escape hatch, the path for other
// cpp-httplib versions, and the baseline of benchmarks/sender). Its own binary, so the macro holds
// for the whole program.
#define HOOKLINE_HTTPLIB_OWN_STREAMS
#include "support/listen.hpp"

#include <hookline/transports/httplib_transport.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <string>

using namespace hookline;
using namespace std::chrono_literals;

TEST_CASE("transport_own_streams: requests and responses go through cpp-httplib's own streams", "[transport]") {
    STATIC_REQUIRE_FALSE(detail::own_exchange_supported);
    httplib::Server server;
    std::mutex m;
    std::string seen;
    server.Post("/echo", [&](const httplib::Request& req, httplib::Response& res) {
        {
            std::lock_guard lock(m);
            seen = req.body;
        }
        res.set_content("got " + std::to_string(req.body.size()), "text/plain");
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    auto thread = test_support::listen_in_background(server);
    httplib_transport t({.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value()});
    const std::string body(100000, 'z');
    for (int i = 0; i < 2; ++i) {
        auto r = t.send({.url = "http://127.0.0.1:" + std::to_string(port) + "/echo", .body = body, .timeout = 10s});
        REQUIRE(r);
        CHECK(r->status == 200);
        CHECK(r->body_excerpt == "got 100000");
        std::lock_guard lock(m);
        CHECK(seen == body);
    }
    server.stop();
    thread.join();
}
