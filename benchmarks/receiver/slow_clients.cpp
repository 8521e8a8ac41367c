// slow_clients: a receiver under a slow-client ("slowloris") attack. Starts a receiver server process
// (bench_receiver_receiver_server, the httplib or the Beast adapter), then
//   1. sends valid signed webhooks at a fixed rate for --seconds, no attack (the baseline), after a
//      one-second unmeasured warm-up;
//   2. opens --attackers connections that each send a request head one byte per second, never
//      finishing it, reconnecting whenever the server closes one; once they are all connected, sends
//      valid webhooks at the same rate for --seconds again;
//   3. stops the attack and measures a second baseline, pooled with the first.
// Reports the valid webhooks' send -> answer p50/p99/max and failures in each phase, p99(attack) /
// p99(baseline), and how many attacking connections the server cut off.
//
//   slow_clients SERVER_BINARY --server beast|httplib|httplib-default [--attackers 1000] [--seconds 20]
//                [--rate 50] [--timeout 10] [--json]
//
// A valid webhook that gets no answer within --timeout seconds counts as failed (and is in no
// percentile). Raises the soft RLIMIT_NOFILE to the hard limit (the server process does the same).
#include <hookline/core/clock.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/schemes/standard.hpp>

#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {
using clock_type = std::chrono::steady_clock;
const char* const secret_text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

struct options {
    std::string binary;
    std::string server = "beast";
    int attackers = 1000;
    int seconds = 20;
    int rate = 50;
    int timeout = 10;
    bool json = false;
};

void raise_nofile() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/// The server process: started with a pipe on stdout, whose first line is its port.
struct server_process {
    pid_t pid = -1;
    int port = 0;

    bool start(const options& o) {
        int out[2];
        if (::pipe(out) != 0) return false;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_addclose(&fa, out[0]);
        std::string server_flag = "--server=" + o.server;
        char* argv[] = {const_cast<char*>(o.binary.c_str()), const_cast<char*>(secret_text),
                        const_cast<char*>(server_flag.c_str()), nullptr};
        const int rc = ::posix_spawn(&pid, o.binary.c_str(), &fa, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(out[1]);
        if (rc != 0) {
            ::close(out[0]);
            return false;
        }
        std::string line;
        char c;
        while (::read(out[0], &c, 1) == 1 && c != '\n') line.push_back(c);
        ::close(out[0]);
        port = std::atoi(line.c_str());
        return port > 0;
    }
    ~server_process() {
        if (pid > 0) {
            ::kill(pid, SIGTERM);
            int status = 0;
            ::waitpid(pid, &status, 0);
        }
    }
};

/// Connections that trickle an endless request head, one byte per connection per second, spread
/// evenly over the second; a connection the server closes (or answers) is counted and replaced.
class attack {
public:
    attack(int port, int n) : port_(port), n_(n) {}
    ~attack() { stop(); }

    void start() {
        thread_ = std::thread([this] { run(); });
    }
    void stop() {
        running_ = false;
        if (thread_.joinable()) thread_.join();
    }
    int connected() const { return connected_.load(); }
    long cut() const { return cut_.load(); }
    long refused() const { return refused_.load(); }

private:
    struct conn {
        int fd = -1;
        std::size_t sent = 0;
    };

    static const std::string& head() {
        static const std::string h = [] {
            std::string s = "POST /webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
            s.append(1 << 16, 'a');
            return s;
        }();
        return h;
    }

    int open_one() {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port_));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 && errno != EINPROGRESS) {
            ::close(fd);
            refused_++;
            return -1;
        }
        return fd;
    }

    /// The server closed (EOF, reset) or answered on this connection.
    static bool closed_by_server(int fd) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) return false;
        return (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
    }

    void run() {
        std::vector<conn> conns(static_cast<std::size_t>(n_));
        for (auto& c : conns) c.fd = open_one();
        const auto slices = 100; // a tick every 10 ms, each writing to 1/100 of the connections
        auto next = clock_type::now();
        std::size_t slice = 0;
        while (running_) {
            const std::size_t from = slice * conns.size() / slices, to = (slice + 1) * conns.size() / slices;
            for (std::size_t i = from; i < to; ++i) {
                auto& c = conns[i];
                if (c.fd >= 0 && closed_by_server(c.fd)) {
                    ::close(c.fd);
                    c.fd = -1;
                    cut_++;
                }
                if (c.fd < 0) {
                    c.fd = open_one();
                    c.sent = 0;
                    continue;
                }
                const char b = head()[c.sent % head().size()];
                const auto w = ::send(c.fd, &b, 1, MSG_NOSIGNAL);
                if (w == 1) {
                    c.sent++;
                } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN) {
                    ::close(c.fd);
                    c.fd = -1;
                    cut_++;
                }
            }
            int n = 0;
            for (const auto& c : conns) n += c.fd >= 0 && c.sent > 0;
            connected_ = n;
            slice = (slice + 1) % slices;
            next += std::chrono::milliseconds(10);
            std::this_thread::sleep_until(next);
        }
        for (auto& c : conns)
            if (c.fd >= 0) ::close(c.fd);
    }

    int port_;
    int n_;
    std::atomic<bool> running_{true};
    std::atomic<int> connected_{0};
    std::atomic<long> cut_{0}, refused_{0};
    std::thread thread_;
};

struct phase_result {
    std::vector<double> ms;
    int failed = 0;
    double p(double q) const {
        if (ms.empty()) return 0;
        auto v = ms;
        std::sort(v.begin(), v.end());
        return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
    }
    double max() const { return ms.empty() ? 0 : *std::max_element(ms.begin(), ms.end()); }
};

/// Valid webhooks at `rate` per second for `seconds`, on one keep-alive client (reconnecting when
/// needed), each with a fresh id. The phase ends after `seconds` even when requests stalled: what
/// could not be sent by then counts as failed, like what got no answer within `timeout`.
phase_result send_valid(int port, const options& o, const std::string& tag) {
    auto key = hookline::secret::parse(secret_text);
    hookline::standard_signer signer(*key);
    httplib::Client client("127.0.0.1", port);
    client.set_tcp_nodelay(true);
    client.set_keep_alive(true);
    client.set_connection_timeout(o.timeout, 0);
    client.set_read_timeout(o.timeout, 0);
    client.set_write_timeout(o.timeout, 0);
    const std::string body = R"({"type":"invoice.paid","data":{"amount":1000}})";
    phase_result r;
    const int total = o.rate * o.seconds;
    const auto period = std::chrono::microseconds(1000000 / o.rate);
    auto next = clock_type::now();
    const auto end = next + std::chrono::seconds(o.seconds);
    for (int i = 0; i < total; ++i) {
        if (clock_type::now() >= end) { // requests stalled: the ones never sent in time count as failed
            r.failed += total - i;
            break;
        }
        std::this_thread::sleep_until(next);
        next += period;
        const std::string id = "msg_" + tag + std::to_string(i);
        auto signed_headers = signer.sign({.id = id, .body = body, .timestamp = hookline::unix_now()});
        httplib::Headers h;
        for (const auto& f : *signed_headers) h.emplace(std::string(f.name), std::string(f.value));
        const auto t0 = clock_type::now();
        auto res = client.Post("/webhooks", h, body, "application/json");
        const auto dt = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
        if (res && res->status == 200) {
            r.ms.push_back(dt);
        } else {
            r.failed++;
            client.stop();
        }
        if (next < clock_type::now()) next = clock_type::now(); // a stalled request does not cause a burst
    }
    return r;
}

bool parse(int argc, char** argv, options& o) {
    if (argc < 2) return false;
    o.binary = argv[1];
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](int& out) {
            if (i + 1 >= argc) return false;
            out = std::atoi(argv[++i]);
            return out > 0;
        };
        if (a == "--server" && i + 1 < argc) {
            o.server = argv[++i];
        } else if (a == "--attackers") {
            if (!value(o.attackers)) return false;
        } else if (a == "--seconds") {
            if (!value(o.seconds)) return false;
        } else if (a == "--rate") {
            if (!value(o.rate)) return false;
        } else if (a == "--timeout") {
            if (!value(o.timeout)) return false;
        } else if (a == "--json") {
            o.json = true;
        } else {
            return false;
        }
    }
    return o.server == "beast" || o.server == "httplib" || o.server == "httplib-default";
}
} // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse(argc, argv, o)) {
        std::fprintf(stderr, "usage: slow_clients SERVER_BINARY --server beast|httplib|httplib-default "
                             "[--attackers N] [--seconds S] [--rate R] [--timeout T] [--json]\n");
        return 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    raise_nofile();
    server_process server;
    if (!server.start(o)) {
        std::fprintf(stderr, "slow_clients: the server did not start\n");
        return 1;
    }
    // Warm-up (unmeasured): the server's first requests pay for page faults and lazy set-up.
    {
        options warm = o;
        warm.seconds = 1;
        (void)send_valid(server.port, warm, "warm");
    }
    auto base = send_valid(server.port, o, "base");
    attack a(server.port, o.attackers);
    a.start();
    // Every attacker connected and trickling (bounded: 30 s), then the measured phase.
    const auto until = clock_type::now() + std::chrono::seconds(30);
    while (a.connected() < o.attackers * 95 / 100 && clock_type::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const int connected_at_start = a.connected();
    const auto hit = send_valid(server.port, o, "attack");
    const int connected_at_end = a.connected();
    a.stop();
    // A second baseline after the attack, pooled with the first: the ratio then does not depend on
    // which phase ran first (the machine's own drift shows in both).
    const auto after = send_valid(server.port, o, "after");
    base.ms.insert(base.ms.end(), after.ms.begin(), after.ms.end());
    base.failed += after.failed;
    const double ratio = base.p(0.99) > 0 ? hit.p(0.99) / base.p(0.99) : 0;
    if (o.json) {
        std::printf("{\"server\":\"%s\",\"attackers\":%d,\"rate\":%d,\"seconds\":%d,"
                    "\"base_p50_ms\":%.3f,\"base_p99_ms\":%.3f,\"base_max_ms\":%.3f,\"base_failed\":%d,"
                    "\"attack_p50_ms\":%.3f,\"attack_p99_ms\":%.3f,\"attack_max_ms\":%.3f,\"attack_ok\":%zu,"
                    "\"attack_failed\":%d,\"p99_ratio\":%.3f,\"attackers_connected\":[%d,%d],\"cut\":%ld,"
                    "\"refused\":%ld}\n",
                    o.server.c_str(), o.attackers, o.rate, o.seconds, base.p(0.5), base.p(0.99), base.max(),
                    base.failed, hit.p(0.5), hit.p(0.99), hit.max(), hit.ms.size(), hit.failed, ratio,
                    connected_at_start, connected_at_end, a.cut(), a.refused());
    } else {
        std::printf("slow_clients %s: %d attackers at 1 byte/s, valid webhooks at %d/s for %d s per phase\n",
                    o.server.c_str(), o.attackers, o.rate, o.seconds);
        std::printf("  baseline: p50 %.2f ms  p99 %.2f ms  max %.2f ms  failed %d\n", base.p(0.5), base.p(0.99),
                    base.max(), base.failed);
        std::printf("  attack:   p50 %.2f ms  p99 %.2f ms  max %.2f ms  answered %zu  failed %d  "
                    "(attackers connected %d -> %d, cut off by the server %ld, refused %ld)\n",
                    hit.p(0.5), hit.p(0.99), hit.max(), hit.ms.size(), hit.failed, connected_at_start, connected_at_end,
                    a.cut(), a.refused());
        std::printf("  p99 attack / baseline: %.2f\n", ratio);
    }
    return 0;
}
