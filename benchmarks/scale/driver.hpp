// What the load drivers (scale/scale_bench.cpp, ordering/ordering_bench.cpp) share: duration options,
// their result lines ("DRIVER SCENARIO: k=v ..." and, with --json, one JSON object), this process's CPU
// time, the sender's outcomes counted from its callbacks, and host names resolved to the loopback
// receiver. Benchmark code, not part of the library.
#pragma once

#include "receiver.hpp"

#include <hookline/sending/sender.hpp>

#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scale::driver {

using clock_type = std::chrono::steady_clock;
using std::chrono::milliseconds;

/// "500ms", "5s" or "5" (seconds); nullopt when malformed or negative.
inline std::optional<milliseconds> parse_duration(std::string_view s) {
    double unit_ms = 1000;
    if (s.ends_with("ms")) {
        unit_ms = 1;
        s.remove_suffix(2);
    } else if (s.ends_with("s")) {
        s.remove_suffix(1);
    }
    const std::string text(s);
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || v < 0) return std::nullopt;
    return milliseconds(std::llround(v * unit_ms));
}

/// Reads a driver's command line flag by flag; `usage(why)` (which does not return) on bad input.
class arg_reader {
public:
    arg_reader(int argc, char** argv, void (*usage)(const std::string&)) : argc_(argc), argv_(argv), usage_(usage) {}
    /// Moves to the next flag; false at the end.
    bool next() {
        if (++i_ >= argc_) return false;
        flag_ = argv_[i_];
        return true;
    }
    const std::string& flag() const { return flag_; }
    std::string value() {
        if (i_ + 1 >= argc_) fail(flag_ + " needs a value");
        return argv_[++i_];
    }
    long long number() {
        const std::string v = value();
        char* end = nullptr;
        const long long n = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n < 0) fail("bad number for " + flag_ + ": " + v);
        return n;
    }
    milliseconds duration() {
        const std::string v = value();
        auto d = parse_duration(v);
        if (!d) fail("bad duration for " + flag_ + ": " + v);
        return *d;
    }

private:
    [[noreturn]] void fail(const std::string& why) {
        usage_(why);
        std::abort(); // usage exits
    }
    int argc_;
    char** argv_;
    void (*usage_)(const std::string&);
    int i_ = 0;
    std::string flag_{};
};

/// One result line: "DRIVER SCENARIO: k=v ..." and, with --json, one JSON object.
class result_line {
public:
    explicit result_line(std::string scenario, std::string driver = "scale")
        : driver_(std::move(driver)), scenario_(std::move(scenario)) {}
    result_line& add(const std::string& key, long long v) { return put(key, std::to_string(v), false); }
    result_line& add(const std::string& key, double v, int decimals = 1) {
        if (!std::isfinite(v)) return put(key, "null", false);
        char text[64];
        std::snprintf(text, sizeof text, "%.*f", decimals, v);
        return put(key, text, false);
    }
    result_line& add(const std::string& key, const std::string& v) { return put(key, v, true); }
    result_line& add(const std::string& key, const char* v) { return put(key, v, true); }
    result_line& flag(const std::string& key, bool v) { return put(key, v ? "true" : "false", false); }
    void partial(const std::string& why) { partial_.push_back(why); }

    void print(bool json) const {
        std::string line = driver_ + " " + scenario_ + ":";
        for (const auto& f : fields_) line += " " + f.key + "=" + (f.text == "null" ? "-" : f.text);
        if (partial_.empty()) {
            line += " complete=yes";
        } else {
            line += " PARTIAL(";
            for (std::size_t i = 0; i < partial_.size(); ++i) line += (i ? "; " : "") + partial_[i];
            line += ")";
        }
        std::printf("%s\n", line.c_str());
        if (json) {
            std::string j = "{\"scenario\":\"" + scenario_ + "\"";
            for (const auto& f : fields_) j += ",\"" + f.key + "\":" + (f.quoted ? "\"" + f.text + "\"" : f.text);
            j += std::string(",\"complete\":") + (partial_.empty() ? "true" : "false");
            if (!partial_.empty()) {
                j += ",\"partial\":[";
                for (std::size_t i = 0; i < partial_.size(); ++i) j += (i ? ",\"" : "\"") + partial_[i] + "\"";
                j += "]";
            }
            std::printf("%s}\n", j.c_str());
        }
        std::fflush(stdout);
    }

private:
    struct field {
        std::string key, text;
        bool quoted;
    };
    result_line& put(const std::string& key, std::string text, bool quoted) {
        fields_.push_back({key, std::move(text), quoted});
        return *this;
    }
    std::string driver_;
    std::string scenario_;
    std::vector<field> fields_{};
    std::vector<std::string> partial_{};
};

inline double ratio(double a, double b) { return b > 0 ? a / b : NAN; }
inline double us_of_ns(long long ns) { return static_cast<double>(ns) / 1000.0; }
inline double seconds_since(clock_type::time_point t0, clock_type::time_point t1 = clock_type::now()) {
    return std::chrono::duration<double>(t1 - t0).count();
}

/// User + system CPU seconds of this process (all its threads).
inline double self_cpu_s() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    return s(ru.ru_utime) + s(ru.ru_stime);
}

inline double receiver_cpu_s(const receiver_stats& s) {
    return static_cast<double>(s["cpu.user_us"] + s["cpu.sys_us"]) / 1e6;
}

/// Every endpoint has a host name of its own, resolved to 127.0.0.1 by the transport's resolver:
/// endpoints are distinct origins, as customers' endpoints are, and all of them reach the receiver.
inline hookline::result<std::vector<hookline::ip_address>> to_loopback(const std::string&) {
    return std::vector<hookline::ip_address>{hookline::ip_address::v4_from(0x7f000001)};
}

/// Outcomes counted from the sender's callbacks. The waiting thread is woken only once the count it
/// waits for is reached (a wake-up per delivery would put the driver's own context switches into
/// the measurement).
struct outcome_counter {
    std::atomic<long long> delivered{0}, exhausted{0};
    std::atomic<long long> target{LLONG_MAX};
    std::mutex mutex;
    std::condition_variable cv;
    std::function<void(const std::string&)> watch{}; ///< optional: sees each delivered message id

    long long done() const { return delivered.load() + exhausted.load(); }
    void bump(std::atomic<long long>& which) {
        ++which;
        if (done() >= target.load()) {
            std::lock_guard lock(mutex);
            cv.notify_all();
        }
    }
    /// Waits until done() >= n or `deadline`; true if reached.
    bool wait_done(long long n, clock_type::time_point deadline) {
        std::unique_lock lock(mutex);
        target = n;
        const bool ok = cv.wait_until(lock, deadline, [&] { return done() >= n; });
        target = LLONG_MAX;
        return ok;
    }
};

} // namespace scale::driver
