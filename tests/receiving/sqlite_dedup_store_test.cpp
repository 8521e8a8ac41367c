// The SQLite de-duplication store: the same contract as the memory store, and ids survive a restart.
#include <hookline/receiving/receiver.hpp>
#include <hookline/receiving/sqlite_dedup_store.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

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
