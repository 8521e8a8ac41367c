// postgres_store against a real PostgreSQL server (HOOKLINE_TEST_PG): the store contract, several handles
// (standing in for several processes) sharing one queue, leases and their fencing, migrations, the outbox,
// prune against reschedule, the sender (two senders, one losing its lease), and ordered streams shared by
// several processes (a settle and an insert racing for one stream's row).
#include "support/postgres_test_db.hpp"
#include "support/registry_conformance.hpp"
#include "support/sender_doubles.hpp"
#include "support/store_conformance.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/postgres_store.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace hookline;
using test_support::app_connection;
using test_support::make_message;
using test_support::scratch_schema;

namespace {
postgres_store open_store(const scratch_schema& db, std::size_t pool = 4) {
    auto s = postgres_store::open(db.conninfo(), {.schema = db.name(), .pool_size = pool});
    REQUIRE(s);
    return std::move(s).value();
}

/// What `SELECT count(*) || ':' || max(version) FROM schema_version` answers for a current schema.
const std::string current_version = "1:" + std::to_string(detail::pg::schema_version);
} // namespace

TEST_CASE("postgres_store: meets the store contract", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    test_support::check_store_conformance(s);
}

TEST_CASE("postgres_store: meets the registry contract", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    test_support::check_registry_conformance(s);
}

TEST_CASE("postgres_store: registry rows survive reopening the store", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto body = std::string("{\"secret\":\"caf\xc3\xa9\"}");
    {
        auto s = open_store(db, 1);
        REQUIRE(s.registry_insert(test_support::row("app", "app_b", "", "acme", 10)));
        REQUIRE(s.registry_insert(test_support::row("app", "app_a", "", "", 20)));
        auto ep = test_support::row("endpoint", "ep_1", "app_b", "hook", 30);
        ep.body = body;
        REQUIRE(s.registry_insert(ep));
    }
    auto s = open_store(db); // a restart: another pool, the rows are still there
    CHECK(test_support::ids_of(*s.registry_list({.kind = "app"})) == std::vector<std::string>{"app_a", "app_b"});
    auto ep = s.registry_find("endpoint", "app_b", "hook").value();
    REQUIRE(ep.has_value());
    CHECK(ep->id == "ep_1");
    CHECK(ep->body == body);
    CHECK(ep->created_at == 30);
    CHECK(s.registry_insert(test_support::row("app", "app_c", "", "acme")).error() == errc::already_exists);
}

TEST_CASE("postgres_store: payloads and ids are binary-safe", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    std::string payload("\0\x01\xff\xfe{\"a\":'b'}\\x00", 16);
    const std::vector<std::string> eps = {"a\"b", "c\\d", "e,f", "{g}", "h i", "NULL", ""};
    stored_message m{"id'; DROP TABLE x; --", "type\"with\\quotes", std::make_shared<const std::string>(payload), 7};
    REQUIRE(s.insert_message(m, eps, 10).value());
    auto got = s.claim_due(10, 100, eps, 20).value();
    REQUIRE(got.size() == eps.size());
    std::set<std::string> seen;
    for (auto& c : got) {
        CHECK(*c.message->payload == payload);
        CHECK(c.message->event_type == m.event_type);
        CHECK(c.message->id == m.id);
        CHECK(c.message->created_at == 7);
        seen.insert(c.delivery.endpoint_id);
    }
    CHECK(seen == std::set<std::string>(eps.begin(), eps.end()));
    std::string excerpt("\0\xc3(bad utf8", 11);
    REQUIRE(s.record_attempt(
        got[0].delivery.id, got[0].delivery.lease,
        {.number = 1, .started_at = 11, .status = 0, .error = errc::connection_failed, .response_excerpt = excerpt},
        delivery_status::pending, 30));
    auto a = s.list_attempts(got[0].delivery.id).value();
    REQUIRE(a.size() == 1);
    CHECK(a[0].response_excerpt == excerpt);
    CHECK(a[0].error == errc::connection_failed);
    const std::vector<std::string> first_ep = {got[0].delivery.endpoint_id};
    auto again = s.claim_due(30, 1, first_ep, 40).value();
    REQUIRE(again.size() == 1);
    REQUIRE(again[0].delivery.last_attempt);
    CHECK(again[0].delivery.last_attempt->response_excerpt == excerpt);
    CHECK(s.list_deliveries({.endpoint_id = "a\"b"}).value().size() == 1);
}

TEST_CASE("postgres_store: two handles claiming at once never share a delivery", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto a = open_store(db);
    auto b = open_store(db); // its own pool, as another process would have
    const std::vector<std::string> eps = {"e1", "e2", "e3"};
    constexpr int messages = 600;
    for (int i = 0; i < messages; ++i)
        REQUIRE(a.insert_message(make_message("m" + std::to_string(i)), eps, 1000 + i % 17).value());
    std::vector<std::vector<std::uint64_t>> seen(8);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&, t] {
            auto& s = t % 2 ? a : b;
            for (;;) {
                auto got = s.claim_due(5000, 5, eps, 999999);
                if (!got) {
                    ++failures;
                    return;
                }
                if (got->empty()) return;
                for (auto& c : *got) seen[t].push_back(c.delivery.id);
            }
        });
    for (auto& th : threads) th.join();
    CHECK(failures == 0);
    std::set<std::uint64_t> all;
    std::size_t total = 0;
    for (auto& v : seen) {
        total += v.size();
        all.insert(v.begin(), v.end());
    }
    CHECK(total == messages * eps.size());
    CHECK(all.size() == messages * eps.size());
    CHECK(a.list_deliveries({.statuses = {delivery_status::pending}}).value().empty());
}

TEST_CASE("postgres_store: an expired lease hands a delivery to another process", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto dead = open_store(db);
    auto alive = open_store(db);
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(dead.insert_message(make_message("m1"), e1, 1000).value());
    auto first = dead.claim_due(1000, 10, e1, 31000).value();
    REQUIRE(first.size() == 1);
    // The claiming process dies here; until its lease ends nobody else gets the delivery.
    CHECK(alive.claim_due(30999, 10, e1, 90000).value().empty());
    CHECK(alive.next_due(e1).value() == 31000);
    auto second = alive.claim_due(31000, 10, e1, 90000).value();
    REQUIRE(second.size() == 1);
    CHECK(second[0].delivery.id == first[0].delivery.id);
    CHECK(second[0].delivery.lease_until == 90000);
    REQUIRE(alive.record_attempt(second[0].delivery.id, second[0].delivery.lease,
                                 {.number = 1, .started_at = 31000, .status = 200}, delivery_status::delivered, 0));
    CHECK_FALSE(alive.next_due(e1).value().has_value());
    CHECK(dead.list_deliveries({.message_id = "m1"}).value().at(0).status == delivery_status::delivered);
}

TEST_CASE("postgres_store: a process whose lease ran out cannot overwrite the new owner", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto slow = open_store(db);
    auto other = open_store(db); // its own pool: another process
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(slow.insert_message(make_message("m1"), e1, 1000).value());
    auto first = slow.claim_due(1000, 10, e1, 31000).value().at(0).delivery;
    // `slow` stalls (a GC pause, a partition) past its lease; `other` claims the delivery again.
    auto second = other.claim_due(31000, 10, e1, 90000).value().at(0).delivery;
    REQUIRE(second.id == first.id);
    CHECK(second.lease == first.lease + 1);
    // The stalled process wakes up and reports its outcome, or hands the delivery back: both refused.
    CHECK(slow.record_attempt(first.id, first.lease, {.number = 1, .started_at = 1000, .status = 500},
                              delivery_status::pending, 5000)
              .error() == errc::lease_lost);
    CHECK(slow.release(first.id, first.lease, 1000).error() == errc::lease_lost);
    auto now = other.list_deliveries({.message_id = "m1"}).value().at(0);
    CHECK(now.status == delivery_status::in_flight);
    CHECK(now.lease_until == 90000);
    CHECK(now.lease == second.lease);
    CHECK(now.attempts == 0);
    CHECK(other.list_attempts(first.id).value().empty());
    CHECK(other.next_due(e1).value() == 90000);
    // The new owner records; the stale token stays refused afterwards.
    REQUIRE(other.record_attempt(second.id, second.lease, {.number = 1, .started_at = 31000, .status = 200},
                                 delivery_status::delivered, 0));
    CHECK(slow.record_attempt(first.id, first.lease, {.number = 1, .started_at = 1000, .status = 500},
                              delivery_status::pending, 5000)
              .error() == errc::lease_lost);
    auto done = slow.list_deliveries({.message_id = "m1"}).value().at(0);
    CHECK(done.status == delivery_status::delivered);
    CHECK(done.attempts == 1);
    REQUIRE(slow.list_attempts(first.id).value().size() == 1);
    CHECK(slow.list_attempts(first.id).value().at(0).status == 200);
}

TEST_CASE("postgres_store: a version 1 schema is migrated in place", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    const std::string q = "\"" + db.name() + "\".";
    // Version 1, written by hand as it was (no lease column), with a delivery in flight.
    REQUIRE(
        app.exec("CREATE SCHEMA \"" + db.name() + "\"; CREATE TABLE " + q +
                 "schema_version (version integer NOT NULL); INSERT INTO " + q +
                 "schema_version VALUES (1);"
                 "CREATE TABLE " +
                 q +
                 "messages (id text PRIMARY KEY, event_type text NOT NULL, payload bytea NOT NULL, "
                 "created_at bigint NOT NULL);"
                 "CREATE TABLE " +
                 q + "deliveries (id bigserial PRIMARY KEY, message_id text NOT NULL REFERENCES " + q +
                 "messages (id) ON DELETE CASCADE, endpoint_id text NOT NULL, status smallint NOT NULL, "
                 "attempts integer NOT NULL DEFAULT 0, next_attempt_at bigint NOT NULL, lease_until bigint NOT NULL "
                 "DEFAULT 0, due_at bigint, updated_at bigint NOT NULL, last_number integer, last_started_at "
                 "bigint, last_status integer, last_error_category text, last_error integer, last_latency_us "
                 "bigint, last_excerpt bytea);"
                 "CREATE INDEX ON " +
                 q +
                 "deliveries (endpoint_id, due_at, id) WHERE due_at IS NOT NULL;"
                 "CREATE TABLE " +
                 q + "attempts (seq bigserial PRIMARY KEY, delivery_id bigint NOT NULL REFERENCES " + q +
                 "deliveries (id) ON DELETE CASCADE, number integer NOT NULL, started_at bigint NOT NULL, status "
                 "integer NOT NULL, error_category text NOT NULL, error integer NOT NULL, latency_us bigint NOT "
                 "NULL, excerpt bytea NOT NULL);"
                 "CREATE TABLE " +
                 q +
                 "endpoint_state (endpoint_id text PRIMARY KEY, disabled boolean NOT NULL, disabled_reason text "
                 "NOT NULL, failing_since bigint NOT NULL, exhausted_count integer NOT NULL);"
                 "INSERT INTO " +
                 q +
                 "messages VALUES ('m1', 'a.b', '\\x7b7d', 10);"
                 "INSERT INTO " +
                 q +
                 "deliveries (message_id, endpoint_id, status, attempts, next_attempt_at, lease_until, due_at, "
                 "updated_at) VALUES ('m1', 'e1', 1, 2, 10, 500, 500, 10);"));
    // Without migration rights the old version is a mismatch; with them it is upgraded, data kept.
    CHECK(postgres_store::open(db.conninfo(), {.schema = db.name(), .migrate = false}).error() ==
          errc::schema_mismatch);
    auto s = open_store(db);
    CHECK(app.scalar("SELECT count(*) || ':' || max(version) FROM " + q + "schema_version") == current_version);
    auto old = s.list_deliveries({.message_id = "m1"}).value().at(0);
    CHECK(old.lease == 0);
    CHECK(old.attempts == 2);
    CHECK(old.lease_until == 500);
    // Version 3's index answers due_endpoints (the old claim's lease ended at 500).
    CHECK(s.due_endpoints(500, 10).value().endpoints == std::vector<std::string>{"e1"});
    const std::vector<std::string> e1 = {"e1"};
    auto taken = s.claim_due(500, 10, e1, 900).value(); // the old process's lease ran out
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].delivery.lease == 1);
    CHECK(*taken[0].message->payload == "{}");
    CHECK(s.record_attempt(old.id, 0, {.number = 3, .started_at = 400, .status = 200}, delivery_status::delivered, 0)
              .error() == errc::lease_lost);
    REQUIRE(
        s.record_attempt(old.id, 1, {.number = 3, .started_at = 500, .status = 200}, delivery_status::delivered, 0));
    CHECK(s.list_deliveries({.message_id = "m1"}).value().at(0).status == delivery_status::delivered);
    auto again = open_store(db); // reopening a current schema changes nothing
    CHECK(app.scalar("SELECT count(*) || ':' || max(version) FROM " + q + "schema_version") == current_version);
}

TEST_CASE("postgres_store: concurrent opens migrate once and reopening is idempotent", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    std::atomic<int> opened{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 6; ++i)
        threads.emplace_back([&] {
            auto s = postgres_store::open(db.conninfo(), {.schema = db.name(), .pool_size = 1});
            if (s) ++opened;
        });
    for (auto& t : threads) t.join();
    CHECK(opened == 6);
    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    CHECK(app.scalar("SELECT count(*) || ':' || max(version) FROM \"" + db.name() + "\".schema_version") ==
          current_version);
    auto s = open_store(db);
    REQUIRE(s.insert_message(make_message("kept"), std::vector<std::string>{"e"}, 1).value());
    auto again = open_store(db); // a restart: the data stays
    CHECK(again.list_deliveries({.message_id = "kept"}).value().size() == 1);
    // Without migration, a missing schema is a mismatch; a newer schema version is refused.
    CHECK(postgres_store::open(db.conninfo(), {.schema = db.name() + "_absent", .migrate = false}).error() ==
          errc::schema_mismatch);
    REQUIRE(app.exec("UPDATE \"" + db.name() + "\".schema_version SET version = 99"));
    CHECK(postgres_store::open(db.conninfo(), {.schema = db.name()}).error() == errc::schema_mismatch);
}

TEST_CASE("postgres_store: bad options and unreachable servers are errors without details", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    CHECK(postgres_store::open(*ci, {.schema = "Bad-Name"}).error() == errc::invalid_argument);
    CHECK(postgres_store::open(*ci, {.schema = "x\"; DROP SCHEMA public; --"}).error() == errc::invalid_argument);
    CHECK(postgres_store::open(*ci, {.pool_size = 0}).error() == errc::invalid_argument);
    std::vector<std::string> reported;
    std::mutex mutex;
    auto r = postgres_store::open("host=/nonexistent-dir port=1 dbname=x user=x password=hunter2 connect_timeout=2",
                                  {.on_error = [&](const char* op, const char* state) {
                                      std::lock_guard lock(mutex);
                                      reported.push_back(std::string(op) + "/" + state);
                                  }});
    CHECK(r.error() == errc::store_failure);
    CHECK(reported == std::vector<std::string>{"connect/"});
    CHECK(error(r.error()).what() == std::string("store failure"));
}

TEST_CASE("postgres_store: the outbox commits and rolls back with the application's transaction", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    const std::string orders = "\"" + db.name() + "\".orders";
    REQUIRE(app.exec("CREATE TABLE " + orders + " (id text PRIMARY KEY)"));
    const std::vector<std::string> eps = {"e1", "e2"};

    REQUIRE(app.exec("BEGIN"));
    REQUIRE(app.exec("INSERT INTO " + orders + " VALUES ('o1')"));
    REQUIRE(s.insert_message_in(*app.get(), make_message("committed"), eps, 1000).value());
    // Not visible (nor claimable) before the commit.
    CHECK(s.claim_due(1000, 10, eps, 5000).value().empty());
    REQUIRE(app.exec("COMMIT"));
    CHECK(s.claim_due(1000, 10, eps, 5000).value().size() == 2);

    REQUIRE(app.exec("BEGIN"));
    REQUIRE(app.exec("INSERT INTO " + orders + " VALUES ('o2')"));
    REQUIRE(s.insert_message_in(app.get(), make_message("rolled_back"), eps, 1000).value());
    REQUIRE(app.exec("ROLLBACK"));
    CHECK(s.list_deliveries({.message_id = "rolled_back"}).value().empty());
    CHECK(app.scalar("SELECT count(*) FROM " + orders) == "1");

    // Idempotent inside a transaction too; a failure aborts the application's transaction.
    REQUIRE(app.exec("BEGIN"));
    CHECK_FALSE(s.insert_message_in(*app.get(), make_message("committed"), eps, 1000).value());
    REQUIRE(app.exec("COMMIT"));
    PGconn* none = nullptr;
    CHECK(s.insert_message_in(none, make_message("x"), eps, 1000).error() == errc::invalid_argument);
}

TEST_CASE("postgres_store: the sender enqueues through the outbox and delivers from the store", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    test_support::fake_transport net;
    std::atomic<int> delivered{0};
    auto rec = std::make_shared<test_support::recorder>();
    sender_options o;
    o.workers = 2;
    o.callbacks.on_delivered = [&](const attempt_report&) { rec->update([&] { ++delivered; }); };
    basic_sender<test_support::fake_transport, standard_signer, fixed_schedule, postgres_store> sender(
        net, fixed_schedule{}, s, o);
    endpoint_config c;
    c.url = "http://a/hook";
    c.secrets = {{secret::generate().value(), 0}};
    REQUIRE(sender.add_endpoint("a", c));

    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    REQUIRE(app.exec("BEGIN"));
    auto r = sender.send_in(*app.get(), event{.type = "order.created", .payload = "{\"id\":1}", .id = "msg_outbox"});
    REQUIRE(r);
    CHECK(r->deliveries == 1);
    REQUIRE(app.exec("COMMIT"));
    sender.wake();
    REQUIRE(sender.send(event{.type = "order.created", .payload = "{\"id\":2}", .id = "msg_direct"}));
    CHECK(rec->wait([&] { return delivered.load() == 2; }));
    sender.stop(std::chrono::seconds(5));
    CHECK(s.list_deliveries({.statuses = {delivery_status::delivered}}).value().size() == 2);
    CHECK(net.count("http://a/hook") == 2);
}

TEST_CASE("postgres_store: prune deletes finished messages with their deliveries and attempts", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    const std::vector<std::string> eps = {"e1", "e2"};
    REQUIRE(s.insert_message(make_message("done", 100), eps, 100).value());
    REQUIRE(s.insert_message(make_message("half", 100), eps, 100).value());
    for (auto& c : s.claim_due(200, 10, eps, 9000).value()) {
        REQUIRE(s.record_attempt(c.delivery.id, c.delivery.lease, {.number = 1, .started_at = 200, .status = 500},
                                 delivery_status::pending, 300));
    }
    for (auto& c : s.claim_due(300, 10, eps, 9000).value())
        if (c.delivery.message_id == "done" || c.delivery.endpoint_id == "e1")
            REQUIRE(s.record_attempt(c.delivery.id, c.delivery.lease, {.number = 2, .started_at = 300, .status = 200},
                                     delivery_status::delivered, 0));
    CHECK(s.prune(1000).value() == 1);
    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    const std::string q = "\"" + db.name() + "\".";
    CHECK(app.scalar("SELECT count(*) FROM " + q + "messages") == "1");
    CHECK(app.scalar("SELECT count(*) FROM " + q + "deliveries") == "2");
    CHECK(app.scalar("SELECT count(*) FROM " + q + "attempts") == "3"); // "half": 2 on e1, 1 on e2
    CHECK(s.prune(1000).value() == 0);
}

TEST_CASE("postgres_store: a dropped connection is replaced on the next call", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    const std::string tag = "hookline_drop_" + db.name().substr(14);
    auto s = postgres_store::open(db.conninfo() + " application_name=" + tag, {.schema = db.name(), .pool_size = 1});
    REQUIRE(s);
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(s->insert_message(make_message("m1"), e1, 1).value());
    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    // The server ends the store's connection (a restart, an idle timeout, a failover).
    CHECK(app.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '" + tag +
                     "'") == "1");
    auto first = s->next_due(e1); // may fail: the pool finds out only now
    auto second = s->next_due(e1);
    REQUIRE(second);
    CHECK(second->value_or(-1) == 1);
    if (!first) CHECK(first.error() == errc::store_failure);
    CHECK(s->claim_due(1, 10, e1, 100).value().size() == 1);
}

namespace {
using pg_sender = basic_sender<test_support::fake_transport, standard_signer, fixed_schedule, postgres_store>;

/// Waits, at most 10 s, until a backend of `application` waits for a lock (seen from its own connection:
/// pg_stat_activity is a snapshot inside a transaction).
bool waits_for_lock(const std::string& conninfo, const std::string& application) {
    app_connection observer(conninfo);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < until) {
        if (observer.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + application +
                            "' AND wait_event_type = 'Lock'") != "0")
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(2)); // polling a server state: no event to wait on
    }
    return false;
}
} // namespace

TEST_CASE("postgres_store: two senders: the late outcome of one whose lease ran out is refused", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto store_a = open_store(db);
    auto store_b = open_store(db); // two processes: two connection pools
    const std::string url = "http://a/hook";
    endpoint_config c;
    c.url = url;
    c.secrets = {{secret::generate().value(), 0}};
    c.timeout = std::chrono::seconds(1);
    c.max_concurrency = 1;

    struct observed {
        int attempts_a = 0, reported_a = 0, delivered_b = 0;
        std::vector<std::string> warnings_a;
    };
    auto rec = std::make_shared<test_support::recorder>();
    observed seen; // guarded by rec

    // Sender A claims the delivery; its request hangs (and will answer 500).
    test_support::fake_transport net_a;
    net_a.answer(url, 500);
    net_a.block(url);
    test_support::manual_clock clock_a;
    sender_options oa;
    oa.workers = 1;
    oa.clock = clock_a;
    oa.lease_margin = std::chrono::seconds(1); // lease: 1 s timeout + 1 s
    oa.callbacks.on_attempt = [&](const attempt_report&) { rec->update([&] { ++seen.attempts_a; }); };
    oa.callbacks.on_delivered = [&](const attempt_report&) { rec->update([&] { ++seen.reported_a; }); };
    oa.callbacks.on_exhausted = [&](const attempt_report&) { rec->update([&] { ++seen.reported_a; }); };
    oa.logger = [&](log_level level, std::string_view line) {
        rec->update([&] {
            if (level == log_level::warning) seen.warnings_a.emplace_back(line);
        });
    };
    pg_sender a(net_a, fixed_schedule{}, store_a, oa);
    REQUIRE(a.add_endpoint("ep", c));
    REQUIRE(a.send(event{.type = "invoice.paid", .payload = "{}", .id = "msg_fenced"}));
    REQUIRE(net_a.events->wait([&] { return net_a.count(url) == 1; }));

    // Sender B, whose clock is past A's lease, takes the delivery over and delivers it.
    test_support::fake_transport net_b;
    test_support::manual_clock clock_b;
    clock_b.advance(std::chrono::seconds(10));
    sender_options ob;
    ob.workers = 1;
    ob.clock = clock_b;
    ob.callbacks.on_delivered = [&](const attempt_report&) { rec->update([&] { ++seen.delivered_b; }); };
    pg_sender b(net_b, fixed_schedule{}, store_b, ob);
    REQUIRE(b.add_endpoint("ep", c));
    REQUIRE(rec->wait([&] { return seen.delivered_b == 1; }));
    b.stop(std::chrono::seconds(5));
    CHECK(net_b.count(url) == 1);
    auto d = store_b.list_deliveries({.message_id = "msg_fenced"}).value().at(0);
    CHECK(d.status == delivery_status::delivered);
    CHECK(d.lease == 2);

    // A's request finally answers 500: refused by the store, logged once, reported nowhere.
    net_a.unblock();
    REQUIRE(rec->wait([&] { return !seen.warnings_a.empty(); }));
    a.stop(std::chrono::seconds(5));
    rec->read([&] {
        REQUIRE(seen.warnings_a.size() == 1);
        CHECK(seen.warnings_a[0].find("lease lost to another sender") != std::string::npos);
        CHECK(seen.warnings_a[0].find("message=msg_fenced") != std::string::npos);
        CHECK(seen.warnings_a[0].find("/hook") == std::string::npos); // the URL's origin only
        CHECK(seen.attempts_a == 0);
        CHECK(seen.reported_a == 0);
    });
    auto after = store_a.list_deliveries({.message_id = "msg_fenced"}).value().at(0);
    CHECK(after.status == delivery_status::delivered);
    CHECK(after.attempts == 1);
    auto attempts = store_a.list_attempts(after.id).value();
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0].status == 200);
    // A did not count the refused attempt against the endpoint (a failure would have saved its health).
    CHECK_FALSE(store_a.load_endpoint_state("ep").value().has_value());
    CHECK(net_a.count(url) == 1);
}

TEST_CASE("postgres_store: prune skips a message a reschedule holds", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(s.insert_message(make_message("m1", 100), e1, 100).value());
    auto d = s.claim_due(100, 1, e1, 900).value().at(0).delivery;
    REQUIRE(s.record_attempt(d.id, d.lease, {.number = 1, .started_at = 100, .status = 500}, delivery_status::exhausted,
                             0));
    const std::string q = "\"" + db.name() + "\".";
    // Another process reschedules as the store does: the message locked first, then its deliveries
    // made pending; its transaction is still open.
    app_connection other(db.conninfo());
    REQUIRE(other.ok());
    REQUIRE(other.exec("BEGIN"));
    REQUIRE(other.exec("SELECT 1 FROM " + q + "messages WHERE id = 'm1' FOR SHARE"));
    REQUIRE(other.exec("UPDATE " + q + "deliveries SET status = 0, next_attempt_at = 500, due_at = 500"));
    CHECK(s.prune(1000).value() == 0); // skipped, without waiting
    REQUIRE(other.exec("COMMIT"));
    CHECK(s.prune(1000).value() == 0); // pending now
    CHECK(s.list_deliveries({.message_id = "m1"}).value().at(0).status == delivery_status::pending);
}

TEST_CASE("postgres_store: reschedule waits for a prune holding the message and finds it gone", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    const std::string tag = "hookline_resched_" + db.name().substr(14);
    auto opened = postgres_store::open(db.conninfo() + " application_name=" + tag, {.schema = db.name()});
    REQUIRE(opened);
    auto s = std::move(opened).value();
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(s.insert_message(make_message("m1", 100), e1, 100).value());
    auto d = s.claim_due(100, 1, e1, 900).value().at(0).delivery;
    REQUIRE(s.record_attempt(d.id, d.lease, {.number = 1, .started_at = 100, .status = 500}, delivery_status::exhausted,
                             0));
    const std::string q = "\"" + db.name() + "\".";
    // Another process prunes: it holds the finished message locked in an open transaction.
    app_connection pruner(db.conninfo());
    REQUIRE(pruner.ok());
    REQUIRE(pruner.exec("BEGIN"));
    REQUIRE(pruner.exec("SELECT 1 FROM " + q + "messages WHERE id = 'm1' FOR UPDATE"));
    std::optional<result<std::size_t>> rescheduled;
    std::thread retry([&] { rescheduled = s.reschedule({.message_id = "m1"}, 500); });
    const bool waited = waits_for_lock(db.conninfo(), tag);
    CHECK(waited); // the reschedule waits for the message instead of making its delivery pending
    REQUIRE(pruner.exec("DELETE FROM " + q + "messages WHERE id = 'm1'"));
    REQUIRE(pruner.exec("COMMIT"));
    retry.join();
    REQUIRE(rescheduled);
    REQUIRE(*rescheduled);
    CHECK(**rescheduled == 0);
    CHECK(s.list_deliveries({.message_id = "m1"}).value().empty());
}

TEST_CASE("postgres_store: ordering keys are stored as given", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    const std::vector<std::string> keys = {"", "NULL", "a\"b", "c\\d", "x,y", "{}", " sp ", "é"};
    const std::vector<std::string> eps = {"e1", "e2"};
    for (std::size_t i = 0; i < keys.size(); ++i)
        REQUIRE(s.insert_message(test_support::ordered_message("m" + std::to_string(i), {{"e2", keys[i]}}), eps, 1000)
                    .value());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto d = s.list_deliveries({.message_id = "m" + std::to_string(i), .endpoint_id = "e2"}).value().at(0);
        CHECK(d.ordering_key == keys[i]);
        CHECK(d.sequence == 1);
        auto u = s.list_deliveries({.message_id = "m" + std::to_string(i), .endpoint_id = "e1"}).value().at(0);
        CHECK(u.sequence == 0);
    }
}

TEST_CASE("postgres_store: a settle waits for an outbox insert holding its stream, then promotes it",
          "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    const std::string tag = "hookline_settle_" + db.name().substr(14);
    auto opened = postgres_store::open(db.conninfo() + " application_name=" + tag, {.schema = db.name()});
    REQUIRE(opened);
    auto s = std::move(opened).value();
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(s.insert_message(test_support::ordered_message("k1", {{"e1", "a"}}), e1, 1000).value());
    auto head = s.claim_due(1000, 10, e1, 9000).value().at(0).delivery;
    // The application enqueues the key's next message in its own transaction, still open: it holds
    // the stream's row (position 2 is taken, behind the head in flight).
    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    REQUIRE(app.exec("BEGIN"));
    REQUIRE(s.insert_message_in(*app.get(), test_support::ordered_message("k2", {{"e1", "a"}}), e1, 1000).value());
    std::optional<result<void>> recorded;
    std::thread settle([&] {
        recorded = s.record_attempt(head.id, head.lease, {.number = 1, .started_at = 1000, .status = 200},
                                    delivery_status::delivered, 0);
    });
    const bool waited = waits_for_lock(db.conninfo(), tag);
    CHECK(waited); // the settle waits for the stream instead of missing the position being inserted
    REQUIRE(app.exec("COMMIT"));
    settle.join();
    REQUIRE(recorded);
    REQUIRE(*recorded);
    auto k2 = s.list_deliveries({.message_id = "k2"}).value().at(0);
    CHECK(k2.sequence == 2);
    CHECK_FALSE(k2.waiting);
    CHECK(k2.sequence_prev == 1);
    auto next = s.claim_due(1000, 10, e1, 9000).value();
    REQUIRE(next.size() == 1);
    CHECK(next[0].delivery.message_id == "k2");
}

TEST_CASE("postgres_store: an insert waits for a settle holding its stream, then is the head", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    const std::string tag = "hookline_insert_" + db.name().substr(14);
    auto opened = postgres_store::open(db.conninfo() + " application_name=" + tag, {.schema = db.name()});
    REQUIRE(opened);
    auto s = std::move(opened).value();
    const std::vector<std::string> e1 = {"e1"};
    REQUIRE(s.insert_message(test_support::ordered_message("k1", {{"e1", "a"}}), e1, 1000).value());
    const std::string q = "\"" + db.name() + "\".";
    // Another process settles the head as the store does: the stream's row locked first, then the
    // delivery and the stream moved on; its transaction is still open.
    app_connection other(db.conninfo());
    REQUIRE(other.ok());
    REQUIRE(other.exec("BEGIN"));
    REQUIRE(other.exec("SELECT 1 FROM " + q + "order_streams FOR UPDATE"));
    REQUIRE(other.exec("UPDATE " + q + "deliveries SET status = 2, due_at = NULL"));
    REQUIRE(other.exec("UPDATE " + q + "order_streams SET head_seq = next_seq, last_delivered = 1"));
    std::optional<result<bool>> inserted;
    std::thread insert([&] {
        inserted = s.insert_message(test_support::ordered_message("k2", {{"e1", "a"}}), e1, 1000);
    });
    const bool waited = waits_for_lock(db.conninfo(), tag);
    CHECK(waited);
    REQUIRE(other.exec("COMMIT"));
    insert.join();
    REQUIRE(inserted);
    REQUIRE(inserted->value());
    auto k2 = s.list_deliveries({.message_id = "k2"}).value().at(0);
    CHECK(k2.sequence == 2);
    CHECK_FALSE(k2.waiting); // it saw the settled stream: the head at once
    CHECK(k2.sequence_prev == 1);
}

TEST_CASE("postgres_store: two processes inserting and delivering one key's stream keep its order",
          "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto a = open_store(db);
    auto b = open_store(db); // its own pool, as another process would have
    const std::vector<std::string> e1 = {"e1"};
    const std::vector<std::string> keys = {"k0", "k1", "k2"};
    constexpr int per_inserter = 90;
    constexpr int total = 2 * per_inserter;
    std::atomic<int> delivered{0}, failures{0}, out_of_order{0};
    std::mutex seen_mutex;
    std::map<std::string, std::vector<std::uint64_t>> seen; // per key, positions in claim order
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&, t] { // an inserter
            auto& s = t ? a : b;
            for (int i = 0; i < per_inserter; ++i) {
                const std::string id = "m" + std::to_string(t) + "-" + std::to_string(i);
                auto r = s.insert_message(
                    test_support::ordered_message(id, {{"e1", keys[static_cast<std::size_t>(i) % keys.size()]}}), e1,
                    1000);
                if (!r || !*r) ++failures;
            }
        });
        threads.emplace_back([&, t] { // a sender
            auto& s = t ? a : b;
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
            while (delivered < total && std::chrono::steady_clock::now() < until) {
                auto got = s.claim_due(1000, 8, e1, 999'999'999);
                if (!got) {
                    ++failures;
                    return;
                }
                for (auto& c : *got) {
                    const auto& d = c.delivery;
                    if (d.sequence_prev + 1 != d.sequence) ++out_of_order;
                    {
                        std::lock_guard lock(seen_mutex);
                        seen[d.ordering_key].push_back(d.sequence);
                    }
                    if (!s.record_attempt(d.id, d.lease, {.number = 1, .started_at = 1000, .status = 200},
                                          delivery_status::delivered, 0))
                        ++failures;
                    else
                        ++delivered;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures == 0);
    CHECK(out_of_order == 0);
    CHECK(delivered == total);
    for (const auto& [key, positions] : seen) {
        INFO(key);
        std::vector<std::uint64_t> want(positions.size());
        for (std::size_t i = 0; i < want.size(); ++i) want[i] = i + 1;
        CHECK(positions == want); // each once, in order
    }
}

TEST_CASE("postgres_store: a version 3 schema is migrated to ordered delivery in place", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    const std::string q = "\"" + db.name() + "\".";
    // Version 3 as its migrations made it, with a pending and an exhausted delivery.
    const detail::pg::statements v(db.name());
    REQUIRE(app.exec("CREATE SCHEMA \"" + db.name() + "\"; CREATE TABLE " + q +
                     "schema_version (version integer NOT NULL); INSERT INTO " + q + "schema_version VALUES (3);" +
                     v.schema_v1() + v.schema_v2() + v.schema_v3()));
    REQUIRE(app.exec("INSERT INTO " + q +
                     "messages VALUES ('m1', 'a.b', '\\x7b7d', 10), ('m2', 'a.b', '\\x7b7d', 10);"
                     "INSERT INTO " +
                     q +
                     "deliveries (message_id, endpoint_id, status, attempts, next_attempt_at, due_at, updated_at, "
                     "lease) VALUES ('m1', 'e1', 0, 1, 20, 20, 10, 1), ('m2', 'e1', 3, 5, 10, NULL, 10, 5)"));
    CHECK(postgres_store::open(db.conninfo(), {.schema = db.name(), .migrate = false}).error() ==
          errc::schema_mismatch);
    auto s = open_store(db);
    CHECK(app.scalar("SELECT count(*) || ':' || max(version) FROM " + q + "schema_version") == current_version);
    const auto old = s.list_deliveries({}).value();
    test_support::check_unordered_after_migration(old, 2);
    const std::vector<std::string> e1 = {"e1"};
    for (const char* id : {"k1", "k2", "k3"})
        REQUIRE(s.insert_message(test_support::ordered_message(id, {{"e1", "a"}}), e1, 20).value());
    CHECK(app.scalar("SELECT count(*) FROM " + q + "deliveries WHERE due_at IS NOT NULL") == "2"); // m1 and k1
    std::set<std::string> ids;
    for (auto& c : s.claim_due(20, 10, e1, 900).value()) ids.insert(c.delivery.message_id);
    CHECK(ids == std::set<std::string>{"m1", "k1"});
    REQUIRE(s.skip(old[1].id, 30)); // an old exhausted delivery can be skipped
    CHECK(s.list_deliveries({.message_id = "m2"}).value().at(0).status == delivery_status::skipped);
    auto again = open_store(db); // reopening changes nothing
    CHECK(again.list_deliveries({.message_id = "k3"}).value().at(0).sequence == 3);
}

TEST_CASE("postgres_store: a version 4 schema gains the registry in place", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    app_connection app(db.conninfo());
    REQUIRE(app.ok());
    const std::string q = "\"" + db.name() + "\".";
    const detail::pg::statements v(db.name());
    REQUIRE(app.exec("CREATE SCHEMA \"" + db.name() + "\"; CREATE TABLE " + q +
                     "schema_version (version integer NOT NULL); INSERT INTO " + q + "schema_version VALUES (4);" +
                     v.schema_v1() + v.schema_v2() + v.schema_v3() + v.schema_v4()));
    REQUIRE(app.exec("INSERT INTO " + q + "messages VALUES ('m1', 'a.b', '\\x7b7d', 10)"));
    CHECK(postgres_store::open(db.conninfo(), {.schema = db.name(), .migrate = false}).error() ==
          errc::schema_mismatch);
    auto s = open_store(db);
    CHECK(app.scalar("SELECT count(*) || ':' || max(version) FROM " + q + "schema_version") == current_version);
    CHECK(app.scalar("SELECT count(*) FROM " + q + "messages") == "1"); // the queue is kept
    REQUIRE(s.registry_insert(test_support::row("app", "app_1", "", "acme")));
    CHECK(s.registry_insert(test_support::row("app", "app_2", "", "acme")).error() == errc::already_exists);
    // ids sort by byte, whatever the database's collation
    REQUIRE(s.registry_insert(test_support::row("app", "B")));
    REQUIRE(s.registry_insert(test_support::row("app", "a")));
    CHECK(test_support::ids_of(*s.registry_list({.kind = "app"})) == std::vector<std::string>{"B", "a", "app_1"});
    auto again = open_store(db); // reopening changes nothing
    CHECK(again.registry_get("app", "app_1").value().has_value());
}

TEST_CASE("postgres_store: replays racing the settles of their streams neither deadlock nor strand a stream",
          "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto a = open_store(db);
    auto b = open_store(db);
    const std::vector<std::string> e1 = {"e1"};
    for (int i = 0; i < 60; ++i)
        REQUIRE(a.insert_message(test_support::ordered_message("m" + std::to_string(i), {{"e1", i % 2 ? "a" : "b"}}),
                                 e1, 1000)
                    .value());
    std::atomic<int> failures{0};
    std::atomic<bool> replaying{true};
    std::thread sender([&] {
        for (;;) {
            auto got = a.claim_due(1000, 4, e1, 999'999'999);
            if (!got) {
                ++failures;
                return;
            }
            if (got->empty() && !replaying) return;
            for (auto& c : *got)
                if (!a.record_attempt(c.delivery.id, c.delivery.lease, {.number = 1, .started_at = 1000, .status = 200},
                                      delivery_status::delivered, 0))
                    ++failures;
        }
    });
    for (int round = 0; round < 40; ++round)
        if (!b.reschedule({.endpoint_id = "e1", .statuses = {delivery_status::delivered}, .limit = 3}, 1000))
            ++failures;
    replaying = false;
    sender.join();
    CHECK(failures == 0);
    auto all = a.list_deliveries({}).value();
    REQUIRE(all.size() == 60);
    for (auto& d : all) {
        CHECK(d.status == delivery_status::delivered);
        CHECK_FALSE(d.waiting);
    }
}
