// scale_bench: the delivery engine at scale, through the sender's public API only, against the epoll
// receiver of receiver.hpp forked into its own process (so the sender's threads, RSS and CPU time are
// this process's alone). Each scenario prints one result line ("scale SCENARIO: key=value ...") and,
// with --json, the same as one JSON object. A run that does not finish within its budget prints what
// arrived, marked PARTIAL ("complete":false), and the program still exits 0.
//
//   scale_bench --scenario isolation --bad N --bad-kind never|slow|tarpit [--events 2000] [--rate 200]
//               [--bad-share K]
//       One healthy (fast) endpoint plus N bad ones, events sent at a fixed rate. Every event goes to the
//       healthy endpoint and to K of the bad ones in turn (channels; default K = 10, so each bad endpoint
//       gets rate * K / N events per second); --bad-share 0 sends every event to all N + 1. Reports the healthy
//       endpoint's send -> handler p50/p99/max and how many of its events arrived, for N = 0 (baseline) and N in the
//       same invocation, and p99(N)/p99(0).
//   scale_bench --scenario endpoints --endpoints N [--events E] [--store memory|sqlite]
//       N endpoints, each on its own channel c<n>; E events round-robin over the channels (one
//       delivery each), sent as fast as send() returns. Reports sends/s and deliveries/s (counted by
//       on_delivered), for N and for --baseline-endpoints (10) in the same invocation, and the ratio;
//       and the registry's memory per endpoint (heap bytes the N add_endpoint calls added, each).
//   scale_bench --scenario inflight --requests R [--delay 5s] [--inflight-endpoints K]
//       R requests in flight at once against the slow receiver: K endpoints (default R) with
//       max_concurrency ceil(R/K), ceil(R/K) events fanned out to all of them. Reports the peak number
//       in flight counted at the receiver (read, not yet answered), this process's thread count and
//       RSS at that peak, and RSS per request in flight.
//   scale_bench --scenario throughput --endpoints 10 --seconds 10
//       Deliveries/s to fast endpoints (events round-robin over per-endpoint channels, at most --window
//       outstanding) and this process's CPU per delivery; then wrk -t1 -c<workers> against the same
//       receiver with benchmarks/sender/post.lua (the sender's request), as benchmarks/sender/run.sh
//       does, and the ratios (wall clock and by CPU cost).
// Common options: --workers W (default 8; inflight: R while the engine makes one blocking request per
// worker), --max-concurrency C (per-endpoint default, 0 = the engine's), --timeout T (default 5s),
// --budget T (bound on each wait, default 60s), --json. Durations: 500ms, 5s or 5 (seconds).
#include "driver.hpp"
#include "receiver.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/memory_store.hpp>
#ifdef SCALE_HAVE_SQLITE
#include <hookline/stores/sqlite_store.hpp>
#endif

#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

// ==== The engine under test: everything engine-specific is in this block =========================
// scale_bench: the default sender, asynchronous on curl_transport. scale_bench_httplib (built with
// SCALE_ENGINE_HTTPLIB): the same sender on the blocking httplib_transport, one worker per request
// in flight (the engine before the asynchronous path), as the baseline of benchmarks/scale/run.sh.
// scale_bench_beast (built with SCALE_ENGINE_BEAST when Boost 1.81 is found): the same sender on the
// benchmark-only Boost.Beast transport of beast_transport.hpp (asynchronous, one I/O thread), for the
// libcurl-versus-Beast comparison (`benchmarks/scale/run.sh --compare-beast`).
#ifdef SCALE_ENGINE_BEAST
#include "beast_transport.hpp"
#endif
namespace engine {
using scale::driver::to_loopback; // every endpoint (e<n>.scale.test) is its own origin
#ifdef SCALE_ENGINE_HTTPLIB
using transport = hookline::httplib_transport;
inline constexpr bool one_thread_per_request = true;
inline constexpr const char* name = "httplib (blocking, a worker per request)";
inline transport make_transport(std::size_t connections) {
    return transport({.addresses = hookline::address_policy::with_allowed({"127.0.0.1/32"}).value(),
                      .max_idle_per_origin = std::max<std::size_t>(4, connections),
                      .max_idle_total = std::max<std::size_t>(256, connections),
                      .resolver = to_loopback});
}
#elif defined(SCALE_ENGINE_BEAST)
using transport = scale::beast_transport;
inline constexpr bool one_thread_per_request = false;
inline constexpr const char* name = "beast (asynchronous, one I/O thread; benchmark-only)";
inline transport make_transport(std::size_t connections) {
    (void)connections; // like libcurl: idle connections kept up to four times the requests in flight
    return transport(
        {.addresses = hookline::address_policy::with_allowed({"127.0.0.1/32"}).value(), .resolver = to_loopback});
}
#else
using transport = hookline::curl_transport;
inline constexpr bool one_thread_per_request = false;
inline constexpr const char* name = "curl (asynchronous, one I/O thread)";
inline transport make_transport(std::size_t connections) {
    (void)connections; // libcurl sizes its connection cache by the transfers in flight
    return transport(
        {.addresses = hookline::address_policy::with_allowed({"127.0.0.1/32"}).value(), .resolver = to_loopback});
}
#endif
template <class Store>
using sender = hookline::basic_sender<transport, hookline::standard_signer, hookline::standard_schedule, Store>;
} // namespace engine
// ==================================================================================================

namespace {

using namespace scale::driver;

// --- options -----------------------------------------------------------------------------------------

struct options {
    std::string scenario;
    long long bad = 100;
    long long bad_share = 10; // isolation: bad endpoints each event also goes to (0: all of them)
    scale::behaviour bad_kind = scale::behaviour::never;
    long long events = -1; // scenario default
    double rate = 200;
    long long endpoints = -1; // scenario default
    long long baseline_endpoints = 10;
    std::string store = "memory";
    long long requests = 10000;
    std::optional<milliseconds> delay{}; // slow receiver; scenario default
    long long inflight_endpoints = -1;   // default: requests
    long long seconds = 10;
    long long window = 256;
    long long wrk_connections = -1; // default: workers
    bool no_wrk = false;
#ifdef SCALE_WRK_SCRIPT
    std::string wrk_script = SCALE_WRK_SCRIPT;
#else
    std::string wrk_script = "benchmarks/sender/post.lua";
#endif
    long long workers = -1; // scenario default
    long long max_concurrency = 0;
    milliseconds timeout{5000};
    milliseconds budget{60000};
    bool json = false;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr,
                 "scale_bench: %s\n"
                 "usage: scale_bench --scenario isolation|endpoints|inflight|throughput [options]\n"
                 "  (see the comment at the top of benchmarks/scale/scale_bench.cpp)\n",
                 why.c_str());
    std::exit(2);
}

options parse_options(int argc, char** argv) {
    options o;
    arg_reader args(argc, argv, usage);
    while (args.next()) {
        const std::string& flag = args.flag();
        if (flag == "--scenario")
            o.scenario = args.value();
        else if (flag == "--bad")
            o.bad = args.number();
        else if (flag == "--bad-share")
            o.bad_share = args.number();
        else if (flag == "--bad-kind") {
            const std::string v = args.value();
            auto k = scale::parse_behaviour(v);
            if (!k || *k == scale::behaviour::fast) usage("--bad-kind is never, slow or tarpit");
            o.bad_kind = *k;
        } else if (flag == "--events")
            o.events = args.number();
        else if (flag == "--rate") {
            o.rate = std::strtod(args.value().c_str(), nullptr);
            if (!(o.rate > 0)) usage("--rate must be positive");
        } else if (flag == "--endpoints")
            o.endpoints = args.number();
        else if (flag == "--baseline-endpoints")
            o.baseline_endpoints = args.number();
        else if (flag == "--store") {
            o.store = args.value();
            if (o.store != "memory" && o.store != "sqlite") usage("--store is memory or sqlite");
        } else if (flag == "--requests")
            o.requests = args.number();
        else if (flag == "--delay")
            o.delay = args.duration();
        else if (flag == "--inflight-endpoints")
            o.inflight_endpoints = args.number();
        else if (flag == "--seconds")
            o.seconds = args.number();
        else if (flag == "--window")
            o.window = args.number();
        else if (flag == "--wrk-connections")
            o.wrk_connections = args.number();
        else if (flag == "--wrk-script")
            o.wrk_script = args.value();
        else if (flag == "--no-wrk")
            o.no_wrk = true;
        else if (flag == "--workers")
            o.workers = args.number();
        else if (flag == "--max-concurrency")
            o.max_concurrency = args.number();
        else if (flag == "--timeout")
            o.timeout = args.duration();
        else if (flag == "--budget")
            o.budget = args.duration();
        else if (flag == "--json")
            o.json = true;
        else if (flag == "-h" || flag == "--help")
            usage("help");
        else
            usage("unknown option " + flag);
    }
    const auto& s = o.scenario;
    if (s != "isolation" && s != "endpoints" && s != "inflight" && s != "throughput")
        usage("--scenario is isolation, endpoints, inflight or throughput");
    if (o.events < 0) o.events = s == "isolation" ? 2000 : 20000;
    if (o.endpoints < 0) o.endpoints = s == "throughput" ? 10 : 1000;
    if (!o.delay) o.delay = s == "inflight" ? milliseconds(5000) : milliseconds(3000);
    if (o.inflight_endpoints <= 0) o.inflight_endpoints = std::max<long long>(1, o.requests);
    if (o.workers <= 0) o.workers = s == "inflight" && engine::one_thread_per_request ? o.requests : 8;
    if (o.wrk_connections <= 0) o.wrk_connections = o.workers;
    if (o.endpoints == 0 || o.baseline_endpoints == 0 || o.requests == 0 || o.window == 0)
        usage("--endpoints, --baseline-endpoints, --requests and --window must be positive");
#ifndef SCALE_HAVE_SQLITE
    if (o.store == "sqlite") usage("built without hookline::sqlite");
#endif
    return o;
}

// --- this process --------------------------------------------------------------------------------------

struct process_status {
    long long threads = 0;
    long long rss_kb = 0;
};

process_status read_status() {
    process_status s;
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("Threads:")) s.threads = std::atoll(line.c_str() + 8);
        if (line.starts_with("VmRSS:")) s.rss_kb = std::atoll(line.c_str() + 6);
    }
    return s;
}

/// Heap bytes allocated and not freed (glibc's mallinfo2): unlike RSS, not hidden by memory an earlier
/// run freed and the allocator kept.
std::size_t heap_in_use() {
    const struct mallinfo2 m = ::mallinfo2();
    return m.uordblks + m.hblkhd;
}

long long open_fds() {
    long long n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
    }
    return n - 1; // the directory's own descriptor
}

// --- the sender's side -----------------------------------------------------------------------------------

hookline::sender_options sender_options_for(const options& o, std::size_t workers, milliseconds timeout,
                                            outcome_counter& c) {
    hookline::sender_options so;
    so.workers = workers;
    so.max_concurrency_per_endpoint = static_cast<std::size_t>(o.max_concurrency);
    so.timeout = timeout;
    so.callbacks.on_delivered = [&c](const hookline::attempt_report&) { c.bump(c.delivered); };
    so.callbacks.on_exhausted = [&c](const hookline::attempt_report&) { c.bump(c.exhausted); };
    so.logger = nullptr; // bad endpoints are expected to fail; the counts say how many did
    return so;
}

hookline::endpoint_config endpoint_at(int port, long long n, const hookline::secret& key, std::size_t max_concurrency,
                                      std::vector<std::string> channels = {}) {
    hookline::endpoint_config cfg;
    cfg.url = "http://e" + std::to_string(n) + ".scale.test:" + std::to_string(port) + "/e/" + std::to_string(n);
    cfg.secrets = {{key, 0}};
    cfg.channels = std::move(channels);
    cfg.max_concurrency = max_concurrency;
    return cfg;
}

/// A 1 KiB JSON body carrying its send time (steady clock ns), which the fast receiver parses.
std::string payload(std::int64_t sent_ns, long long seq) {
    std::string body = "{\"type\":\"scale.event\",\"sent_ns\":" + std::to_string(sent_ns) +
                       ",\"seq\":" + std::to_string(seq) + ",\"pad\":\"";
    body.append(1024 - body.size() - 2, 'x');
    body += "\"}";
    return body;
}

constexpr const char* event_type = "scale.event";

hookline::event event_at(long long seq, std::vector<std::string> channels = {}) {
    return hookline::event{
        .type = event_type, .payload = payload(scale::steady_ns(), seq), .id = {}, .channels = std::move(channels)};
}

// --- isolation -------------------------------------------------------------------------------------------

struct isolation_run {
    long long bad = 0;
    long long arrived = 0;
    double p50_us = NAN, p99_us = NAN, max_us = NAN;
    long long bad_requests = 0; // requests (or, for the tarpit, connections) the bad endpoints saw
    long long delivered = 0, exhausted = 0;
    double seconds = 0; // first send to the last healthy arrival (or the budget)
    bool complete = false;
};

isolation_run run_isolation(scale::receiver_process& rx, const options& o, long long n_bad) {
    rx.reset();
    outcome_counter c;
    const auto key = hookline::secret::generate().value();
    const auto workers = static_cast<std::size_t>(o.workers);
    isolation_run r;
    r.bad = n_bad;
    {
        engine::sender<hookline::memory_store> s(engine::make_transport(workers), hookline::standard_schedule{},
                                                 hookline::memory_store{},
                                                 sender_options_for(o, workers, o.timeout, c));
        // With a share K < N, each event goes to the healthy endpoint and to the next K bad ones in turn
        // (channels h and b<i>), so each bad endpoint gets rate * K / N events per second.
        const bool shared = o.bad_share > 0 && o.bad_share < n_bad;
        auto on = [&](std::string channel) {
            return shared ? std::vector<std::string>{std::move(channel)} : std::vector<std::string>{};
        };
        s.add_endpoint("healthy", endpoint_at(rx.port(scale::behaviour::fast), 0, key, 0, on("h"))).value();
        for (long long i = 0; i < n_bad; ++i)
            s.add_endpoint("bad" + std::to_string(i),
                           endpoint_at(rx.port(o.bad_kind), i + 1, key, 0, on("b" + std::to_string(i))))
                .value();

        const auto interval = std::chrono::nanoseconds(static_cast<long long>(1e9 / o.rate));
        const auto t0 = clock_type::now();
        auto next = t0;
        for (long long i = 0; i < o.events; ++i) {
            std::this_thread::sleep_until(next); // pacing the load, not waiting for a result
            std::vector<std::string> channels{};
            if (shared) {
                channels.push_back("h");
                for (long long k = 0; k < o.bad_share; ++k)
                    channels.push_back("b" + std::to_string((i * o.bad_share + k) % n_bad));
            }
            (void)s.send(event_at(i, std::move(channels)));
            next += interval;
        }
        auto st = rx.wait_for("fast.requests", o.events, o.budget);
        r.seconds = seconds_since(t0);
        r.complete = st["reached"] == 1;
        r.arrived = st["fast.requests"];
        if (st.has("lat.p50_ns")) {
            r.p50_us = us_of_ns(st["lat.p50_ns"]);
            r.p99_us = us_of_ns(st["lat.p99_ns"]);
            r.max_us = us_of_ns(st["lat.max_ns"]);
        }
        const auto k = std::string(scale::name_of(o.bad_kind));
        r.bad_requests = o.bad_kind == scale::behaviour::tarpit ? st["tarpit.accepted"] : st[k + ".requests"];
        r.delivered = c.delivered;
        r.exhausted = c.exhausted;
        (void)s.stop(milliseconds(200)); // the rest is handed back; attempts in flight end by their timeout
    }
    return r;
}

void scenario_isolation(scale::receiver_process& rx, const options& o) {
    const auto base = run_isolation(rx, o, 0);
    const auto bad = run_isolation(rx, o, o.bad);
    result_line line("isolation");
    line.add("bad", o.bad)
        .add("bad_kind", std::string(scale::name_of(o.bad_kind)))
        .add("bad_share", o.bad_share > 0 && o.bad_share < o.bad ? o.bad_share : o.bad)
        .add("events", o.events)
        .add("rate", o.rate, 0)
        .add("workers", o.workers)
        .add("timeout_ms", static_cast<long long>(o.timeout.count()));
    if (o.bad_kind == scale::behaviour::slow) line.add("delay_ms", static_cast<long long>(o.delay->count()));
    line.add("base_arrived", base.arrived)
        .add("base_p50_us", base.p50_us)
        .add("base_p99_us", base.p99_us)
        .add("base_max_us", base.max_us)
        .add("arrived", bad.arrived)
        .add("p50_us", bad.p50_us)
        .add("p99_us", bad.p99_us)
        .add("max_us", bad.max_us)
        .add("p99_ratio", ratio(bad.p99_us, base.p99_us), 2)
        .add("bad_requests_seen", bad.bad_requests)
        .add("seconds", bad.seconds, 1);
    if (!base.complete)
        line.partial("baseline: " + std::to_string(base.arrived) + "/" + std::to_string(o.events) +
                     " healthy events arrived within the budget");
    if (!bad.complete)
        line.partial("with " + std::to_string(o.bad) + " bad: " + std::to_string(bad.arrived) + "/" +
                     std::to_string(o.events) + " healthy events arrived within the budget; latencies are of those");
    line.print(o.json);
}

// --- endpoints -------------------------------------------------------------------------------------------

struct endpoints_run {
    long long endpoints = 0;
    double add_per_s = 0, sends_per_s = 0, deliveries_per_s = 0;
    double heap_per_endpoint_b = NAN; // registry memory: heap in use added by the add_endpoint calls, per endpoint
    long long sent = 0, send_errors = 0, delivered = 0, exhausted = 0, arrived = 0;
    double p50_us = NAN, p99_us = NAN;
    double seconds = 0;
    bool complete = false;
};

template <class Store>
endpoints_run run_endpoints_with(Store store, scale::receiver_process& rx, const options& o, long long n) {
    rx.reset();
    outcome_counter c;
    const auto key = hookline::secret::generate().value();
    const auto workers = static_cast<std::size_t>(o.workers);
    endpoints_run r;
    r.endpoints = n;
    engine::sender<Store> s(engine::make_transport(workers), hookline::standard_schedule{}, std::move(store),
                            sender_options_for(o, workers, o.timeout, c));
    const int port = rx.port(scale::behaviour::fast);
    const auto heap_before_add = heap_in_use();
    const auto t_add = clock_type::now();
    for (long long i = 0; i < n; ++i)
        s.add_endpoint("e" + std::to_string(i), endpoint_at(port, i, key, 0, {"c" + std::to_string(i)})).value();
    r.add_per_s = static_cast<double>(n) / seconds_since(t_add);
    r.heap_per_endpoint_b =
        (static_cast<double>(heap_in_use()) - static_cast<double>(heap_before_add)) / static_cast<double>(n);

    const auto t0 = clock_type::now();
    for (long long i = 0; i < o.events; ++i) {
        if (auto sent = s.send(event_at(i, {"c" + std::to_string(i % n)})); sent && sent->deliveries == 1)
            ++r.sent;
        else
            ++r.send_errors;
    }
    const auto t_sent = clock_type::now();
    r.sends_per_s = static_cast<double>(o.events) / seconds_since(t0, t_sent);
    r.complete = c.wait_done(r.sent, t_sent + o.budget);
    r.seconds = seconds_since(t0);
    r.delivered = c.delivered;
    r.exhausted = c.exhausted;
    r.deliveries_per_s = static_cast<double>(r.delivered) / r.seconds;
    const auto st = rx.stats();
    r.arrived = st["fast.requests"];
    if (st.has("lat.p50_ns")) {
        r.p50_us = us_of_ns(st["lat.p50_ns"]);
        r.p99_us = us_of_ns(st["lat.p99_ns"]);
    }
    (void)s.stop(milliseconds(200));
    return r;
}

endpoints_run run_endpoints(scale::receiver_process& rx, const options& o, long long n) {
#ifdef SCALE_HAVE_SQLITE
    if (o.store == "sqlite") {
        char dir[] = "/tmp/scale_bench.XXXXXX";
        if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
        endpoints_run r;
        {
            auto store = hookline::sqlite_store::open(std::string(dir) + "/store.db");
            if (!store) throw std::runtime_error("sqlite_store::open: " + store.error().message());
            r = run_endpoints_with(std::move(*store), rx, o, n);
        }
        std::filesystem::remove_all(dir);
        return r;
    }
#endif
    return run_endpoints_with(hookline::memory_store{}, rx, o, n);
}

void scenario_endpoints(scale::receiver_process& rx, const options& o) {
    const auto base = run_endpoints(rx, o, o.baseline_endpoints);
    const auto big = run_endpoints(rx, o, o.endpoints);
    result_line line("endpoints");
    line.add("endpoints", o.endpoints)
        .add("events", o.events)
        .add("store", o.store)
        .add("workers", o.workers)
        .add("base_endpoints", o.baseline_endpoints)
        .add("base_sends_per_s", base.sends_per_s, 0)
        .add("base_deliveries_per_s", base.deliveries_per_s, 0)
        .add("add_endpoint_per_s", big.add_per_s, 0)
        .add("heap_per_endpoint_b", big.heap_per_endpoint_b, 0)
        .add("sends_per_s", big.sends_per_s, 0)
        .add("deliveries_per_s", big.deliveries_per_s, 0)
        .add("delivered", big.delivered)
        .add("arrived", big.arrived)
        .add("p50_us", big.p50_us, 0)
        .add("p99_us", big.p99_us, 0)
        .add("seconds", big.seconds, 1)
        .add("sends_ratio", ratio(big.sends_per_s, base.sends_per_s), 2)
        .add("deliveries_ratio", ratio(big.deliveries_per_s, base.deliveries_per_s), 2);
    for (const auto* r : {&base, &big}) {
        const std::string which = std::to_string(r->endpoints) + " endpoints";
        if (!r->complete)
            line.partial(which + ": " + std::to_string(r->delivered + r->exhausted) + "/" + std::to_string(r->sent) +
                         " delivered within the budget; deliveries/s counts those");
        if (r->send_errors) line.partial(which + ": " + std::to_string(r->send_errors) + " sends failed");
        if (r->exhausted) line.partial(which + ": " + std::to_string(r->exhausted) + " deliveries failed");
    }
    line.print(o.json);
}

// --- inflight --------------------------------------------------------------------------------------------

void scenario_inflight(scale::receiver_process& rx, const options& o) {
    const long long k = std::min(o.inflight_endpoints, o.requests);
    const long long per = (o.requests + k - 1) / k; // max_concurrency per endpoint, and events
    const long long total = per * k;                // deliveries; every one can be in flight at once
    const auto workers = static_cast<std::size_t>(o.workers);
    const auto timeout = std::max(o.timeout, *o.delay + milliseconds(10000)); // answers are never late
    rx.set_delay(*o.delay);
    rx.reset();
    outcome_counter c;
    const auto key = hookline::secret::generate().value();

    const auto before = read_status();
    process_status constructed, setup, peak;
    long long fds_at_peak = 0, sampled_peak = 0;
    double ramp_s = NAN, all_s = NAN;
    bool reached = false, all_done = false;
    scale::receiver_stats st;
    {
        engine::sender<hookline::memory_store> s(engine::make_transport(static_cast<std::size_t>(per)),
                                                 hookline::standard_schedule{}, hookline::memory_store{},
                                                 sender_options_for(o, workers, timeout, c));
        constructed = read_status();
        const int port = rx.port(scale::behaviour::slow);
        for (long long i = 0; i < k; ++i)
            s.add_endpoint("e" + std::to_string(i), endpoint_at(port, i, key, static_cast<std::size_t>(per))).value();
        setup = read_status();
        peak = setup;

        const auto t0 = clock_type::now();
        for (long long e = 0; e < per; ++e) (void)s.send(event_at(e));
        // Sample this process while the receiver counts requests in flight; each wait returns as soon
        // as all are in flight, or after 250 ms.
        const auto ramp_deadline = t0 + o.budget;
        while (clock_type::now() < ramp_deadline) {
            const auto left = std::chrono::duration_cast<milliseconds>(ramp_deadline - clock_type::now());
            st = rx.wait_for("slow.inflight", total, std::min(milliseconds(250), left));
            const auto now = read_status();
            peak.threads = std::max(peak.threads, now.threads);
            peak.rss_kb = std::max(peak.rss_kb, now.rss_kb);
            sampled_peak = std::max(sampled_peak, st["slow.inflight"]);
            if (st["reached"] == 1) {
                reached = true;
                ramp_s = seconds_since(t0);
                fds_at_peak = open_fds();
                break;
            }
            if (c.done() >= total) break; // all answered already: the peak has passed
        }
        all_done = c.wait_done(total, clock_type::now() + *o.delay + o.budget);
        all_s = seconds_since(t0);
        st = rx.stats();
        (void)s.stop(milliseconds(200));
    }
    const long long peak_inflight = st["slow.peak_inflight"];
    const double per_request_kb =
        peak_inflight > 0 ? static_cast<double>(peak.rss_kb - before.rss_kb) / static_cast<double>(peak_inflight) : NAN;
    const double per_request_kb_requests_only =
        peak_inflight > 0 ? static_cast<double>(peak.rss_kb - setup.rss_kb) / static_cast<double>(peak_inflight) : NAN;
    result_line line("inflight");
    line.add("requests", total)
        .add("endpoints", k)
        .add("per_endpoint", per)
        .add("workers", o.workers)
        .add("delay_ms", static_cast<long long>(o.delay->count()))
        .add("peak_inflight", peak_inflight)
        .add("ramp_s", ramp_s, 2)
        .add("threads_before", before.threads)
        .add("threads_idle", setup.threads)
        .add("threads_peak", peak.threads)
        .add("fds_at_peak", fds_at_peak)
        .add("rss_before_kb", before.rss_kb)
        .add("rss_constructed_kb", constructed.rss_kb)
        .add("rss_setup_kb", setup.rss_kb)
        .add("rss_peak_kb", peak.rss_kb)
        .add("kb_per_inflight", per_request_kb, 1)
        .add("kb_per_inflight_after_setup", per_request_kb_requests_only, 1)
        .add("receiver_peak_conns", st["slow.peak_conns"])
        .add("delivered", c.delivered.load())
        .add("all_delivered_s", all_s, 2);
    if (!reached)
        line.partial("the receiver never saw all " + std::to_string(total) +
                     " in flight at once (most seen: " + std::to_string(peak_inflight) + ")");
    if (!all_done)
        line.partial(std::to_string(c.done()) + "/" + std::to_string(total) + " delivered within the budget");
    line.print(o.json);
}

// --- throughput ------------------------------------------------------------------------------------------

struct wrk_result {
    bool ran = false;
    std::string why_not{};
    double requests_per_s = 0;
    long long requests = 0;
    double cpu_s = 0;          // wrk's
    double receiver_cpu_s = 0; // the receiver's meanwhile
};

/// Runs wrk -t1 -cC -dSs -s SCRIPT URL as benchmarks/sender/run.sh does, with its CPU time (wait4).
wrk_result run_wrk(scale::receiver_process& rx, const options& o) {
    wrk_result w;
    const std::string url = "http://127.0.0.1:" + std::to_string(rx.port(scale::behaviour::fast)) + "/e/0";
    const std::string c = "-c" + std::to_string(o.wrk_connections), d = "-d" + std::to_string(o.seconds) + "s";
    std::vector<std::string> args{"wrk", "-t1", c, d, "-s", o.wrk_script, url};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return {.why_not = "pipe failed"};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    rx.reset();
    const auto rx0 = rx.stats();
    pid_t pid = -1;
    const int spawned = ::posix_spawnp(&pid, "wrk", &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    if (spawned != 0) {
        ::close(out[0]);
        return {.why_not = "wrk not found (apt-get install wrk)"};
    }
    std::string text;
    const auto deadline = clock_type::now() + std::chrono::seconds(o.seconds) + o.budget;
    for (;;) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock_type::now()).count();
        if (left <= 0) {
            ::kill(pid, SIGKILL);
            w.why_not = "wrk overran its duration";
            break;
        }
        pollfd p{out[0], POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
        char buf[4096];
        const ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(out[0]);
    int status = 0;
    rusage ru{};
    ::wait4(pid, &status, 0, &ru);
    const auto rx1 = rx.stats();
    if (!w.why_not.empty()) return w;
    auto after = [&](std::string_view key) -> std::string {
        const auto at = text.find(key);
        return at == std::string::npos ? std::string{} : text.substr(at + key.size(), 32);
    };
    w.requests_per_s = std::atof(after("Requests/sec:").c_str());
    // "  123456 requests in 10.00s, ..."
    if (auto at = text.find(" requests in "); at != std::string::npos) {
        auto start = text.rfind('\n', at);
        w.requests = std::atoll(text.c_str() + (start == std::string::npos ? 0 : start + 1));
    }
    if (w.requests <= 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return {.why_not = "wrk failed: " + text.substr(0, 200)};
    if (text.find("Non-2xx") != std::string::npos) w.why_not = "wrk got non-2xx responses";
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    w.cpu_s = s(ru.ru_utime) + s(ru.ru_stime);
    w.receiver_cpu_s = receiver_cpu_s(rx1) - receiver_cpu_s(rx0);
    w.ran = w.why_not.empty();
    return w;
}

void scenario_throughput(scale::receiver_process& rx, const options& o) {
    const long long n = o.endpoints;
    const auto workers = static_cast<std::size_t>(o.workers);
    rx.reset();
    outcome_counter c;
    const auto key = hookline::secret::generate().value();
    long long deliveries = 0, sent = 0, send_errors = 0;
    double secs = 0, cpu_s = 0, rx_cpu_s = 0;
    bool drained = false, warmed = false;
    {
        engine::sender<hookline::memory_store> s(engine::make_transport(workers), hookline::standard_schedule{},
                                                 hookline::memory_store{},
                                                 sender_options_for(o, workers, o.timeout, c));
        const int port = rx.port(scale::behaviour::fast);
        for (long long i = 0; i < n; ++i)
            s.add_endpoint("e" + std::to_string(i), endpoint_at(port, i, key, 0, {"c" + std::to_string(i)})).value();
        auto send_one = [&] {
            if (auto r = s.send(event_at(sent, {"c" + std::to_string(sent % n)})); r && r->deliveries == 1)
                ++sent;
            else
                ++send_errors;
        };
        // Warm-up: connections to every endpoint.
        for (long long i = 0; i < std::max<long long>(200, 4 * n); ++i) send_one();
        warmed = c.wait_done(sent, clock_type::now() + o.budget);

        const double cpu0 = self_cpu_s();
        const auto rx0 = rx.stats();
        const long long d0 = c.done();
        const auto t0 = clock_type::now();
        const auto end = t0 + std::chrono::seconds(o.seconds);
        // Closed loop: at most `window` events outstanding; wait (bounded by `end`) until half are done.
        while (clock_type::now() < end && warmed) {
            while (sent - c.done() < o.window && clock_type::now() < end && send_errors < 1000) send_one();
            c.wait_done(sent - o.window / 2, end);
        }
        const auto t1 = clock_type::now();
        deliveries = c.done() - d0;
        cpu_s = self_cpu_s() - cpu0;
        rx_cpu_s = receiver_cpu_s(rx.stats()) - receiver_cpu_s(rx0);
        secs = seconds_since(t0, t1);
        drained = c.wait_done(sent, clock_type::now() + o.budget);
        (void)s.stop(milliseconds(200));
    }
    const double rate = static_cast<double>(deliveries) / secs;
    const double sender_us = deliveries > 0 ? 1e6 * cpu_s / static_cast<double>(deliveries) : NAN;
    const double rx_us = deliveries > 0 ? 1e6 * rx_cpu_s / static_cast<double>(deliveries) : NAN;

    wrk_result w = o.no_wrk ? wrk_result{.why_not = "--no-wrk"} : run_wrk(rx, o);
    const double wrk_us = w.ran ? 1e6 * w.cpu_s / static_cast<double>(w.requests) : NAN;
    const double wrk_rx_us = w.ran ? 1e6 * w.receiver_cpu_s / static_cast<double>(w.requests) : NAN;

    result_line line("throughput");
    line.add("endpoints", n)
        .add("seconds", secs, 2)
        .add("workers", o.workers)
        .add("window", o.window)
        .add("deliveries", deliveries)
        .add("deliveries_per_s", rate, 0)
        .add("sender_cpu_us_per_delivery", sender_us, 1)
        .add("receiver_cpu_us_per_delivery", rx_us, 1)
        .add("wrk_connections", o.wrk_connections)
        .add("wrk_requests_per_s", w.ran ? w.requests_per_s : NAN, 0)
        .add("wrk_cpu_us_per_request", wrk_us, 1)
        .add("receiver_cpu_us_per_wrk_request", wrk_rx_us, 1)
        .add("ratio_to_wrk", w.ran ? ratio(rate, w.requests_per_s) : NAN, 2)
        .add("cpu_ratio_to_wrk", w.ran ? ratio(wrk_us + wrk_rx_us, sender_us + rx_us) : NAN, 2);
    if (!w.ran) line.add("wrk", w.why_not);
    if (!warmed) line.partial("the warm-up deliveries did not finish within the budget");
    if (!drained) line.partial("the outstanding deliveries did not finish within the budget");
    if (send_errors) line.partial(std::to_string(send_errors) + " sends failed");
    if (c.exhausted) line.partial(std::to_string(c.exhausted.load()) + " deliveries failed");
    line.print(o.json);
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const long long nofile = scale::raise_nofile_limit();
    const options o = parse_options(argc, argv);
    try {
        // Forked before this process starts any thread; it raises its own descriptor limit too.
        scale::receiver_process rx({.slow_delay = *o.delay});
        std::fprintf(stderr, "scale_bench: %s, engine %s, receiver pid %d, RLIMIT_NOFILE %lld\n", o.scenario.c_str(),
                     engine::name, static_cast<int>(rx.pid()), nofile);
        if (o.scenario == "isolation")
            scenario_isolation(rx, o);
        else if (o.scenario == "endpoints")
            scenario_endpoints(rx, o);
        else if (o.scenario == "inflight")
            scenario_inflight(rx, o);
        else
            scenario_throughput(rx, o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scale_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
