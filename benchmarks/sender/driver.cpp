// bench_sender: drives hookline's sender against bench_sink and prints one JSON line per mode.
//   bench_sender PORT throughput N      N events to one endpoint as fast as the sender delivers them
//   bench_sender PORT fanout N          one event to N endpoints (same sink, distinct paths), timed
//   bench_sender PORT latency RATE SECS events at a fixed rate; the sink measures send -> handler
//   bench_sender PORT bare N            no hookline: N POSTs from 8 threads, one keep-alive
//                                       httplib::Client each, with a delivery's header fields (the
//                                       ceiling of blocking cpp-httplib I/O)
// Environment: BENCH_WORKERS (sender workers and the endpoint's max_concurrency; default 8),
// BENCH_SECRET (a whsec_ secret; default a random one) and BENCH_PATH (throughput mode
// posts there instead of /hook/0), to drive a verifying hookline receiver instead of bench_sink;
// BENCH_CA (a CA certificate file): use https:// and trust that CA (bench_sink CERT KEY).
#include <hookline/sending/sender.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;
using clock_type = std::chrono::steady_clock;

namespace {
long long now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Counts outcomes; wakes the waiting main thread only once the count it waits for is reached (a
// wake-up per delivery would put the driver's own context switches into the measurement).
struct counter {
    std::mutex mutex;
    std::condition_variable cv;
    long long delivered = 0, failed = 0;
    long long target = 0;
    void add(bool ok) {
        bool reached = false;
        {
            std::lock_guard lock(mutex);
            (ok ? delivered : failed)++;
            reached = delivered + failed == target;
        }
        if (reached) cv.notify_all();
    }
    bool wait_for(long long n, std::chrono::seconds bound) {
        std::unique_lock lock(mutex);
        target = n;
        return cv.wait_for(lock, bound, [&] { return delivered + failed >= n; });
    }
};

std::string payload(long long sent) {
    std::string body = "{\"type\":\"bench.event\",\"sent_us\":" + std::to_string(sent) + ",\"pad\":\"";
    body.append(1024 - body.size() - 2, 'x');
    body += "\"}";
    return body;
}
} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    if (argc < 4) {
        std::fprintf(stderr, "usage: bench_sender PORT throughput|fanout|latency ARGS\n");
        return 2;
    }
    const char* ca_env = std::getenv("BENCH_CA");
    const std::string base = std::string(ca_env ? "https" : "http") + "://127.0.0.1:" + argv[1];
    const std::string mode = argv[2];
    const long long n = std::atoll(argv[3]);
    if (mode == "bare") {
        const int port = std::atoi(argv[1]);
        const std::string body = payload(0);
        std::atomic<long long> next{0}, failed{0};
        auto run = [&](long long count) {
            next = 0;
            std::vector<std::thread> threads;
            for (int t = 0; t < 8; ++t)
                threads.emplace_back([&] {
                    httplib::Client client("127.0.0.1", port);
                    client.set_tcp_nodelay(true);
                    client.set_keep_alive(true);
                    // The header fields a Standard Webhooks delivery carries (values of the real lengths).
                    const httplib::Headers headers{
                        {"User-Agent", "hookline/0.1.0"},
                        {"webhook-id", "msg_2b1d6ec45b0f4c8f9a61b52a8e1d7c3f"},
                        {"webhook-timestamp", "1795000000"},
                        {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}};
                    while (next++ < count)
                        if (auto r = client.Post("/hook/bare", headers, body, "application/json");
                            !r || r->status >= 300)
                            ++failed;
                });
            for (auto& t : threads) t.join();
        };
        run(200); // warm-up
        const auto start = clock_type::now();
        run(n);
        const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
        std::printf("{\"mode\":\"bare\",\"requests\":%lld,\"seconds\":%.3f,\"requests_per_s\":%.0f,\"failed\":%lld}\n",
                    n, secs, static_cast<double>(n) / secs, failed.load());
        return 0;
    }
    counter c;
    sender_options o;
    o.workers = std::getenv("BENCH_WORKERS") ? std::atoi(std::getenv("BENCH_WORKERS")) : 8;
    o.callbacks.on_delivered = [&](const attempt_report&) { c.add(true); };
    o.callbacks.on_exhausted = [&](const attempt_report&) { c.add(false); };
    httplib_transport transport({.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value(),
                                 .ca_file = ca_env ? ca_env : "",
                                 .max_idle_per_origin = 16});
    // The blocking engine these figures have measured since the first session (benchmarks/scale
    // measures the default, asynchronous one).
    basic_sender<httplib_transport, standard_signer, standard_schedule, memory_store> sender(
        transport, standard_schedule{}, memory_store{}, o);
    const char* secret_env = std::getenv("BENCH_SECRET");
    const char* path_env = std::getenv("BENCH_PATH");
    const auto key = secret_env ? secret::parse(secret_env).value() : secret::generate().value();
    const int endpoints = mode == "fanout" ? static_cast<int>(n) : 1;
    for (int i = 0; i < endpoints; ++i) {
        endpoint_config cfg;
        cfg.url = path_env && mode == "throughput" ? base + path_env : base + "/hook/" + std::to_string(i);
        cfg.secrets = {{key, 0}};
        cfg.max_concurrency = mode == "fanout" ? 1 : o.workers;
        sender.add_endpoint("e" + std::to_string(i), cfg).value();
    }
    if (mode == "throughput") {
        // Warm up the connections, then time n events.
        for (int i = 0; i < 200; ++i) (void)sender.send(event{.type = "bench.event", .payload = payload(0)});
        c.wait_for(200, std::chrono::seconds(60));
        const auto start = clock_type::now();
        for (long long i = 0; i < n; ++i) (void)sender.send(event{.type = "bench.event", .payload = payload(0)});
        bool ok = c.wait_for(200 + n, std::chrono::seconds(300));
        const double secs = std::chrono::duration<double>(clock_type::now() - start).count();
        std::printf("{\"mode\":\"throughput\",\"events\":%lld,\"seconds\":%.3f,\"deliveries_per_s\":%.0f,\"failed\":%"
                    "lld,\"complete\":%s}\n",
                    n, secs, static_cast<double>(n) / secs, c.failed, ok ? "true" : "false");
    } else if (mode == "fanout") {
        // Warm-up event so every endpoint has a connection, then time one event to all n endpoints.
        (void)sender.send(event{.type = "bench.event", .payload = payload(0)});
        c.wait_for(n, std::chrono::seconds(60));
        const auto start = clock_type::now();
        (void)sender.send(event{.type = "bench.event", .payload = payload(0)});
        bool ok = c.wait_for(2 * n, std::chrono::seconds(60));
        const double ms = std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
        std::printf("{\"mode\":\"fanout\",\"endpoints\":%lld,\"all_delivered_ms\":%.2f,\"complete\":%s}\n", n, ms,
                    ok ? "true" : "false");
    } else if (mode == "latency") {
        const long long seconds = argc > 4 ? std::atoll(argv[4]) : 5;
        const auto interval = std::chrono::nanoseconds(1'000'000'000LL / std::max(1LL, n));
        auto next = clock_type::now();
        const long long total = n * seconds;
        for (long long i = 0; i < total; ++i) {
            std::this_thread::sleep_until(next); // pacing the load generator, not waiting for a result
            (void)sender.send(event{.type = "bench.event", .payload = payload(now_us())});
            next += interval;
        }
        bool ok = c.wait_for(total, std::chrono::seconds(60));
        std::printf("{\"mode\":\"latency\",\"rate_per_s\":%lld,\"events\":%lld,\"complete\":%s}\n", n, total,
                    ok ? "true" : "false");
    } else {
        std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
        return 2;
    }
    return 0;
}
