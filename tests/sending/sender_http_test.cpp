// The sender over real HTTP on 127.0.0.1: httplib_transport, Standard Webhooks signatures checked by a
// real receiver, and servers that fail, throttle, vanish, hang or refuse.
#include "support/listen.hpp"
#include "support/sender_doubles.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/transports/curl_transport.hpp>

#include <catch2/catch.hpp>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;
using test_support::manual_clock;
using test_support::recorder;

namespace {
const secret& key() {
    static const secret k = secret::generate().value();
    return k;
}

/// A loopback HTTP server whose routes the test sets; `hold()` makes /slow wait until the server stops.
struct loopback_server {
    httplib::Server server;
    int port = 0;
    std::thread thread;
    std::mutex mutex;
    std::condition_variable cv;
    bool stopping = false;
    std::map<std::string, int> hits;
    std::shared_ptr<recorder> events = std::make_shared<recorder>();

    loopback_server() {
        server.set_tcp_nodelay(true);
        server.set_keep_alive_max_count(1000);
        port = server.bind_to_any_port("127.0.0.1");
        thread = test_support::listen_in_background(server);
        REQUIRE(server.is_running());
    }
    ~loopback_server() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
        }
        cv.notify_all();
        server.stop();
        thread.join();
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
    int count(const std::string& path) {
        return events->read([&] { return hits[path]; });
    }
    void hit(const std::string& path) {
        events->update([&] { ++hits[path]; });
    }
    /// Blocks the handler until the server is torn down (bounded).
    void hold() {
        std::unique_lock lock(mutex);
        cv.wait_for(lock, 10s, [&] { return stopping; });
    }
};

using http_sender = basic_sender<httplib_transport, standard_signer, fixed_schedule, memory_store>;

httplib_transport loopback_transport() {
    return httplib_transport({.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value()});
}

struct outcomes {
    std::shared_ptr<recorder> rec = std::make_shared<recorder>();
    std::shared_ptr<std::vector<attempt_report>> all = std::make_shared<std::vector<attempt_report>>();
    sender_options options(const manual_clock& clock, std::size_t workers = 4) const {
        sender_options o;
        o.workers = workers;
        o.clock = clock;
        auto self = *this;
        o.callbacks.on_attempt = [self](const attempt_report& r) { self.rec->update([&] { self.all->push_back(r); }); };
        return o;
    }
    /// Reports so far with status `s`; call only inside `wait`'s predicate or through `counted`.
    std::size_t count(delivery_status s, const std::string& endpoint = {}) const {
        std::size_t n = 0;
        for (const auto& r : *all) n += r.status == s && (endpoint.empty() || r.endpoint_id == endpoint);
        return n;
    }
    std::size_t counted(delivery_status s, const std::string& endpoint = {}) {
        return rec->read([&] { return count(s, endpoint); });
    }
    /// Waits (bounded) until `pred` holds; `pred` runs under the recorder's lock.
    bool wait(std::function<bool()> pred) {
        return rec->wait([&] { return pred(); });
    }
    attempt_report at(std::size_t i) {
        return rec->read([&] { return all->at(i); });
    }
};

endpoint_config endpoint(const std::string& url, std::chrono::milliseconds timeout = 0ms) {
    endpoint_config c;
    c.url = url;
    c.secrets = {{key(), 0}};
    c.timeout = timeout;
    return c;
}
} // namespace

TEST_CASE("sender over HTTP: a real receiver verifies what it gets", "[sender_http]") {
    loopback_server srv;
    const standard_verifier verifier(key());
    std::atomic<int> verified{0};
    srv.server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
        header_map h;
        for (const auto& [k, v] : req.headers) h.add(k, v);
        auto ok = verifier.verify({.headers = h, .body = req.body});
        if (ok) ++verified;
        res.status = ok ? 204 : 401;
        srv.hit("/hook");
    });
    outcomes out;
    manual_clock clock;
    clock.ms->store(unix_now() * 1000);
    http_sender sender(loopback_transport(), fixed_schedule{}, memory_store{}, out.options(clock));
    REQUIRE(sender.add_endpoint("e", endpoint(srv.url("/hook"))));
    for (int i = 0; i < 50; ++i)
        REQUIRE(sender.send(event{.type = "a.b", .payload = R"({"i":)" + std::to_string(i) + "}"}));
    REQUIRE(out.wait([&] { return out.count(delivery_status::delivered) == 50; }));
    CHECK(verified == 50);
}

TEST_CASE("sender over HTTP: curl_transport carries a sender's deliveries, retries and Retry-After", "[sender_http]") {
    loopback_server srv;
    const standard_verifier verifier(key());
    std::atomic<int> verified{0}, busy{0};
    srv.server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
        header_map h;
        for (const auto& [k, v] : req.headers) h.add(k, v);
        if (verifier.verify({.headers = h, .body = req.body})) ++verified;
        if (busy++ == 0) { // the first attempt is told to come back later
            res.status = 503;
            res.set_header("Retry-After", "0");
        } else {
            res.status = 204;
        }
        srv.hit("/hook");
    });
    outcomes out;
    manual_clock clock;
    clock.ms->store(unix_now() * 1000);
    using curl_sender = basic_sender<curl_transport, standard_signer, fixed_schedule, memory_store>;
    curl_sender sender(curl_transport({.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value()}),
                       fixed_schedule{{0ms, 0ms}}, memory_store{}, out.options(clock));
    REQUIRE(sender.add_endpoint("e", endpoint(srv.url("/hook"))));
    for (int i = 0; i < 20; ++i)
        REQUIRE(sender.send(event{.type = "a.b", .payload = R"({"i":)" + std::to_string(i) + "}"}));
    REQUIRE(out.wait([&] { return out.count(delivery_status::delivered) == 20; }));
    CHECK(out.counted(delivery_status::pending) == 1);
    CHECK(verified == 21);
}

TEST_CASE("sender over HTTP: a standard_sender given an httplib_transport, as in hookline 0.1, delivers with its "
          "options",
          "[sender_http]") {
    loopback_server srv;
    std::atomic<int> hits{0};
    std::string agent;
    srv.server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
        agent = req.get_header_value("User-Agent");
        ++hits;
        res.status = 204;
        srv.hit("/hook");
    });
    outcomes out;
    manual_clock clock;
    // The 0.1 README's sender: the address policy allowing loopback is carried over (without it the
    // default policy would refuse 127.0.0.1).
    standard_sender sender{httplib_transport({.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value()}),
                           standard_schedule{}, memory_store{}, out.options(clock)};
    REQUIRE(sender.add_endpoint("e", endpoint(srv.url("/hook"))));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(out.wait([&] { return out.count(delivery_status::delivered) == 1; }));
    CHECK(hits == 1);
    CHECK(agent.starts_with("hookline/"));
    // And without the option, loopback is refused, as before (a literal address: when it is added).
    outcomes strict_out;
    standard_sender strict{httplib_transport(), standard_schedule{}, memory_store{}, strict_out.options(clock)};
    CHECK(strict.add_endpoint("e", endpoint(srv.url("/hook"))).error() == errc::address_refused);
    CHECK(hits == 1);
}

TEST_CASE("sender over HTTP: 500s are retried until a 2xx and 410 disables", "[sender_http]") {
    loopback_server srv;
    std::atomic<int> n{0};
    srv.server.Post("/flaky",
                    [&](const httplib::Request&, httplib::Response& res) { res.status = ++n < 3 ? 500 : 200; });
    srv.server.Post("/gone", [&](const httplib::Request&, httplib::Response& res) { res.status = 410; });
    outcomes out;
    manual_clock clock;
    http_sender sender(loopback_transport(), fixed_schedule{{0ms, 0ms, 0ms}}, memory_store{}, out.options(clock));
    REQUIRE(sender.add_endpoint("flaky", endpoint(srv.url("/flaky"))));
    REQUIRE(sender.add_endpoint("gone", endpoint(srv.url("/gone"))));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(out.wait([&] {
        return out.count(delivery_status::delivered, "flaky") == 1 && out.count(delivery_status::failed, "gone") == 1;
    }));
    CHECK(out.counted(delivery_status::pending, "flaky") == 2);
    CHECK(sender.endpoint("gone")->state.disabled);
    CHECK(sender.endpoint("gone")->state.disabled_reason == "gone");
}

TEST_CASE("sender over HTTP: 429 Retry-After is honoured", "[sender_http]") {
    loopback_server srv;
    std::atomic<int> n{0};
    srv.server.Post("/busy", [&](const httplib::Request&, httplib::Response& res) {
        if (++n == 1) {
            res.status = 429;
            res.set_header("Retry-After", "30");
        } else {
            res.status = 200;
        }
    });
    outcomes out;
    manual_clock clock;
    http_sender sender(loopback_transport(), fixed_schedule{{0ms, 0ms}}, memory_store{}, out.options(clock));
    REQUIRE(sender.add_endpoint("busy", endpoint(srv.url("/busy"))));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(out.wait([&] { return out.count(delivery_status::pending) == 1; }));
    CHECK(out.at(0).attempt.status == 429);
    CHECK(out.at(0).next_attempt_at >= clock() + 30000);
    clock.advance(30s);
    sender.wake();
    REQUIRE(out.wait([&] { return out.count(delivery_status::delivered) == 1; }));
}

TEST_CASE("sender over HTTP: a hanging endpoint times out while another is served", "[sender_http]") {
    loopback_server srv;
    srv.server.Post("/slow", [&](const httplib::Request&, httplib::Response& res) {
        srv.hit("/slow");
        srv.hold();
        res.status = 200;
    });
    srv.server.Post("/fast", [&](const httplib::Request&, httplib::Response& res) {
        srv.hit("/fast");
        res.status = 200;
    });
    outcomes out;
    manual_clock clock;
    http_sender sender(loopback_transport(), fixed_schedule{}, memory_store{}, out.options(clock, 4));
    auto slow = endpoint(srv.url("/slow"), 300ms);
    slow.max_concurrency = 1;
    REQUIRE(sender.add_endpoint("slow", slow));
    REQUIRE(sender.add_endpoint("fast", endpoint(srv.url("/fast"))));
    for (int i = 0; i < 30; ++i) REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    // Every fast delivery lands; the slow endpoint's attempts end in timeouts, one at a time.
    REQUIRE(out.wait([&] { return out.count(delivery_status::delivered, "fast") == 30; }));
    REQUIRE(out.wait([&] { return out.count(delivery_status::exhausted, "slow") >= 1; }));
    auto reports = out.rec->read([&] { return *out.all; });
    for (const auto& r : reports)
        if (r.endpoint_id == "slow") CHECK(r.attempt.error == errc::timeout);
}

TEST_CASE("sender over HTTP: a closed port is a connection failure and is retried", "[sender_http]") {
    // A port the OS handed out and that nothing listens on any more.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const int port = ntohs(addr.sin_port);
    ::close(fd);
    outcomes out;
    manual_clock clock;
    http_sender sender(loopback_transport(), fixed_schedule{{0ms}}, memory_store{}, out.options(clock));
    REQUIRE(sender.add_endpoint("closed", endpoint("http://127.0.0.1:" + std::to_string(port) + "/x")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(out.wait([&] { return out.count(delivery_status::exhausted) == 1; }));
    CHECK(out.at(0).attempt.error == errc::connection_failed);
    CHECK(out.at(0).status == delivery_status::pending);
}

TEST_CASE("sender over HTTP: loopback is refused unless allow-listed", "[sender_http]") {
    loopback_server srv;
    srv.server.Post("/x", [&](const httplib::Request&, httplib::Response& res) {
        srv.hit("/x");
        res.status = 200;
    });
    outcomes out;
    manual_clock clock;
    // A name that resolves to loopback: the name is checked when the connection is made.
    httplib_transport_options resolving{.resolver = [](const std::string&) -> result<std::vector<ip_address>> {
        return std::vector<ip_address>{*ip_address::parse("127.0.0.1")};
    }};
    http_sender sender(httplib_transport(resolving), fixed_schedule{{0ms, 0ms}}, memory_store{}, out.options(clock));
    // A literal address is checked at once: the endpoint is refused when added.
    CHECK(sender.add_endpoint("literal", endpoint(srv.url("/x"))).error() == errc::address_refused);
    CHECK(sender.endpoint_ids().empty());
    const std::string named = "http://loopback.example:" + std::to_string(srv.port) + "/x";
    REQUIRE(sender.add_endpoint("local", endpoint(named)));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(out.wait([&] { return out.count(delivery_status::exhausted) == 1; }));
    CHECK(out.at(0).attempt.error == errc::address_refused);
    CHECK(out.at(0).attempt.number == 1);
    CHECK(srv.count("/x") == 0);
}

TEST_CASE("sender over HTTP: add_endpoint applies the transport's address policy to literal addresses",
          "[sender_http]") {
    using curl_sender = basic_sender<curl_transport, standard_signer, fixed_schedule, memory_store>;
    manual_clock clock;
    sender_options o;
    o.clock = clock;
    o.logger = nullptr;
    curl_sender curl_default(curl_transport{}, fixed_schedule{}, memory_store{}, o);
    http_sender httplib_default(httplib_transport{}, fixed_schedule{}, memory_store{}, o);
    const auto allow = address_policy::with_allowed({"127.0.0.1/32", "169.254.0.0/16"}).value();
    curl_sender curl_allowing(curl_transport({.addresses = allow}), fixed_schedule{}, memory_store{}, o);
    auto add = [](auto& sender, const std::string& url) {
        auto r = sender.add_endpoint("e", endpoint(url));
        if (r) (void)sender.remove_endpoint("e");
        return r.error();
    };
    const std::error_code ok{};
    const std::error_code refused = errc::address_refused, invalid = errc::invalid_url;
    // Literal addresses the default policy refuses, in every form.
    for (const char* url :
         {"http://127.0.0.1/h", "http://127.0.0.2:8080/h", "https://[::1]/h", "http://0.0.0.0/h", "http://[::]/h",
          "http://[::ffff:127.0.0.1]/h", "http://[::ffff:7f00:1]/h", "http://10.0.0.1/h", "http://172.16.0.1/h",
          "http://192.168.1.1/h", "http://100.64.0.1/h", "http://169.254.169.254/latest/meta-data/",
          "http://169.254.170.2/v2/credentials", "http://100.100.100.200/", "http://[fd00:ec2::254]/",
          "http://[fe80::1]/h", "http://[64:ff9b::7f00:1]/h", "http://[2002:7f00:1::]/h", "http://224.0.0.1/h"}) {
        CAPTURE(url);
        CHECK(add(curl_default, url) == refused);
        CHECK(add(httplib_default, url) == refused);
    }
    // IPv4 in forms resolvers would quietly read as 127.0.0.1: never a valid URL.
    for (const char* url : {"http://2130706433/h", "http://0x7f000001/h", "http://0x7f.1/h", "http://0177.0.0.1/h",
                            "http://127.1/h", "http://127.0.1/h", "http://017700000001/h"}) {
        CAPTURE(url);
        CHECK(add(curl_default, url) == invalid);
        CHECK(add(curl_allowing, url) == invalid);
    }
    // URLs that can never be delivered to.
    for (const char* url :
         {"", "ftp://acme.example/h", "http:///h", "http://user:pw@acme.example/h", "http://acme.example/a\r\nb",
          "http://acme.example/\x01", "http://acme.example:0/h", "http://acme.example:65536/h", "acme.example/h"}) {
        CAPTURE(url);
        CHECK(add(curl_default, url) == invalid);
    }
    // Names are resolved and checked when a connection is made, not here.
    CHECK(add(curl_default, "http://localhost/h") == ok);
    CHECK(add(curl_default, "https://hooks.example.com/h") == ok);
    CHECK(add(curl_default, "http://93.184.216.34/h") == ok);
    // An allow-list lets its networks in; a metadata address needs its own exact entry.
    CHECK(add(curl_allowing, "http://127.0.0.1:8080/h") == ok);
    CHECK(add(curl_allowing, "http://169.254.1.1/h") == ok);
    CHECK(add(curl_allowing, "http://169.254.169.254/h") == refused);
    CHECK(add(curl_allowing, "http://10.0.0.1/h") == refused);
    // Updates are checked the same way.
    REQUIRE(curl_allowing.add_endpoint("kept", endpoint("http://127.0.0.1:8080/h")));
    CHECK(curl_allowing.update_endpoint("kept", endpoint("http://169.254.169.254/h")).error() == errc::address_refused);
    CHECK(curl_allowing.endpoint("kept")->config.url == "http://127.0.0.1:8080/h");
}
