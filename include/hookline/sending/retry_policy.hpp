/// \file The `retry_policy` concept: after a failed delivery attempt, wait how long, or give up.
/// Stock policies: `standard_schedule` (the default), `exponential_backoff`, `fixed_schedule`,
/// `no_retry`; the outcome classification they share; and a strict `Retry-After` parser.
///
/// Thread-safety: every stock policy is an immutable copyable value whose const `next` may be called
/// from several threads at once. `exponential_backoff` draws jitter from a thread-local engine unless
/// given a `random` function, which must then be thread-safe itself.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// What one delivery attempt produced: an HTTP status, or a transport error (then `status` is empty).
struct attempt_outcome {
    std::optional<int> status{};                       ///< the response's status, when one arrived
    std::error_code error{};                           ///< the transport error when no response arrived
    std::optional<std::chrono::seconds> retry_after{}; ///< parsed `Retry-After`, when the response had one
};

/// How an outcome counts.
enum class outcome_class {
    success,   ///< 2xx
    failure,   ///< worth retrying on the normal schedule: other statuses (3xx is not followed), connection, DNS, TLS
               ///< errors
    throttled, ///< worth retrying, but slower: 429, 502, 503, 504, timeouts
    gone,      ///< 410 Gone: stop, and mark the endpoint gone
    permanent, ///< retrying cannot help: a request refused as invalid, refused address (SSRF policy)
};

/// True for a request that can never be sent: refused as invalid by the sender or the transport (a
/// malformed URL, header name or value, message id, event type, or argument). A sender fails such a
/// delivery at once, whatever its retry policy, and does not count it against the endpoint's health.
inline bool is_invalid_request(std::error_code e) noexcept {
    return e == errc::invalid_argument || e == errc::invalid_url || e == errc::invalid_header_name ||
           e == errc::invalid_header_value || e == errc::invalid_message_id || e == errc::invalid_event_type;
}

/// Classifies an outcome (the policy for every stock retry policy).
inline outcome_class classify(const attempt_outcome& o) noexcept {
    if (o.status) {
        int s = *o.status;
        if (s >= 200 && s <= 299) return outcome_class::success;
        if (s == 410) return outcome_class::gone;
        if (s == 429 || s == 502 || s == 503 || s == 504) return outcome_class::throttled;
        return outcome_class::failure;
    }
    if (o.error == errc::timeout) return outcome_class::throttled;
    if (is_invalid_request(o.error) || o.error == errc::address_refused) return outcome_class::permanent;
    return outcome_class::failure;
}

/// What to do after an attempt.
enum class retry_action {
    done,          ///< the attempt succeeded
    retry,         ///< try again after `delay`
    give_up,       ///< stop: attempts exhausted or the outcome is permanent
    endpoint_gone, ///< stop and mark the endpoint gone (410)
};

/// A policy's answer.
struct retry_decision {
    retry_action action = retry_action::give_up;
    std::chrono::milliseconds delay{}; ///< meaningful for `retry_action::retry` only
    friend bool operator==(const retry_decision&, const retry_decision&) = default;
};

/// A retry policy is a copyable value whose const `next(attempt, outcome)` decides what follows
/// attempt number `attempt` (1 = the first delivery) that produced `outcome`.
template <class P>
concept retry_policy = std::copy_constructible<P> && requires(const P& p, int attempt, const attempt_outcome& o) {
    { p.next(attempt, o) } -> std::same_as<retry_decision>;
};

/// How far a `Retry-After` value is honoured: the delay becomes at least `min(retry_after, max)`.
struct retry_after_bounds {
    bool honour = true;
    std::chrono::seconds max = std::chrono::hours(24);
};

// ---------------------------------------------------------------------------------------------
// Retry-After
// ---------------------------------------------------------------------------------------------

namespace detail {
inline std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

inline std::optional<unsigned> fixed_digits(std::string_view s, std::size_t pos, std::size_t n) noexcept {
    if (pos + n > s.size()) return std::nullopt;
    unsigned v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return v;
}
} // namespace detail

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7) into Unix seconds.
/// Strict: exact layout, "GMT", valid calendar date, and a weekday that matches the date. The obsolete
/// RFC 850 and asctime forms are not accepted.
inline std::optional<std::int64_t> parse_http_date(std::string_view s) noexcept {
    static constexpr std::array<std::string_view, 7> days = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static constexpr std::array<std::string_view, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    // "Sun, 06 Nov 1994 08:49:37 GMT" is exactly 29 characters.
    if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[19] != ':' ||
        s[22] != ':' || s.substr(25) != " GMT")
        return std::nullopt;
    auto day = detail::fixed_digits(s, 5, 2);
    auto year = detail::fixed_digits(s, 12, 4);
    auto hh = detail::fixed_digits(s, 17, 2);
    auto mm = detail::fixed_digits(s, 20, 2);
    auto ss = detail::fixed_digits(s, 23, 2);
    if (!day || !year || !hh || !mm || !ss) return std::nullopt;
    auto mit = std::find(months.begin(), months.end(), s.substr(8, 3));
    if (mit == months.end()) return std::nullopt;
    unsigned month = static_cast<unsigned>(mit - months.begin()) + 1;
    static constexpr std::array<unsigned, 12> mdays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    unsigned max_day = month == 2 && !leap ? 28 : mdays[month - 1];
    if (*day < 1 || *day > max_day || *hh > 23 || *mm > 59 || *ss > 60 || *year < 1970) return std::nullopt;
    std::int64_t days_since = detail::days_from_civil(*year, month, *day);
    if (s.substr(0, 3) != days[static_cast<std::size_t>(days_since % 7)])
        return std::nullopt; // 1970-01-01 was a Thursday
    return days_since * 86400 + std::int64_t{*hh} * 3600 + std::int64_t{*mm} * 60 + std::min(*ss, 59u);
}

/// Parses a `Retry-After` field value into a delay from `now` (Unix seconds): either delta-seconds
/// (digits only; huge values saturate at ~68 years) or an IMF-fixdate (a past date gives 0).
/// Surrounding spaces and tabs are ignored; anything else (signs, fractions, lists, other date forms,
/// empty) gives nothing.
inline std::optional<std::chrono::seconds> parse_retry_after(std::string_view v, std::int64_t now) noexcept {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.empty()) return std::nullopt;
    if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        constexpr std::int64_t saturate = std::numeric_limits<std::int32_t>::max();
        std::int64_t n = 0;
        for (char c : v) {
            n = n * 10 + (c - '0');
            if (n > saturate) return std::chrono::seconds(saturate);
        }
        return std::chrono::seconds(n);
    }
    auto when = parse_http_date(v);
    if (!when) return std::nullopt;
    return std::chrono::seconds(std::max<std::int64_t>(0, *when - now));
}

// ---------------------------------------------------------------------------------------------
// Stock policies
// ---------------------------------------------------------------------------------------------

namespace detail {
/// The decision logic the stock policies share. `base` is the delay after this attempt (nothing
/// when it was the last), `harder` the floor for throttled outcomes, `jitter` maps base to the delay.
template <class Jitter>
retry_decision decide(const attempt_outcome& o, const retry_after_bounds& bounds,
                      std::optional<std::chrono::milliseconds> base, std::chrono::milliseconds harder, Jitter jitter) {
    auto cls = classify(o);
    switch (cls) {
    case outcome_class::success: return {retry_action::done, {}};
    case outcome_class::gone: return {retry_action::endpoint_gone, {}};
    case outcome_class::permanent: return {retry_action::give_up, {}};
    case outcome_class::failure:
    case outcome_class::throttled: break;
    }
    if (!base) return {retry_action::give_up, {}};
    std::chrono::milliseconds delay = jitter(*base);
    if (cls == outcome_class::throttled) delay = std::max({delay, *base, harder});
    if (bounds.honour && o.retry_after) {
        auto ra = std::chrono::duration_cast<std::chrono::milliseconds>(std::min(*o.retry_after, bounds.max));
        delay = std::max(delay, ra);
    }
    return {retry_action::retry, delay};
}
inline std::chrono::milliseconds identity(std::chrono::milliseconds d) noexcept { return d; }
} // namespace detail

/// Retries after the delays in `delays`, in order: after failed attempt n waits `delays[n-1]`; gives
/// up after attempt `delays.size() + 1`. Throttled outcomes (429, 502, 503, 504, timeout) wait at
/// least the following step's delay (the last step's, at the end); `Retry-After` raises any delay
/// (up to `retry_after.max`).
struct fixed_schedule {
    std::vector<std::chrono::milliseconds> delays{};
    retry_after_bounds retry_after{};

    /// Total attempts including the first delivery.
    int max_attempts() const noexcept { return static_cast<int>(delays.size()) + 1; }

    retry_decision next(int attempt, const attempt_outcome& o) const {
        auto n = static_cast<std::size_t>(std::max(attempt, 1));
        std::optional<std::chrono::milliseconds> base;
        std::chrono::milliseconds harder{};
        if (n <= delays.size()) {
            base = delays[n - 1];
            harder = delays[std::min(n, delays.size() - 1)];
        }
        return detail::decide(o, retry_after, base, harder, detail::identity);
    }
};

/// The Standard Webhooks / Svix schedule, hookline's default: the first delivery immediately, then
/// retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 24 h (10 attempts over ~3.3 days).
struct standard_schedule {
    retry_after_bounds retry_after{};

    static const std::vector<std::chrono::milliseconds>& delays() {
        using namespace std::chrono;
        static const std::vector<milliseconds> d = {seconds(5), minutes(5), minutes(30), hours(2), hours(5),
                                                    hours(10),  hours(14),  hours(20),   hours(24)};
        return d;
    }
    static constexpr int max_attempts() noexcept { return 10; }

    retry_decision next(int attempt, const attempt_outcome& o) const {
        const auto& d = delays();
        auto n = static_cast<std::size_t>(std::max(attempt, 1));
        std::optional<std::chrono::milliseconds> base;
        std::chrono::milliseconds harder{};
        if (n <= d.size()) {
            base = d[n - 1];
            harder = d[std::min(n, d.size() - 1)];
        }
        return detail::decide(o, retry_after, base, harder, detail::identity);
    }
};

/// Exponential backoff with full jitter: after failed attempt n the cap is
/// `min(max_delay, base * factor^(n-1))` and the delay is uniform in [0, cap] (exactly the cap with
/// `jitter = false`). Gives up after `max_attempts` attempts in all. Throttled outcomes wait at least
/// the un-jittered cap of step n+1. `random` returns values in [0, 1); empty uses a thread-local
/// engine (inject one, e.g. a seeded engine behind a mutex, for reproducible delays).
struct exponential_backoff {
    std::chrono::milliseconds base = std::chrono::seconds(1);
    double factor = 2.0;
    std::chrono::milliseconds max_delay = std::chrono::hours(1);
    int max_attempts = 8;
    bool jitter = true;
    std::function<double()> random{};
    retry_after_bounds retry_after{};

    /// The un-jittered delay after failed attempt n (n >= 1).
    std::chrono::milliseconds cap(int n) const noexcept {
        if (base.count() <= 0) return std::chrono::milliseconds(0);
        double ms = static_cast<double>(base.count());
        double limit = static_cast<double>(max_delay.count());
        for (int i = 1; i < n && ms < limit; ++i) ms *= std::max(factor, 1.0);
        return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(ms, limit)));
    }

    retry_decision next(int attempt, const attempt_outcome& o) const {
        int n = std::max(attempt, 1);
        auto jittered = [this](std::chrono::milliseconds c) {
            if (!jitter) return c;
            double r = std::clamp(random ? random() : thread_random(), 0.0, 1.0);
            return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(c.count()) * r));
        };
        if (n >= max_attempts) return detail::decide(o, retry_after, std::nullopt, {}, jittered);
        return detail::decide(o, retry_after, cap(n), cap(n + 1), jittered);
    }

private:
    static double thread_random() {
        thread_local std::mt19937_64 engine{std::random_device{}()};
        return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
    }
};

/// Never retries: one attempt per message (410 still reports `endpoint_gone`).
struct no_retry {
    retry_decision next(int, const attempt_outcome& o) const {
        return detail::decide(o, {}, std::nullopt, {}, detail::identity);
    }
};

static_assert(retry_policy<standard_schedule>);
static_assert(retry_policy<fixed_schedule>);
static_assert(retry_policy<exponential_backoff>);
static_assert(retry_policy<no_retry>);

HOOKLINE_END_NAMESPACE
