// hookline send: signs and delivers one event with the library's delivery engine, printing each
// attempt as it happens.
#pragma once

#include "args.hpp"
#include "schemes.hpp"

#include <hookline/hookline.hpp>
#include <hookline/sender.hpp>

#include <csignal>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <pthread.h>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace hookline_cli {

inline std::string send_help() {
    return "Usage: hookline send URL --secret SECRET --type TYPE (--data JSON | --file FILE) [--id ID]\n"
           "                     [--scheme SCHEME] [--retry-schedule SECONDS,SECONDS,...] [--timeout SECONDS]\n"
           "                     [--allow-private]\n\n"
           "Signs one event and delivers it to URL with hookline's delivery engine, printing each attempt\n"
           "(status, latency, when the next one is due) as it happens. Exits 0 once a 2xx arrives; exits 1\n"
           "with the reason once it gives up (retries exhausted, 410 Gone, a refused address).\n\n"
           "Options:\n"
           "  --secret SECRET         signing key (repeat to sign with several); read as for 'hookline sign'\n"
           "  --type TYPE             event type (required)\n"
           "  --data JSON             the body, given inline\n"
           "  --file FILE             the body, read from FILE ('-' for standard input)\n"
           "  --id ID                 message id (default: a random msg_... id), the same on every retry\n"
           "  --scheme SCHEME         " + std::string("standard (default), github, stripe, slack, shopify, square, twilio") + "\n"
           "  --retry-schedule LIST   seconds to wait before each retry, e.g. 0,5,30 (default: the Standard\n"
           "                          Webhooks schedule 5s,5m,30m,2h,5h,10h,14h,20h,24h); 'none' = no retry.\n"
           "                          429/502/503/504 and timeouts wait longer; Retry-After is honoured\n"
           "  --timeout SECONDS       whole-request timeout of each attempt (default: 15)\n"
           "  --allow-private         permit private, loopback and link-local destinations (refused by\n"
           "                          default as SSRF protection; cloud metadata addresses stay refused)\n"
           "  --help                  this text\n\n"
           "Exit status: 0 delivered, 1 gave up, 2 usage error, 130 interrupted.\n";
}

namespace detail {

/// Adapts a signer that takes one key to the sender's `signer_factory` (it signs with the first key).
template <class S>
struct first_key_signer {
    S inner;
    static hookline::result<first_key_signer> make(std::span<const hookline::secret> keys) {
        if (keys.empty()) return hookline::errc::invalid_secret;
        auto s = S::make(keys.front());
        if (!s) return s.error();
        return first_key_signer{std::move(*s)};
    }
    hookline::result<hookline::header_map> sign(const hookline::outbound_message& m) const { return inner.sign(m); }
};

inline std::vector<std::chrono::milliseconds> parse_schedule(const std::string& text) {
    std::vector<std::chrono::milliseconds> out;
    if (text == "none") return out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(std::chrono::seconds(parse_seconds("--retry-schedule", item)));
    if (out.empty()) throw usage_error("--retry-schedule takes seconds separated by commas, or 'none'");
    return out;
}

inline std::string describe_delay(std::int64_t ms) {
    std::ostringstream os;
    if (ms < 1000) os << ms << " ms";
    else if (ms < 120000) os << ms / 1000 << " s";
    else if (ms < 7200000) os << ms / 60000 << " min";
    else os << ms / 3600000 << " h";
    return os.str();
}

/// Waits for SIGINT/SIGTERM on its own thread (the signals are blocked in every thread created after it).
class interrupt_watch {
public:
    interrupt_watch() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        sigaddset(&set_, SIGUSR2); // sent by the destructor to end the watch
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    }
    template <class F>
    void start(F on_signal) {
        thread_ = std::thread([this, on_signal] {
            int sig = 0;
            sigwait(&set_, &sig);
            if (sig != SIGUSR2) on_signal();
        });
    }
    ~interrupt_watch() {
        if (thread_.joinable()) {
            pthread_kill(thread_.native_handle(), SIGUSR2);
            thread_.join();
        }
    }
    interrupt_watch(const interrupt_watch&) = delete;
    interrupt_watch& operator=(const interrupt_watch&) = delete;

private:
    sigset_t set_{};
    std::thread thread_;
};

struct send_input {
    std::string url, type, body, id;
    std::vector<hookline::secret> secrets;
    std::optional<std::vector<std::chrono::milliseconds>> schedule;
    std::chrono::milliseconds timeout{15000};
    bool allow_private = false;
};

template <class Signer>
int run_send(const send_input& in) {
    using namespace hookline;
    interrupt_watch watch;
    httplib_transport_options topts;
    if (in.allow_private) {
        topts.addresses = address_policy::with_allowed({"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                        "100.64.0.0/10", "169.254.0.0/16", "::1/128", "fc00::/7",
                                                        "fe80::/10"})
                              .value();
    }
    fixed_schedule schedule{in.schedule ? *in.schedule : standard_schedule::delays()};

    std::mutex mutex;
    std::condition_variable cv;
    std::optional<int> exit_code;
    std::string reason;
    auto finish = [&](int code, std::string why) {
        {
            std::lock_guard lock(mutex);
            if (exit_code) return;
            exit_code = code;
            reason = std::move(why);
        }
        cv.notify_all();
    };

    sender_options o;
    o.workers = 1;
    o.timeout = in.timeout;
    o.callbacks.on_attempt = [&](const attempt_report& r) {
        std::ostringstream line;
        line << "attempt " << r.attempt.number << ": ";
        if (r.attempt.status != 0)
            line << r.attempt.status;
        else
            line << r.attempt.error.message();
        char latency[32];
        std::snprintf(latency, sizeof latency, "%.1f ms", static_cast<double>(r.attempt.latency.count()) / 1000.0);
        line << " in " << latency;
        if (r.next_attempt_at) {
            const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
            line << "; next attempt in " << describe_delay(std::max<std::int64_t>(0, *r.next_attempt_at - now));
        }
        std::cout << line.str() << std::endl;
        if (r.status == delivery_status::delivered) finish(0, "delivered");
        if (r.status == delivery_status::failed) finish(1, "gave up: the endpoint answered 410 Gone");
        if (r.status == delivery_status::exhausted) {
            if (r.attempt.error == errc::address_refused)
                finish(1, "gave up: destination address refused (private or loopback; see --allow-private)");
            else if (r.attempt.error == errc::invalid_url)
                finish(1, "gave up: invalid URL");
            else
                finish(1, "gave up: retries exhausted (last: " +
                              (r.attempt.status ? std::to_string(r.attempt.status) : r.attempt.error.message()) + ")");
        }
    };
    basic_sender<httplib_transport, Signer, fixed_schedule, memory_store> sender(httplib_transport(topts), schedule,
                                                                                   memory_store{}, std::move(o));
    watch.start([&] { finish(130, "interrupted"); });
    endpoint_config cfg;
    cfg.url = in.url;
    for (const auto& s : in.secrets) cfg.secrets.push_back({s, 0});
    cfg.max_concurrency = 1;
    if (auto r = sender.add_endpoint("cli", cfg); !r) throw usage_error("cannot use --secret: " + r.error().message());
    auto receipt = sender.send(event{.type = in.type, .payload = in.body, .id = in.id});
    if (!receipt) throw usage_error("cannot send: " + receipt.error().message());
    std::cout << "sending " << receipt->message_id << " (" << in.type << ") to " << in.url << std::endl;
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return exit_code.has_value(); });
    lock.unlock();
    sender.stop(std::chrono::milliseconds(0));
    if (*exit_code == 0)
        std::cout << reason << std::endl;
    else
        std::cerr << "hookline: " << reason << std::endl;
    return *exit_code;
}

} // namespace detail

inline int cmd_send(const std::vector<std::string_view>& argv) {
    std::vector<flag_spec> specs = {{"--secret", "", true, true},     {"--type", "", true, false},
                                    {"--data", "", true, false},      {"--file", "", true, false},
                                    {"--id", "", true, false},        {"--scheme", "", true, false},
                                    {"--retry-schedule", "", true, false}, {"--timeout", "", true, false},
                                    {"--allow-private", "", false, false}, {"--help", "-h", false, false}};
    parsed_args args(argv, specs);
    if (args.has("--help")) {
        std::cout << send_help();
        return 0;
    }
    detail::send_input in;
    if (args.positionals().size() != 1) throw usage_error("expected exactly one URL");
    in.url = args.positionals()[0];
    in.type = args.get("--type").value_or("");
    if (in.type.empty()) throw usage_error("--type is required");
    if (args.has("--data") == args.has("--file")) throw usage_error("give exactly one of --data and --file");
    if (auto d = args.get("--data")) {
        in.body = *d;
    } else {
        auto f = *args.get("--file");
        if (f == "-") {
            in.body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        } else {
            std::ifstream file(f, std::ios::binary);
            if (!file) throw usage_error("cannot read " + f);
            in.body.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
        }
    }
    in.id = args.get("--id").value_or("");
    if (auto s = args.get("--retry-schedule")) in.schedule = detail::parse_schedule(*s);
    if (auto t = args.get("--timeout")) {
        auto secs = parse_seconds("--timeout", *t);
        if (secs == 0) throw usage_error("--timeout must be at least 1 second");
        in.timeout = std::chrono::seconds(secs);
    }
    in.allow_private = args.has("--allow-private");
    const std::string scheme = args.get("--scheme").value_or("standard");
    scheme_input si;
    si.secrets = args.all("--secret");
    if (si.secrets.empty()) throw usage_error("--secret is required");
    if (scheme == "standard") {
        in.secrets = standard_secrets(si);
        return detail::run_send<hookline::standard_signer>(in);
    }
    in.secrets = plain_secrets(si);
    if (scheme == "stripe") return detail::run_send<hookline::stripe_signer>(in);
    if (scheme == "shopify") return detail::run_send<hookline::shopify_signer>(in);
    if (scheme == "square") return detail::run_send<hookline::square_signer>(in);
    if (scheme == "twilio") return detail::run_send<hookline::twilio_signer>(in);
    if (scheme == "github") return detail::run_send<detail::first_key_signer<hookline::github_signer>>(in);
    if (scheme == "slack") return detail::run_send<detail::first_key_signer<hookline::slack_signer>>(in);
    throw usage_error("unknown scheme '" + scheme + "' for send");
}

} // namespace hookline_cli
