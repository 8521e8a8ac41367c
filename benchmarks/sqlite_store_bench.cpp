// Durable sends per second through sqlite_store, next to raw SQLite inserts of the same rows, in one run.
//
//   cmake --build build/bench --target bench_sqlite_store && build/bench/benchmarks/bench_sqlite_store
//
// Every variant commits each event durably (WAL, synchronous=FULL) before the call returns:
//   raw_sqlite         one transaction per event: the message row and one delivery row, same schema,
//                      prepared statements (the floor); with 8 threads, one connection per thread
//   store_commit_each  sqlite_store::insert_message, commit_each (one transaction per call)
//   store_group_commit sqlite_store::insert_message, group_commit (concurrent calls share a commit)
//   hot_paths          insert, claim and record one delivery per iteration with synchronous=NORMAL (no
//                      fsync per commit), each call's thread CPU time on its own: the library's own cost
//                      per call, unaffected by other processes on a shared machine (run it with
//                      TMPDIR=/dev/shm to keep the disk out too)
// The files live under a fresh directory in $TMPDIR (or /tmp), removed at exit.
#include <hookline/stores/sqlite_store.hpp>

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

std::string bench_dir() {
    static const std::string dir = [] {
        std::string tmpl = (std::filesystem::temp_directory_path() / "hookline-bench-XXXXXX").string();
        if (!mkdtemp(tmpl.data())) std::abort();
        std::atexit([] { std::filesystem::remove_all(bench_dir()); });
        return tmpl;
    }();
    return dir;
}

std::string fresh_file(const char* name) {
    static std::atomic<int> n{0};
    return bench_dir() + "/" + name + "-" + std::to_string(n++) + ".db";
}

const std::string& payload() {
    static const std::string p =
        "{\"type\":\"invoice.paid\",\"timestamp\":\"2026-11-22T10:00:00.000Z\",\"data\":{\"invoice\":\"in_" +
        std::string(180, 'x') + "\",\"amount\":4200}}";
    return p;
}

std::atomic<long> next_id{0};
std::string new_id() { return "msg_" + std::to_string(next_id++); }

// --- raw SQLite: the same rows, prepared statements, one transaction per event ---------------------

struct raw_conn {
    sqlite3* db = nullptr;
    sqlite3_stmt *begin = nullptr, *commit = nullptr, *msg = nullptr, *del = nullptr;
    explicit raw_conn(const std::string& path, bool create = false) {
        sqlite3_open(path.c_str(), &db);
        sqlite3_busy_timeout(db, 10000);
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", nullptr, nullptr, nullptr);
        // The store's own schema (tables and indexes), so the difference is the library's work.
        if (create) sqlite3_exec(db, hookline::detail::sqlite_migrations().front(), nullptr, nullptr, nullptr);
        sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, nullptr);
        sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nullptr);
        sqlite3_prepare_v2(
            db, "INSERT OR IGNORE INTO hookline_messages (id, event_type, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
            -1, &msg, nullptr);
        sqlite3_prepare_v2(
            db,
            "INSERT INTO hookline_deliveries (message_id, endpoint_id, status, next_attempt_at, due, updated_at) "
            "VALUES (?1, ?2, 0, ?3, ?3, ?3)",
            -1, &del, nullptr);
    }
    ~raw_conn() {
        for (auto* s : {begin, commit, msg, del}) sqlite3_finalize(s);
        sqlite3_close(db);
    }
    static bool run(sqlite3_stmt* s) {
        bool ok = sqlite3_step(s) == SQLITE_DONE;
        sqlite3_reset(s);
        return ok;
    }
    bool insert(const std::string& id) {
        if (!run(begin)) return false;
        sqlite3_bind_text(msg, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        sqlite3_bind_text(msg, 2, "invoice.paid", -1, SQLITE_STATIC);
        sqlite3_bind_blob(msg, 3, payload().data(), static_cast<int>(payload().size()), SQLITE_STATIC);
        sqlite3_bind_int64(msg, 4, 1'700'000'000'000);
        sqlite3_bind_text(del, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
        sqlite3_bind_text(del, 2, "acme", -1, SQLITE_STATIC);
        sqlite3_bind_int64(del, 3, 1'700'000'000'000);
        bool ok = run(msg) && run(del);
        return run(commit) && ok;
    }
};

std::string raw_path;

void raw_sqlite(benchmark::State& state) {
    if (state.thread_index() == 0) {
        raw_path = fresh_file("raw");
        raw_conn setup(raw_path, true); // creates the schema before the threads start
    }
    // (the threads synchronise before the first iteration)
    std::unique_ptr<raw_conn> conn;
    for (auto _ : state) {
        if (!conn) conn = std::make_unique<raw_conn>(raw_path); // one connection per thread
        if (!conn->insert(new_id())) state.SkipWithError("raw insert failed");
    }
    state.SetItemsProcessed(state.iterations());
}

// --- sqlite_store --------------------------------------------------------------------------------

std::shared_ptr<hookline::sqlite_store> shared_store;

void store_insert(benchmark::State& state, hookline::sqlite_durability mode, std::chrono::microseconds delay) {
    if (state.thread_index() == 0) {
        hookline::sqlite_store_options o;
        o.durability = mode;
        o.group_commit_delay = delay;
        shared_store =
            std::make_shared<hookline::sqlite_store>(hookline::sqlite_store::open(fresh_file("store"), o).value());
    }
    const std::vector<std::string> endpoints = {"acme"};
    for (auto _ : state) {
        hookline::stored_message m{new_id(), "invoice.paid", std::make_shared<const std::string>(payload()),
                                   1'700'000'000'000};
        auto r = shared_store->insert_message(m, endpoints, m.created_at);
        if (!r || !*r) state.SkipWithError("store insert failed");
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) shared_store.reset();
}

void store_commit_each(benchmark::State& state) { store_insert(state, hookline::sqlite_durability::commit_each, {}); }
void store_group_commit(benchmark::State& state) {
    store_insert(state, hookline::sqlite_durability::group_commit, std::chrono::microseconds(state.range(0)));
}

// The three single-threaded variants alternating call by call, each timed on its own, so the disk's
// (noisy) fsync latency weighs on each alike: the fairest single-thread ratio on a shared machine.
void interleaved(benchmark::State& state) {
    raw_conn raw(fresh_file("raw-i"), true);
    hookline::sqlite_store_options each_o, group_o;
    group_o.durability = hookline::sqlite_durability::group_commit;
    auto each = hookline::sqlite_store::open(fresh_file("each-i"), each_o).value();
    auto group = hookline::sqlite_store::open(fresh_file("group-i"), group_o).value();
    const std::vector<std::string> endpoints = {"acme"};
    using clock = std::chrono::steady_clock;
    clock::duration t_raw{}, t_each{}, t_group{};
    auto message = [] {
        return hookline::stored_message{new_id(), "invoice.paid", std::make_shared<const std::string>(payload()),
                                        1'700'000'000'000};
    };
    for (auto _ : state) {
        auto t0 = clock::now();
        if (!raw.insert(new_id())) state.SkipWithError("raw insert failed");
        auto t1 = clock::now();
        auto m1 = message();
        if (!each.insert_message(m1, endpoints, m1.created_at)) state.SkipWithError("insert failed");
        auto t2 = clock::now();
        auto m2 = message();
        if (!group.insert_message(m2, endpoints, m2.created_at)) state.SkipWithError("insert failed");
        auto t3 = clock::now();
        t_raw += t1 - t0;
        t_each += t2 - t1;
        t_group += t3 - t2;
    }
    auto rate = [&](clock::duration d) {
        return static_cast<double>(state.iterations()) / std::max(1e-9, std::chrono::duration<double>(d).count());
    };
    state.counters["raw_per_s"] = rate(t_raw);
    state.counters["commit_each_per_s"] = rate(t_each);
    state.counters["group_commit_per_s"] = rate(t_group);
    state.counters["each_vs_raw"] = rate(t_each) / rate(t_raw);
}

// CPU time of the calling thread (user and system), which a busy machine does not inflate.
struct thread_cpu_clock {
    using duration = std::chrono::nanoseconds;
    static std::chrono::time_point<thread_cpu_clock, duration> now() {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return std::chrono::time_point<thread_cpu_clock, duration>(std::chrono::seconds(ts.tv_sec) +
                                                                   std::chrono::nanoseconds(ts.tv_nsec));
    }
};

// The store's hot paths without the fsync that dominates the other variants: what the library itself
// costs per call (statement reuse, binding, reading rows). One delivery per iteration goes through
// insert_message, claim_due and record_attempt; each call's CPU time is taken on its own.
void hot_paths(benchmark::State& state) {
    hookline::sqlite_store_options o;
    o.synchronous = hookline::sqlite_synchronous::normal;
    auto store = hookline::sqlite_store::open(fresh_file("hot"), o).value();
    const std::vector<std::string> endpoints = {"acme"};
    using clock = thread_cpu_clock;
    clock::duration t_insert{}, t_claim{}, t_record{};
    std::int64_t now = 1'700'000'000'000;
    for (auto _ : state) {
        ++now;
        hookline::stored_message m{new_id(), "invoice.paid", std::make_shared<const std::string>(payload()), now};
        auto t0 = clock::now();
        if (!store.insert_message(m, endpoints, now)) state.SkipWithError("insert failed");
        auto t1 = clock::now();
        auto claimed = store.claim_due(now, 1, endpoints, now + 30'000);
        auto t2 = clock::now();
        if (!claimed || claimed->size() != 1) {
            state.SkipWithError("claim failed");
            break;
        }
        hookline::attempt_record a;
        a.number = 1;
        a.started_at = now;
        a.status = 200;
        a.latency = std::chrono::microseconds(1500);
        a.response_excerpt = "ok";
        auto t3 = clock::now();
        if (!store.record_attempt(claimed->front().delivery.id, claimed->front().delivery.lease, a,
                                  hookline::delivery_status::delivered, 0))
            state.SkipWithError("record failed");
        auto t4 = clock::now();
        t_insert += t1 - t0;
        t_claim += t2 - t1;
        t_record += t4 - t3;
    }
    auto us = [&](clock::duration d) {
        return std::chrono::duration<double, std::micro>(d).count() / static_cast<double>(state.iterations());
    };
    state.counters["insert_us"] = us(t_insert);
    state.counters["claim_us"] = us(t_claim);
    state.counters["record_us"] = us(t_record);
}

} // namespace

BENCHMARK(hot_paths);
BENCHMARK(interleaved)->UseRealTime();
BENCHMARK(raw_sqlite)->Threads(1)->Threads(8)->UseRealTime();
BENCHMARK(store_commit_each)->Threads(1)->Threads(8)->UseRealTime();
BENCHMARK(store_group_commit)->ArgName("delay_us")->Arg(0)->Arg(2000)->Threads(1)->Threads(8)->UseRealTime();

BENCHMARK_MAIN();
