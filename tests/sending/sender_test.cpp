// The delivery engine against a scripted transport and a manual clock: fan-out, filters, signing,
// retries, exhaustion, 410, endpoint health, isolation of a hanging endpoint, stop, replay. Built twice:
// with the blocking fake_transport (suite "sender"), and by async_sender_test.cpp with the asynchronous
// async_fake_transport (suite "async_sender"), so both of the sender's attempt paths pass every case.
#include "support/sender_doubles.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/signing/schemes.hpp>
#include <hookline/stores/memory_store.hpp>

#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <functional>
#include <random>
#include <set>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#ifndef SENDER_SUITE
#define SENDER_SUITE "sender"
#define SENDER_TRANSPORT test_support::fake_transport
#endif

using namespace hookline;
using namespace std::chrono_literals;
using fake_transport = SENDER_TRANSPORT;
using test_support::manual_clock;
using test_support::recorder;

namespace {
using test_sender = basic_sender<fake_transport, standard_signer, fixed_schedule, memory_store>;

const secret& key() {
    static const secret k = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    return k;
}

endpoint_config config(std::string url, std::vector<std::string> types = {}) {
    endpoint_config c;
    c.url = std::move(url);
    c.secrets = {{key(), 0}};
    c.event_types = std::move(types);
    return c;
}

/// Callback tallies shared with the test.
struct tally {
    std::shared_ptr<recorder> rec = std::make_shared<recorder>();
    std::shared_ptr<std::vector<attempt_report>> attempts = std::make_shared<std::vector<attempt_report>>();
    std::shared_ptr<std::vector<attempt_report>> delivered = std::make_shared<std::vector<attempt_report>>();
    std::shared_ptr<std::vector<attempt_report>> exhausted = std::make_shared<std::vector<attempt_report>>();
    std::shared_ptr<std::vector<std::pair<std::string, std::string>>> disabled =
        std::make_shared<std::vector<std::pair<std::string, std::string>>>();

    sender_callbacks callbacks() const {
        auto self = *this;
        return {[self](const attempt_report& r) { self.rec->update([&] { self.attempts->push_back(r); }); },
                [self](const attempt_report& r) { self.rec->update([&] { self.delivered->push_back(r); }); },
                [self](const attempt_report& r) { self.rec->update([&] { self.exhausted->push_back(r); }); },
                [self](const std::string& id, const std::string& why) {
                    self.rec->update([&] { self.disabled->emplace_back(id, why); });
                }};
    }
    bool wait_attempts(std::size_t n) {
        return rec->wait([&] { return attempts->size() >= n; });
    }
    bool wait_delivered(std::size_t n) {
        return rec->wait([&] { return delivered->size() >= n; });
    }
    bool wait_exhausted(std::size_t n) {
        return rec->wait([&] { return exhausted->size() >= n; });
    }
    /// Waits until `n` deliveries to `endpoint_id` succeeded.
    bool wait_delivered_to(const std::string& endpoint_id, int n) {
        return rec->wait([&] {
            int got = 0;
            for (const auto& d : *delivered) got += d.endpoint_id == endpoint_id;
            return got >= n;
        });
    }
};

sender_options options(const manual_clock& clock, const tally& t, std::size_t workers = 4) {
    sender_options o;
    o.workers = workers;
    o.clock = clock;
    o.callbacks = t.callbacks();
    return o;
}
} // namespace

TEST_CASE(SENDER_SUITE ": fans an event out to every subscribed endpoint and only those", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("all", config("http://a/all")));
    REQUIRE(sender.add_endpoint("invoices", config("http://a/invoices", {"invoice.*"})));
    REQUIRE(sender.add_endpoint("paid", config("http://a/paid", {"invoice.paid"})));
    REQUIRE(sender.add_endpoint("users", config("http://a/users", {"user.created"})));
    auto c = config("http://a/eu");
    c.channels = {"eu"};
    REQUIRE(sender.add_endpoint("eu", c));

    auto r = sender.send(event{.type = "invoice.paid", .payload = R"({"n":1})"});
    REQUIRE(r);
    CHECK(r->deliveries == 3);
    REQUIRE(t.wait_delivered(3));
    auto r2 = sender.send(event{.type = "user.created", .payload = "{}", .channels = {"eu"}});
    REQUIRE(r2);
    CHECK(r2->deliveries == 3); // all, users, eu
    REQUIRE(t.wait_delivered(6));
    CHECK(net.count("http://a/all") == 2);
    CHECK(net.count("http://a/invoices") == 1);
    CHECK(net.count("http://a/paid") == 1);
    CHECK(net.count("http://a/users") == 1);
    CHECK(net.count("http://a/eu") == 1);
}

TEST_CASE(SENDER_SUITE ": channels reach exactly their endpoints, as endpoints are updated and removed", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    auto on = [](std::string url, std::vector<std::string> channels) {
        auto c = config(std::move(url));
        c.channels = std::move(channels);
        return c;
    };
    REQUIRE(sender.add_endpoint("ab", on("http://a/ab", {"a", "b"})));
    REQUIRE(sender.add_endpoint("b", on("http://a/b", {"b"})));
    REQUIRE(sender.add_endpoint("none", config("http://a/none")));
    CHECK(sender.send(event{.type = "x", .payload = "{}", .channels = {"a", "b"}})->deliveries == 3); // ab once
    CHECK(sender.send(event{.type = "x", .payload = "{}", .channels = {"z"}})->deliveries == 1);      // none
    CHECK(sender.send(event{.type = "x", .payload = "{}"})->deliveries == 1);                         // none
    REQUIRE(sender.update_endpoint("b", on("http://a/b", {"c"})));
    CHECK(sender.send(event{.type = "x", .payload = "{}", .channels = {"b"}})->deliveries == 2); // ab, none
    CHECK(sender.send(event{.type = "x", .payload = "{}", .channels = {"c"}})->deliveries == 2); // b, none
    REQUIRE(sender.remove_endpoint("ab"));
    CHECK(sender.send(event{.type = "x", .payload = "{}", .channels = {"a"}})->deliveries == 1); // none
    REQUIRE(sender.add_endpoint("ab", on("http://a/ab", {"a"})));
    CHECK(sender.send(event{.type = "x", .payload = "{}", .channels = {"a"}})->deliveries == 2); // ab, none
    REQUIRE(t.wait_delivered(12));
    CHECK(net.count("http://a/ab") == 3);
    CHECK(net.count("http://a/b") == 2);
    CHECK(net.count("http://a/none") == 7);
}

TEST_CASE(SENDER_SUITE ": requests are signed POST bodies a receiver can verify", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    auto c = config("http://a/hook");
    c.headers.add("X-Tenant", "acme");
    REQUIRE(sender.add_endpoint("e", c));
    REQUIRE(sender.send(event{.type = "invoice.paid", .payload = R"({"amount":42})", .id = "msg_fixed"}));
    REQUIRE(t.wait_delivered(1));
    auto reqs = net.requests();
    REQUIRE(reqs.size() == 1);
    const auto& h = reqs[0].headers;
    CHECK(reqs[0].body == R"({"amount":42})");
    CHECK(h.get("Content-Type") == "application/json");
    CHECK(h.get("User-Agent").value_or("").starts_with("hookline/"));
    CHECK(h.get("X-Tenant") == "acme");
    CHECK(h.get("webhook-id") == "msg_fixed");
    CHECK(h.get("webhook-timestamp") == std::to_string(clock() / 1000));
    standard_verifier v(key());
    CHECK(v.verify({.headers = h, .body = reqs[0].body}, clock() / 1000));
}

TEST_CASE(SENDER_SUITE ": the JSON convenience wraps data as type and timestamp and data", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("e", config("http://a/hook")));
    REQUIRE(sender.send("user.created", nlohmann::json{{"id", 7}}));
    REQUIRE(t.wait_delivered(1));
    auto body = nlohmann::json::parse(net.requests().at(0).body);
    CHECK(body["type"] == "user.created");
    CHECK(body["data"]["id"] == 7);
    CHECK(body["timestamp"].get<std::string>().ends_with("Z"));
}

TEST_CASE(SENDER_SUITE ": failures are retried on schedule with the same id and a fresh timestamp", "[sender]") {
    fake_transport net;
    net.on("http://a/flaky", [](const test_support::seen_request&, int nth) {
        return http_response{nth < 3 ? 500 : 200, {}, nth < 3 ? "boom" : "ok", {}};
    });
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{5s, 30s, 60s}}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("flaky", config("http://a/flaky")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}", .id = "msg_retry"}));

    REQUIRE(t.wait_attempts(1));
    auto first = t.rec->read([&] { return t.attempts->at(0); });
    CHECK(first.status == delivery_status::pending);
    CHECK(first.attempt.status == 500);
    CHECK(first.attempt.response_excerpt == "boom");
    REQUIRE(first.next_attempt_at == clock() + 5000);

    // Not due yet: nothing happens until the clock reaches the retry time.
    clock.advance(4999ms);
    sender.wake();
    clock.advance(1ms);
    sender.wake();
    REQUIRE(t.wait_attempts(2));
    CHECK(t.rec->read([&] { return t.attempts->at(1).next_attempt_at; }) == clock() + 30000);
    clock.advance(30s);
    sender.wake();
    REQUIRE(t.wait_delivered(1));
    CHECK(net.count("http://a/flaky") == 3);
    auto reqs = net.requests();
    for (const auto& r : reqs) CHECK(r.headers.get("webhook-id") == "msg_retry");
    CHECK(reqs[0].headers.get("webhook-timestamp") != reqs[2].headers.get("webhook-timestamp"));

    auto ds = sender.deliveries({.message_id = "msg_retry"}).value();
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].status == delivery_status::delivered);
    CHECK(ds[0].attempts == 3);
    CHECK(sender.attempts(ds[0].id).value().size() == 3);
}

TEST_CASE(SENDER_SUITE ": a message that exhausts its retries is reported and kept", "[sender]") {
    fake_transport net;
    net.answer("http://a/down", 503);
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{1s}}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("down", config("http://a/down")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}", .id = "msg_x"}));
    REQUIRE(t.wait_attempts(1));
    clock.advance(1s);
    sender.wake();
    REQUIRE(t.wait_exhausted(1));
    auto r = t.rec->read([&] { return t.exhausted->at(0); });
    CHECK(r.message_id == "msg_x");
    CHECK(r.status == delivery_status::exhausted);
    CHECK(r.attempt.number == 2);
    CHECK(sender.deliveries({.statuses = {delivery_status::exhausted}}).value().size() == 1);
    CHECK(sender.endpoint("down")->state.exhausted_count == 1);
}

TEST_CASE(SENDER_SUITE ": 410 Gone disables the endpoint and is not retried", "[sender]") {
    fake_transport net;
    net.answer("http://a/gone", 410);
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{1s, 1s}}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("gone", config("http://a/gone")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_exhausted(1));
    CHECK(t.rec->read([&] { return t.exhausted->at(0).status; }) == delivery_status::failed);
    REQUIRE(t.rec->wait([&] { return !t.disabled->empty(); }));
    CHECK(t.rec->read([&] { return t.disabled->at(0); }) == std::pair<std::string, std::string>{"gone", "gone"});
    CHECK(sender.endpoint("gone")->state.disabled);
    auto again = sender.send(event{.type = "a.b", .payload = "{}"});
    CHECK(again->deliveries == 0);
    CHECK(net.count("http://a/gone") == 1);
}

TEST_CASE(SENDER_SUITE ": an endpoint failing longer than disable_after is disabled", "[sender]") {
    fake_transport net;
    net.answer("http://a/bad", 500);
    manual_clock clock;
    tally t;
    auto o = options(clock, t);
    o.disable_after = std::chrono::hours(1);
    test_sender sender(net, fixed_schedule{{std::chrono::minutes(40), std::chrono::minutes(40)}}, memory_store{}, o);
    REQUIRE(sender.add_endpoint("bad", config("http://a/bad")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_attempts(1));
    clock.advance(std::chrono::minutes(40));
    sender.wake();
    REQUIRE(t.wait_attempts(2));
    CHECK_FALSE(sender.endpoint("bad")->state.disabled);
    clock.advance(std::chrono::minutes(40));
    sender.wake();
    REQUIRE(t.rec->wait([&] { return !t.disabled->empty(); }));
    CHECK(t.rec->read([&] { return t.disabled->at(0).second; }) == "failing");
    // Enabling resets the streak.
    REQUIRE(sender.enable_endpoint("bad"));
    CHECK(sender.endpoint("bad")->state.failing_since == 0);
}

TEST_CASE(SENDER_SUITE ": sending the same id twice is a no-op", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("e", config("http://a/e")));
    auto first = sender.send(event{.type = "a.b", .payload = "{}", .id = "msg_once"});
    auto second = sender.send(event{.type = "a.b", .payload = "{}", .id = "msg_once"});
    REQUIRE(first);
    REQUIRE(second);
    CHECK_FALSE(first->duplicate);
    CHECK(second->duplicate);
    CHECK(second->deliveries == 0);
    REQUIRE(t.wait_delivered(1));
    CHECK(sender.deliveries({.message_id = "msg_once"}).value().size() == 1);
}

TEST_CASE(SENDER_SUITE ": a hanging endpoint does not hold up the others", "[sender]") {
    fake_transport net;
    net.block("http://a/hang");
    manual_clock clock;
    tally t;
    auto o = options(clock, t, 4);
    o.slow_start = false; // the hanging endpoint gets its whole limit at once
    test_sender sender(net, fixed_schedule{}, memory_store{}, o);
    auto hang = config("http://a/hang");
    hang.max_concurrency = 2;
    REQUIRE(sender.add_endpoint("hang", hang));
    REQUIRE(sender.add_endpoint("fast", config("http://a/fast")));
    for (int i = 0; i < 20; ++i) REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    // All 20 reach the healthy endpoint while the hanging one holds only its two slots.
    REQUIRE(t.wait_delivered_to("fast", 20));
    // The hanging endpoint fills its two slots and no more.
    REQUIRE(net.events->wait([&] { return net.count("http://a/hang") == 2; }));
    CHECK(net.max_in_flight("http://a/hang") == 2);
    CHECK(sender.endpoint("hang")->in_flight == 2);
    net.unblock();
    REQUIRE(t.wait_delivered(40));
    CHECK(net.max_in_flight("http://a/hang") == 2);
}

TEST_CASE(SENDER_SUITE ": work put in the store behind the sender's back reaches an idle endpoint", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    auto o = options(clock, t);
    o.max_idle = 20ms;  // the idle poll's period
    memory_store store; // copies share their state: the test writes to the sender's store
    test_sender sender(net, fixed_schedule{}, store, o);
    REQUIRE(sender.add_endpoint("quiet", config("http://a/quiet", {"a.b"})));
    REQUIRE(sender.add_endpoint("other", config("http://a/other", {"other"})));
    // A round has run (the delivery to "other" went through one): "quiet" found nothing and is idle.
    REQUIRE(sender.send(event{.type = "other", .payload = "{}"}));
    REQUIRE(t.wait_delivered_to("other", 1));
    const std::vector<std::string> quiet = {"quiet"};
    REQUIRE(
        store.insert_message({"msg_behind", "a.b", std::make_shared<const std::string>("{}"), clock()}, quiet, clock())
            .value());
    REQUIRE(t.wait_delivered_to("quiet", 1)); // no send, no wake: the poll found it
    CHECK(t.delivered->back().message_id == "msg_behind");
    CHECK(net.count("http://a/quiet") == 1);
    CHECK(net.count("http://a/other") == 1);
}

TEST_CASE(SENDER_SUITE ": slow start: one request until the endpoint answers, then up to its limit, and back to "
                       "one when an attempt brings no response",
          "[sender]") {
    fake_transport net;
    net.block("http://a/e");
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{1s}}, memory_store{}, options(clock, t, 8));
    auto c = config("http://a/e");
    c.max_concurrency = 4;
    REQUIRE(sender.add_endpoint("e", c));
    CHECK(sender.endpoint("e")->window == 1);
    for (int i = 0; i < 10; ++i) REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(net.events->wait([&] { return net.count("http://a/e") == 1; }));
    CHECK(sender.endpoint("e")->in_flight == 1); // it has not answered yet: one request, held
    net.unblock();
    REQUIRE(t.wait_delivered(10));
    CHECK(sender.endpoint("e")->window == 4); // one more slot per response, up to the limit
    CHECK(net.max_in_flight("http://a/e") <= 4);
    net.on("http://a/e", [](const test_support::seen_request&, int) -> result<http_response> { return errc::timeout; });
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_attempts(11));
    CHECK(sender.endpoint("e")->window == 1);
}

TEST_CASE(SENDER_SUITE ": the per-endpoint concurrency limit holds under load", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t, 8));
    auto c = config("http://a/limited");
    c.max_concurrency = 3;
    REQUIRE(sender.add_endpoint("limited", c));
    for (int i = 0; i < 200; ++i) REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_delivered(200));
    CHECK(net.max_in_flight("http://a/limited") <= 3);
}

TEST_CASE(SENDER_SUITE ": stop hands back what is still in flight at the deadline", "[sender]") {
    fake_transport net;
    net.block("http://a/hang");
    manual_clock clock;
    tally t;
    memory_store store;
    auto sender = std::make_unique<test_sender>(net, fixed_schedule{}, store, options(clock, t));
    REQUIRE(sender->add_endpoint("hang", config("http://a/hang")));
    REQUIRE(sender->send(event{.type = "a.b", .payload = "{}", .id = "msg_stuck"}));
    REQUIRE(net.events->wait([&] { return net.count("http://a/hang") == 1; }));
    auto report = sender->stop(50ms); // returns at the deadline although the request still hangs
    CHECK(report.handed_back == 1);
    CHECK(sender->send(event{.type = "a.b", .payload = "{}"}).error() == errc::stopped);
    auto ds = store.list_deliveries({.message_id = "msg_stuck"}).value();
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].status == delivery_status::pending);
    net.unblock();
    sender.reset();                                              // joins the worker once its request returns
    CHECK(t.rec->read([&] { return t.attempts->size(); }) == 0); // its outcome was not recorded
    CHECK(store.list_deliveries({.message_id = "msg_stuck"}).value().at(0).status == delivery_status::pending);
}

TEST_CASE(SENDER_SUITE ": a restarted sender delivers what the store holds", "[sender]") {
    fake_transport net;
    net.block("http://a/e");
    manual_clock clock;
    memory_store store;
    {
        tally t;
        test_sender first(net, fixed_schedule{}, store, options(clock, t));
        REQUIRE(first.add_endpoint("e", config("http://a/e")));
        REQUIRE(first.send(event{.type = "a.b", .payload = "{}", .id = "msg_survivor"}));
        REQUIRE(net.events->wait([&] { return net.count("http://a/e") == 1; }));
        CHECK(first.stop(10ms).handed_back == 1);
        net.unblock();
    }
    net.unblock_all_later();
    tally t;
    test_sender second(net, fixed_schedule{}, store, options(clock, t));
    REQUIRE(second.add_endpoint("e", config("http://a/e")));
    REQUIRE(t.wait_delivered(1));
    CHECK(t.rec->read([&] { return t.delivered->at(0).message_id; }) == "msg_survivor");
}

TEST_CASE(SENDER_SUITE ": retry and recover re-send failed deliveries", "[sender]") {
    fake_transport net;
    std::atomic<bool> healthy{false};
    net.on("http://a/e", [&](const test_support::seen_request&, int) {
        return http_response{healthy ? 200 : 500, {}, "", {}};
    });
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t)); // no retries
    REQUIRE(sender.add_endpoint("e", config("http://a/e")));
    const auto since = clock();
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}", .id = "m1"}));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}", .id = "m2"}));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}", .id = "m3"}));
    REQUIRE(t.wait_exhausted(3));
    healthy = true;
    CHECK(sender.retry("m1").value() == 1);
    REQUIRE(t.wait_delivered(1));
    CHECK(sender.recover("e", since).value() == 2);
    REQUIRE(t.wait_delivered(3));
    CHECK(sender.deliveries({.statuses = {delivery_status::delivered}}).value().size() == 3);
}

TEST_CASE(SENDER_SUITE ": disabled endpoints keep their deliveries until enabled", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("e", config("http://a/e")));
    REQUIRE(sender.disable_endpoint("e"));
    CHECK(sender.send(event{.type = "a.b", .payload = "{}"})->deliveries == 0);
    REQUIRE(sender.enable_endpoint("e"));
    CHECK(sender.send(event{.type = "a.b", .payload = "{}"})->deliveries == 1);
    REQUIRE(t.wait_delivered(1));
}

TEST_CASE(SENDER_SUITE ": bad arguments get typed errors", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    CHECK(sender.add_endpoint("", config("http://a")).error() == errc::invalid_argument);
    CHECK(sender.add_endpoint("x", config("")).error() == errc::invalid_url);
    auto no_keys = config("http://a");
    no_keys.secrets.clear();
    CHECK(sender.add_endpoint("x", no_keys).error() == errc::invalid_secret);
    REQUIRE(sender.add_endpoint("x", config("http://a")));
    CHECK(sender.add_endpoint("x", config("http://a")).error() == errc::invalid_argument);
    CHECK(sender.update_endpoint("nope", config("http://a")).error() == errc::endpoint_not_found);
    CHECK(sender.remove_endpoint("nope").error() == errc::endpoint_not_found);
    CHECK(sender.send(event{.type = "", .payload = "{}"}).error() == errc::invalid_event_type);
}

TEST_CASE(SENDER_SUITE ": expired keys stop signing", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    auto next = secret::generate().value();
    auto c = config("http://a/e");
    c.secrets = {{key(), clock() + 1000}, {next, 0}};
    REQUIRE(sender.add_endpoint("e", c));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_delivered(1));
    const std::string both(net.requests().at(0).headers.get("webhook-signature").value());
    CHECK(std::count(both.begin(), both.end(), ' ') == 1);
    clock.advance(2s);
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_delivered(2));
    auto h = net.requests().at(1).headers;
    const std::string one(h.get("webhook-signature").value());
    CHECK(std::count(one.begin(), one.end(), ' ') == 0);
    CHECK(standard_verifier(next).verify({.headers = h, .body = "{}"}, clock() / 1000));
}

TEST_CASE(SENDER_SUITE ": 429 with Retry-After waits at least that long", "[sender]") {
    fake_transport net;
    net.on("http://a/busy", [](const test_support::seen_request&, int nth) {
        http_response r{nth == 1 ? 429 : 200, {}, "", {}};
        if (nth == 1) r.headers.add("Retry-After", "120");
        return r;
    });
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{1s, 1s}}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("busy", config("http://a/busy")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_attempts(1));
    CHECK(t.rec->read([&] { return t.attempts->at(0).next_attempt_at; }) == clock() + 120000);
    clock.advance(119s);
    sender.wake();
    CHECK(net.count("http://a/busy") == 1);
    clock.advance(1s);
    sender.wake();
    REQUIRE(t.wait_delivered(1));
}

TEST_CASE(SENDER_SUITE ": a refused destination is not retried", "[sender]") {
    fake_transport net;
    net.on("http://a/private",
           [](const test_support::seen_request&, int) -> result<http_response> { return errc::address_refused; });
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{1s, 1s}}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("p", config("http://a/private")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_exhausted(1));
    auto r = t.rec->read([&] { return t.exhausted->at(0); });
    CHECK(r.attempt.error == errc::address_refused);
    CHECK(r.attempt.number == 1);
}

TEST_CASE(SENDER_SUITE ": nothing accepted is lost under random failures", "[sender]") {
    fake_transport net;
    std::mutex rng_mutex;
    std::mt19937 rng(20261122);
    for (const char* url : {"http://a/1", "http://a/2", "http://a/3", "http://a/4"}) {
        net.on(url, [&](const test_support::seen_request&, int) -> result<http_response> {
            std::lock_guard lock(rng_mutex);
            switch (rng() % 6) {
            case 0: return errc::connection_failed;
            case 1: return errc::timeout;
            case 2: return http_response{500, {}, "", {}};
            case 3: return http_response{429, {}, "", {}};
            default: return http_response{200, {}, "", {}};
            }
        });
    }
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{0ms, 0ms, 0ms}}, memory_store{}, options(clock, t, 6));
    REQUIRE(sender.add_endpoint("1", config("http://a/1")));
    REQUIRE(sender.add_endpoint("2", config("http://a/2", {"even.*"})));
    REQUIRE(sender.add_endpoint("3", config("http://a/3", {"odd.*"})));
    REQUIRE(sender.add_endpoint("4", config("http://a/4")));
    std::size_t expected = 0;
    std::set<std::string> ids;
    for (int i = 0; i < 300; ++i) {
        auto r = sender.send(event{.type = i % 2 ? "odd.x" : "even.x", .payload = "{}"});
        REQUIRE(r);
        expected += r->deliveries;
        ids.insert(r->message_id);
    }
    CHECK(expected == 900);
    // Every delivery ends delivered or exhausted, and each is reported exactly once.
    REQUIRE(t.rec->wait([&] { return t.delivered->size() + t.exhausted->size() == expected; }, 30s));
    std::set<std::uint64_t> finished;
    t.rec->read([&] {
        for (const auto& r : *t.delivered) finished.insert(r.delivery_id);
        for (const auto& r : *t.exhausted) finished.insert(r.delivery_id);
        return 0;
    });
    CHECK(finished.size() == expected);
    auto all = sender.deliveries({.limit = 100000}).value();
    CHECK(all.size() == expected);
    for (const auto& d : all) {
        CHECK((d.status == delivery_status::delivered || d.status == delivery_status::exhausted));
        CHECK(ids.count(d.message_id) == 1);
    }
}

TEST_CASE(SENDER_SUITE ": every stock signer can be the sender's signer", "[sender]") {
    STATIC_REQUIRE(signer_factory<standard_signer>);
    STATIC_REQUIRE(signer_factory<github_signer>);
    STATIC_REQUIRE(signer_factory<stripe_signer>);
    STATIC_REQUIRE(signer_factory<slack_signer>);
    STATIC_REQUIRE(signer_factory<twilio_signer>);
    STATIC_REQUIRE(signer_factory<shopify_signer>);
    STATIC_REQUIRE(signer_factory<square_signer>);
    STATIC_REQUIRE(signer_factory<shared_token_signer>);
    const std::vector<secret> none;
    CHECK(github_signer::make(std::span<const secret>(none)).error() == errc::invalid_secret);
}

TEST_CASE(SENDER_SUITE ": generated message ids are well formed and unique across threads and fork", "[sender]") {
    auto well_formed = [](const std::string& id) {
        return id.size() == 36 && id.starts_with("msg_") &&
               id.find_first_not_of("0123456789abcdef", 4) == std::string::npos;
    };
    // Two threads drawing at once.
    std::vector<std::string> a, b;
    auto draw = [](std::vector<std::string>& out) {
        for (int i = 0; i < 100; ++i) out.push_back(detail::random_message_id().value());
    };
    std::thread ta(draw, std::ref(a)), tb(draw, std::ref(b));
    ta.join();
    tb.join();
    std::set<std::string> all(a.begin(), a.end());
    all.insert(b.begin(), b.end());
    CHECK(all.size() == 200);
    for (const auto& id : all) CHECK(well_formed(id));

    // A forked child and its parent draw different ids (OpenSSL reseeds in the child).
    (void)detail::random_message_id().value(); // the generator is in use before the fork
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::string id = detail::random_message_id().value();
        (void)!::write(fds[1], id.data(), id.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string from_child(36, '\0');
    std::size_t got = 0;
    while (got < from_child.size()) {
        auto n = ::read(fds[0], from_child.data() + got, from_child.size() - got);
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fds[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(got == 36);
    const std::string from_parent = detail::random_message_id().value();
    CHECK(well_formed(from_child));
    CHECK(from_child != from_parent);
}

TEST_CASE(SENDER_SUITE ": endpoints that would fail every attempt are refused when registered", "[sender]") {
    manual_clock clock;
    fake_transport net;
    test_sender sender(net, fixed_schedule{}, memory_store{}, {.clock = clock});
    auto with_header = [](std::string name, std::string value) {
        auto c = config("https://acme.example/webhooks");
        c.headers.add(std::move(name), std::move(value));
        return c;
    };
    CHECK(sender.add_endpoint("no-url", config("")).error() == errc::invalid_url);
    CHECK(sender.add_endpoint("bad-url", config("ftp://acme.example/x")).error() == errc::invalid_url);
    CHECK(sender.add_endpoint("crlf", with_header("X-Tenant", "a\r\nX-Evil: 1")).error() == errc::invalid_header_value);
    CHECK(sender.add_endpoint("bad-name", with_header("X Tenant", "a")).error() == errc::invalid_header_name);
    CHECK(sender.add_endpoint("framing", with_header("Content-Length", "5")).error() == errc::invalid_header_name);
    CHECK(sender.add_endpoint("type", with_header("content-type", "text/plain")).error() == errc::invalid_header_name);
    // The signer's own fields cannot be overridden (or duplicated) by an endpoint.
    CHECK(sender.add_endpoint("sig", with_header("Webhook-Signature", "v1,x")).error() == errc::invalid_header_name);
    CHECK(sender.endpoint_ids().empty());

    REQUIRE(sender.add_endpoint("ok", with_header("X-Tenant", "acme")));
    CHECK(sender.update_endpoint("ok", with_header("webhook-id", "x")).error() == errc::invalid_header_name);
    CHECK(sender.update_endpoint("ok", config("not a url")).error() == errc::invalid_url);
    REQUIRE(sender.update_endpoint("ok", with_header("X-Tenant", "globex")));
}

TEST_CASE(SENDER_SUITE ": drain waits until what was accepted has an outcome", "[sender]") {
    fake_transport net;
    net.answer("http://a/down", 503);
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{std::chrono::hours(1)}}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("ok", config("http://a/ok", {"ok.*"})));
    REQUIRE(sender.add_endpoint("down", config("http://a/down", {"down.*"})));
    REQUIRE(sender.send(event{.type = "ok.sent", .payload = "{}"}));
    CHECK(sender.drain(10s));
    CHECK(net.count("http://a/ok") == 1);
    REQUIRE(sender.send(event{.type = "down.sent", .payload = "{}"}));
    CHECK_FALSE(sender.drain(100ms)); // its retry is an hour away
    CHECK(net.count("http://a/down") == 1);
    clock.advance(std::chrono::hours(1));
    sender.wake();
    CHECK(sender.drain(10s)); // the second attempt exhausted it
    CHECK(net.count("http://a/down") == 2);
}

namespace {
/// Every control character a header cannot carry (HTAB aside), as one-character strings.
std::vector<std::string> control_characters() {
    std::vector<std::string> out;
    for (int c = 0; c < 0x20; ++c)
        if (c != '\t') out.emplace_back(1, static_cast<char>(c));
    out.emplace_back(1, '\x7f');
    return out;
}
} // namespace

TEST_CASE(SENDER_SUITE ": an id or type that cannot travel in a header is refused before anything is stored",
          "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("e", config("http://a/e")));
    for (const auto& bad : control_characters()) {
        CAPTURE(static_cast<int>(bad[0]));
        CHECK(sender.send(event{.type = "a.b", .payload = "{}", .id = "msg_1" + bad + "x"}).error() ==
              errc::invalid_message_id);
        CHECK(sender.send(event{.type = "a" + bad + "b", .payload = "{}"}).error() == errc::invalid_event_type);
        CHECK(sender.send("a" + bad + "b", nlohmann::json::object()).error() == errc::invalid_event_type);
        CHECK(sender.send("a.b", nlohmann::json::object(), bad + "msg").error() == errc::invalid_message_id);
    }
    auto stored = sender.deliveries({.limit = 100});
    REQUIRE(stored);
    CHECK(stored->empty());
    CHECK(net.count("http://a/e") == 0);
    // HTAB is allowed in a header value, and so are bytes from 0x80.
    auto tab = sender.send(event{.type = "a\tb", .payload = "{}", .id = "msg\t\xc3\xa9"});
    REQUIRE(tab);
    REQUIRE(t.wait_delivered(1));
    CHECK(net.requests().at(0).headers.get("webhook-id") == "msg\t\xc3\xa9");
}

TEST_CASE(SENDER_SUITE ": extra header values with any control character are refused when registered", "[sender]") {
    fake_transport net;
    manual_clock clock;
    test_sender sender(net, fixed_schedule{}, memory_store{}, {.clock = clock});
    for (const auto& bad : control_characters()) {
        CAPTURE(static_cast<int>(bad[0]));
        auto c = config("http://a/e");
        c.headers.add("X-Tenant", "a" + bad + "b");
        CHECK(sender.add_endpoint("e", c).error() == errc::invalid_header_value);
    }
    auto tab = config("http://a/e");
    tab.headers.add("X-Tenant", "a\tb");
    REQUIRE(sender.add_endpoint("e", tab));
    auto bad = config("http://a/e");
    bad.headers.add("X-Tenant", "a\x0b");
    CHECK(sender.update_endpoint("e", bad).error() == errc::invalid_header_value);
    CHECK(sender.endpoint("e")->config.headers.get("X-Tenant") == "a\tb");
}

TEST_CASE(SENDER_SUITE ": endpoint limits with no meaning are refused when registered", "[sender]") {
    fake_transport net;
    manual_clock clock;
    test_sender sender(net, fixed_schedule{}, memory_store{}, {.clock = clock});
    auto with = [](auto change) {
        auto c = config("http://a/e");
        change(c);
        return c;
    };
    CHECK(sender.add_endpoint("e", with([](auto& c) { c.timeout = -1ms; })).error() == errc::invalid_option);
    CHECK(sender.add_endpoint("e", with([](auto& c) { c.timeout = 25h; })).error() == errc::invalid_option);
    CHECK(sender.add_endpoint("e", with([](auto& c) { c.rate_limit = -1; })).error() == errc::invalid_option);
    CHECK(sender.add_endpoint("e", with([](auto& c) { c.rate_limit = std::nan(""); })).error() == errc::invalid_option);
    CHECK(sender.add_endpoint("e", with([](auto& c) { c.max_concurrency = static_cast<std::size_t>(-1); })).error() ==
          errc::invalid_option);
    CHECK(sender.endpoint_ids().empty());
    REQUIRE(sender.add_endpoint("e", with([](auto& c) { c.rate_limit = 0.5; })));
}

TEST_CASE(SENDER_SUITE ": options that make no sense are refused at construction, naming the field", "[sender]") {
    fake_transport net;
    CHECK(sender_options_problem(sender_options{}).empty());
    const std::vector<std::pair<std::function<void(sender_options&)>, std::string>> cases = {
        {[](sender_options& o) { o.workers = 0; }, "sender_options.workers"},
        {[](sender_options& o) { o.workers = static_cast<std::size_t>(-4); }, "sender_options.workers"},
        {[](sender_options& o) { o.max_in_flight = 0; }, "sender_options.max_in_flight"},
        {[](sender_options& o) { o.max_concurrency_per_endpoint = static_cast<std::size_t>(-1); },
         "sender_options.max_concurrency_per_endpoint"},
        {[](sender_options& o) { o.timeout = 0ms; }, "sender_options.timeout"},
        {[](sender_options& o) { o.timeout = -5s; }, "sender_options.timeout"},
        {[](sender_options& o) { o.lease_margin = -1ms; }, "sender_options.lease_margin"},
        {[](sender_options& o) { o.max_idle = 0ms; }, "sender_options.max_idle"},
        {[](sender_options& o) { o.disable_after = std::chrono::hours(0); }, "sender_options.disable_after"},
        {[](sender_options& o) { o.disable_after_exhausted = -1; }, "sender_options.disable_after_exhausted"},
        {[](sender_options& o) { o.user_agent = "hookline\r\nX-Injected: 1"; }, "sender_options.user_agent"},
        {[](sender_options& o) { o.user_agent = std::string("a\0b", 3); }, "sender_options.user_agent"},
        {[](sender_options& o) { o.user_agent = "a\x7f"; }, "sender_options.user_agent"},
    };
    for (const auto& [change, field] : cases) {
        CAPTURE(field);
        sender_options o;
        change(o);
        CHECK(sender_options_problem(o).starts_with(field));
        try {
            test_sender sender(net, fixed_schedule{}, memory_store{}, o);
            FAIL("constructed");
        } catch (const std::system_error& e) {
            CHECK(e.code() == errc::invalid_option);
            CHECK(std::string(e.what()).find(field) != std::string::npos);
        }
    }
    sender_options tab;
    tab.user_agent = "hookline\t(test)";
    CHECK(sender_options_problem(tab).empty());
}

TEST_CASE(SENDER_SUITE ": a request the transport refuses as invalid fails at once, unretried and not held against "
                       "the endpoint",
          "[sender]") {
    fake_transport net;
    net.on("http://a/e", [](const test_support::seen_request&, int nth) -> result<http_response> {
        if (nth == 1) return errc::invalid_argument; // what curl_transport answers for a header it cannot send
        return http_response{200, {}, "", {}};
    });
    manual_clock clock;
    tally t;
    auto o = options(clock, t);
    o.disable_after = std::chrono::hours(1);
    o.disable_after_exhausted = 1; // one exhausted message would disable the endpoint
    test_sender sender(net, fixed_schedule{{1s, 1s, 1s}}, memory_store{}, o);
    REQUIRE(sender.add_endpoint("e", config("http://a/e")));
    auto r = sender.send(event{.type = "a.b", .payload = "{}"});
    REQUIRE(r);
    REQUIRE(t.wait_exhausted(1));
    auto report = t.rec->read([&] { return t.exhausted->at(0); });
    CHECK(report.status == delivery_status::failed);
    CHECK(report.attempt.error == errc::invalid_argument);
    CHECK(report.attempt.number == 1);
    CHECK_FALSE(report.next_attempt_at);
    auto d = sender.deliveries({.message_id = r->message_id});
    REQUIRE(d);
    REQUIRE(d->size() == 1);
    CHECK(d->at(0).status == delivery_status::failed);
    auto attempts = sender.attempts(d->at(0).id);
    REQUIRE(attempts);
    REQUIRE(attempts->size() == 1);
    CHECK(attempts->at(0).error == errc::invalid_argument); // the reason, recorded
    // The endpoint's health is untouched: no failure streak, nothing exhausted, still enabled.
    auto info = sender.endpoint("e");
    REQUIRE(info);
    CHECK(info->state.failing_since == 0);
    CHECK(info->state.exhausted_count == 0);
    CHECK_FALSE(info->state.disabled);
    // Never retried, however much time passes.
    clock.advance(2h);
    sender.wake();
    REQUIRE(sender.drain(10s));
    CHECK(net.count("http://a/e") == 1);
    // The endpoint still takes the next message.
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_delivered(1));
    CHECK(net.count("http://a/e") == 2);
}

TEST_CASE(SENDER_SUITE ": a stored message whose id cannot be sent never reaches the transport", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    test_sender sender(net, fixed_schedule{{1s}}, memory_store{}, options(clock, t));
    REQUIRE(sender.add_endpoint("e", config("http://a/e")));
    // As a store written before these checks may hold it: put there behind the sender's back.
    stored_message m{"msg_1\r\nX-Injected: 1", "a.b", std::make_shared<const std::string>("{}"), clock()};
    const std::vector<std::string> targets{"e"};
    REQUIRE(sender.store().insert_message(m, targets, clock()));
    sender.wake();
    REQUIRE(t.wait_exhausted(1));
    auto report = t.rec->read([&] { return t.exhausted->at(0); });
    CHECK(report.status == delivery_status::failed);
    CHECK(report.attempt.error == errc::invalid_header_value);
    CHECK(net.count("http://a/e") == 0);
    CHECK(sender.endpoint("e")->state.failing_since == 0);
}
