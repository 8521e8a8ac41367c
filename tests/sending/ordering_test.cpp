// Ordered delivery through the sender (docs/ordering.md): per-key and endpoint-wide streams, the
// sequence headers, what an exhausted head does under `block` and `skip`, skip and retry by an operator,
// and order kept under random failures. Each case runs with the blocking and the asynchronous test
// transport (both of the sender's attempt paths), on the memory store; the stores' own ordering rules
// are checked for every store by tests/support/store_conformance.hpp.
#include "support/sender_doubles.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/memory_store.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;
using test_support::manual_clock;
using test_support::recorder;
using test_support::seen_request;

namespace {

const secret& key() {
    static const secret k = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    return k;
}

endpoint_config ordered(std::string url, delivery_order order = delivery_order::per_key,
                        head_exhaustion on_exhausted = head_exhaustion::block) {
    endpoint_config c;
    c.url = std::move(url);
    c.secrets = {{key(), 0}};
    c.order = order;
    c.on_head_exhausted = on_exhausted;
    c.max_concurrency = 8;
    return c;
}

/// What reached the endpoint's handler (a 2xx answer), in arrival order, per ordering key.
struct arrivals {
    std::shared_ptr<recorder> rec = std::make_shared<recorder>();
    std::shared_ptr<std::vector<seen_request>> ok = std::make_shared<std::vector<seen_request>>();
    std::shared_ptr<std::vector<attempt_report>> reports = std::make_shared<std::vector<attempt_report>>();

    void add(const seen_request& r) {
        rec->update([&] { ok->push_back(r); });
    }
    std::vector<std::string> ids_of(const std::string& k) {
        return rec->read([&] {
            std::vector<std::string> out;
            for (const auto& r : *ok)
                if (r.headers.get("webhook-ordering-key").value_or("") == k)
                    out.emplace_back(*r.headers.get("webhook-id"));
            return out;
        });
    }
    bool wait_ok(std::size_t n) {
        return rec->wait([&] { return ok->size() >= n; });
    }
    bool wait_reports(std::size_t n) {
        return rec->wait([&] { return reports->size() >= n; });
    }
    sender_callbacks callbacks() const {
        auto self = *this;
        return {[self](const attempt_report& r) { self.rec->update([&] { self.reports->push_back(r); }); }, {}, {}, {}};
    }
};

sender_options options(const manual_clock& clock, const arrivals& a) {
    sender_options o;
    o.workers = 4;
    o.clock = clock;
    o.callbacks = a.callbacks();
    return o;
}

std::string hdr(const seen_request& r, const char* name) { return std::string(r.headers.get(name).value_or("")); }

} // namespace

TEMPLATE_TEST_CASE("ordering: a key's next message waits for the previous one; other keys flow", "[ordering]",
                   test_support::fake_transport, test_support::async_fake_transport) {
    TestType net;
    arrivals got;
    // The first attempt of order-1's first message fails; everything else succeeds.
    std::atomic<int> m1_attempts{0};
    net.on("http://a/hook", [&](const seen_request& r, int) -> result<http_response> {
        if (hdr(r, "webhook-id") == "m1" && m1_attempts++ == 0) return http_response{500, {}, "", {}};
        got.add(r);
        return http_response{200, {}, "", {}};
    });
    manual_clock clock;
    basic_sender<TestType, standard_signer, fixed_schedule, memory_store> sender(net, fixed_schedule{{10s}},
                                                                                 memory_store{}, options(clock, got));
    REQUIRE(sender.add_endpoint("ep", ordered("http://a/hook")));
    REQUIRE(sender.send(event{.type = "order.created", .payload = "{}", .id = "m1", .ordering_key = "order-1"}));
    REQUIRE(sender.send(event{.type = "order.paid", .payload = "{}", .id = "m2", .ordering_key = "order-1"}));
    REQUIRE(sender.send(event{.type = "order.created", .payload = "{}", .id = "m3", .ordering_key = "order-2"}));
    REQUIRE(sender.send(event{.type = "order.paid", .payload = "{}", .id = "m4", .ordering_key = "order-2"}));

    // order-2 is delivered in full while order-1's head waits for its retry, and m2 is never tried.
    REQUIRE(got.wait_ok(2));
    CHECK(got.ids_of("order-2") == std::vector<std::string>{"m3", "m4"});
    CHECK(got.ids_of("order-1").empty());
    auto m2 = sender.deliveries({.message_id = "m2"}).value();
    REQUIRE(m2.size() == 1);
    CHECK(m2[0].waiting);
    CHECK(m2[0].attempts == 0);
    CHECK(m2[0].sequence == 2);

    clock.advance(10s);
    sender.wake();
    REQUIRE(got.wait_ok(4));
    CHECK(got.ids_of("order-1") == std::vector<std::string>{"m1", "m2"});
    // The sequence headers: positions per key from 1, and the last delivered position before each.
    auto seen = got.rec->read([&] { return *got.ok; });
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_key;
    for (const auto& r : seen)
        by_key[hdr(r, "webhook-ordering-key")].emplace_back(hdr(r, "webhook-sequence"),
                                                            hdr(r, "webhook-sequence-previous"));
    using pairs = std::vector<std::pair<std::string, std::string>>;
    CHECK(by_key["order-1"] == pairs{{"1", "0"}, {"2", "1"}});
    CHECK(by_key["order-2"] == pairs{{"1", "0"}, {"2", "1"}});
}

TEMPLATE_TEST_CASE("ordering: endpoint-wide order is one stream whatever the keys; unordered endpoints ignore keys",
                   "[ordering]", test_support::fake_transport, test_support::async_fake_transport) {
    TestType net;
    arrivals wide, plain;
    net.on("http://a/wide", [&](const seen_request& r, int) -> result<http_response> {
        wide.add(r);
        return http_response{200, {}, "", {}};
    });
    net.on("http://a/plain", [&](const seen_request& r, int) -> result<http_response> {
        plain.add(r);
        return http_response{200, {}, "", {}};
    });
    manual_clock clock;
    arrivals reports;
    basic_sender<TestType, standard_signer, fixed_schedule, memory_store> sender(
        net, fixed_schedule{{1s}}, memory_store{}, options(clock, reports));
    REQUIRE(sender.add_endpoint("wide", ordered("http://a/wide", delivery_order::endpoint)));
    auto plain_config = ordered("http://a/plain", delivery_order::none);
    REQUIRE(sender.add_endpoint("plain", plain_config));
    for (int i = 1; i <= 6; ++i)
        REQUIRE(sender.send(event{
            .type = "t", .payload = "{}", .id = "w" + std::to_string(i), .ordering_key = i % 2 ? "odd" : "even"}));
    REQUIRE(wide.wait_ok(6));
    REQUIRE(plain.wait_ok(6));
    auto seen = wide.rec->read([&] { return *wide.ok; });
    for (std::size_t i = 0; i < seen.size(); ++i) {
        CHECK(hdr(seen[i], "webhook-id") == "w" + std::to_string(i + 1)); // send order, across keys
        CHECK(hdr(seen[i], "webhook-sequence") == std::to_string(i + 1));
        CHECK(hdr(seen[i], "webhook-ordering-key").empty()); // endpoint-wide: no key
    }
    for (const auto& r : plain.rec->read([&] { return *plain.ok; })) {
        CHECK(!r.headers.get("webhook-sequence"));
        CHECK(!r.headers.get("webhook-ordering-key"));
    }
    CHECK(sender.deliveries({.endpoint_id = "plain"}).value().front().sequence == 0);
}

TEMPLATE_TEST_CASE("ordering: an exhausted head blocks its key until skipped or retried; under skip it is passed",
                   "[ordering]", test_support::fake_transport, test_support::async_fake_transport) {
    TestType net;
    arrivals got;
    std::mutex m;
    std::set<std::string> failing{"b1", "s1"};
    auto handler = [&](const seen_request& r, int) -> result<http_response> {
        {
            std::lock_guard lock(m);
            if (failing.count(hdr(r, "webhook-id"))) return http_response{503, {}, "", {}};
        }
        got.add(r);
        return http_response{200, {}, "", {}};
    };
    net.on("http://a/block", handler);
    net.on("http://a/skip", handler);
    manual_clock clock;
    basic_sender<TestType, standard_signer, fixed_schedule, memory_store> sender(net, fixed_schedule{{}},
                                                                                 memory_store{}, options(clock, got));
    auto skip_config = ordered("http://a/skip", delivery_order::per_key, head_exhaustion::skip);
    skip_config.channels = {"skip"};
    auto block_config = ordered("http://a/block");
    block_config.channels = {"block"};
    REQUIRE(sender.add_endpoint("block", block_config));
    REQUIRE(sender.add_endpoint("skip", skip_config));
    for (const char* id : {"b1", "b2", "b3"})
        REQUIRE(sender.send(event{.type = "t", .payload = "{}", .id = id, .channels = {"block"}, .ordering_key = "k"}));
    REQUIRE(
        sender.send(event{.type = "t", .payload = "{}", .id = "other", .channels = {"block"}, .ordering_key = "j"}));
    for (const char* id : {"s1", "s2"})
        REQUIRE(sender.send(event{.type = "t", .payload = "{}", .id = id, .channels = {"skip"}, .ordering_key = "k"}));

    // Under skip, s2 follows the exhausted s1 (its previous: nothing delivered yet); under block, key k
    // waits while key j goes on.
    REQUIRE(got.wait_ok(2));
    REQUIRE(got.rec->wait([&] {
        for (const auto& r : *got.ok)
            if (hdr(r, "webhook-id") == "s2") return true;
        return false;
    }));
    auto s2 = got.rec->read([&] {
        for (const auto& r : *got.ok)
            if (hdr(r, "webhook-id") == "s2") return r;
        return seen_request{};
    });
    CHECK(hdr(s2, "webhook-sequence") == "2");
    CHECK(hdr(s2, "webhook-sequence-previous") == "0");
    auto b1 = sender.deliveries({.message_id = "b1"}).value().at(0);
    CHECK(b1.status == delivery_status::exhausted);
    CHECK(b1.holds_key);
    CHECK(sender.deliveries({.message_id = "b2"}).value().at(0).waiting);
    CHECK(got.ids_of("k") == std::vector<std::string>{"s2"});
    CHECK(got.ids_of("j") == std::vector<std::string>{"other"});

    // An operator skips the head: b2 goes (previous 0: nothing of k delivered yet), then b3.
    CHECK(sender.skip("b2", "missing").error() == errc::message_not_found);
    REQUIRE(sender.skip("b1", "block"));
    CHECK(sender.deliveries({.message_id = "b1"}).value().at(0).status == delivery_status::skipped);
    REQUIRE(got.wait_ok(4));
    auto seen = got.rec->read([&] { return *got.ok; });
    CHECK(hdr(seen[2], "webhook-id") == "b2");
    CHECK(hdr(seen[2], "webhook-sequence") == "2");
    CHECK(hdr(seen[2], "webhook-sequence-previous") == "0");
    CHECK(hdr(seen[3], "webhook-id") == "b3");
    CHECK(hdr(seen[3], "webhook-sequence-previous") == "2");

    // A new head that exhausts blocks again; retrying it (once it can succeed) lets the key go on.
    {
        std::lock_guard lock(m);
        failing.insert("b4");
    }
    REQUIRE(sender.send(event{.type = "t", .payload = "{}", .id = "b4", .channels = {"block"}, .ordering_key = "k"}));
    REQUIRE(sender.send(event{.type = "t", .payload = "{}", .id = "b5", .channels = {"block"}, .ordering_key = "k"}));
    REQUIRE(got.rec->wait([&] { return sender.deliveries({.message_id = "b4"}).value().at(0).holds_key; }));
    CHECK(sender.deliveries({.message_id = "b5"}).value().at(0).waiting);
    {
        std::lock_guard lock(m);
        failing.erase("b4");
    }
    REQUIRE(sender.retry("b4", "block").value() == 1);
    REQUIRE(got.wait_ok(6));
    seen = got.rec->read([&] { return *got.ok; });
    CHECK(hdr(seen[4], "webhook-id") == "b4");
    CHECK(hdr(seen[5], "webhook-id") == "b5");
    CHECK(hdr(seen[5], "webhook-sequence") == "5");
    CHECK(hdr(seen[5], "webhook-sequence-previous") == "4");
}

TEMPLATE_TEST_CASE("ordering: every key's deliveries reach the handler in send order under random failures",
                   "[ordering]", test_support::fake_transport, test_support::async_fake_transport) {
    TestType net;
    arrivals got;
    std::mutex rng_mutex;
    std::mt19937 rng(20261207);
    std::map<std::string, int> in_flight_per_key;
    bool overlap = false;
    net.on("http://a/hook", [&](const seen_request& r, int) -> result<http_response> {
        const std::string k = hdr(r, "webhook-ordering-key");
        int pick = 0;
        {
            std::lock_guard lock(rng_mutex);
            overlap = overlap || in_flight_per_key[k]++ != 0;
            pick = static_cast<int>(rng() % 6);
        }
        result<http_response> out = http_response{200, {}, "", {}};
        if (pick == 0) out = errc::connection_failed;
        if (pick == 1) out = http_response{500, {}, "", {}};
        if (pick == 2) out = http_response{429, {}, "", {}};
        if (out && out->status == 200) got.add(r);
        std::lock_guard lock(rng_mutex);
        --in_flight_per_key[k];
        return out;
    });
    manual_clock clock;
    sender_options o = options(clock, got);
    basic_sender<TestType, standard_signer, fixed_schedule, memory_store> sender(
        net, fixed_schedule{std::vector<std::chrono::milliseconds>(30, 0ms)}, memory_store{}, o);
    auto c = ordered("http://a/hook");
    c.max_concurrency = 16;
    REQUIRE(sender.add_endpoint("ep", c));
    constexpr int keys = 12, per_key = 15;
    std::map<std::string, std::vector<std::string>> sent;
    for (int i = 0; i < per_key; ++i)
        for (int k = 0; k < keys; ++k) {
            const std::string key_name = "key-" + std::to_string(k);
            auto r = sender.send(event{.type = "t", .payload = "{}", .ordering_key = key_name});
            REQUIRE(r);
            sent[key_name].push_back(r->message_id);
        }
    REQUIRE(got.rec->wait(
        [&] {
            std::size_t done = 0;
            for (const auto& r : *got.reports) done += r.status == delivery_status::delivered;
            return done >= keys * per_key;
        },
        30s));
    for (const auto& [k, ids] : sent) CHECK(got.ids_of(k) == ids);
    CHECK(!overlap); // one request of a key in flight at a time
    for (const auto& d : sender.deliveries({.limit = 100000}).value()) CHECK(d.status == delivery_status::delivered);
}

TEST_CASE("ordering: an ordering key that cannot travel in a header is refused before anything is stored",
          "[ordering]") {
    test_support::fake_transport net;
    manual_clock clock;
    arrivals got;
    basic_sender<test_support::fake_transport, standard_signer, fixed_schedule, memory_store> sender(
        net, fixed_schedule{{1s}}, memory_store{}, options(clock, got));
    REQUIRE(sender.add_endpoint("ep", ordered("http://a/hook")));
    for (std::string bad : {std::string("a\r\nb"), std::string("nul\0", 4), std::string(257, 'k')}) {
        auto r = sender.send(event{.type = "t", .payload = "{}", .id = "x", .ordering_key = bad});
        REQUIRE(!r);
        CHECK(r.error() == errc::invalid_ordering_key);
    }
    CHECK(sender.deliveries({}).value().empty());
    CHECK(sender.send(event{.type = "t", .payload = "{}", .id = "y", .ordering_key = std::string(256, 'k')}));
}

namespace {
/// The memory store without `skip`: a store that does not keep order.
struct unordered_store : memory_store {
    void skip(std::uint64_t, std::int64_t) = delete;
};
static_assert(store<unordered_store> && !ordered_store<unordered_store>);
} // namespace

TEST_CASE("ordering: an ordered endpoint on a store that cannot keep order is refused", "[ordering]") {
    test_support::fake_transport net;
    manual_clock clock;
    arrivals got;
    basic_sender<test_support::fake_transport, standard_signer, fixed_schedule, unordered_store> sender(
        net, fixed_schedule{{1s}}, unordered_store{}, options(clock, got));
    CHECK(sender.add_endpoint("ep", ordered("http://a/hook")).error() == errc::ordering_unsupported);
    REQUIRE(sender.add_endpoint("ep", ordered("http://a/hook", delivery_order::none)));
    CHECK(sender.update_endpoint("ep", ordered("http://a/hook")).error() == errc::ordering_unsupported);
}
