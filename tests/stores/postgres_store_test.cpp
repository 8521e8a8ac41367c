// postgres_store against a real PostgreSQL server (HOOKLINE_TEST_PG): the store contract, several handles
// (standing in for several processes) sharing one queue, leases, migrations, the outbox, and the sender.
#include "support/postgres_test_db.hpp"
#include "support/sender_doubles.hpp"
#include "support/store_conformance.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/postgres_store.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <set>
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
} // namespace

TEST_CASE("postgres_store: meets the store contract", "[postgres_store]") {
    auto ci = test_support::postgres_conninfo();
    if (!ci) return;
    scratch_schema db(*ci);
    auto s = open_store(db);
    test_support::check_store_conformance(s);
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
        got[0].delivery.id,
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
    REQUIRE(alive.record_attempt(second[0].delivery.id, {.number = 1, .started_at = 31000, .status = 200},
                                 delivery_status::delivered, 0));
    CHECK_FALSE(alive.next_due(e1).value().has_value());
    CHECK(dead.list_deliveries({.message_id = "m1"}).value().at(0).status == delivery_status::delivered);
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
    CHECK(app.scalar("SELECT count(*) || ':' || max(version) FROM \"" + db.name() + "\".schema_version") == "1:1");
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
        REQUIRE(s.record_attempt(c.delivery.id, {.number = 1, .started_at = 200, .status = 500},
                                 delivery_status::pending, 300));
        if (c.delivery.message_id == "done" || c.delivery.endpoint_id == "e1")
            REQUIRE(s.record_attempt(c.delivery.id, {.number = 2, .started_at = 300, .status = 200},
                                     delivery_status::delivered, 0));
    }
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
