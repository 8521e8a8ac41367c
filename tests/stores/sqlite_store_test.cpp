// sqlite_store: the store contract, durability across reopen, crash recovery, schema versions, group
// commit, the transactional outbox, retention and concurrent claims.
#include "support/registry_conformance.hpp"
#include "support/sender_doubles.hpp"
#include "support/sqlite_files.hpp"
#include "support/store_conformance.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/sqlite_store.hpp>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;
using test_support::make_message;
using test_support::temp_dir;
using test_support::test_options;

namespace {

/// A raw connection, as another process or the application would have.
struct raw_db {
    sqlite3* db = nullptr;
    explicit raw_db(const std::string& path) {
        REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
    }
    ~raw_db() { sqlite3_close(db); }
    raw_db(const raw_db&) = delete;
    raw_db& operator=(const raw_db&) = delete;
    bool exec(const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK; }
    std::int64_t count(const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
        std::int64_t n = -1;
        if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        return n;
    }
};

const secret& key() {
    static const secret k = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    return k;
}

} // namespace

TEST_CASE("sqlite_store: meets the store contract", "[sqlite_store]") {
    temp_dir dir;
    auto s = sqlite_store::open(dir.file(), test_options()).value();
    test_support::check_store_conformance(s);
}

TEST_CASE("sqlite_store: meets the registry contract, and keeps its rows across a reopen", "[sqlite_store]") {
    temp_dir dir;
    {
        auto s = sqlite_store::open(dir.file(), test_options()).value();
        test_support::check_registry_conformance(s);
    }
    auto s = sqlite_store::open(dir.file(), test_options()).value();
    CHECK(test_support::ids_of(*s.registry_list({.kind = "app"})) ==
          std::vector<std::string>{"app_1", "app_2", "app_3"});
}

TEST_CASE("sqlite_store: meets the store contract with group commit", "[sqlite_store]") {
    temp_dir dir;
    auto o = test_options();
    o.durability = sqlite_durability::group_commit;
    auto s = sqlite_store::open(dir.file(), o).value();
    test_support::check_store_conformance(s);
}

TEST_CASE("sqlite_store: everything survives closing and reopening", "[sqlite_store]") {
    temp_dir dir;
    const std::vector<std::string> e1 = {"e1"};
    std::uint64_t id = 0;
    {
        auto s = sqlite_store::open(dir.file(), test_options()).value();
        REQUIRE(s.insert_message(make_message("m1", 1000, "x.y"), e1, 1000).value());
        auto claimed = s.claim_due(1000, 1, e1, 9000).value().at(0).delivery;
        id = claimed.id;
        REQUIRE(s.record_attempt(id, claimed.lease,
                                 {.number = 1,
                                  .started_at = 1000,
                                  .status = 503,
                                  .error = errc::http_status,
                                  .latency = std::chrono::microseconds(77),
                                  .response_excerpt = "busy"},
                                 delivery_status::pending, 4000));
        REQUIRE(s.save_endpoint_state({.endpoint_id = "e1", .failing_since = 1000}));
    }
    auto s = sqlite_store::open(dir.file(), test_options()).value();
    CHECK_FALSE(s.insert_message(make_message("m1"), e1, 1000).value()); // still a duplicate
    auto d = s.list_deliveries({.message_id = "m1"}).value();
    REQUIRE(d.size() == 1);
    CHECK(d[0].status == delivery_status::pending);
    CHECK(d[0].next_attempt_at == 4000);
    REQUIRE(d[0].last_attempt);
    CHECK(d[0].last_attempt->status == 503);
    CHECK(d[0].last_attempt->error == errc::http_status);
    CHECK(d[0].last_attempt->response_excerpt == "busy");
    CHECK(s.load_endpoint_state("e1").value()->failing_since == 1000);
    auto c = s.claim_due(4000, 1, e1, 9000).value();
    REQUIRE(c.size() == 1);
    CHECK(c[0].message->event_type == "x.y");
    CHECK(*c[0].message->payload == "{\"n\":1}");
    CHECK(c[0].delivery.attempts == 1);
}

TEST_CASE("sqlite_store: deliveries in flight at a crash are due again on open", "[sqlite_store]") {
    temp_dir dir;
    const std::vector<std::string> e1 = {"e1"};
    {
        auto s = sqlite_store::open(dir.file(), test_options()).value();
        REQUIRE(s.insert_message(make_message("m1"), e1, 1000).value());
        REQUIRE(s.insert_message(make_message("m2"), e1, 1000).value());
        REQUIRE(s.claim_due(1000, 2, e1, 999'999).value().size() == 2); // leases far in the future
        // the process "dies" here: nothing is released
    }
    auto o = test_options();
    o.clock = [] { return std::int64_t{5000}; };
    auto s = sqlite_store::open(dir.file(), o).value();
    auto pending = s.list_deliveries({.statuses = {delivery_status::pending}}).value();
    REQUIRE(pending.size() == 2);
    CHECK(pending[0].next_attempt_at == 5000);
    CHECK(s.claim_due(5000, 10, e1, 9000).value().size() == 2);
}

TEST_CASE("sqlite_store: a schema from the future is refused and an old one is migrated", "[sqlite_store]") {
    temp_dir dir;
    {
        auto s = sqlite_store::open(dir.file(), test_options()).value();
        raw_db raw(dir.file());
        CHECK(sqlite_store::stored_schema_version(raw.db).value() == sqlite_store::schema_version);
    }
    {
        raw_db raw(dir.file());
        REQUIRE(raw.exec("UPDATE hookline_schema SET version = 99"));
    }
    auto refused = sqlite_store::open(dir.file(), test_options());
    REQUIRE_FALSE(refused);
    CHECK(refused.error() == errc::schema_mismatch);

    // A database holding only the application's tables (and its own user_version) gets the schema.
    auto app = dir.file("app.db");
    {
        raw_db raw(app);
        REQUIRE(raw.exec("PRAGMA user_version = 7; CREATE TABLE orders (id INTEGER PRIMARY KEY)"));
    }
    REQUIRE(sqlite_store::open(app, test_options()));
    raw_db raw(app);
    CHECK(raw.count("PRAGMA user_version") == 7); // the application's, untouched
    CHECK(sqlite_store::stored_schema_version(raw.db).value() == sqlite_store::schema_version);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(raw.db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "wal");
    sqlite3_finalize(st);
}

TEST_CASE("sqlite_store: a version 1 database is migrated in place and fenced", "[sqlite_store]") {
    temp_dir dir;
    {
        // The schema as version 1 was (no lease column), written by hand, with a delivery in flight.
        raw_db raw(dir.file());
        REQUIRE(raw.exec(
            "CREATE TABLE hookline_messages (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, event_type TEXT NOT "
            "NULL, "
            "payload BLOB NOT NULL, created_at INTEGER NOT NULL);"
            "CREATE INDEX hookline_messages_created ON hookline_messages (created_at);"
            "CREATE TABLE hookline_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL, "
            "endpoint_id TEXT NOT NULL, status INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, "
            "next_attempt_at INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0, due INTEGER, "
            "updated_at INTEGER NOT NULL);"
            "CREATE INDEX hookline_deliveries_due ON hookline_deliveries (endpoint_id, due) WHERE due IS NOT NULL;"
            "CREATE INDEX hookline_deliveries_message ON hookline_deliveries (message_id);"
            "CREATE TABLE hookline_attempts (seq INTEGER PRIMARY KEY, delivery_id INTEGER NOT NULL, number INTEGER NOT "
            "NULL, started_at INTEGER NOT NULL, status INTEGER NOT NULL, error_code INTEGER NOT NULL, error_category "
            "TEXT NOT NULL, latency_us INTEGER NOT NULL, response_excerpt BLOB NOT NULL);"
            "CREATE INDEX hookline_attempts_delivery ON hookline_attempts (delivery_id);"
            "CREATE TABLE hookline_endpoints (endpoint_id TEXT PRIMARY KEY, disabled INTEGER NOT NULL, disabled_reason "
            "TEXT NOT NULL, failing_since INTEGER NOT NULL, exhausted_count INTEGER NOT NULL);"));
        REQUIRE(raw.exec(
            "CREATE TABLE hookline_schema (version INTEGER NOT NULL);"
            "INSERT INTO hookline_schema (version) VALUES (1);"
            "INSERT INTO hookline_messages (id, event_type, payload, created_at) VALUES ('m1', 'a.b', '{}', 10);"
            "INSERT INTO hookline_deliveries (message_id, endpoint_id, status, attempts, next_attempt_at, "
            "lease_until, due, updated_at) VALUES ('m1', 'e1', 1, 2, 10, 500, 500, 10);"));
        CHECK(sqlite_store::stored_schema_version(raw.db).value() == 1);
    }
    auto o = test_options();
    o.recover_in_flight = false; // keep the old claim in flight: its lease is the old default, 0
    auto s = sqlite_store::open(dir.file(), o).value();
    {
        raw_db raw(dir.file());
        CHECK(sqlite_store::stored_schema_version(raw.db).value() == sqlite_store::schema_version);
        CHECK(raw.count("SELECT lease FROM hookline_deliveries") == 0);
    }
    // Version 3's index answers due_endpoints (the old claim's lease ended at 500).
    CHECK(s.due_endpoints(500, 10).value().endpoints == std::vector<std::string>{"e1"});
    auto old = s.list_deliveries({.message_id = "m1"}).value().at(0);
    CHECK(old.lease == 0);
    CHECK(old.attempts == 2);
    const std::vector<std::string> e1 = {"e1"};
    auto taken = s.claim_due(500, 1, e1, 900).value(); // the old claim's lease ran out
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].delivery.lease == 1);
    CHECK(s.record_attempt(old.id, 0, {.number = 3, .started_at = 400, .status = 200}, delivery_status::delivered, 0)
              .error() == errc::lease_lost);
    REQUIRE(
        s.record_attempt(old.id, 1, {.number = 3, .started_at = 500, .status = 200}, delivery_status::delivered, 0));
    CHECK(s.list_deliveries({.message_id = "m1"}).value().at(0).status == delivery_status::delivered);
}

TEST_CASE("sqlite_store: a file that is not a database is a store failure", "[sqlite_store]") {
    temp_dir dir;
    {
        std::FILE* f = std::fopen(dir.file("junk.db").c_str(), "wb");
        REQUIRE(f);
        std::fputs("this is not an SQLite database, just some text long enough to have a header", f);
        std::fclose(f);
    }
    auto r = sqlite_store::open(dir.file("junk.db"), test_options());
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::store_failure);
    CHECK(sqlite_store::open((dir.path / "missing" / "x.db").string(), test_options()).error() == errc::store_failure);
}

TEST_CASE("sqlite_store: group commit makes every insert durable before it returns", "[sqlite_store]") {
    temp_dir dir;
    auto o = test_options();
    o.durability = sqlite_durability::group_commit;
    o.group_commit_max_batch = 16;
    o.group_commit_delay = std::chrono::microseconds(500); // also exercises the wait for a fuller batch
    auto s = sqlite_store::open(dir.file(), o).value();
    const std::vector<std::string> eps = {"a", "b"};
    std::atomic<int> missing{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            raw_db other(dir.file()); // another connection: sees only committed rows
            for (int i = 0; i < 40; ++i) {
                std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
                auto r = s.insert_message(make_message(id), eps, 1000);
                if (!r || !*r) ++failed;
                if (other.count("SELECT count(*) FROM hookline_deliveries WHERE message_id = '" + id + "'") != 2)
                    ++missing;
            }
            // a duplicate in group mode is reported as such
            if (s.insert_message(make_message("t" + std::to_string(t) + "-0"), eps, 1000).value()) ++failed;
        });
    for (auto& th : threads) th.join();
    CHECK(failed == 0);
    CHECK(missing == 0);
    CHECK(s.message_count().value() == 320);
}

TEST_CASE("sqlite_store: retention prunes finished messages after the period", "[sqlite_store]") {
    temp_dir dir;
    auto now = std::make_shared<std::atomic<std::int64_t>>(1'000'000);
    auto o = test_options();
    o.retention = std::chrono::milliseconds(10'000);
    o.prune_interval = std::chrono::milliseconds(0);
    o.clock = [now] { return now->load(); };
    auto s = sqlite_store::open(dir.file(), o).value();
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(s.insert_message(make_message("done", 1'000'000), e1, 1'000'000).value());
    REQUIRE(s.insert_message(make_message("open", 1'000'000), e1, 1'000'000).value());
    for (auto& c : s.claim_due(1'000'000, 10, e1, 1'100'000).value())
        if (c.delivery.message_id == "done")
            REQUIRE(s.record_attempt(c.delivery.id, c.delivery.lease,
                                     {.number = 1, .started_at = 1'000'000, .status = 200}, delivery_status::delivered,
                                     0));
    CHECK(s.prune_expired().value() == 0); // too young
    now->store(1'020'000);
    (void)s.next_due(e1).value(); // the automatic pruning piggybacks here
    CHECK(s.message_count().value() == 1);
    CHECK(s.list_deliveries({.message_id = "done"}).value().empty());
    CHECK(s.list_deliveries({.message_id = "open"}).value().size() == 1);
    raw_db raw(dir.file());
    CHECK(raw.count("SELECT count(*) FROM hookline_attempts") == 0);
}

TEST_CASE("sqlite_store: copies used from several threads never claim one delivery twice", "[sqlite_store]") {
    // A second store on the file is refused (one sender per file: tests/stores/sqlite_lock_test.cpp);
    // threads share a store through its copies.
    temp_dir dir;
    auto a = sqlite_store::open(dir.file(), test_options()).value();
    REQUIRE(sqlite_store::open(dir.file(), test_options()).error() == errc::store_in_use);
    auto b = a;
    const std::vector<std::string> eps = {"e"};
    for (int i = 0; i < 300; ++i) REQUIRE(a.insert_message(make_message("m" + std::to_string(i)), eps, 1000).value());
    std::vector<std::vector<std::uint64_t>> seen(4);
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            auto& s = t % 2 ? a : b;
            for (;;) {
                auto got = s.claim_due(1000, 5, eps, 999'999);
                if (!got) {
                    ++errors;
                    return;
                }
                if (got->empty()) return;
                for (auto& c : *got) seen[static_cast<std::size_t>(t)].push_back(c.delivery.id);
            }
        });
    for (auto& th : threads) th.join();
    CHECK(errors == 0);
    std::set<std::uint64_t> all;
    std::size_t total = 0;
    for (auto& v : seen) {
        total += v.size();
        all.insert(v.begin(), v.end());
    }
    CHECK(total == 300);
    CHECK(all.size() == 300);
}

namespace {
using sqlite_sender = basic_sender<test_support::fake_transport, standard_signer, fixed_schedule, sqlite_store>;

sender_options sender_opts(const test_support::manual_clock& clock) {
    sender_options o;
    o.workers = 2;
    o.clock = clock;
    o.max_idle = std::chrono::milliseconds(50);
    return o;
}
} // namespace

TEST_CASE("sqlite_store: the transactional outbox commits and rolls back with the application", "[sqlite_store]") {
    temp_dir dir;
    test_support::fake_transport net;
    test_support::manual_clock clock;
    auto store = sqlite_store::open(dir.file(), test_options()).value();
    sqlite_sender sender(net, fixed_schedule{}, store, sender_opts(clock));
    REQUIRE(sender.add_endpoint("shop", {.url = "http://shop/hook", .secrets = {{key(), 0}}}));

    raw_db app(dir.file()); // the application's own connection
    REQUIRE(app.exec("CREATE TABLE orders (id TEXT PRIMARY KEY)"));

    SECTION("rollback: neither the order nor the event") {
        REQUIRE(app.exec("BEGIN"));
        REQUIRE(app.exec("INSERT INTO orders VALUES ('o1')"));
        auto r = sender.send_in(app.db, event{.type = "order.created", .payload = "{\"o\":1}", .id = "msg_o1"});
        REQUIRE(r);
        CHECK(r->deliveries == 1);
        REQUIRE(app.exec("ROLLBACK"));
        CHECK(app.count("SELECT count(*) FROM orders") == 0);
        CHECK(store.message_count().value() == 0);
        CHECK(store.list_deliveries({.message_id = "msg_o1"}).value().empty());
        sender.wake();
        sender.stop(std::chrono::seconds(5));
        CHECK(net.count("http://shop/hook") == 0);
    }
    SECTION("commit: both, and the event is delivered") {
        REQUIRE(app.exec("BEGIN"));
        REQUIRE(app.exec("INSERT INTO orders VALUES ('o2')"));
        sqlite_tx tx{app.db};
        auto r = sender.send_in(tx, event{.type = "order.created", .payload = "{\"o\":2}", .id = "msg_o2"});
        REQUIRE(r);
        // Not visible to the store before the application commits.
        CHECK(store.message_count().value() == 0);
        REQUIRE(app.exec("COMMIT"));
        sender.wake();
        REQUIRE(net.events->wait([&] { return net.count("http://shop/hook") >= 1; }));
        auto reqs = net.requests();
        REQUIRE(reqs.size() == 1);
        CHECK(reqs[0].body == "{\"o\":2}");
        CHECK(reqs[0].headers.get("webhook-id").value_or("") == "msg_o2");
        // sending the same id again through the outbox is a duplicate
        auto again = sender.send_in(app.db, event{.type = "order.created", .payload = "{}", .id = "msg_o2"});
        REQUIRE(again);
        CHECK(again->duplicate);
    }
}

TEST_CASE("sqlite_store: the outbox through a SQLiteCpp connection", "[sqlite_store]") {
    temp_dir dir;
    auto store = sqlite_store::open(dir.file(), test_options()).value();
    SQLite::Database app(dir.file(), SQLite::OPEN_READWRITE, 5000);
    const std::vector<std::string> eps = {"ep"};
    {
        SQLite::Transaction tx(app);
        CHECK(store.insert_message_in(app, make_message("sc-rolled-back"), eps, 0).value());
    } // not committed: rolled back with the application's transaction
    CHECK(store.message_count().value() == 0);
    {
        SQLite::Transaction tx(app);
        CHECK(store.insert_message_in(app, make_message("sc-committed"), eps, 0).value());
        CHECK_FALSE(store.insert_message_in(app, make_message("sc-committed"), eps, 0).value()); // duplicate
        tx.commit();
    }
    CHECK(store.message_count().value() == 1);
    CHECK(store.claim_due(0, 10, eps, 1000).value().size() == 1);
}

TEST_CASE("sqlite_store: a sender resumes what a killed sender left", "[sqlite_store]") {
    temp_dir dir;
    test_support::fake_transport net;
    test_support::manual_clock clock;
    {
        auto store = sqlite_store::open(dir.file(), test_options()).value();
        const std::vector<std::string> eps = {"ep"};
        REQUIRE(store.insert_message(make_message("left-1"), eps, 0).value());
        REQUIRE(store.insert_message(make_message("left-2"), eps, 0).value());
        REQUIRE(store.claim_due(0, 1, eps, clock() + 3'600'000).value().size() == 1); // in flight at the "kill"
    }
    auto o = test_options();
    o.clock = clock; // recovered deliveries are due at the store's now
    auto store = sqlite_store::open(dir.file(), o).value();
    sqlite_sender sender(net, fixed_schedule{}, store, sender_opts(clock));
    REQUIRE(sender.add_endpoint("ep", {.url = "http://ep/hook", .secrets = {{key(), 0}}}));
    REQUIRE(net.events->wait([&] { return net.count("http://ep/hook") >= 2; }));
    sender.stop(std::chrono::seconds(5));
    CHECK(store.list_deliveries({.statuses = {delivery_status::delivered}}).value().size() == 2);
}

TEST_CASE("sqlite_store: outbox work for an idle endpoint is found behind a backlog of another's due work",
          "[sqlite_store]") {
    // The sender's idle poll asks the store which endpoints have work due (`due_endpoints`, bounded to
    // the earliest 1024 due deliveries). Here those are all a hanging endpoint's backlog, due earlier:
    // the poll must still find the idle endpoint's outbox event (its fallback sweeps idle endpoints).
    temp_dir dir;
    test_support::fake_transport net;
    net.block("http://busy/hook");
    test_support::manual_clock clock;
    auto store = sqlite_store::open(dir.file(), test_options()).value();
    const std::vector<std::string> busy = {"busy"};
    for (int i = 0; i < 1100; ++i)
        REQUIRE(store.insert_message(make_message("backlog-" + std::to_string(i)), busy, clock() - 60'000).value());
    sqlite_sender sender(net, fixed_schedule{}, store, sender_opts(clock));
    REQUIRE(sender.add_endpoint(
        "busy", {.url = "http://busy/hook", .secrets = {{key(), 0}}, .event_types = {"a.b"}, .max_concurrency = 1}));
    REQUIRE(sender.add_endpoint("quiet", {.url = "http://quiet/hook", .secrets = {{key(), 0}}, .event_types = {"q"}}));
    REQUIRE(net.events->wait([&] { return net.count("http://busy/hook") == 1; })); // the backlog is under way
    CHECK(store.due_endpoints(clock(), 1024).value().more);

    raw_db app(dir.file());
    REQUIRE(sender.send_in(app.db, event{.type = "q", .payload = "{}", .id = "msg_quiet"})); // no wake()
    REQUIRE(net.events->wait([&] { return net.count("http://quiet/hook") == 1; }));
    CHECK(net.count("http://busy/hook") == 1); // still hanging
    net.unblock();
    sender.stop(std::chrono::seconds(5));
}

TEST_CASE("sqlite_store: ordered streams survive closing and reopening", "[sqlite_store]") {
    using test_support::ordered_message;
    temp_dir dir;
    const std::vector<std::string> e1 = {"e1"};
    auto one = [](sqlite_store& s, const std::string& message) {
        auto d = s.list_deliveries({.message_id = message}).value();
        REQUIRE(d.size() == 1);
        return d[0];
    };
    {
        auto s = sqlite_store::open(dir.file(), test_options()).value();
        for (const char* id : {"k1", "k2", "k3"})
            REQUIRE(s.insert_message(ordered_message(id, {{"e1", "a"}}), e1, 1000).value());
        for (const char* id : {"h1", "h2"})
            REQUIRE(s.insert_message(ordered_message(id, {{"e1", "h", true}}), e1, 1000).value());
        for (auto& c : s.claim_due(1000, 10, e1, 2000).value())
            REQUIRE(s.record_attempt(
                c.delivery.id, c.delivery.lease, {.number = 1, .started_at = 1000},
                c.delivery.message_id == "k1" ? delivery_status::delivered : delivery_status::exhausted, 0));
        auto k2 = s.claim_due(1000, 10, e1, 999'999).value(); // in flight at the "crash"
        REQUIRE(k2.size() == 1);
        CHECK(k2[0].delivery.message_id == "k2");
    }
    auto o = test_options();
    o.clock = [] { return std::int64_t{5000}; };
    auto s = sqlite_store::open(dir.file(), o).value();
    auto k2 = one(s, "k2");
    CHECK(k2.status == delivery_status::pending); // recovered: due at open
    CHECK(k2.sequence == 2);
    CHECK(k2.sequence_prev == 1);
    CHECK_FALSE(k2.waiting);
    CHECK(one(s, "k3").waiting);
    auto h1 = one(s, "h1");
    CHECK(h1.status == delivery_status::exhausted);
    CHECK(h1.holds_key);
    CHECK(one(s, "h2").waiting);
    auto got = s.claim_due(5000, 10, e1, 9000).value();
    REQUIRE(got.size() == 1);
    CHECK(got[0].delivery.message_id == "k2");
    REQUIRE(s.record_attempt(got[0].delivery.id, got[0].delivery.lease, {.number = 2, .started_at = 5000},
                             delivery_status::delivered, 0));
    CHECK(one(s, "k3").sequence_prev == 2);
    REQUIRE(s.insert_message(ordered_message("k4", {{"e1", "a"}}), e1, 5000).value());
    CHECK(one(s, "k4").sequence == 4); // the stream's numbering carried over
    CHECK(one(s, "k4").waiting);
    REQUIRE(s.skip(h1.id, 5000));
    std::set<std::string> ids;
    for (auto& c : s.claim_due(5000, 10, e1, 9000).value()) ids.insert(c.delivery.message_id);
    CHECK(ids == std::set<std::string>{"k3", "h2"});
}

TEST_CASE("sqlite_store: the outbox takes ordered positions inside the application's transaction", "[sqlite_store]") {
    using test_support::ordered_message;
    temp_dir dir;
    auto store = sqlite_store::open(dir.file(), test_options()).value();
    SQLite::Database app(dir.file(), SQLite::OPEN_READWRITE, 5000);
    const std::vector<std::string> eps = {"ep"};
    REQUIRE(store.insert_message(ordered_message("k1", {{"ep", "a"}}), eps, 0).value());
    {
        SQLite::Transaction tx(app);
        CHECK(store.insert_message_in(app, ordered_message("k2", {{"ep", "a"}}), eps, 0).value());
    } // rolled back: its position too
    {
        SQLite::Transaction tx(app);
        CHECK(store.insert_message_in(app, ordered_message("k3", {{"ep", "a"}}), eps, 0).value());
        tx.commit();
    }
    raw_db raw(dir.file());
    REQUIRE(store.insert_message_in(raw.db, ordered_message("k4", {{"ep", "a"}}), eps, 0).value());
    REQUIRE(store.insert_message_in(raw.db, ordered_message("b1", {{"ep", "b"}}), eps, 0).value());
    auto listed = store.list_deliveries({}).value();
    REQUIRE(listed.size() == 4);
    CHECK(listed[0].sequence == 1);
    CHECK(listed[1].message_id == "k3");
    CHECK(listed[1].sequence == 2);
    CHECK(listed[1].waiting);
    CHECK(listed[2].sequence == 3);
    CHECK(listed[3].sequence == 1);
    CHECK_FALSE(listed[3].waiting);
    std::set<std::string> ids;
    for (auto& c : store.claim_due(0, 10, eps, 1000).value()) ids.insert(c.delivery.message_id);
    CHECK(ids == std::set<std::string>{"k1", "b1"});
}

TEST_CASE("sqlite_store: waiting deliveries stay out of the claim's index, whose plan is unchanged", "[sqlite_store]") {
    using test_support::ordered_message;
    temp_dir dir;
    auto s = sqlite_store::open(dir.file(), test_options()).value();
    const std::vector<std::string> e1 = {"e1"};
    for (int i = 0; i < 500; ++i)
        REQUIRE(s.insert_message(ordered_message("k" + std::to_string(i), {{"e1", "a"}}), e1, 1000).value());
    REQUIRE(s.insert_message(make_message("u"), e1, 1000).value());
    raw_db raw(dir.file());
    CHECK(raw.count("SELECT count(*) FROM hookline_deliveries WHERE waiting != 0") == 499);
    CHECK(raw.count("SELECT count(*) FROM hookline_deliveries INDEXED BY hookline_deliveries_due WHERE "
                    "endpoint_id = 'e1' AND due IS NOT NULL") == 2);
    CHECK(raw.count("SELECT count(*) FROM hookline_deliveries INDEXED BY hookline_deliveries_due_any WHERE "
                    "due IS NOT NULL") == 2);
    auto plan = [&](const std::string& sql) {
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(raw.db, ("EXPLAIN QUERY PLAN " + sql).c_str(), -1, &st, nullptr) == SQLITE_OK);
        std::string out;
        while (sqlite3_step(st) == SQLITE_ROW)
            out += std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 3))) + ";";
        sqlite3_finalize(st);
        return out;
    };
    CHECK(plan(detail::sqlite_claim_sql()) ==
          "SEARCH d USING INDEX hookline_deliveries_due (endpoint_id=? AND due>? AND due<?);");
    CHECK(plan("SELECT id, order_seq, waiting FROM hookline_deliveries WHERE endpoint_id = ?1 AND order_key = ?2 AND "
               "order_seq != 0 AND order_seq > ?3 AND (status IN (0, 1) OR holds_key != 0) ORDER BY order_seq "
               "LIMIT 1") ==
          "SEARCH hookline_deliveries USING INDEX hookline_deliveries_order (endpoint_id=? AND order_key=? AND "
          "order_seq>?);");
    auto got = s.claim_due(1000, 10, e1, 9000).value();
    CHECK(got.size() == 2); // the stream's head and the unordered one
}

TEST_CASE("sqlite_store: a version 3 database is migrated to ordered delivery in place", "[sqlite_store]") {
    temp_dir dir;
    {
        // Version 3 as its migrations wrote it, with a pending and a finished delivery.
        raw_db raw(dir.file());
        const auto& steps = detail::sqlite_migrations();
        for (std::size_t i = 0; i < 3; ++i) REQUIRE(raw.exec(steps[i]));
        REQUIRE(raw.exec(
            "CREATE TABLE hookline_schema (version INTEGER NOT NULL); INSERT INTO hookline_schema VALUES (3);"
            "INSERT INTO hookline_messages (id, event_type, payload, created_at) VALUES ('m1', 'a.b', '{}', 10), "
            "('m2', 'a.b', '{}', 10);"
            "INSERT INTO hookline_deliveries (message_id, endpoint_id, status, attempts, next_attempt_at, due, "
            "updated_at, lease) VALUES ('m1', 'e1', 0, 1, 20, 20, 10, 1), ('m2', 'e1', 3, 5, 10, NULL, 10, 5);"));
        CHECK(sqlite_store::stored_schema_version(raw.db).value() == 3);
    }
    auto s = sqlite_store::open(dir.file(), test_options()).value();
    {
        raw_db raw(dir.file());
        CHECK(sqlite_store::stored_schema_version(raw.db).value() == sqlite_store::schema_version);
        CHECK(raw.count("SELECT count(*) FROM hookline_order_streams") == 0);
    }
    const auto old = s.list_deliveries({}).value();
    test_support::check_unordered_after_migration(old, 2);
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(s.insert_message(test_support::ordered_message("k1", {{"e1", "a"}}), e1, 20).value());
    REQUIRE(s.insert_message(test_support::ordered_message("k2", {{"e1", "a"}}), e1, 20).value());
    std::set<std::string> ids;
    for (auto& c : s.claim_due(20, 10, e1, 900).value()) ids.insert(c.delivery.message_id);
    CHECK(ids == std::set<std::string>{"m1", "k1"});
    REQUIRE(s.skip(old[1].id, 30)); // an old exhausted delivery can be skipped
    CHECK(s.list_deliveries({.message_id = "m2"}).value().at(0).status == delivery_status::skipped);
}
