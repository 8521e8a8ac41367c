// Crash test of the PostgreSQL store: two sender processes share one queue (one postgres_store schema)
// and deliver to a receiver in this process on 127.0.0.1. A driver kills them alternately with SIGKILL at
// random moments and restarts them. At the end every id a sender had accepted (logged only after `send`
// returned) was received at least once, duplicates stay within what the kills can explain, the receiver's
// de-duplication dispatched each id once, and everything the store calls delivered was received.
// With `ordered`: the endpoint delivers per key (`delivery_order::per_key`, 8 keys shared by both
// processes), the receiver fails 10% of requests at random, and each key's new ids must arrive in
// stream order with no gap (`webhook-sequence` one more than the last dispatched) and never while
// another request of the same key is being handled.
//
//   hookline_postgres_crash [ordered]       # the driver (ctest crash.postgres); needs HOOKLINE_TEST_PG
//   hookline_postgres_crash sender CONNINFO SCHEMA URL ACCEPTED_FILE TAG [ordered]   # one sender process
#include "support/listen.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/postgres_store.hpp>
#include <hookline/transports/httplib_transport.hpp>

#include <httplib.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t per_process_concurrency = 4;

// --- one sender process --------------------------------------------------------------------------

volatile sig_atomic_t stop_producing = 0;
volatile sig_atomic_t terminate_now = 0;

int run_sender(const std::string& conninfo, const std::string& schema, const std::string& url,
               const std::string& accepted_file, const std::string& tag, bool ordered) {
    signal(SIGPIPE, SIG_IGN);
    signal(SIGUSR1, [](int) { stop_producing = 1; });
    signal(SIGTERM, [](int) { terminate_now = 1; });
    auto store = postgres_store::open(conninfo, {.schema = schema, .pool_size = 4});
    if (!store) {
        std::fprintf(stderr, "sender %s: cannot open the store\n", tag.c_str());
        return 2;
    }
    sender_options o;
    o.workers = per_process_concurrency;
    o.timeout = 2000ms; // short, so a dead process's leases (timeout + margin) run out quickly
    o.lease_margin = 1000ms;
    o.max_idle = 100ms; // the other process's enqueues are found within this
    httplib_transport net({.addresses = address_policy::with_allowed({"127.0.0.1/32"}).value()});
    basic_sender<httplib_transport, standard_signer, fixed_schedule, postgres_store> sender(
        net, fixed_schedule{.delays = {100ms, 200ms, 400ms, 800ms, 1000ms, 1000ms, 1000ms, 1000ms}}, *store, o);
    endpoint_config ep;
    ep.url = url;
    ep.secrets = {{secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value(), 0}};
    ep.max_concurrency = per_process_concurrency;
    if (ordered) ep.order = delivery_order::per_key;
    if (!sender.add_endpoint("receiver", ep)) return 2;
    std::printf("ready\n"); // the driver kills or stops this process only after this line
    std::fflush(stdout);

    int fd = ::open(accepted_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0) return 2;
    std::mt19937 rng(std::random_device{}());
    for (std::uint64_t n = 0; !stop_producing && !terminate_now; ++n) {
        std::string id = tag + "-" + std::to_string(n);
        auto r = sender.send(event{.type = "crash.test",
                                   .payload = "{\"n\":" + std::to_string(n) + "}",
                                   .id = id,
                                   .ordering_key = ordered ? "k" + std::to_string(n % 8) : std::string()});
        if (r && !r->duplicate) {
            std::string line = id + "\n"; // logged only once the store has it
            if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 2;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 6)); // producer pacing, ~300 events/s
    }
    ::close(fd);
    std::printf("stopped\n"); // tells the driver this process accepts nothing more
    std::fflush(stdout);
    while (!terminate_now) std::this_thread::sleep_for(20ms); // idle, delivering, until told to exit
    sender.stop(3s);
    return 0;
}

// --- the driver ----------------------------------------------------------------------------------

struct receiver {
    httplib::Server server;
    std::thread thread;
    int port = 0;
    std::mutex mutex;
    std::condition_variable cv;
    std::map<std::string, int> received; // id -> requests
    std::size_t dispatched = 0;          // handler runs after de-duplication by webhook-id
    // Ordered runs: the failure rate, the last dispatched position per key, and what broke the order.
    unsigned fail_percent = 0;
    std::mt19937 rng{std::random_device{}()};
    std::map<std::string, long long> last_sequence;
    std::map<std::string, int> handling; // requests of each key being handled now
    std::size_t out_of_order = 0, overlaps = 0, failed_answers = 0;

    explicit receiver(bool ordered) : fail_percent(ordered ? 10 : 0) {
        server.new_task_queue = [] { return new httplib::ThreadPool(32); };
        server.set_tcp_nodelay(true);
        server.set_keep_alive_max_count(100000);
        server.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
            const std::string id = req.get_header_value("webhook-id");
            const std::string key = req.get_header_value("webhook-ordering-key");
            const bool sequenced = req.has_header("webhook-sequence");
            {
                std::lock_guard lock(mutex);
                if (sequenced && handling[key]++ != 0) ++overlaps;
                if (rng() % 100 < fail_percent) {
                    ++failed_answers;
                    --handling[key];
                    res.status = 500;
                    return;
                }
                if (++received[id] == 1) { // de-duplication: the application sees each id once
                    ++dispatched;
                    if (sequenced) {
                        const long long seq = std::stoll(req.get_header_value("webhook-sequence"));
                        if (seq != last_sequence[key] + 1) ++out_of_order;
                        last_sequence[key] = seq;
                    }
                }
                if (sequenced) --handling[key];
            }
            cv.notify_all();
            res.status = 200;
        });
        port = server.bind_to_any_port("127.0.0.1");
        thread = test_support::listen_in_background(server);
    }
    ~receiver() {
        server.stop();
        thread.join();
    }
};

struct child {
    pid_t pid = -1;
    int out = -1; // its stdout
};

std::string self_path() {
    char buf[4096];
    auto n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

child spawn(const std::vector<std::string>& args) {
    int p[2];
    if (pipe(p) != 0) return {};
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(p[1]);
    return {pid, p[0]};
}

/// Waits (bounded) for the child to print a line.
bool wait_line(const child& c, std::chrono::milliseconds bound) {
    pollfd pfd{c.out, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(bound.count())) <= 0) return false;
    char buf[64];
    return read(c.out, buf, sizeof buf) > 0;
}

std::set<std::string> read_accepted(const std::vector<std::string>& files) {
    std::set<std::string> out;
    for (auto& f : files) {
        std::ifstream in(f);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::size_t start = 0;
        for (std::size_t nl; (nl = all.find('\n', start)) != std::string::npos; start = nl + 1)
            out.insert(all.substr(start, nl - start)); // a line cut by a kill has no newline: ignored
    }
    return out;
}

int run_driver(bool ordered) {
    const char* ci = std::getenv("HOOKLINE_TEST_PG");
    if (!ci || !*ci) {
        const char* skip = std::getenv("HOOKLINE_SKIP_PG");
        if (skip && std::string(skip) == "1") {
            std::puts("HOOKLINE_SKIP_PG=1: skipped");
            return 77;
        }
        std::puts("HOOKLINE_TEST_PG is not set (tests/run.sh starts a throw-away cluster; HOOKLINE_SKIP_PG=1 skips)");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    const std::string conninfo = ci;
    std::mt19937 rng(std::random_device{}());
    const std::string schema = "hookline_crash_" + std::to_string(rng() % 1000000000);
    char tmpl[] = "/tmp/hookline-crash.XXXXXX";
    const std::string dir = mkdtemp(tmpl) ? tmpl : "/tmp";
    receiver recv(ordered);
    const std::string url = "http://127.0.0.1:" + std::to_string(recv.port) + "/hook";
    const std::string exe = self_path();

    std::vector<std::string> files;
    int generation = 0;
    auto start = [&](int slot) {
        const std::string tag = "p" + std::to_string(slot) + "g" + std::to_string(generation++);
        files.push_back(dir + "/" + tag + ".accepted");
        auto c = spawn({exe, "sender", conninfo, schema, url, files.back(), tag, ordered ? "ordered" : "plain"});
        if (!wait_line(c, 20s)) std::puts("a sender did not start");
        return c;
    };
    child procs[2] = {start(0), start(1)};

    const int kills = ordered ? 6 : 10; // the ordered run checks order across kills; fewer keep CI short
    for (int k = 0; k < kills; ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500 + rng() % 1500)); // a random moment
        auto& c = procs[k % 2];
        kill(c.pid, SIGKILL);
        waitpid(c.pid, nullptr, 0);
        close(c.out);
        c = start(k % 2);
    }
    // Stop producing; wait until both live senders say so.
    bool ok = true;
    for (auto& c : procs) kill(c.pid, SIGUSR1);
    for (auto& c : procs)
        if (!wait_line(c, 20s)) {
            std::puts("FAIL: a sender did not stop producing");
            ok = false;
        }
    const auto accepted = read_accepted(files);
    // Every accepted id arrives, within a bound (the leases of killed processes are 3 s).
    bool all = false;
    {
        std::unique_lock lock(recv.mutex);
        all = recv.cv.wait_for(lock, 60s, [&] {
            for (auto& id : accepted)
                if (!recv.received.count(id)) return false;
            return true;
        });
    }
    for (auto& c : procs) {
        kill(c.pid, SIGTERM);
        int status = 0;
        waitpid(c.pid, &status, 0);
        close(c.out);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::puts("FAIL: a sender did not exit cleanly");
            ok = false;
        }
    }

    std::size_t missing = 0, requests = 0, unique = 0, dispatched = 0;
    {
        std::lock_guard lock(recv.mutex);
        for (auto& id : accepted) missing += recv.received.count(id) ? 0 : 1;
        for (auto& [id, n] : recv.received) requests += static_cast<std::size_t>(n);
        unique = recv.received.size();
        dispatched = recv.dispatched;
    }
    const std::size_t duplicates = requests - unique;
    std::printf("kills %d, accepted %zu, received %zu unique in %zu requests (%zu duplicates), dispatched %zu\n", kills,
                accepted.size(), unique, requests, duplicates, dispatched);
    if (!all || missing) {
        std::printf("FAIL: %zu accepted ids never arrived\n", missing);
        ok = false;
    }
    if (accepted.size() < 100) {
        std::puts("FAIL: too few events were accepted to mean anything");
        ok = false;
    }
    // A kill can repeat only what that process had in flight (its concurrency) and had claimed.
    if (duplicates > static_cast<std::size_t>(kills) * per_process_concurrency * 2) {
        std::puts("FAIL: more duplicates than the kills explain");
        ok = false;
    }
    if (dispatched != unique) ok = false;
    if (ordered) {
        std::lock_guard lock(recv.mutex);
        std::printf("ordered: %zu keys, %zu requests answered 500, %zu new ids out of stream order, %zu overlaps\n",
                    recv.last_sequence.size(), recv.failed_answers, recv.out_of_order, recv.overlaps);
        if (recv.out_of_order || recv.overlaps) {
            std::puts("FAIL: a key's messages arrived out of order, or two at once");
            ok = false;
        }
    }

    // What the store calls delivered was received.
    {
        auto store = postgres_store::open(conninfo, {.schema = schema});
        if (!store) {
            std::puts("FAIL: cannot reopen the store");
            ok = false;
        } else {
            auto delivered = store->list_deliveries({.statuses = {delivery_status::delivered}, .limit = 1000000});
            std::size_t phantom = 0;
            std::lock_guard lock(recv.mutex);
            for (auto& d : delivered.value())
                if (!recv.received.count(d.message_id)) ++phantom;
            if (phantom) {
                std::printf("FAIL: %zu deliveries marked delivered were never received\n", phantom);
                ok = false;
            }
        }
        PGconn* c = PQconnectdb(conninfo.c_str());
        PQsetNoticeProcessor(
            c, [](void*, const char*) {}, nullptr);
        PQclear(PQexec(c, ("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE").c_str()));
        PQfinish(c);
    }
    for (auto& f : files) std::remove(f.c_str());
    ::rmdir(dir.c_str());
    std::puts(ok ? "crash.postgres: passed" : "crash.postgres: FAILED");
    return ok ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
    if (argc == 8 && std::string(argv[1]) == "sender")
        return run_sender(argv[2], argv[3], argv[4], argv[5], argv[6], std::string(argv[7]) == "ordered");
    if (argc == 1) return run_driver(false);
    if (argc == 2 && std::string(argv[1]) == "ordered") return run_driver(true);
    std::fprintf(stderr, "usage: %s [ordered] | sender CONNINFO SCHEMA URL ACCEPTED_FILE TAG plain|ordered\n", argv[0]);
    return 2;
}
