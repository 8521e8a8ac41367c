// memory_store against the store contract every store must meet.
// [snippet:conformance]
#include "support/store_conformance.hpp"

#include <hookline/memory_store.hpp>

#include <catch2/catch.hpp>

#include <set>

TEST_CASE("memory_store: meets the store contract", "[memory_store]") {
    hookline::memory_store s;
    test_support::check_store_conformance(s);
}
// [/snippet:conformance]

TEST_CASE("memory_store: copies share one state", "[memory_store]") {
    hookline::memory_store a;
    hookline::memory_store b = a;
    const std::vector<std::string> eps = {"e"};
    REQUIRE(a.insert_message(test_support::make_message("m"), eps, 1).value());
    CHECK(b.message_count() == 1);
    CHECK_FALSE(b.insert_message(test_support::make_message("m"), eps, 1).value());
}
