// sender_test.cpp's cases with an asynchronous transport: the sender starts each request and records
// its outcome when the transport reports it, with no worker waiting on the network.
#define SENDER_SUITE "async_sender"
#define SENDER_TRANSPORT test_support::async_fake_transport
#include "sender_test.cpp"

// An asynchronous transport is taken as such.
static_assert(hookline::async_transport<test_support::async_fake_transport>);

// What only an asynchronous transport gives: requests held by the network use no worker.

TEST_CASE("async_sender: a hundred endpoints that never answer do not delay a healthy one, on two workers",
          "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    auto o = options(clock, t, 2);
    o.slow_start = false; // each dead endpoint takes its whole limit: 1,600 requests held at once
    test_sender sender(net, fixed_schedule{}, memory_store{}, o);
    for (int i = 0; i < 100; ++i) {
        auto url = "http://dead/" + std::to_string(i);
        net.block(url);
        REQUIRE(sender.add_endpoint("dead" + std::to_string(i), config(url, {"a.b"})));
    }
    REQUIRE(sender.add_endpoint("fast", config("http://a/fast")));
    // Each dead endpoint takes its 16 slots (the default), all on the transport, none on a worker.
    for (int i = 0; i < 20; ++i) REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(t.wait_delivered_to("fast", 20));
    REQUIRE(net.events->wait([&] {
        int held = 0;
        for (int i = 0; i < 100; ++i) held += net.count("http://dead/" + std::to_string(i));
        return held == 100 * 16;
    }));
    CHECK(sender.endpoint("dead7")->in_flight == 16);
    net.unblock();
    REQUIRE(t.wait_delivered(20 + 100 * 20));
}

TEST_CASE("async_sender: max_in_flight caps requests in flight over all endpoints", "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    auto o = options(clock, t, 2);
    o.max_in_flight = 10;
    o.slow_start = false; // each slow endpoint may take its whole limit
    test_sender sender(net, fixed_schedule{}, memory_store{}, o);
    for (int i = 0; i < 5; ++i) {
        auto url = "http://slow/" + std::to_string(i);
        net.block(url);
        REQUIRE(sender.add_endpoint("slow" + std::to_string(i), config(url)));
    }
    for (int i = 0; i < 40; ++i) REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    auto started = [&] {
        int n = 0;
        for (int i = 0; i < 5; ++i) n += net.count("http://slow/" + std::to_string(i));
        return n;
    };
    REQUIRE(net.events->wait([&] { return started() == 10; }));
    std::size_t in_flight = 0;
    for (int i = 0; i < 5; ++i) in_flight += sender.endpoint("slow" + std::to_string(i))->in_flight;
    CHECK(in_flight == 10);
    net.unblock();
    REQUIRE(t.wait_delivered(200));
    CHECK(started() == 200);
}

TEST_CASE("async_sender: a sender destroyed with requests in flight leaves them pending in the store", "[sender]") {
    fake_transport net;
    net.block("http://a/hang");
    manual_clock clock;
    tally t;
    memory_store store;
    auto o = options(clock, t);
    o.slow_start = false;
    {
        test_sender sender(net, fixed_schedule{}, store, o);
        REQUIRE(sender.add_endpoint("hang", config("http://a/hang")));
        for (int i = 0; i < 5; ++i) REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
        REQUIRE(net.events->wait([&] { return net.count("http://a/hang") == 5; }));
        auto report = sender.stop(20ms);
        CHECK(report.handed_back == 5);
    }              // the sender's copy of the transport goes; the test's copy still holds the requests
    net.unblock(); // their completions arrive after the sender is gone and are dropped
    REQUIRE(net.events->wait([&] { return net.in_flight("http://a/hang") == 0; }));
    auto ds = store.list_deliveries({}).value();
    REQUIRE(ds.size() == 5);
    for (const auto& d : ds) CHECK(d.status == delivery_status::pending);
    CHECK(t.rec->read([&] { return t.attempts->size(); }) == 0);
}

TEST_CASE("async_sender: 100,000 endpoints, each on its own channel: every event reaches exactly its endpoint",
          "[sender]") {
    fake_transport net;
    manual_clock clock;
    tally t;
    auto o = options(clock, t, 2);
    o.callbacks = {}; // counted below, without keeping 100,000 reports
#ifdef __SANITIZE_THREAD__
    constexpr std::size_t n = 10'000; // ThreadSanitizer looks for races here, not for scale
#else
    constexpr std::size_t n = 100'000;
#endif
    auto per_endpoint = std::make_shared<std::vector<std::atomic<int>>>(n);
    std::atomic<int> delivered{0}, other{0};
    recorder done;
    o.callbacks.on_attempt = [&](const attempt_report& r) {
        if (r.status != delivery_status::delivered) ++other;
        const auto n = std::stoul(r.endpoint_id.substr(1));
        ++(*per_endpoint)[n];
        done.update([&] { ++delivered; });
    };
    test_sender sender(net, fixed_schedule{}, memory_store{}, o);
    for (std::size_t i = 0; i < n; ++i) {
        auto c = config("http://a/e");
        c.channels = {"c" + std::to_string(i)};
        REQUIRE(sender.add_endpoint("e" + std::to_string(i), std::move(c)));
    }
    // Event i goes to channel (i * 7919) mod n: every channel once, in an order unlike registration.
    for (std::size_t i = 0; i < n; ++i) {
        auto r = sender.send(event{.type = "x", .payload = "{}", .channels = {"c" + std::to_string(i * 7919 % n)}});
        REQUIRE(r);
        REQUIRE(r->deliveries == 1);
    }
    REQUIRE(done.wait([&] { return delivered >= static_cast<int>(n); }, std::chrono::seconds(120)));
    CHECK(other == 0);
    std::size_t exactly_once = 0;
    for (auto& c : *per_endpoint) exactly_once += c == 1;
    CHECK(exactly_once == n);
}
