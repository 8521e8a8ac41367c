// hookline send: signs and delivers one event with the library's delivery engine, printing each
// attempt as it happens.
#pragma once

#include "args.hpp"
#include "schemes.hpp"

#include <hookline/hookline.hpp>
#include <hookline/sending/sender.hpp>
#if HOOKLINE_CLI_SQLITE
#include <hookline/stores/sqlite_store.hpp>
#endif

#include <pthread.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace hookline_cli {

inline std::string send_help() {
    return "Usage: hookline send URL --secret SECRET --type TYPE (--data JSON | --file FILE) [--id ID]\n"
           "                     [--scheme SCHEME] [--retry-schedule SECONDS,SECONDS,...] [--timeout SECONDS]\n"
           "                     [--allow-private] [--store FILE.db]\n\n"
           "Signs one event and delivers it to URL with hookline's delivery engine, printing each attempt\n"
           "(status, latency, when the next one is due) as it happens. Exits 0 once a 2xx arrives; exits 1\n"
           "with the reason once it gives up (retries exhausted, 410 Gone, a refused address).\n\n"
           "Options:\n"
           "  --secret SECRET         signing key (repeat to sign with several); read as for 'hookline sign'\n"
           "  --type TYPE             event type (required)\n"
           "  --data JSON             the body, given inline\n"
           "  --file FILE             the body, read from FILE ('-' for standard input)\n"
           "  --id ID                 message id (default: a random msg_... id), the same on every retry\n"
           "  --scheme SCHEME         " +
           std::string("standard (default), github, stripe, slack, shopify, square, twilio") +
           "\n"
           "  --retry-schedule LIST   seconds to wait before each retry, e.g. 0,5,30 (default: the Standard\n"
           "                          Webhooks schedule 5s,5m,30m,2h,5h,10h,14h,20h,24h); 'none' = no retry.\n"
           "                          429/502/503/504 and timeouts wait longer; Retry-After is honoured\n"
           "  --timeout SECONDS       whole-request timeout of each attempt (default: 15)\n"
           "  --allow-private         permit private, loopback and link-local destinations (refused by\n"
           "                          default as SSRF protection; cloud metadata addresses stay refused)\n"
           "  --store FILE.db         keep the event in an SQLite store (created if missing) instead of memory:\n"
           "                          it is on disk before delivery starts, and a later 'hookline send' with\n"
           "                          the same store and URL first delivers whatever an interrupted or killed\n"
           "                          run left pending. An --id the store already accepted is not sent again\n"
           "                          (reported as a duplicate, exit 0). With a store, the tool exits once\n"
           "                          nothing is pending for URL\n"
           "  --help                  this text\n\n"
           "Exit status: 0 delivered, 1 gave up, 2 usage error, 130 interrupted.\n";
}

namespace detail {

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
    if (ms < 1000)
        os << ms << " ms";
    else if (ms < 120000)
        os << ms / 1000 << " s";
    else if (ms < 7200000)
        os << ms / 60000 << " min";
    else
        os << ms / 3600000 << " h";
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
    std::string store_path; ///< empty = memory
};

template <class Signer, class Store>
int run_send(const send_input& in, Store store) {
    using namespace hookline;
    interrupt_watch watch;
    httplib_transport_options topts;
    if (in.allow_private) {
        topts.addresses =
            address_policy::with_allowed({"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                          "100.64.0.0/10", "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10"})
                .value();
    }
    fixed_schedule schedule{in.schedule ? *in.schedule : standard_schedule::delays()};

    const bool durable = !in.store_path.empty();
    const std::string endpoint_id = durable ? in.url : "cli"; // stable: re-adding it resumes its deliveries
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<int> exit_code;
    std::string reason;
    std::optional<std::string> gave_up; // with a store: the first delivery that gave up
    // With a store: true once nothing is pending or in flight for the endpoint.
    auto drained = [&]() {
        auto open_ones = store.list_deliveries({.endpoint_id = endpoint_id,
                                                .statuses = {delivery_status::pending, delivery_status::in_flight},
                                                .limit = 1});
        return open_ones && open_ones->empty();
    };
    bool sent = false;
    bool attempted = false; // with a store: this run made an attempt // with a store: finishing waits until this run's
                            // event is in the store
    std::function<void()> maybe_finish;
    auto finish = [&](int code, std::string why) {
        {
            std::lock_guard lock(mutex);
            if (exit_code) return;
            exit_code = code;
            reason = std::move(why);
        }
        cv.notify_all();
    };

    maybe_finish = [&] {
        std::optional<std::string> failure;
        {
            std::lock_guard lock(mutex);
            if (!sent) return;
            failure = gave_up;
        }
        if (!drained()) return;
        if (failure)
            finish(1, *failure);
        else
            finish(0, attempted ? "delivered" : "nothing left to deliver");
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
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            line << "; next attempt in " << describe_delay(std::max<std::int64_t>(0, *r.next_attempt_at - now));
        }
        if (durable) line << " (" << r.message_id << ")";
        std::cout << line.str() << std::endl;
        std::optional<std::string> why;
        if (r.status == delivery_status::failed) why = "gave up: the endpoint answered 410 Gone";
        if (r.status == delivery_status::exhausted) {
            if (r.attempt.error == errc::address_refused)
                why = "gave up: destination address refused (private or loopback; see --allow-private)";
            else if (r.attempt.error == errc::invalid_url)
                why = "gave up: invalid URL";
            else
                why = "gave up: retries exhausted (last: " +
                      (r.attempt.status ? std::to_string(r.attempt.status) : r.attempt.error.message()) + ")";
        }
        if (!durable) {
            if (r.status == delivery_status::delivered) finish(0, "delivered");
            if (why) finish(1, *why);
            return;
        }
        {
            std::lock_guard lock(mutex);
            attempted = true;
            if (why && !gave_up) gave_up = r.message_id + " " + *why;
        }
        if (r.status != delivery_status::pending) maybe_finish();
    };
    basic_sender<httplib_transport, Signer, fixed_schedule, Store> sender(httplib_transport(topts), schedule, store,
                                                                          std::move(o));
    watch.start([&] { finish(130, "interrupted"); });
    endpoint_config cfg;
    cfg.url = in.url;
    for (const auto& s : in.secrets) cfg.secrets.push_back({s, 0});
    cfg.max_concurrency = 1;
    if (durable) {
        // Pending work a previous run left for this URL is resumed by adding the endpoint.
        auto left = store.list_deliveries({.endpoint_id = endpoint_id,
                                           .statuses = {delivery_status::pending, delivery_status::in_flight},
                                           .limit = static_cast<std::size_t>(-1)});
        if (left && !left->empty())
            std::cout << "resuming " << left->size() << " pending deliver" << (left->size() == 1 ? "y" : "ies")
                      << " from " << in.store_path << std::endl;
    }
    if (auto r = sender.add_endpoint(endpoint_id, cfg); !r)
        throw usage_error("cannot use --secret: " + r.error().message());
    if (durable) (void)sender.enable_endpoint(endpoint_id); // sending to it again is an explicit request
    auto receipt = sender.send(event{.type = in.type, .payload = in.body, .id = in.id});
    if (!receipt) {
        if (receipt.error() == errc::store_failure) {
            std::cerr << "hookline: cannot store the event in " << in.store_path << std::endl;
            return 1;
        }
        throw usage_error("cannot send: " + receipt.error().message());
    }
    if (receipt->duplicate) {
        std::string was = "accepted";
        if (auto d = store.list_deliveries({.message_id = receipt->message_id, .endpoint_id = endpoint_id});
            d && !d->empty())
            was = to_string(d->front().status);
        std::cout << "duplicate: " << receipt->message_id << " was already accepted by this store (" << was
                  << "); not sent again" << std::endl;
    } else {
        std::cout << "sending " << receipt->message_id << " (" << in.type << ") to " << in.url << std::endl;
    }
    if (durable) {
        {
            std::lock_guard lock(mutex);
            sent = true;
        }
        maybe_finish(); // everything may have finished already (or nothing was pending)
    }
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

/// Runs with the store --store asks for (memory when absent).
template <class Signer>
int run_send(const send_input& in) {
    if (in.store_path.empty()) return run_send<Signer>(in, hookline::memory_store{});
#if HOOKLINE_CLI_SQLITE
    auto store = hookline::sqlite_store::open(in.store_path);
    if (!store) {
        std::cerr << "hookline: cannot open the store " << in.store_path << ": " << store.error().message()
                  << std::endl;
        return 1;
    }
    return run_send<Signer>(in, *store);
#else
    throw usage_error("--store needs a hookline built with SQLite");
#endif
}

} // namespace detail

inline int cmd_send(const std::vector<std::string_view>& argv) {
    std::vector<flag_spec> specs = {
        {"--secret", "", true, true},          {"--type", "", true, false},    {"--data", "", true, false},
        {"--file", "", true, false},           {"--id", "", true, false},      {"--scheme", "", true, false},
        {"--retry-schedule", "", true, false}, {"--timeout", "", true, false}, {"--allow-private", "", false, false},
        {"--store", "", true, false},          {"--help", "-h", false, false}};
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
    in.store_path = args.get("--store").value_or("");
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
    if (scheme == "github") return detail::run_send<hookline::github_signer>(in);
    if (scheme == "slack") return detail::run_send<hookline::slack_signer>(in);
    throw usage_error("unknown scheme '" + scheme + "' for send");
}

} // namespace hookline_cli
