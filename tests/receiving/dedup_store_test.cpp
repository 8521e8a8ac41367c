// The in-memory de-duplication store: claim, complete, release, TTL, claim timeout and the size bound.
#include <hookline/receiving/dedup_store.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace hookline;

TEST_CASE("memory store: claim then complete makes later claims done", "[dedup]") {
    memory_dedup_store s;
    CHECK(s.try_claim("a", 100).value() == claim_status::acquired);
    CHECK(s.try_claim("a", 100).value() == claim_status::in_progress);
    REQUIRE(s.complete("a", 100));
    CHECK(s.try_claim("a", 101).value() == claim_status::done);
    CHECK(s.try_claim("b", 101).value() == claim_status::acquired);
}

TEST_CASE("memory store: a released claim can be claimed again", "[dedup]") {
    memory_dedup_store s;
    CHECK(s.try_claim("a", 100).value() == claim_status::acquired);
    REQUIRE(s.release("a"));
    CHECK(s.try_claim("a", 100).value() == claim_status::acquired);
    // Releasing a completed id does not forget it.
    REQUIRE(s.complete("a", 100));
    REQUIRE(s.release("a"));
    CHECK(s.try_claim("a", 100).value() == claim_status::done);
}

TEST_CASE("memory store: handled ids are forgotten after the TTL", "[dedup]") {
    memory_dedup_store s({.ttl = std::chrono::seconds(60)});
    REQUIRE(s.try_claim("a", 100));
    REQUIRE(s.complete("a", 100));
    CHECK(s.try_claim("a", 159).value() == claim_status::done);
    CHECK(s.try_claim("a", 160).value() == claim_status::acquired);
}

TEST_CASE("memory store: a stale claim is taken over after the claim timeout", "[dedup]") {
    memory_dedup_store s({.claim_timeout = std::chrono::seconds(10)});
    REQUIRE(s.try_claim("a", 100));
    CHECK(s.try_claim("a", 109).value() == claim_status::in_progress);
    CHECK(s.try_claim("a", 110).value() == claim_status::acquired);
}

TEST_CASE("memory store: the oldest ids are evicted beyond the bound", "[dedup]") {
    memory_dedup_store s({.max_entries = 3});
    for (std::string k : {"a", "b", "c", "d"}) {
        REQUIRE(s.try_claim(k, 100));
        REQUIRE(s.complete(k, 100));
    }
    CHECK(s.size() == 3);
    CHECK(s.try_claim("d", 100).value() == claim_status::done);
    CHECK(s.try_claim("a", 100).value() == claim_status::acquired); // evicted
    CHECK(s.size() == 3);
}

TEST_CASE("memory store: copies share one table", "[dedup]") {
    memory_dedup_store s;
    memory_dedup_store copy = s;
    REQUIRE(s.try_claim("a", 1));
    REQUIRE(s.complete("a", 1));
    CHECK(copy.try_claim("a", 1).value() == claim_status::done);
}

TEST_CASE("memory store: expiry keeps the table small under a steady stream", "[dedup]") {
    memory_dedup_store s({.ttl = std::chrono::seconds(10), .claim_timeout = std::chrono::seconds(10)});
    for (int i = 0; i < 1000; ++i) {
        auto k = std::to_string(i);
        REQUIRE(s.try_claim(k, i));
        REQUIRE(s.complete(k, i));
    }
    CHECK(s.size() <= 11);
}
