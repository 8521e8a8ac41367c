// Retry policies: outcome classification, the stock schedules, throttling, Retry-After (parser and
// bounds), jitter with an injected random source.
#include <hookline/sending/retry_policy.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <limits>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {
attempt_outcome status(int s, std::optional<std::chrono::seconds> ra = std::nullopt) {
    return {.status = s, .retry_after = ra};
}
attempt_outcome failed(errc e) { return {.error = make_error_code(e)}; }
retry_decision retry_in(milliseconds d) { return {retry_action::retry, d}; }
constexpr retry_decision give_up{retry_action::give_up, {}};

// A policy written by a user: the concept is all the sender needs.
struct always_one_second {
    retry_decision next(int, const attempt_outcome&) const { return {retry_action::retry, 1s}; }
};
static_assert(retry_policy<always_one_second>);
struct not_a_policy {
    int next(int) const { return 0; }
};
static_assert(!retry_policy<not_a_policy>);
} // namespace

TEST_CASE("retry: outcomes are classified", "[retry]") {
    for (int s : {200, 201, 202, 204, 299}) CHECK(classify(status(s)) == outcome_class::success);
    for (int s : {100, 199, 300, 301, 302, 304, 307, 308, 400, 401, 403, 404, 408, 413, 500, 501, 505, 599})
        CHECK(classify(status(s)) == outcome_class::failure);
    for (int s : {429, 502, 503, 504}) CHECK(classify(status(s)) == outcome_class::throttled);
    CHECK(classify(status(410)) == outcome_class::gone);
    CHECK(classify(failed(errc::timeout)) == outcome_class::throttled);
    for (auto e : {errc::connection_failed, errc::dns_failure, errc::tls_failure, errc::response_too_large})
        CHECK(classify(failed(e)) == outcome_class::failure);
    for (auto e : {errc::invalid_url, errc::address_refused}) CHECK(classify(failed(e)) == outcome_class::permanent);
}

TEST_CASE("retry: a request refused as invalid is permanent for every stock policy", "[retry]") {
    const errc invalid[] = {errc::invalid_argument,     errc::invalid_url,        errc::invalid_header_name,
                            errc::invalid_header_value, errc::invalid_message_id, errc::invalid_event_type};
    for (auto e : invalid) {
        CAPTURE(make_error_code(e).message());
        CHECK(is_invalid_request(e));
        CHECK(classify(failed(e)) == outcome_class::permanent);
        CHECK(standard_schedule{}.next(1, failed(e)) == give_up);
        CHECK(exponential_backoff{}.next(1, failed(e)) == give_up);
        CHECK(fixed_schedule{{1s, 1s}}.next(1, failed(e)) == give_up);
    }
    for (auto e : {errc::address_refused, errc::connection_failed, errc::timeout, errc::dns_failure})
        CHECK_FALSE(is_invalid_request(e));
    CHECK_FALSE(is_invalid_request(std::error_code{}));
    CHECK_FALSE(is_invalid_request(std::make_error_code(std::errc::invalid_argument))); // another category
}

TEST_CASE("retry: the standard schedule follows Standard Webhooks", "[retry]") {
    standard_schedule p;
    const milliseconds expected[] = {5s, 5min, 30min, 2h, 5h, 10h, 14h, 20h, 24h};
    for (int attempt = 1; attempt <= 9; ++attempt) {
        INFO("attempt " << attempt);
        CHECK(p.next(attempt, status(500)) == retry_in(expected[attempt - 1]));
        CHECK(p.next(attempt, failed(errc::connection_failed)) == retry_in(expected[attempt - 1]));
    }
    CHECK(p.next(10, status(500)) == give_up);
    CHECK(p.next(11, status(500)) == give_up);
    CHECK(standard_schedule::max_attempts() == 10);
    CHECK(p.next(1, status(200)).action == retry_action::done);
    CHECK(p.next(3, status(410)).action == retry_action::endpoint_gone);
    CHECK(p.next(1, failed(errc::address_refused)) == give_up);
    CHECK(p.next(1, failed(errc::invalid_url)) == give_up);
    CHECK(p.next(1, status(301)) == retry_in(5s)); // redirects are failures, not followed
}

TEST_CASE("retry: throttling backs off at least one step harder", "[retry]") {
    standard_schedule p;
    CHECK(p.next(1, status(429)) == retry_in(5min));
    CHECK(p.next(1, status(503)) == retry_in(5min));
    CHECK(p.next(2, failed(errc::timeout)) == retry_in(30min));
    CHECK(p.next(9, status(502)) == retry_in(24h)); // the last step stays the last
    CHECK(p.next(10, status(504)) == give_up);
}

TEST_CASE("retry: Retry-After raises the delay within bounds", "[retry]") {
    standard_schedule p;
    CHECK(p.next(1, status(429, 120s)) == retry_in(5min)); // the schedule is already longer
    CHECK(p.next(1, status(429, 3600s)) == retry_in(1h));
    CHECK(p.next(1, status(500, 60s)) == retry_in(60s));
    CHECK(p.next(1, status(503, std::chrono::seconds(7 * 86400))) == retry_in(24h)); // clamped to max
    standard_schedule capped{.retry_after = {.max = 10min}};
    CHECK(capped.next(1, status(429, 3600s)) == retry_in(10min));
    standard_schedule ignoring{.retry_after = {.honour = false}};
    CHECK(ignoring.next(1, status(429, 3600s)) == retry_in(5min));
    // Retry-After never revives a finished schedule.
    CHECK(p.next(10, status(429, 1s)) == give_up);
}

TEST_CASE("retry: a fixed schedule uses its list", "[retry]") {
    fixed_schedule p{.delays = {1s, 2s, 3s}};
    CHECK(p.max_attempts() == 4);
    CHECK(p.next(1, status(500)) == retry_in(1s));
    CHECK(p.next(2, status(500)) == retry_in(2s));
    CHECK(p.next(3, status(500)) == retry_in(3s));
    CHECK(p.next(4, status(500)) == give_up);
    CHECK(p.next(1, status(429)) == retry_in(2s));
    CHECK(p.next(3, status(429)) == retry_in(3s));
    CHECK(p.next(0, status(500)) == retry_in(1s)); // attempt numbers below 1 count as the first
    fixed_schedule none;
    CHECK(none.next(1, status(500)) == give_up);
    CHECK(none.next(1, status(200)).action == retry_action::done);
}

TEST_CASE("retry: exponential backoff grows caps and jitters", "[retry]") {
    exponential_backoff p{.base = 1s, .factor = 2.0, .max_delay = 10s, .max_attempts = 6, .jitter = false};
    CHECK(p.next(1, status(500)) == retry_in(1s));
    CHECK(p.next(2, status(500)) == retry_in(2s));
    CHECK(p.next(3, status(500)) == retry_in(4s));
    CHECK(p.next(4, status(500)) == retry_in(8s));
    CHECK(p.next(5, status(500)) == retry_in(10s));
    CHECK(p.next(6, status(500)) == give_up);
    CHECK(p.next(2, status(429)) == retry_in(4s));

    double r = 0.5;
    exponential_backoff j{.base = 1s, .max_delay = 1h, .max_attempts = 20, .random = [&r] { return r; }};
    CHECK(j.next(3, status(500)) == retry_in(2s)); // half of 4 s
    r = 0.0;
    CHECK(j.next(3, status(500)) == retry_in(0ms));
    CHECK(j.next(3, status(503)) == retry_in(8s)); // throttled: at least the next cap
    r = 0.999;
    CHECK(j.next(19, status(500)).delay <= 1h);
    CHECK(j.next(1000, status(500)) == give_up);
    r = 7.0; // a broken source is clamped into [0, 1]
    CHECK(j.next(1, status(500)) == retry_in(1s));

    CHECK(j.next(std::numeric_limits<int>::max(), status(500)) == give_up);
    exponential_backoff zero{.base = 0ms, .max_attempts = std::numeric_limits<int>::max(), .jitter = false};
    CHECK(zero.next(std::numeric_limits<int>::max() - 1, status(500)) == retry_in(0ms));

    exponential_backoff unseeded{.base = 100ms, .max_attempts = 1000};
    for (int i = 1; i < 100; ++i) {
        auto d = unseeded.next(i, status(500));
        REQUIRE(d.action == retry_action::retry);
        CHECK(d.delay >= 0ms);
        CHECK(d.delay <= unseeded.cap(i));
    }
}

TEST_CASE("retry: no_retry gives up at once", "[retry]") {
    no_retry p;
    CHECK(p.next(1, status(500)) == give_up);
    CHECK(p.next(1, failed(errc::timeout)) == give_up);
    CHECK(p.next(1, status(204)).action == retry_action::done);
    CHECK(p.next(1, status(410)).action == retry_action::endpoint_gone);
}

TEST_CASE("retry: policies are shared across threads", "[retry]") {
    exponential_backoff p{.base = 10ms, .max_attempts = 50};
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 1; i < 50; ++i)
                if (p.next(i, status(500)).delay > p.cap(i)) ++bad;
        });
    for (auto& t : threads) t.join();
    CHECK(bad.load() == 0);
}

TEST_CASE("retry_after: delta-seconds parse strictly", "[retry]") {
    CHECK(parse_retry_after("0", 0) == 0s);
    CHECK(parse_retry_after("120", 0) == 120s);
    CHECK(parse_retry_after(" 120\t", 0) == 120s);
    CHECK(parse_retry_after("000120", 0) == 120s);
    CHECK(parse_retry_after("99999999999999999999999999", 0) == std::chrono::seconds(2147483647));
    for (const char* bad : {"", " ", "-1", "+5", "1.5", "1e3", "0x10", "12a", "a12", "1 2", "120, 60", "١٢٠", "120s",
                            "\"120\"", "1\r\n"}) {
        INFO("'" << bad << "'");
        CHECK_FALSE(parse_retry_after(bad, 0));
    }
}

TEST_CASE("retry_after: HTTP dates parse strictly", "[retry]") {
    // 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example).
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
    CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == 0);
    CHECK(parse_http_date("Tue, 29 Feb 2000 12:00:00 GMT") == 951825600);
    CHECK(parse_http_date("Tue, 19 Jan 2038 03:14:08 GMT") == 2147483648LL);
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 - 90) == 90s);
    CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784111777 + 90) == 0s); // in the past
    for (const char* bad : {
             "Sunday, 06-Nov-94 08:49:37 GMT", // RFC 850 (obsolete)
             "Sun Nov  6 08:49:37 1994",       // asctime (obsolete)
             "Mon, 06 Nov 1994 08:49:37 GMT",  // wrong weekday
             "Sun, 06 Nov 1994 08:49:37 UTC",
             "Sun, 06 Nov 1994 08:49:37 +0000",
             "sun, 06 nov 1994 08:49:37 GMT",
             "Sun, 6 Nov 1994 08:49:37 GMT",
             "Sun,  06 Nov 1994 08:49:37 GMT",
             "Sun, 06 Nov 1994 24:00:00 GMT",
             "Sun, 06 Nov 1994 08:60:37 GMT",
             "Tue, 31 Nov 1994 08:49:37 GMT",
             "Tue, 29 Feb 1900 00:00:00 GMT",
             "Wed, 00 Jan 2020 00:00:00 GMT",
             "Sun, 06 Xyz 1994 08:49:37 GMT",
             "Sun, 06 Nov 1994 08:49:37 GMTX",
             "Sun, 06 Nov 1994 08:49:3a GMT",
             "Wed, 31 Dec 1969 23:59:59 GMT",
             "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
         }) {
        INFO("'" << bad << "'");
        CHECK_FALSE(parse_http_date(bad));
        CHECK_FALSE(parse_retry_after(bad, 0));
    }
}
