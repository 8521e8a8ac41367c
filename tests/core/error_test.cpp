// result<T>, the hookline error category and the throwing layer.
#include <hookline/core/error.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <system_error>

using namespace hookline;

TEST_CASE("error: codes belong to the hookline category with readable messages", "[error]") {
    std::error_code ec = errc::timestamp_too_old;
    CHECK(ec.category().name() == std::string("hookline"));
    CHECK(ec.message() == "timestamp too old");
    CHECK(ec == errc::timestamp_too_old);
    CHECK(ec != errc::timestamp_too_new);
    for (int v = 1; v <= static_cast<int>(errc::lease_lost); ++v)
        CHECK(error_category().message(v) != "unknown hookline error");
    CHECK(error_category().message(9999) == "unknown hookline error");
    CHECK(std::error_code(errc::lease_lost).message() == "lease lost to another sender");
}

TEST_CASE("error: result holds a value or an error", "[error]") {
    result<int> good = 42;
    CHECK(good);
    CHECK(*good == 42);
    CHECK(good.value() == 42);
    CHECK_FALSE(good.error());
    result<int> bad = errc::invalid_secret;
    CHECK_FALSE(bad);
    CHECK(bad.error() == errc::invalid_secret);
    CHECK(bad.value_or(7) == 7);
    CHECK_THROWS_MATCHES(bad.value(), hookline::error, Catch::Matchers::Predicate<hookline::error>([](const auto& e) {
                             return e.code() == errc::invalid_secret;
                         }));
    result<std::string> moved = std::string("payload");
    std::string taken = std::move(moved).value();
    CHECK(taken == "payload");
}

TEST_CASE("error: result<void> reports success or the code", "[error]") {
    result<void> ok;
    CHECK(ok);
    CHECK_NOTHROW(ok.value());
    result<void> bad = errc::stopped;
    CHECK_FALSE(bad);
    CHECK_THROWS_AS(bad.value(), hookline::error);
}
