// The SQLite de-duplication store: the same contract as the memory store, and ids survive a restart;
// likewise the last sequence position per ordering key (the receiver's `check_sequence`).
#include <hookline/receiving/receiver.hpp>
#include <hookline/receiving/sqlite_dedup_store.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;

namespace {
/// A fresh directory under the system temp dir, removed at the end of the test.
struct temp_dir {
    std::filesystem::path path;
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "hookline-sqlite-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
};
} // namespace

TEST_CASE("sqlite store: claim complete release and TTL", "[dedup][sqlite]") {
    auto s = sqlite_dedup_store::open(
                 {.path = ":memory:", .ttl = std::chrono::seconds(60), .claim_timeout = std::chrono::seconds(10)})
                 .value();
    CHECK(s.try_claim("a", 100).value() == claim_status::acquired);
    CHECK(s.try_claim("a", 105).value() == claim_status::in_progress);
    CHECK(s.try_claim("a", 110).value() == claim_status::acquired); // stale claim taken over
    REQUIRE(s.release("a"));
    CHECK(s.try_claim("a", 110).value() == claim_status::acquired);
    REQUIRE(s.complete("a", 110));
    REQUIRE(s.release("a")); // does not forget a handled id
    CHECK(s.try_claim("a", 169).value() == claim_status::done);
    CHECK(s.try_claim("a", 170).value() == claim_status::acquired);
    REQUIRE(s.prune(1000));
}

TEST_CASE("sqlite store: handled ids survive reopening the file", "[dedup][sqlite]") {
    temp_dir dir;
    const std::string file = (dir.path / "dedup.db").string();
    {
        sqlite_dedup_store s({.path = file});
        REQUIRE(s.try_claim("msg_1", 100));
        REQUIRE(s.complete("msg_1", 100));
        REQUIRE(s.try_claim("msg_2", 100)); // in progress when the process "crashed"
    }
    sqlite_dedup_store s({.path = file});
    CHECK(s.try_claim("msg_1", 200).value() == claim_status::done);
    CHECK(s.try_claim("msg_2", 200).value() == claim_status::in_progress);
    CHECK(s.try_claim("msg_3", 200).value() == claim_status::acquired);
}

TEST_CASE("sqlite store: an unopenable path is a store failure", "[dedup][sqlite]") {
    auto s = sqlite_dedup_store::open({.path = "/nonexistent-dir/for/sure/dedup.db"});
    CHECK(s.error() == errc::store_failure);
}

TEST_CASE("sqlite store: a receiver acknowledges a replay after a restart", "[dedup][sqlite][receiver]") {
    temp_dir dir;
    const std::string file = (dir.path / "dedup.db").string();
    const auto key = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    const std::string body = R"({"type":"invoice.paid"})";
    header_map h = standard_signer(key).sign({.id = "msg_r", .body = body, .timestamp = 1000}).value();
    h.add("Content-Type", "application/json");
    receiver_options opts;
    opts.clock = [] { return std::int64_t{1000}; };
    int calls = 0;
    for (int run = 0; run < 2; ++run) {
        basic_receiver<standard_verifier, sqlite_dedup_store> rx(standard_verifier(key), opts,
                                                                 sqlite_dedup_store({.path = file}));
        rx.on_any([&](const webhook_event&) { ++calls; });
        CHECK(rx.handle({.method = "POST", .target = "/", .headers = h, .body = body}).status == 200);
    }
    CHECK(calls == 1);
}

TEST_CASE("sqlite store: sequences keep the maximum and expire with the TTL", "[dedup][sqlite][sequence]") {
    auto s = sqlite_dedup_store::open({.path = ":memory:", .ttl = std::chrono::seconds(60)}).value();
    CHECK(s.last_sequence("k", 100).value() == std::nullopt);
    REQUIRE(s.record_sequence("k", 5, 100));
    REQUIRE(s.record_sequence("k", 3, 110)); // lower: kept at 5 (its expiry moves on)
    CHECK(s.last_sequence("k", 169).value() == 5u);
    REQUIRE(s.complete_with_sequence("msg_7", "k", 7, 110));
    CHECK(s.last_sequence("k", 110).value() == 7u);
    CHECK(s.try_claim("msg_7", 110).value() == claim_status::done);
    CHECK(s.last_sequence("k", 170).value() == std::nullopt); // 60 s after its last update
    REQUIRE(s.record_sequence("k", 2, 170));                  // forgotten: replaced, not compared
    CHECK(s.last_sequence("k", 170).value() == 2u);
    REQUIRE(s.prune(1000));
    CHECK(s.last_sequence("k", 100).value() == std::nullopt); // the row is gone
    CHECK(s.record_sequence("k", std::uint64_t{1} << 63, 100).error() == errc::invalid_argument);
    REQUIRE(s.record_sequence("k", (std::uint64_t{1} << 63) - 1, 100));
    CHECK(s.last_sequence("k", 100).value() == (std::uint64_t{1} << 63) - 1);
}

TEST_CASE("sqlite store: a file of the earlier schema gains the sequence table", "[dedup][sqlite][sequence]") {
    temp_dir dir;
    const std::string file = (dir.path / "dedup.db").string();
    {
        SQLite::Database db(file, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE hookline_dedup (key TEXT PRIMARY KEY NOT NULL, done INTEGER NOT NULL,"
                " expires INTEGER NOT NULL) WITHOUT ROWID;"
                "INSERT INTO hookline_dedup VALUES ('msg_old', 1, 1000000);");
    }
    sqlite_dedup_store s({.path = file});
    CHECK(s.try_claim("msg_old", 100).value() == claim_status::done);
    REQUIRE(s.record_sequence("k", 1, 100));
    CHECK(s.last_sequence("k", 100).value() == 1u);
}

TEST_CASE("sqlite store: two connections recording one key keep the maximum", "[dedup][sqlite][sequence]") {
    temp_dir dir;
    const std::string file = (dir.path / "dedup.db").string();
    REQUIRE(sqlite_dedup_store::open({.path = file})); // created first: two first opens at once may find it busy
    std::atomic<int> failures{0}; // Catch2 v2 assertions are not thread-safe: counted, checked after
    std::vector<std::thread> threads;
    for (std::uint64_t t = 0; t < 2; ++t)
        threads.emplace_back([&file, &failures, t] {
            sqlite_dedup_store s({.path = file}); // its own connection, as another process would have
            for (std::uint64_t i = 0; i < 200; ++i)
                if (!s.record_sequence("k", (i * 2 + t) % 399 + 1, 100)) ++failures;
        });
    for (auto& t : threads) t.join();
    CHECK(failures == 0);
    sqlite_dedup_store s({.path = file});
    CHECK(s.last_sequence("k", 100).value() == 399u);
}

TEST_CASE("sqlite store: a receiver's sequence positions survive a restart", "[dedup][sqlite][sequence][receiver]") {
    temp_dir dir;
    const std::string file = (dir.path / "dedup.db").string();
    const auto key = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    const std::string body = R"({"type":"order.updated"})";
    auto ordered = [&](const std::string& id, std::uint64_t n, std::uint64_t previous) {
        header_map h = standard_signer(key).sign({.id = id, .body = body, .timestamp = 1000}).value();
        h.add("Content-Type", "application/json");
        h.add("webhook-ordering-key", "order_1");
        h.add("webhook-sequence", std::to_string(n));
        h.add("webhook-sequence-previous", std::to_string(previous));
        return h;
    };
    receiver_options opts;
    opts.clock = [] { return std::int64_t{1000}; };
    opts.check_sequence = true;
    opts.logger = nullptr;
    std::vector<std::string> handled;
    using receiver = basic_receiver<standard_verifier, sqlite_dedup_store>;
    auto post = [&](receiver& rx, const header_map& h) {
        return rx.handle({.method = "POST", .target = "/", .headers = h, .body = body});
    };
    {
        receiver rx(standard_verifier(key), opts, sqlite_dedup_store({.path = file}));
        rx.on_any([&](const webhook_event& e) { handled.push_back(e.id); });
        CHECK(post(rx, ordered("msg_1", 1, 0)).status == 200);
        CHECK(post(rx, ordered("msg_2", 2, 1)).status == 200);
    }
    receiver rx(standard_verifier(key), opts, sqlite_dedup_store({.path = file}));
    rx.on_any([&](const webhook_event& e) { handled.push_back(e.id); });
    CHECK(post(rx, ordered("msg_2b", 2, 1)).body == "200 stale sequence"); // not "first seen" after the restart
    CHECK(post(rx, ordered("msg_4", 4, 3)).status == 409);
    CHECK(post(rx, ordered("msg_3", 3, 2)).status == 200);
    CHECK(post(rx, ordered("msg_4", 4, 3)).status == 200);
    CHECK(handled == std::vector<std::string>{"msg_1", "msg_2", "msg_3", "msg_4"});
    CHECK(rx.store().last_sequence("order_1", 1000).value() == 4u);
}
