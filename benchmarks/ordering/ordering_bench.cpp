// ordering_bench: ordered delivery (issue #20) under load, through the sender's public API only, on the
// default engine (curl_transport), against the fast receiver of benchmarks/scale/receiver.hpp forked into
// its own process. Each scenario prints one result line ("ordering SCENARIO: key=value ...") and, with
// --json, the same as one JSON object; a run that does not finish within its budget is marked PARTIAL.
//
//   ordering_bench --scenario throughput [--keys 10000] [--events 100000] [--rounds 3]
//                  [--pattern round-robin|random] [--store memory|sqlite] [--max-concurrency 64] [--preload]
//                  [--sqlite-sync full|normal] [--only none|per_key]
//       One endpoint; E events over K ordering keys (round-robin, or drawn at random with a fixed seed,
//       the same sequence every round), sent as fast as send() returns; deliveries/s = E / (first send to
//       last delivery, counted by on_delivered). Each round runs the endpoint with `order = none` and
//       with `order = per_key` (a fresh sender and store each time), alternating which goes first
//       (none, per_key; per_key, none; ...) so drift hits both alike. Prints a line per run and the
//       summary: medians, per_key/none of the medians and of each pair. --preload stores every event
//       first (the endpoint rate-limited to 0.001/s meanwhile: one delivery goes out), then lifts the
//       limit (update_endpoint) and times the deliveries alone: deliveries/s = E / drain time, the
//       delivery path without the cost of send (which bounds a burst on the SQLite store, where each send
//       commits). With --store sqlite (a fresh file under /tmp each run; --sqlite-sync sets its PRAGMA
//       synchronous, default full), a store that cannot keep order yet (add_endpoint:
//       ordering_unsupported) is reported as such. --only runs one order alone (its run lines, no
//       summary): for profiling one side, e.g. under perf record.
//   ordering_bench --scenario isolation [--keys 1000] [--rate 200] [--seconds 70] [--fail-seconds 60]
//                  [--retry-step 1s] [--max-concurrency 64] [--repeat 1]
//       One per_key endpoint; rate * seconds events round-robin over K keys, paced. Key k0's events carry
//       no "sent_ns" (so only the other keys' send -> handler latency is recorded by the receiver); in the
//       failing run they also carry "fail_until_ns" = start + fail-seconds, so the receiver answers 503
//       to them until then, and the sender (fixed_schedule: retry-step delays, enough of them to outlast
//       the failure) retries k0's head while k0's later events wait behind it. Reports the healthy keys'
//       p50/p99/max without (base_) and with the failing key, p99 with / p99 without, the 503s the
//       failing key got, and whether its events then arrived complete and in send order. --repeat N
//       runs N such pairs, alternating which goes first, and reports the medians and each pair's ratio
//       (p99 of a few thousand samples on a shared machine varies from run to run).
// Common options: --max-concurrency C (the endpoint's; 0 = the sender's default, 16), --workers W
// (default 8), --timeout T (default 5s), --budget T (bound on each wait, default 300s), --quick (small
// counts: a smoke run), --json. Durations: 500ms, 5s or 5 (seconds).
#include "../scale/driver.hpp"
#include "../scale/receiver.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/memory_store.hpp>
#ifdef ORDERING_HAVE_SQLITE
#include <hookline/stores/sqlite_store.hpp>
#endif

#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace scale::driver;

// --- options -------------------------------------------------------------------------------------------

struct options {
    std::string scenario;
    bool quick = false;
    long long keys = -1;   // scenario default
    long long events = -1; // throughput
    long long rounds = -1; // throughput: none/per_key pairs
    bool random_keys = false;
    std::string store = "memory";
    bool preload = false;
    bool sqlite_sync_normal = false;
    std::optional<hookline::delivery_order> only{}; // throughput: run just this order
    double rate = 200;                              // isolation: events per second over all keys
    long long seconds = -1;                         // isolation: how long events are sent
    long long fail_seconds = -1;
    milliseconds retry_step{1000};
    long long repeat = 1;
    long long max_concurrency = 64; // 0 = the sender's default
    long long workers = 8;
    milliseconds timeout{5000};
    milliseconds budget{300000};
    bool json = false;
};

[[noreturn]] void usage(const std::string& why) {
    std::fprintf(stderr,
                 "ordering_bench: %s\n"
                 "usage: ordering_bench --scenario throughput|isolation [options]\n"
                 "  (see the comment at the top of benchmarks/ordering/ordering_bench.cpp)\n",
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
        else if (flag == "--quick")
            o.quick = true;
        else if (flag == "--keys")
            o.keys = args.number();
        else if (flag == "--events")
            o.events = args.number();
        else if (flag == "--rounds")
            o.rounds = args.number();
        else if (flag == "--pattern") {
            const std::string v = args.value();
            if (v != "round-robin" && v != "random") usage("--pattern is round-robin or random");
            o.random_keys = v == "random";
        } else if (flag == "--store") {
            o.store = args.value();
            if (o.store != "memory" && o.store != "sqlite") usage("--store is memory or sqlite");
        } else if (flag == "--preload")
            o.preload = true;
        else if (flag == "--sqlite-sync") {
            const std::string v = args.value();
            if (v != "full" && v != "normal") usage("--sqlite-sync is full or normal");
            o.sqlite_sync_normal = v == "normal";
        } else if (flag == "--only") {
            const std::string v = args.value();
            if (v != "none" && v != "per_key") usage("--only is none or per_key");
            o.only = v == "none" ? hookline::delivery_order::none : hookline::delivery_order::per_key;
        } else if (flag == "--rate") {
            o.rate = std::strtod(args.value().c_str(), nullptr);
            if (!(o.rate > 0)) usage("--rate must be positive");
        } else if (flag == "--seconds")
            o.seconds = args.number();
        else if (flag == "--fail-seconds")
            o.fail_seconds = args.number();
        else if (flag == "--repeat")
            o.repeat = args.number();
        else if (flag == "--retry-step")
            o.retry_step = args.duration();
        else if (flag == "--max-concurrency")
            o.max_concurrency = args.number();
        else if (flag == "--workers")
            o.workers = args.number();
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
    if (o.scenario != "throughput" && o.scenario != "isolation") usage("--scenario is throughput or isolation");
    const bool tp = o.scenario == "throughput";
    if (o.keys < 0) o.keys = tp ? (o.quick ? 1000 : 10000) : (o.quick ? 100 : 1000);
    if (o.events < 0) o.events = o.quick ? 10000 : 100000;
    if (o.rounds < 0) o.rounds = o.quick ? 1 : 3;
    if (o.fail_seconds < 0) o.fail_seconds = o.quick ? 5 : 60;
    if (o.seconds < 0) o.seconds = o.fail_seconds + (o.quick ? 3 : 10);
    if (o.keys < 2 || o.events == 0 || o.rounds == 0 || o.seconds == 0 || o.workers == 0 || o.repeat == 0)
        usage("--keys must be at least 2; --events, --rounds, --seconds, --workers and --repeat positive");
    if (o.retry_step.count() <= 0) usage("--retry-step must be positive");
#ifndef ORDERING_HAVE_SQLITE
    if (o.store == "sqlite") usage("built without hookline::sqlite");
#endif
    return o;
}

// --- reporting -----------------------------------------------------------------------------------------

double median(std::vector<double> v) {
    if (v.empty()) return NAN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
std::string joined(const std::vector<double>& v, int decimals) {
    std::string s;
    for (double x : v) {
        char text[64];
        std::snprintf(text, sizeof text, "%.*f", decimals, x);
        s += (s.empty() ? "" : "/") + std::string(text);
    }
    return s;
}

// --- the sender's side -----------------------------------------------------------------------------------

hookline::curl_transport make_transport() {
    return hookline::curl_transport(
        {.addresses = hookline::address_policy::with_allowed({"127.0.0.1/32"}).value(), .resolver = to_loopback});
}

template <class Retry, class Store>
using sender_type = hookline::basic_sender<hookline::curl_transport, hookline::standard_signer, Retry, Store>;

hookline::sender_options sender_options_for(const options& o, outcome_counter& c) {
    hookline::sender_options so;
    so.workers = static_cast<std::size_t>(o.workers);
    so.timeout = o.timeout;
    so.callbacks.on_delivered = [&c](const hookline::attempt_report& r) {
        if (c.watch) c.watch(r.message_id);
        c.bump(c.delivered);
    };
    so.callbacks.on_exhausted = [&c](const hookline::attempt_report&) { c.bump(c.exhausted); };
    so.logger = nullptr; // the failing key is expected to fail; the counts say how often
    return so;
}

hookline::endpoint_config endpoint_for(int port, hookline::delivery_order order, const options& o) {
    hookline::endpoint_config cfg;
    cfg.url = "http://e0.ordering.test:" + std::to_string(port) + "/e/0";
    cfg.secrets = {{hookline::secret::generate().value(), 0}};
    cfg.max_concurrency = static_cast<std::size_t>(o.max_concurrency);
    cfg.order = order;
    cfg.on_head_exhausted = hookline::head_exhaustion::block;
    return cfg;
}

/// A 1 KiB JSON body with `fields` (for example `"sent_ns":N,`), which the fast receiver reads.
std::string payload(const std::string& fields, long long seq) {
    std::string body = "{\"type\":\"ordering.event\"," + fields + "\"seq\":" + std::to_string(seq) + ",\"pad\":\"";
    body.append(body.size() < 1022 ? 1022 - body.size() : 0, 'x');
    body += "\"}";
    return body;
}

std::string sent_now() { return "\"sent_ns\":" + std::to_string(scale::steady_ns()) + ","; }

const char* name_of(hookline::delivery_order order) {
    switch (order) {
    case hookline::delivery_order::none: return "none";
    case hookline::delivery_order::per_key: return "per_key";
    case hookline::delivery_order::endpoint: return "endpoint";
    }
    return "?";
}

// --- throughput ------------------------------------------------------------------------------------------

struct throughput_run {
    hookline::delivery_order order = hookline::delivery_order::none;
    std::string unavailable{}; // why this store cannot run it
    long long sent = 0, send_errors = 0, delivered = 0, exhausted = 0;
    long long delivered_before = 0; // --preload: delivered before the timed part (1: the rate limit's one token)
    double seconds = NAN, sends_per_s = NAN, deliveries_per_s = NAN, cpu_us_per_delivery = NAN;
    bool complete = false;
};

template <class Store>
throughput_run run_throughput_with(Store store, scale::receiver_process& rx, const options& o,
                                   hookline::delivery_order order, const std::vector<std::string>& key_of_event) {
    throughput_run r;
    r.order = order;
    rx.reset();
    outcome_counter c;
    sender_type<hookline::standard_schedule, Store> s(make_transport(), hookline::standard_schedule{}, std::move(store),
                                                      sender_options_for(o, c));
    auto config = endpoint_for(rx.port(scale::behaviour::fast), order, o);
    if (o.preload) config.rate_limit = 0.001; // one delivery now, the next in 1000 s: the rest waits in the store
    if (auto added = s.add_endpoint("e0", config); !added) {
        if (added.error() != hookline::errc::ordering_unsupported)
            throw std::runtime_error("add_endpoint: " + added.error().message());
        r.unavailable = added.error().message();
        return r;
    }
    double cpu0 = self_cpu_s();
    auto t0 = clock_type::now();
    for (long long i = 0; i < o.events; ++i) {
        auto sent = s.send(hookline::event{.type = "ordering.event",
                                           .payload = payload(sent_now(), i),
                                           .id = {},
                                           .channels = {},
                                           .ordering_key = key_of_event[static_cast<std::size_t>(i)]});
        if (sent && sent->deliveries == 1)
            ++r.sent;
        else
            ++r.send_errors;
    }
    const auto t_sent = clock_type::now();
    r.sends_per_s = static_cast<double>(r.sent + r.send_errors) / seconds_since(t0, t_sent);
    long long& before = r.delivered_before;
    if (o.preload) {
        before = c.done();
        config.rate_limit = 0;
        cpu0 = self_cpu_s();
        t0 = clock_type::now();
        s.update_endpoint("e0", config).value();
    }
    r.complete = c.wait_done(r.sent, clock_type::now() + o.budget);
    const auto t1 = clock_type::now();
    r.seconds = seconds_since(t0, t1);
    r.delivered = c.delivered;
    r.exhausted = c.exhausted;
    r.deliveries_per_s = static_cast<double>(r.delivered - before) / r.seconds;
    if (r.delivered > before)
        r.cpu_us_per_delivery = 1e6 * (self_cpu_s() - cpu0) / static_cast<double>(r.delivered - before);
    (void)s.stop(milliseconds(200));
    return r;
}

throughput_run run_throughput(scale::receiver_process& rx, const options& o, hookline::delivery_order order,
                              const std::vector<std::string>& key_of_event) {
#ifdef ORDERING_HAVE_SQLITE
    if (o.store == "sqlite") {
        char dir[] = "/tmp/ordering_bench.XXXXXX";
        if (!::mkdtemp(dir)) throw std::runtime_error("mkdtemp failed");
        throughput_run r;
        {
            hookline::sqlite_store_options so;
            so.synchronous =
                o.sqlite_sync_normal ? hookline::sqlite_synchronous::normal : hookline::sqlite_synchronous::full;
            auto store = hookline::sqlite_store::open(std::string(dir) + "/store.db", so);
            if (!store) throw std::runtime_error("sqlite_store::open: " + store.error().message());
            r = run_throughput_with(std::move(*store), rx, o, order, key_of_event);
        }
        std::filesystem::remove_all(dir);
        return r;
    }
#endif
    return run_throughput_with(hookline::memory_store{}, rx, o, order, key_of_event);
}

void print_run(const options& o, long long round, const throughput_run& r) {
    result_line line("throughput-run", "ordering");
    line.add("round", round)
        .add("order", std::string(name_of(r.order)))
        .add("store", o.store)
        .add("mode", std::string(o.preload ? "preload" : "burst"));
    if (!r.unavailable.empty()) {
        line.add("unavailable", r.unavailable);
    } else {
        line.add("deliveries_per_s", r.deliveries_per_s, 0)
            .add("sends_per_s", r.sends_per_s, 0)
            .add("seconds", r.seconds, 2)
            .add("sender_cpu_us_per_delivery", r.cpu_us_per_delivery, 1)
            .add("delivered", r.delivered);
        if (o.preload) line.add("delivered_before_timing", r.delivered_before);
        if (!r.complete)
            line.partial(std::to_string(r.delivered + r.exhausted) + "/" + std::to_string(r.sent) +
                         " delivered within the budget");
        if (r.send_errors) line.partial(std::to_string(r.send_errors) + " sends failed");
        if (r.exhausted) line.partial(std::to_string(r.exhausted) + " deliveries failed");
    }
    line.print(o.json);
}

void scenario_throughput(scale::receiver_process& rx, const options& o) {
    // The keys of the events, the same for every run: round-robin, or drawn with a fixed seed.
    std::vector<std::string> key_of_event(static_cast<std::size_t>(o.events));
    std::mt19937_64 rng(20);
    std::uniform_int_distribution<long long> pick(0, o.keys - 1);
    for (long long i = 0; i < o.events; ++i)
        key_of_event[static_cast<std::size_t>(i)] = "k" + std::to_string(o.random_keys ? pick(rng) : i % o.keys);

    using hookline::delivery_order;
    if (o.only) {
        for (long long round = 1; round <= o.rounds; ++round)
            print_run(o, round, run_throughput(rx, o, *o.only, key_of_event));
        return;
    }
    std::vector<double> none, per_key, pair_ratios, none_cpu, per_key_cpu;
    std::string unavailable;
    bool complete = true;
    for (long long round = 1; round <= o.rounds && unavailable.empty(); ++round) {
        const bool none_first = round % 2 == 1;
        throughput_run a =
            run_throughput(rx, o, none_first ? delivery_order::none : delivery_order::per_key, key_of_event);
        print_run(o, round, a);
        throughput_run b =
            run_throughput(rx, o, none_first ? delivery_order::per_key : delivery_order::none, key_of_event);
        print_run(o, round, b);
        const auto& n = none_first ? a : b;
        const auto& p = none_first ? b : a;
        if (!p.unavailable.empty()) {
            unavailable = p.unavailable;
            none.push_back(n.deliveries_per_s);
            break;
        }
        complete =
            complete && n.complete && p.complete && !n.send_errors && !p.send_errors && !n.exhausted && !p.exhausted;
        none.push_back(n.deliveries_per_s);
        per_key.push_back(p.deliveries_per_s);
        none_cpu.push_back(n.cpu_us_per_delivery);
        per_key_cpu.push_back(p.cpu_us_per_delivery);
        pair_ratios.push_back(ratio(p.deliveries_per_s, n.deliveries_per_s));
    }
    result_line line("throughput", "ordering");
    line.add("keys", o.keys)
        .add("events", o.events)
        .add("pattern", std::string(o.random_keys ? "random" : "round-robin"))
        .add("mode", std::string(o.preload ? "preload" : "burst"))
        .add("store", o.store + (o.store == "sqlite" ? (o.sqlite_sync_normal ? "(normal)" : "(full)") : ""))
        .add("max_concurrency", o.max_concurrency == 0 ? std::string("default") : std::to_string(o.max_concurrency))
        .add("workers", o.workers)
        .add("rounds", static_cast<long long>(none.size()))
        .add("none_per_s", median(none), 0);
    if (!unavailable.empty()) {
        line.add("per_key", "unavailable: " + unavailable);
    } else {
        line.add("per_key_per_s", median(per_key), 0)
            .add("ratio", ratio(median(per_key), median(none)), 2)
            .add("pair_ratios", joined(pair_ratios, 2))
            .add("none_runs", joined(none, 0))
            .add("per_key_runs", joined(per_key, 0))
            .add("none_cpu_us_per_delivery", median(none_cpu), 1)
            .add("per_key_cpu_us_per_delivery", median(per_key_cpu), 1);
        if (!complete) line.partial("a run did not deliver everything (see its line)");
    }
    line.print(o.json);
}

// --- isolation -------------------------------------------------------------------------------------------

struct isolation_run {
    bool failing = false;
    long long events = 0, healthy_events = 0, arrived = 0, failed_503 = 0;
    double p50_us = NAN, p99_us = NAN, max_us = NAN;
    double seconds = NAN;        // first send to the last healthy arrival
    double failing_done_s = NAN; // first send to the failing key's last delivery
    long long failing_events = 0, failing_delivered = 0;
    bool failing_in_order = true;
    bool failing_early = false; // a failing-key event was delivered before its failure ended
    bool complete = false, all_delivered = false;
};

isolation_run run_isolation(scale::receiver_process& rx, const options& o, bool failing) {
    isolation_run r;
    r.failing = failing;
    rx.reset();
    outcome_counter c;
    // The failing key's delivered message ids ("f<seq>"), in delivery order.
    std::mutex seen_mutex;
    std::vector<long long> failing_seen;
    std::atomic<std::int64_t> fail_until{0};
    c.watch = [&](const std::string& id) {
        if (id.empty() || id[0] != 'f') return;
        const bool early = scale::steady_ns() < fail_until.load();
        std::lock_guard lock(seen_mutex);
        failing_seen.push_back(std::atoll(id.c_str() + 1));
        if (early) r.failing_early = true;
    };
    // Enough retry steps to outlast the failure twice over: the head is retried, never exhausted.
    const auto steps = static_cast<std::size_t>(2 * o.fail_seconds * 1000 / o.retry_step.count() + 10);
    hookline::fixed_schedule retry{std::vector<milliseconds>(steps, o.retry_step)};
    {
        sender_type<hookline::fixed_schedule, hookline::memory_store> s(
            make_transport(), retry, hookline::memory_store{}, sender_options_for(o, c));
        s.add_endpoint("e0", endpoint_for(rx.port(scale::behaviour::fast), hookline::delivery_order::per_key, o))
            .value();
        r.events = std::llround(o.rate * static_cast<double>(o.seconds));
        const auto interval = std::chrono::nanoseconds(static_cast<long long>(1e9 / o.rate));
        const auto t0 = clock_type::now();
        if (failing) fail_until = scale::steady_ns() + o.fail_seconds * 1'000'000'000;
        const std::string fail_field = "\"fail_until_ns\":" + std::to_string(fail_until.load()) + ",";
        auto next = t0;
        long long sent = 0;
        for (long long i = 0; i < r.events; ++i) {
            std::this_thread::sleep_until(next); // pacing the load, not waiting for a result
            next += interval;
            const long long key = i % o.keys;
            hookline::event e{.type = "ordering.event", .ordering_key = "k" + std::to_string(key)};
            if (key == 0) { // the (possibly) failing key: no latency recorded for it
                e.id = "f" + std::to_string(i);
                e.payload = payload(failing ? fail_field : std::string{}, i);
                ++r.failing_events;
            } else {
                e.payload = payload(sent_now(), i);
                ++r.healthy_events;
            }
            if (auto ok = s.send(std::move(e)); ok && ok->deliveries == 1) ++sent;
        }
        auto st = rx.wait_for("lat.count", r.healthy_events, o.budget);
        r.seconds = seconds_since(t0);
        r.complete = st["reached"] == 1;
        r.arrived = st["lat.count"];
        if (st.has("lat.p50_ns")) {
            r.p50_us = us_of_ns(st["lat.p50_ns"]);
            r.p99_us = us_of_ns(st["lat.p99_ns"]);
            r.max_us = us_of_ns(st["lat.max_ns"]);
        }
        // Then the failing key's backlog, once its failure is over.
        const auto fail_end = t0 + std::chrono::seconds(failing ? o.fail_seconds : 0);
        r.all_delivered = c.wait_done(sent, std::max(clock_type::now(), fail_end) + o.budget);
        r.failing_done_s = seconds_since(t0);
        r.failed_503 = rx.stats()["fast.failed"];
        (void)s.stop(milliseconds(200));
    }
    std::lock_guard lock(seen_mutex);
    r.failing_delivered = static_cast<long long>(failing_seen.size());
    r.failing_in_order = std::is_sorted(failing_seen.begin(), failing_seen.end());
    return r;
}

void scenario_isolation(scale::receiver_process& rx, const options& o) {
    std::vector<isolation_run> base, bad;
    std::vector<double> p99_ratios;
    for (long long pair = 1; pair <= o.repeat; ++pair) {
        const bool base_first = pair % 2 == 1;
        auto a = run_isolation(rx, o, !base_first);
        auto b = run_isolation(rx, o, base_first);
        base.push_back(base_first ? a : b);
        bad.push_back(base_first ? b : a);
        p99_ratios.push_back(ratio(bad.back().p99_us, base.back().p99_us));
        if (o.repeat > 1)
            std::fprintf(stderr, "ordering_bench: pair %lld: base p99 %.0f us, failing p99 %.0f us, ratio %.2f\n", pair,
                         base.back().p99_us, bad.back().p99_us, p99_ratios.back());
    }
    auto med = [](const std::vector<isolation_run>& runs, double isolation_run::*field) {
        std::vector<double> v;
        for (const auto& r : runs) v.push_back(r.*field);
        return median(v);
    };
    const auto& last = bad.back();
    result_line line("isolation", "ordering");
    line.add("keys", o.keys)
        .add("rate", o.rate, 0)
        .add("seconds", o.seconds)
        .add("events", last.events)
        .add("healthy_events", last.healthy_events)
        .add("fail_seconds", o.fail_seconds)
        .add("retry_step_ms", static_cast<long long>(o.retry_step.count()))
        .add("max_concurrency", o.max_concurrency == 0 ? std::string("default") : std::to_string(o.max_concurrency))
        .add("workers", o.workers)
        .add("pairs", o.repeat)
        .add("base_arrived", base.back().arrived)
        .add("base_p50_us", med(base, &isolation_run::p50_us), 0)
        .add("base_p99_us", med(base, &isolation_run::p99_us), 0)
        .add("base_max_us", med(base, &isolation_run::max_us), 0)
        .add("arrived", last.arrived)
        .add("p50_us", med(bad, &isolation_run::p50_us), 0)
        .add("p99_us", med(bad, &isolation_run::p99_us), 0)
        .add("max_us", med(bad, &isolation_run::max_us), 0)
        .add("p50_ratio", ratio(med(bad, &isolation_run::p50_us), med(base, &isolation_run::p50_us)), 2)
        .add("p99_ratio", ratio(med(bad, &isolation_run::p99_us), med(base, &isolation_run::p99_us)), 2);
    if (o.repeat > 1) line.add("pair_p99_ratios", joined(p99_ratios, 2));
    line.add("failing_key_503s", last.failed_503)
        .add("failing_key_events", last.failing_events)
        .add("failing_key_delivered", last.failing_delivered)
        .add("failing_key_done_s", last.failing_done_s, 1);
    bool in_order = true;
    for (const auto* runs : {&base, &bad})
        for (const auto& r : *runs) {
            in_order = in_order && r.failing_in_order && !r.failing_early;
            const std::string which = r.failing ? "with the failing key" : "baseline";
            if (!r.complete)
                line.partial(which + ": " + std::to_string(r.arrived) + "/" + std::to_string(r.healthy_events) +
                             " healthy events arrived within the budget; latencies are of those");
            if (!r.all_delivered) line.partial(which + ": not every event was delivered within the budget");
            if (r.failing_early) line.partial(which + ": a failing-key event was delivered during its failure");
            if (!r.failing_in_order) line.partial(which + ": the failing key's events arrived out of send order");
            if (!r.failing && r.failed_503) line.partial("baseline: the receiver answered 503s");
        }
    line.flag("failing_key_in_order", in_order);
    line.print(o.json);
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const long long nofile = scale::raise_nofile_limit();
    const options o = parse_options(argc, argv);
    try {
        // Forked before this process starts any thread.
        scale::receiver_process rx({});
        std::fprintf(stderr, "ordering_bench: %s, engine curl (asynchronous), receiver pid %d, RLIMIT_NOFILE %lld\n",
                     o.scenario.c_str(), static_cast<int>(rx.pid()), nofile);
        if (o.scenario == "throughput")
            scenario_throughput(rx, o);
        else
            scenario_isolation(rx, o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "ordering_bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
