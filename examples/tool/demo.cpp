// hookline demo: the whole library in one process on 127.0.0.1. Receivers for four integrators, a
// sender with endpoints subscribed to different event types (one failing on purpose for a while), a
// stream of events with a live progress display, and a summary showing every event arrived once.
#include "demo.hpp"

#include "args.hpp"
#include "serve.hpp"
#include "verbs.hpp"

#include <hookline/core/secret.hpp>
#include <hookline/sending/endpoint.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace hookline_cli {

inline std::string demo_help() {
    return "Usage: hookline demo [--events N] [--rate PER_SECOND] [--outage SECONDS]\n\n"
           "Runs a receiver and a sender on 127.0.0.1 in one process: four endpoints subscribed to\n"
           "different event types, one of them answering 503 + Retry-After for the first seconds, a\n"
           "stream of signed events with a live progress line, and a summary checking that every event\n"
           "reached every subscribed endpoint exactly once. Exits 0 when it did, 1 otherwise.\n\n"
           "Options:\n"
           "  --events N           events to send (default 400)\n"
           "  --rate PER_SECOND    how fast to send them (default 100)\n"
           "  --outage SECONDS     how long the flaky endpoint fails (default 3)\n"
           "  --help               this text\n";
}

namespace demo {

using clock = std::chrono::steady_clock;

inline bool subscribed(const endpoint_spec& e, const std::string& type) {
    for (const auto& p : e.types)
        if (hookline::event_type_matches(p, type)) return true;
    return false;
}

struct style {
    bool tty = ::isatty(STDOUT_FILENO) != 0;
    const char* bold() const { return tty ? "\033[1m" : ""; }
    const char* green() const { return tty ? "\033[32m" : ""; }
    const char* yellow() const { return tty ? "\033[33m" : ""; }
    const char* red() const { return tty ? "\033[31m" : ""; }
    const char* reset() const { return tty ? "\033[0m" : ""; }
};

inline int run(int events, int rate, int outage_seconds) {
    using namespace hookline;
    const style st;
    const std::vector<endpoint_spec> specs = {{"billing", {"invoice.*"}, false},
                                              {"crm", {"customer.*"}, false},
                                              {"audit", {"*"}, false},
                                              {"payments", {"invoice.paid"}, true}};
    const std::vector<std::string> types = {"invoice.created", "invoice.paid", "customer.created", "customer.updated"};

    // --- the integrators: one verifying, de-duplicating receiver per endpoint ------------------------
    httplib::Server server;
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(100000);
    server.new_task_queue = [] { return new httplib::ThreadPool(24); };
    const auto started = clock::now();
    const auto outage = std::chrono::seconds(outage_seconds);
    std::atomic<int> outage_replies{0};
    server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
        if (req.path == "/payments" && clock::now() - started < outage) {
            ++outage_replies;
            res.status = 503;
            res.set_header("Retry-After", "1");
            res.set_content("down for maintenance", "text/plain");
            return httplib::Server::HandlerResponse::Handled;
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    std::map<std::string, secret> keys;
    std::map<std::string, std::unique_ptr<tally>> seen;
    for (const auto& e : specs) {
        keys.emplace(e.id, secret::generate().value());
        seen.emplace(e.id, std::make_unique<tally>());
    }
    const auto receivers = mount_receivers(server, specs, keys, seen);
    const int port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) {
        std::cerr << "hookline: demo: cannot listen on 127.0.0.1\n";
        return 1;
    }
    std::thread server_thread = serve_in_background(server);

    // --- the application: a sender with a durable SQLite store and a short demo retry schedule --------
    char dir_template[] = "/tmp/hookline-demo-XXXXXX";
    const char* dir = ::mkdtemp(dir_template);
    if (!dir) {
        std::cerr << "hookline: demo: cannot create a temporary directory\n";
        server.stop();
        server_thread.join();
        return 1;
    }
    const std::string db_path = std::string(dir) + "/outbox.db";
    struct cleanup {
        std::string dir;
        ~cleanup() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } remove_dir{dir};
    outbox_stats stats;
    outbox sender;
    if (auto error = sender.open(db_path, port, specs, keys, stats); !error.empty()) {
        std::cerr << "hookline: demo: " << error << "\n";
        server.stop();
        server_thread.join();
        return 1;
    }
    std::mutex& mutex = stats.mutex;
    auto& delivered = stats.delivered;
    auto& failed = stats.failed;
    auto& attempts = stats.attempts;

    std::cout << st.bold() << "hookline demo" << st.reset() << ": " << specs.size()
              << " endpoints on 127.0.0.1:" << port << ", " << events << " events at " << rate << "/s; '"
              << specs.back().id << "' answers 503 + Retry-After for the first " << outage_seconds << " s\n"
              << "store: " << db_path << " (SQLite, WAL, group commit: each send returns once it is on disk)\n";
    for (const auto& e : specs) {
        std::cout << "  " << e.id << " <- ";
        for (std::size_t i = 0; i < e.types.size(); ++i) std::cout << (i ? ", " : "") << e.types[i];
        std::cout << "\n";
    }

    // --- the stream, with a live progress line ----------------------------------------------------------
    std::map<std::string, std::set<std::string>> expected; // endpoint -> message ids
    std::atomic<int> sent{0};
    std::atomic<bool> sending_done{false};
    std::string last_line;
    auto progress = [&](bool final_line) {
        const double secs = std::chrono::duration<double>(clock::now() - started).count();
        std::size_t retry_now;
        {
            std::lock_guard lock(mutex);
            retry_now = stats.retrying.size();
        }
        char line[200];
        std::snprintf(line, sizeof line,
                      "sent %4d/%d  delivered %5ld  %sretrying %3zu%s  %sfailed %ld%s  %5.0f deliveries/s", sent.load(),
                      events, delivered.load(), retry_now ? st.yellow() : "", retry_now, st.reset(),
                      failed ? st.red() : "", failed.load(), st.reset(), secs > 0 ? delivered / secs : 0.0);
        if (st.tty) {
            std::cout << "\r\033[K" << line << (final_line ? "\n" : "") << std::flush;
        } else if (last_line != line) { // one line per change when the output is not a terminal
            std::cout << line << "\n";
            last_line = line;
        }
    };
    std::thread producer([&] {
        const auto interval = std::chrono::nanoseconds(1'000'000'000LL / std::max(1, rate));
        auto next = clock::now();
        for (int i = 0; i < events; ++i) {
            const std::string& type = types[static_cast<std::size_t>(i) % types.size()];
            nlohmann::json data = {{"n", i}, {"amount", 100 + i}};
            auto receipt = sender.send(type, data, "msg_demo_" + std::to_string(i));
            if (receipt) {
                std::lock_guard lock(mutex);
                for (const auto& e : specs)
                    if (subscribed(e, type)) expected[e.id].insert(*receipt);
            }
            ++sent;
            next += interval;
            std::this_thread::sleep_until(next); // paces the stream; nothing waits on a result here
        }
        sending_done = true;
    });

    const auto deadline = started + std::chrono::seconds(45);
    auto total_expected = [&] {
        std::lock_guard lock(mutex);
        std::size_t n = 0;
        for (const auto& [id, ids] : expected) n += ids.size();
        return n;
    };
    const auto tick = st.tty ? std::chrono::milliseconds(100) : std::chrono::milliseconds(1000);
    while (clock::now() < deadline) {
        std::this_thread::sleep_for(tick); // the progress display's refresh interval
        progress(false);
        if (sending_done && static_cast<std::size_t>(delivered + failed) >= total_expected()) break;
    }
    producer.join();
    progress(true);
    sender.stop(std::chrono::seconds(2));
    server.stop();
    server_thread.join();

    // --- the summary ------------------------------------------------------------------------------------
    bool ok = failed == 0;
    std::cout << "\n"
              << st.bold() << "endpoint   subscribed to        expected  received  twice  duplicates acked"
              << st.reset() << "\n";
    for (const auto& e : specs) {
        auto& t = *seen.at(e.id);
        std::lock_guard lock(t.mutex);
        const auto& want = expected[e.id];
        std::size_t got = 0, twice = 0, unexpected = 0;
        for (const auto& [id, n] : t.dispatched) {
            if (want.count(id))
                ++got;
            else
                ++unexpected;
            if (n > 1) ++twice;
        }
        const bool row_ok = got == want.size() && twice == 0 && unexpected == 0 && t.rejected == 0;
        ok = ok && row_ok;
        std::string subs;
        for (std::size_t i = 0; i < e.types.size(); ++i) subs += (i ? "," : "") + e.types[i];
        std::printf("%-10s %-20s %8zu  %s%8zu%s  %5zu  %16d\n", e.id.c_str(), subs.c_str(), want.size(),
                    row_ok ? st.green() : st.red(), got, st.reset(), twice, t.duplicates);
    }
    const double secs = std::chrono::duration<double>(clock::now() - started).count();
    std::printf(
        "\n%ld deliveries in %ld attempts over %.1f s; the outage answered %d requests with 503 + Retry-After.\n",
        delivered.load(), attempts.load(), secs, outage_replies.load());
    if (ok)
        std::cout << st.green() << st.bold() << "every event reached every subscribed endpoint exactly once"
                  << st.reset() << "\n";
    else
        std::cout << st.red() << st.bold() << "some events did not arrive exactly once" << st.reset() << "\n";
    return ok ? 0 : 1;
}

} // namespace demo

int cmd_demo(const std::vector<std::string_view>& argv) {
    std::vector<flag_spec> specs = {{"--events", "", true, false},
                                    {"--rate", "", true, false},
                                    {"--outage", "", true, false},
                                    {"--help", "-h", false, false}};
    parsed_args args(argv, specs);
    if (args.has("--help")) {
        std::cout << demo_help();
        return 0;
    }
    if (!args.positionals().empty()) throw usage_error("demo takes no arguments");
    const long long events = args.has("--events") ? parse_seconds("--events", *args.get("--events")) : 400;
    const long long rate = args.has("--rate") ? parse_seconds("--rate", *args.get("--rate")) : 100;
    const long long outage = args.has("--outage") ? parse_seconds("--outage", *args.get("--outage")) : 3;
    if (events < 1 || events > 100000) throw usage_error("--events takes 1 to 100000");
    if (rate < 1 || rate > 100000) throw usage_error("--rate takes 1 to 100000");
    if (outage > 20) throw usage_error("--outage takes 0 to 20 seconds");
    return demo::run(static_cast<int>(events), static_cast<int>(rate), static_cast<int>(outage));
}

} // namespace hookline_cli
