// PostgreSQL store throughput: enqueue (insert_message) and claim rates with one and with two processes
// sharing one queue. Run through benchmarks/postgres_bench.sh, which starts a throw-away cluster.
//
//   hookline_postgres_bench [--messages N] [--threads T]     # conninfo from HOOKLINE_TEST_PG
//
// enqueue: each process runs T threads calling insert_message (1 KiB payload, one endpoint).
// claim:   each process runs one thread claiming batches of 32 (claim_due), as a sender's scheduler does.
// claim+record: the same, then record_attempt(delivered) for each claimed delivery (a full delivery's
//               store work, without HTTP).
// Rates are totals across processes: deliveries / wall time from the first start to the last finish.
#include <hookline/stores/postgres_store.hpp>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;
using clock_type = std::chrono::steady_clock;

namespace {

std::string conninfo;
std::string schema;

struct shared_result {
    std::atomic<long> done{0};
    std::atomic<int> failures{0};
};

double now_s() { return std::chrono::duration<double>(clock_type::now().time_since_epoch()).count(); }

void enqueue(int proc, std::size_t count, int threads, shared_result* out) {
    auto s = postgres_store::open(conninfo, {.schema = schema, .pool_size = static_cast<std::size_t>(threads)});
    if (!s) {
        ++out->failures;
        return;
    }
    const std::vector<std::string> eps = {"e1"};
    auto payload = std::make_shared<const std::string>(std::string(1024, 'x'));
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            for (std::size_t i = static_cast<std::size_t>(t); i < count; i += static_cast<std::size_t>(threads)) {
                std::string id = std::to_string(proc); // (not "p" + ...: GCC 12's -Wrestrict false positive at -O3)
                id += '-';
                id += std::to_string(i);
                stored_message m{std::move(id), "bench.event", payload, 1};
                if (!s->insert_message(m, eps, 1))
                    ++out->failures;
                else
                    ++out->done;
            }
        });
    for (auto& t : ts) t.join();
}

void claim(bool record, shared_result* out) {
    auto s = postgres_store::open(conninfo, {.schema = schema, .pool_size = 1});
    if (!s) {
        ++out->failures;
        return;
    }
    const std::vector<std::string> eps = {"e1"};
    for (;;) {
        auto got = s->claim_due(10, 32, eps, 1'000'000'000);
        if (!got) {
            ++out->failures;
            return;
        }
        if (got->empty()) return;
        for (auto& c : *got) {
            if (record &&
                !s->record_attempt(c.delivery.id, c.delivery.lease, {.number = 1, .started_at = 10, .status = 200},
                                   delivery_status::delivered, 0))
                ++out->failures;
            ++out->done;
        }
    }
}

/// Runs `work(proc)` in `procs` forked processes; returns deliveries per second overall.
template <class F>
double in_processes(int procs, shared_result* out, F work) {
    out->done = 0;
    out->failures = 0;
    const double start = now_s();
    std::vector<pid_t> kids;
    for (int p = 0; p < procs; ++p) {
        pid_t pid = fork();
        if (pid == 0) {
            work(p);
            _exit(0);
        }
        kids.push_back(pid);
    }
    for (auto k : kids) waitpid(k, nullptr, 0);
    return static_cast<double>(out->done.load()) / (now_s() - start);
}

void reset_schema(const char* sql_verb) {
    PGconn* c = PQconnectdb(conninfo.c_str());
    PQsetNoticeProcessor(
        c, [](void*, const char*) {}, nullptr);
    PQclear(PQexec(c, (std::string(sql_verb) + " SCHEMA IF EXISTS \"" + schema + "\" CASCADE").c_str()));
    PQfinish(c);
}

} // namespace

int main(int argc, char** argv) {
    std::size_t messages = 20000;
    int threads = 4;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        if (a == "--messages")
            messages = std::strtoul(argv[i + 1], nullptr, 10);
        else if (a == "--threads")
            threads = std::atoi(argv[i + 1]);
    }
    const char* ci = std::getenv("HOOKLINE_TEST_PG");
    if (!ci || !*ci) {
        std::fprintf(stderr, "set HOOKLINE_TEST_PG (benchmarks/postgres_bench.sh starts a cluster)\n");
        return 2;
    }
    conninfo = ci;
    schema = "hookline_bench_" + std::to_string(std::random_device{}() % 1000000);
    auto* out = static_cast<shared_result*>(
        mmap(nullptr, sizeof(shared_result), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    new (out) shared_result();

    std::printf("| processes | enqueue/s (%d threads each) | claim/s (batches of 32) | claim+record/s |\n", threads);
    std::printf("| --- | --- | --- | --- |\n");
    int failures = 0;
    for (int procs : {1, 2}) {
        reset_schema("DROP");
        if (!postgres_store::open(conninfo, {.schema = schema})) return 1; // migrate once
        const std::size_t each = messages / static_cast<std::size_t>(procs);
        double enq = in_processes(procs, out, [&](int p) { enqueue(p, each, threads, out); });
        failures += out->failures;
        double cl = in_processes(procs, out, [&](int) { claim(false, out); });
        failures += out->failures;
        // Claimed deliveries are leased far ahead: make them due again for the claim+record round.
        {
            PGconn* c = PQconnectdb(conninfo.c_str());
            PQclear(PQexec(
                c, ("UPDATE \"" + schema + "\".deliveries SET status = 0, due_at = 1, lease_until = 0").c_str()));
            PQclear(PQexec(c, ("VACUUM ANALYZE \"" + schema + "\".deliveries").c_str()));
            PQfinish(c);
        }
        double clr = in_processes(procs, out, [&](int) { claim(true, out); });
        failures += out->failures;
        std::printf("| %d | %.0f | %.0f | %.0f |\n", procs, enq, cl, clr);
        std::fflush(stdout);
    }
    reset_schema("DROP");
    if (failures) std::fprintf(stderr, "%d store calls failed\n", failures);
    return failures ? 1 : 0;
}
