// Many tenants: registers N applications with E endpoints each in a SQLite store through the registry,
// starts a sender on that store (load_registered_endpoints), and sends events to random tenants, each
// fanning out to its tenant's E endpoints only. The same run at a small N is the baseline: the ratio of
// per-operation costs says whether cost grows with the number of tenants. Deliveries go to a transport
// that answers 200 at once (the network is not what is measured here).
//   tenants_bench [--tenants N] [--endpoints E] [--sends S] [--baseline-tenants B] [--dir DIR]
// Prints one line per phase and size, then the ratios (benchmarks/README.md, "Many tenants").
#include "../scale/driver.hpp"

#include <hookline/registry/registry.hpp>
#include <hookline/sending/sender.hpp>
#include <hookline/stores/sqlite_store.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace hookline;
using clock_type = std::chrono::steady_clock;

struct instant_transport {
    result<http_response> send(const http_request&) { return http_response{200, {}, "", {}}; }
};
static_assert(transport<instant_transport>);

long rss_kib() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
    return 0;
}

struct figures {
    double create_per_s = 0, load_s = 0, send_per_s = 0;
    long rss_delta_kib = 0;
};

double seconds_since(clock_type::time_point t) { return std::chrono::duration<double>(clock_type::now() - t).count(); }

figures run(std::size_t tenants, std::size_t per_tenant, std::size_t sends, const std::string& dir) {
    const std::string path = dir + "/tenants-" + std::to_string(tenants) + ".db";
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    figures out;
    std::vector<std::string> apps;
    apps.reserve(tenants);
    {
        // One transaction per registry write, synchronous=NORMAL: the registration cost, not fsync's.
        auto store = sqlite_store::open(path, {.synchronous = sqlite_synchronous::normal}).value();
        auto reg = basic_registry<sqlite_store>::open(store).value();
        const auto t0 = clock_type::now();
        for (std::size_t i = 0; i < tenants; ++i) {
            auto app = reg.create_application({.name = "tenant " + std::to_string(i)}).value();
            for (std::size_t e = 0; e < per_tenant; ++e)
                (void)reg
                    .create_endpoint(
                        {.app_id = app.id, .url = "https://t" + std::to_string(i) + ".example/" + std::to_string(e)})
                    .value();
            apps.push_back(app.id);
        }
        out.create_per_s = static_cast<double>(tenants * (1 + per_tenant)) / seconds_since(t0);
    }
    auto store = sqlite_store::open(path, {.synchronous = sqlite_synchronous::normal}).value();
    auto reg = basic_registry<sqlite_store>::open(store).value();
    using sender_type = basic_sender<instant_transport, standard_signer, fixed_schedule, sqlite_store>;
    const long rss0 = rss_kib();
    sender_type sender(instant_transport{}, fixed_schedule({}), store, sender_options{.workers = 2, .logger = nullptr});
    auto t1 = clock_type::now();
    const auto loaded = load_registered_endpoints(sender, reg).value();
    out.load_s = seconds_since(t1);
    out.rss_delta_kib = rss_kib() - rss0;
    if (loaded != tenants * per_tenant)
        std::fprintf(stderr, "loaded %zu of %zu endpoints\n", loaded, tenants * per_tenant);
    std::mt19937 rng(42);
    std::uniform_int_distribution<std::size_t> pick(0, tenants - 1);
    std::size_t wrong = 0;
    auto t2 = clock_type::now();
    for (std::size_t i = 0; i < sends; ++i) {
        auto r = sender.send(event{.type = "invoice.paid", .payload = "{\"n\":1}", .tenant = apps[pick(rng)]});
        if (!r || r->deliveries != per_tenant) ++wrong;
    }
    out.send_per_s = static_cast<double>(sends) / seconds_since(t2);
    if (wrong)
        std::fprintf(stderr, "%zu sends did not reach exactly their tenant's %zu endpoints\n", wrong, per_tenant);
    (void)sender.drain(std::chrono::seconds(60));
    sender.stop();
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::size_t tenants = 100'000, per_tenant = 3, sends = 20'000, base = 1'000;
    std::string dir = std::filesystem::temp_directory_path().string();
    scale::driver::arg_reader args(argc, argv, [](const std::string& why) {
        std::fprintf(stderr, "tenants_bench: %s\n", why.c_str());
        std::exit(2);
    });
    while (args.next()) {
        if (args.flag() == "--tenants")
            tenants = static_cast<std::size_t>(args.number());
        else if (args.flag() == "--endpoints")
            per_tenant = static_cast<std::size_t>(args.number());
        else if (args.flag() == "--sends")
            sends = static_cast<std::size_t>(args.number());
        else if (args.flag() == "--baseline-tenants")
            base = static_cast<std::size_t>(args.number());
        else if (args.flag() == "--dir")
            dir = args.value();
        else {
            std::fprintf(stderr, "tenants_bench: unknown flag %s\n", args.flag().c_str());
            return 2;
        }
    }
    if (tenants == 0 || base == 0 || per_tenant == 0) return 2;
    const figures small = run(base, per_tenant, sends, dir);
    const figures big = run(tenants, per_tenant, sends, dir);
    for (auto [n, f] : {std::pair{base, small}, std::pair{tenants, big}})
        std::printf("tenants=%zu endpoints/tenant=%zu: registry writes %.0f/s, sender load %.2f s (%.1f us/endpoint, "
                    "+%ld MiB RSS), send %.0f/s\n",
                    n, per_tenant, f.create_per_s, f.load_s, 1e6 * f.load_s / static_cast<double>(n * per_tenant),
                    f.rss_delta_kib / 1024, f.send_per_s);
    std::printf("ratios %zu vs %zu tenants: registry write cost %.2fx, load cost per endpoint %.2fx, send cost %.2fx\n",
                tenants, base, small.create_per_s / big.create_per_s,
                (big.load_s / static_cast<double>(tenants)) / (small.load_s / static_cast<double>(base)),
                small.send_per_s / big.send_per_s);
    return 0;
}
