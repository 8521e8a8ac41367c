// The scale driver's loopback receiver: one epoll thread serving four listening ports, one per
// behaviour, each port serving any number of endpoints told apart by URL path (/e/<n>):
//   fast    answers 200 at once, and records send -> handler latency from the body's "sent_ns"; a
//           body with "fail_until_ns":N while steady_ns() < N is answered 503 instead (counted in
//           fast.failed, no latency recorded): a failing ordering key (benchmarks/ordering/)
//   slow    answers 200 after a delay (a timer heap, not a thread per request)
//   never   reads the request and never answers (the sender must time out)
//   tarpit  accepts connections and never reads from them
// A minimal HTTP/1.1 responder (request head plus Content-Length body, keep-alive, pipelined
// requests answered in order), written for the benchmark; it is no HTTP server to reuse.
//
// It runs in its own process (receiver_process forks it) so that the sender's thread count, RSS and
// CPU time are not mixed with the receiver's. The parent talks to it over a socket pair, one line per
// command and per answer:
//   stats                          -> "stats k=v k=v ..." (the counters below, latency, CPU time)
//   reset                          -> "ok" (counters, peaks and latency samples back to zero)
//   delay MS                       -> "ok" (the slow endpoints' delay from now on)
//   wait COUNTER VALUE TIMEOUT_MS  -> "stats reached=0|1 ..." as soon as COUNTER >= VALUE, or at the
//                                     timeout (a bounded wait that needs no polling by the parent)
//   quit (or end of file)          -> exits
// Counters, per behaviour B (fast, slow, never, tarpit): B.accepted (connections), B.conns (open now),
// B.peak_conns, B.requests (complete requests read), B.answered, B.inflight (read, not yet
// answered), B.peak_inflight; and conns, peak_conns, inflight, peak_inflight over all four, bad
// (malformed requests), accept_errors, fast.failed (503s for "fail_until_ns"), lat.count, lat.p50_ns,
// lat.p99_ns, lat.max_ns (fast only), cpu.user_us, cpu.sys_us (the receiver process).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scale {

enum class behaviour { fast, slow, never, tarpit };
inline constexpr std::array<behaviour, 4> all_behaviours{behaviour::fast, behaviour::slow, behaviour::never,
                                                         behaviour::tarpit};

constexpr std::string_view name_of(behaviour b) noexcept {
    switch (b) {
    case behaviour::fast: return "fast";
    case behaviour::slow: return "slow";
    case behaviour::never: return "never";
    case behaviour::tarpit: return "tarpit";
    }
    return "?";
}

inline std::optional<behaviour> parse_behaviour(std::string_view s) noexcept {
    for (auto b : all_behaviours)
        if (name_of(b) == s) return b;
    return std::nullopt;
}

/// Steady-clock nanoseconds (CLOCK_MONOTONIC: the same clock in the driver and the forked receiver).
inline std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

/// Raises the soft RLIMIT_NOFILE to the hard limit; returns the new soft limit.
inline long long raise_nofile_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return -1;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
        (void)::getrlimit(RLIMIT_NOFILE, &rl);
    }
    return static_cast<long long>(rl.rlim_cur);
}

struct receiver_config {
    std::chrono::milliseconds slow_delay{3000};
    int backlog = 4096; // capped by net.core.somaxconn
};

namespace detail {

inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
        if (x >= 'A' && x <= 'Z') x = static_cast<unsigned char>(x + 32);
        if (y >= 'A' && y <= 'Z') y = static_cast<unsigned char>(y + 32);
        if (x != y) return false;
    }
    return true;
}

inline bool icontains(std::string_view hay, std::string_view needle) noexcept {
    for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
        if (iequals(hay.substr(i, needle.size()), needle)) return true;
    return false;
}

inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// The integer after `key` (`"name":`) in a JSON body, if any.
inline std::optional<std::int64_t> int_field_of(std::string_view body, std::string_view key) noexcept {
    auto at = body.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    auto digits = body.substr(at + key.size());
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc{} || end == digits.data()) return std::nullopt;
    return v;
}

/// The integer after `"sent_ns":` in a JSON body, if any.
inline std::optional<std::int64_t> sent_ns_of(std::string_view body) noexcept {
    return int_field_of(body, "\"sent_ns\":");
}

} // namespace detail

/// The receiver itself (runs in the calling thread: `run`).
class receiver {
public:
    explicit receiver(receiver_config config) : config_(config) {
        epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
        if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
        for (auto b : all_behaviours) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (fd < 0) throw std::runtime_error("socket failed");
            const int one = 1;
            (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            addr.sin_port = 0;
            if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, config_.backlog) != 0)
                throw std::runtime_error("bind/listen on 127.0.0.1 failed");
            socklen_t len = sizeof addr;
            (void)::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
            const auto k = static_cast<std::size_t>(b);
            listeners_[k] = fd;
            ports_[k] = ntohs(addr.sin_port);
            add_to_epoll(fd, EPOLLIN, tag_listener + k);
        }
    }

    receiver(const receiver&) = delete;
    receiver& operator=(const receiver&) = delete;

    ~receiver() {
        for (auto& c : conns_)
            if (c) ::close(c->fd);
        for (int fd : listeners_)
            if (fd >= 0) ::close(fd);
        if (epoll_ >= 0) ::close(epoll_);
    }

    int port(behaviour b) const noexcept { return ports_[static_cast<std::size_t>(b)]; }

    /// The line announcing the ports: "ports fast=P slow=P never=P tarpit=P".
    std::string ports_line() const {
        std::string s = "ports";
        for (auto b : all_behaviours) s += " " + std::string(name_of(b)) + "=" + std::to_string(port(b));
        return s;
    }

    /// Serves until "quit" or end of file on `control_in`; answers go to `control_out`.
    void run(int control_in, int control_out) {
        control_out_ = control_out;
        add_to_epoll(control_in, EPOLLIN, tag_control);
        control_in_ = control_in;
        std::vector<epoll_event> events(1024);
        while (running_) {
            const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), next_timeout_ms());
            if (n < 0 && errno != EINTR) break;
            for (int i = 0; i < n; ++i) dispatch(events[static_cast<std::size_t>(i)]);
            fire_timers();
            check_waits();
        }
    }

private:
    static constexpr std::uint64_t tag_conn = 0, tag_control = 1, tag_listener = 8; // + behaviour
    static constexpr std::size_t max_buffered = std::size_t{1} << 20;               // per connection
    static constexpr std::size_t max_head = std::size_t{64} * 1024;

    struct connection {
        int fd = -1;
        behaviour kind = behaviour::fast;
        std::uint64_t gen = 0;
        std::string in{};
        std::size_t in_off = 0;
        std::string out{};
        std::size_t out_off = 0;
        bool held = false;        // a request is read and its answer is owed (slow, never)
        bool close_after = false; // Connection: close (or HTTP/1.0), or a malformed request
        bool want_out = false;    // EPOLLOUT registered
    };

    struct counters {
        long long accepted = 0, conns = 0, peak_conns = 0, requests = 0, answered = 0, inflight = 0, peak_inflight = 0;
    };

    struct timer {
        std::int64_t due = 0;
        int fd = -1;
        std::uint64_t gen = 0;
        bool operator>(const timer& o) const noexcept { return due > o.due; }
    };

    struct pending_wait {
        std::string counter;
        long long value = 0;
        std::int64_t deadline = 0;
    };

    void add_to_epoll(int fd, std::uint32_t ev, std::uint64_t tag) {
        epoll_event e{};
        e.events = ev;
        e.data.u64 = (tag << 32) | static_cast<std::uint32_t>(fd);
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &e) != 0) throw std::runtime_error("epoll_ctl ADD failed");
    }
    void modify_epoll(int fd, std::uint32_t ev, std::uint64_t tag) {
        epoll_event e{};
        e.events = ev;
        e.data.u64 = (tag << 32) | static_cast<std::uint32_t>(fd);
        (void)::epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &e);
    }

    static std::uint32_t read_events(behaviour k) {
        // A tarpit never reads: it only learns that the peer went away.
        return k == behaviour::tarpit ? EPOLLRDHUP : EPOLLIN | EPOLLRDHUP;
    }

    int next_timeout_ms() const {
        std::int64_t next = -1;
        if (!timers_.empty()) next = timers_.top().due;
        for (const auto& w : waits_) next = next < 0 ? w.deadline : std::min(next, w.deadline);
        if (next < 0) return 1000;
        const std::int64_t ms = (next - steady_ns() + 999'999) / 1'000'000;
        return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 1000));
    }

    void dispatch(const epoll_event& e) {
        const auto tag = e.data.u64 >> 32;
        const int fd = static_cast<int>(e.data.u64 & 0xffffffffu);
        if (tag == tag_control) return read_control();
        if (tag >= tag_listener) return accept_all(static_cast<behaviour>(tag - tag_listener));
        connection* c = find(fd);
        if (!c) return;
        if (e.events & (EPOLLERR | EPOLLHUP)) return close_conn(*c);
        if (c->kind == behaviour::tarpit) {
            if (e.events & EPOLLRDHUP) close_conn(*c);
            return;
        }
        if (e.events & EPOLLOUT) {
            if (!flush(*c)) return;
        }
        if (e.events & (EPOLLIN | EPOLLRDHUP)) read_conn(*c);
    }

    connection* find(int fd) const {
        auto i = static_cast<std::size_t>(fd);
        return i < conns_.size() ? conns_[i].get() : nullptr;
    }

    counters& of(behaviour k) { return by_kind_[static_cast<std::size_t>(k)]; }

    void accept_all(behaviour k) {
        for (;;) {
            const int fd =
                ::accept4(listeners_[static_cast<std::size_t>(k)], nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED) continue;
                if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                    // Out of descriptors: stop accepting until a connection closes (a level-triggered
                    // listener would otherwise spin).
                    ++accept_errors_;
                    pause_listeners(true);
                }
                return;
            }
            const int one = 1;
            (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            auto c = std::make_unique<connection>();
            c->fd = fd;
            c->kind = k;
            c->gen = ++gen_;
            const auto i = static_cast<std::size_t>(fd);
            if (conns_.size() <= i) conns_.resize(i + 1024);
            add_to_epoll(fd, read_events(k), tag_conn);
            conns_[i] = std::move(c);
            auto& ct = of(k);
            ++ct.accepted;
            ct.peak_conns = std::max(ct.peak_conns, ++ct.conns);
            peak_conns_ = std::max(peak_conns_, ++conns_total_);
        }
    }

    void pause_listeners(bool pause) {
        if (listeners_paused_ == pause) return;
        listeners_paused_ = pause;
        for (auto b : all_behaviours) {
            const auto k = static_cast<std::size_t>(b);
            modify_epoll(listeners_[k], pause ? 0u : static_cast<std::uint32_t>(EPOLLIN), tag_listener + k);
        }
    }

    void close_conn(connection& c) {
        if (c.held) release_held(c);
        auto& ct = of(c.kind);
        --ct.conns;
        --conns_total_;
        const int fd = c.fd;
        (void)::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
        ::close(fd);
        conns_[static_cast<std::size_t>(fd)].reset(); // c is gone
        if (listeners_paused_) pause_listeners(false);
    }

    void release_held(connection& c) {
        c.held = false;
        --of(c.kind).inflight;
        --inflight_total_;
    }

    void hold(connection& c) {
        c.held = true;
        auto& ct = of(c.kind);
        ct.peak_inflight = std::max(ct.peak_inflight, ++ct.inflight);
        peak_inflight_ = std::max(peak_inflight_, ++inflight_total_);
    }

    /// Reads what is there; returns false when the connection was closed.
    bool read_conn(connection& c) {
        for (;;) {
            const ssize_t n = ::recv(c.fd, buf_.data(), buf_.size(), 0);
            if (n > 0) {
                c.in.append(buf_.data(), static_cast<std::size_t>(n));
                if (c.in.size() - c.in_off > max_buffered) {
                    close_conn(c);
                    return false;
                }
                if (static_cast<std::size_t>(n) < buf_.size()) break;
                continue;
            }
            if (n == 0) { // the peer closed (it timed out, or is done)
                close_conn(c);
                return false;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            close_conn(c);
            return false;
        }
        return process(c);
    }

    /// Handles the complete requests buffered, in order; stops at a held one. False when closed.
    bool process(connection& c) {
        while (!c.held && !c.close_after) {
            std::string_view avail(c.in.data() + c.in_off, c.in.size() - c.in_off);
            const auto end = avail.find("\r\n\r\n");
            if (end == std::string_view::npos) {
                if (avail.size() > max_head) return bad_request(c);
                break;
            }
            std::string_view head = avail.substr(0, end);
            const auto line_end = head.find("\r\n");
            const std::string_view line = head.substr(0, line_end);
            const auto sp1 = line.find(' ');
            const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
            if (sp2 == std::string_view::npos) return bad_request(c);
            const std::string_view version = line.substr(sp2 + 1);
            bool close_after = version == "HTTP/1.0";
            std::size_t length = 0;
            std::string_view fields =
                line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 2);
            while (!fields.empty()) {
                const auto eol = fields.find("\r\n");
                const std::string_view f = fields.substr(0, eol);
                fields = eol == std::string_view::npos ? std::string_view{} : fields.substr(eol + 2);
                const auto colon = f.find(':');
                if (colon == std::string_view::npos) return bad_request(c);
                const auto name = f.substr(0, colon);
                const auto value = detail::trim(f.substr(colon + 1));
                if (detail::iequals(name, "content-length")) {
                    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
                    if (ec != std::errc{} || p != value.data() + value.size() || length > max_buffered)
                        return bad_request(c);
                } else if (detail::iequals(name, "transfer-encoding")) {
                    return bad_request(c); // not needed by the benchmark: no chunked bodies
                } else if (detail::iequals(name, "connection")) {
                    if (detail::icontains(value, "close")) close_after = true;
                    if (detail::icontains(value, "keep-alive")) close_after = false;
                }
            }
            const std::size_t total = end + 4 + length;
            if (avail.size() < total) break; // the body is still coming
            const std::string_view body = avail.substr(end + 4, length);
            c.in_off += total;
            c.close_after = close_after;
            ++of(c.kind).requests;
            switch (c.kind) {
            case behaviour::fast:
                if (auto until = detail::int_field_of(body, "\"fail_until_ns\":"); until && steady_ns() < *until) {
                    ++fast_failed_;
                    hold(c);
                    if (!answer(c, false)) return false;
                    break;
                }
                if (auto sent = detail::sent_ns_of(body)) latencies_.push_back(steady_ns() - *sent);
                hold(c);
                if (!answer(c)) return false;
                break;
            case behaviour::slow:
                hold(c);
                timers_.push({steady_ns() + std::chrono::nanoseconds(config_.slow_delay).count(), c.fd, c.gen});
                break;
            case behaviour::never: hold(c); break;
            case behaviour::tarpit: break; // not reached: a tarpit never reads
            }
        }
        if (c.in_off == c.in.size()) {
            c.in.clear();
            c.in_off = 0;
        } else if (c.in_off > 64 * 1024) {
            c.in.erase(0, c.in_off);
            c.in_off = 0;
        }
        return true;
    }

    bool bad_request(connection& c) {
        ++bad_;
        c.close_after = true;
        c.out += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        return flush(c);
    }

    /// Answers the held request (200, or 503 when not `ok`); false when the connection was closed.
    bool answer(connection& c, bool ok = true) {
        release_held(c);
        ++of(c.kind).answered;
        c.out += ok ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 503 Service Unavailable\r\n";
        c.out += c.close_after ? "Content-Length: 0\r\nConnection: close\r\n\r\n" : "Content-Length: 0\r\n\r\n";
        return flush(c);
    }

    /// Writes what is pending; false when the connection was closed.
    bool flush(connection& c) {
        while (c.out_off < c.out.size()) {
            const ssize_t n = ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
            if (n >= 0) {
                c.out_off += static_cast<std::size_t>(n);
                continue;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!c.want_out) {
                    c.want_out = true;
                    modify_epoll(c.fd, read_events(c.kind) | EPOLLOUT, tag_conn);
                }
                return true;
            }
            close_conn(c);
            return false;
        }
        c.out.clear();
        c.out_off = 0;
        if (c.want_out) {
            c.want_out = false;
            modify_epoll(c.fd, read_events(c.kind), tag_conn);
        }
        if (c.close_after) {
            close_conn(c);
            return false;
        }
        return true;
    }

    void fire_timers() {
        if (timers_.empty()) return;
        const std::int64_t now = steady_ns();
        while (!timers_.empty() && timers_.top().due <= now) {
            const timer t = timers_.top();
            timers_.pop();
            connection* c = find(t.fd);
            if (!c || c->gen != t.gen || !c->held) continue; // closed meanwhile
            if (answer(*c)) process(*c);                     // a pipelined request may be waiting
        }
    }

    // --- control ---------------------------------------------------------------------------------

    void read_control() {
        char tmp[4096];
        const ssize_t n = ::read(control_in_, tmp, sizeof tmp);
        if (n <= 0) {
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
            running_ = false; // the driver went away
            return;
        }
        control_buf_.append(tmp, static_cast<std::size_t>(n));
        for (auto eol = control_buf_.find('\n'); eol != std::string::npos; eol = control_buf_.find('\n')) {
            const std::string line = control_buf_.substr(0, eol);
            control_buf_.erase(0, eol + 1);
            command(line);
        }
    }

    void reply(std::string line) {
        line.push_back('\n');
        std::size_t off = 0;
        while (off < line.size()) {
            const ssize_t n = ::write(control_out_, line.data() + off, line.size() - off);
            if (n < 0) {
                if (errno == EINTR) continue;
                running_ = false;
                return;
            }
            off += static_cast<std::size_t>(n);
        }
    }

    void command(std::string_view line) {
        std::vector<std::string_view> words;
        while (!line.empty()) {
            const auto sp = line.find(' ');
            if (sp != 0) words.push_back(line.substr(0, sp));
            line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
        }
        if (words.empty()) return;
        auto number = [](std::string_view s) {
            long long v = 0;
            std::from_chars(s.data(), s.data() + s.size(), v);
            return v;
        };
        if (words[0] == "stats") {
            reply("stats " + stats_line());
        } else if (words[0] == "reset") {
            for (auto& ct : by_kind_) {
                ct.accepted = ct.requests = ct.answered = 0;
                ct.peak_conns = ct.conns;
                ct.peak_inflight = ct.inflight;
            }
            peak_conns_ = conns_total_;
            peak_inflight_ = inflight_total_;
            bad_ = accept_errors_ = fast_failed_ = 0;
            latencies_.clear();
            reply("ok");
        } else if (words[0] == "delay" && words.size() == 2) {
            config_.slow_delay = std::chrono::milliseconds(number(words[1]));
            reply("ok");
        } else if (words[0] == "wait" && words.size() == 4) {
            waits_.push_back({std::string(words[1]), number(words[2]), steady_ns() + number(words[3]) * 1'000'000});
            check_waits();
        } else if (words[0] == "quit") {
            running_ = false;
        } else {
            reply("error unknown command");
        }
    }

    void check_waits() {
        if (waits_.empty()) return;
        const std::int64_t now = steady_ns();
        for (auto it = waits_.begin(); it != waits_.end();) {
            const bool reached = counter(it->counter) >= it->value;
            if (reached || now >= it->deadline) {
                reply(std::string("stats reached=") + (reached ? "1 " : "0 ") + stats_line());
                it = waits_.erase(it);
            } else {
                ++it;
            }
        }
    }

    void for_each_counter(const std::function<void(std::string_view, long long)>& f) const {
        for (auto b : all_behaviours) {
            const auto& ct = by_kind_[static_cast<std::size_t>(b)];
            const std::string p(name_of(b));
            f(p + ".accepted", ct.accepted);
            f(p + ".conns", ct.conns);
            f(p + ".peak_conns", ct.peak_conns);
            f(p + ".requests", ct.requests);
            f(p + ".answered", ct.answered);
            f(p + ".inflight", ct.inflight);
            f(p + ".peak_inflight", ct.peak_inflight);
        }
        f("fast.failed", fast_failed_);
        f("conns", conns_total_);
        f("peak_conns", peak_conns_);
        f("inflight", inflight_total_);
        f("peak_inflight", peak_inflight_);
        f("bad", bad_);
        f("accept_errors", accept_errors_);
        f("lat.count", static_cast<long long>(latencies_.size()));
    }

    long long counter(std::string_view name) const {
        long long v = -1;
        for_each_counter([&](std::string_view n, long long x) {
            if (n == name) v = x;
        });
        return v;
    }

    std::string stats_line() {
        std::string s;
        for_each_counter(
            [&](std::string_view n, long long v) { s.append(n).append("=").append(std::to_string(v)).append(" "); });
        if (!latencies_.empty()) {
            std::vector<std::int64_t> v = latencies_;
            auto at = [&](double q) {
                auto i = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1));
                std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v.end());
                return v[i];
            };
            s += "lat.p50_ns=" + std::to_string(at(0.50)) + " lat.p99_ns=" + std::to_string(at(0.99)) +
                 " lat.max_ns=" + std::to_string(*std::max_element(v.begin(), v.end())) + " ";
        }
        rusage ru{};
        ::getrusage(RUSAGE_SELF, &ru);
        auto us = [](const timeval& t) { return static_cast<long long>(t.tv_sec) * 1'000'000 + t.tv_usec; };
        s += "cpu.user_us=" + std::to_string(us(ru.ru_utime)) + " cpu.sys_us=" + std::to_string(us(ru.ru_stime));
        return s;
    }

    receiver_config config_;
    int epoll_ = -1;
    std::array<int, 4> listeners_{-1, -1, -1, -1};
    std::array<int, 4> ports_{};
    bool listeners_paused_ = false;
    int control_in_ = -1, control_out_ = -1;
    std::string control_buf_{};
    bool running_ = true;
    std::vector<std::unique_ptr<connection>> conns_{};
    std::uint64_t gen_ = 0;
    std::array<counters, 4> by_kind_{};
    long long conns_total_ = 0, peak_conns_ = 0, inflight_total_ = 0, peak_inflight_ = 0, bad_ = 0, accept_errors_ = 0;
    long long fast_failed_ = 0; // fast requests answered 503 ("fail_until_ns")
    std::vector<std::int64_t> latencies_{};
    std::priority_queue<timer, std::vector<timer>, std::greater<>> timers_{};
    std::vector<pending_wait> waits_{};
    std::array<char, 65536> buf_{};
};

/// Counters as the receiver reports them (name -> value); absent names read as 0.
struct receiver_stats {
    std::map<std::string, long long, std::less<>> values{};
    long long operator[](std::string_view name) const {
        auto it = values.find(name);
        return it == values.end() ? 0 : it->second;
    }
    bool has(std::string_view name) const { return values.find(name) != values.end(); }

    static receiver_stats parse(std::string_view line) {
        receiver_stats s;
        while (!line.empty()) {
            const auto sp = line.find(' ');
            const auto word = line.substr(0, sp);
            line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
            const auto eq = word.find('=');
            if (eq == std::string_view::npos) continue;
            long long v = 0;
            const auto digits = word.substr(eq + 1);
            std::from_chars(digits.data(), digits.data() + digits.size(), v);
            s.values.emplace(std::string(word.substr(0, eq)), v);
        }
        return s;
    }
};

/// The receiver in a forked child process, driven over a socket pair. Start it before the parent
/// creates any thread (fork copies only the calling thread).
class receiver_process {
public:
    explicit receiver_process(receiver_config config) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw std::runtime_error("socketpair");
        std::fflush(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::close(sv[0]);
            (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
            (void)raise_nofile_limit();
            ::signal(SIGPIPE, SIG_IGN);
            int status = 0;
            try {
                receiver r(config);
                const std::string line = r.ports_line() + "\n";
                if (::write(sv[1], line.data(), line.size()) < 0) ::_exit(1);
                r.run(sv[1], sv[1]);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "scale receiver: %s\n", e.what());
                status = 1;
            }
            ::_exit(status);
        }
        ::close(sv[1]);
        fd_ = sv[0];
        const std::string ports = read_line(std::chrono::seconds(10));
        auto s = receiver_stats::parse(ports);
        for (auto b : all_behaviours) ports_[static_cast<std::size_t>(b)] = static_cast<int>(s[name_of(b)]);
        if (ports_[0] == 0) throw std::runtime_error("receiver did not start: " + ports);
    }

    receiver_process(const receiver_process&) = delete;
    receiver_process& operator=(const receiver_process&) = delete;

    ~receiver_process() {
        if (fd_ >= 0) {
            const char quit[] = "quit\n";
            (void)!::write(fd_, quit, sizeof quit - 1);
            ::close(fd_);
        }
        if (pid_ > 0) ::waitpid(pid_, nullptr, 0);
    }

    int port(behaviour b) const noexcept { return ports_[static_cast<std::size_t>(b)]; }
    pid_t pid() const noexcept { return pid_; }

    receiver_stats stats() { return receiver_stats::parse(ask("stats", std::chrono::seconds(10))); }
    void reset() { (void)ask("reset", std::chrono::seconds(10)); }
    void set_delay(std::chrono::milliseconds d) {
        (void)ask("delay " + std::to_string(d.count()), std::chrono::seconds(10));
    }

    /// Returns as soon as `counter` >= `value` at the receiver, or after `timeout`; "reached" tells which.
    receiver_stats wait_for(std::string_view counter, long long value, std::chrono::milliseconds timeout) {
        const auto ms = std::max<long long>(0, timeout.count());
        return receiver_stats::parse(
            ask("wait " + std::string(counter) + " " + std::to_string(value) + " " + std::to_string(ms),
                timeout + std::chrono::seconds(10)));
    }

private:
    std::string ask(const std::string& command, std::chrono::milliseconds bound) {
        const std::string line = command + "\n";
        std::size_t off = 0;
        while (off < line.size()) {
            const ssize_t n = ::write(fd_, line.data() + off, line.size() - off);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error("receiver control write failed");
            }
            off += static_cast<std::size_t>(n);
        }
        return read_line(bound);
    }

    std::string read_line(std::chrono::milliseconds bound) {
        const auto deadline = std::chrono::steady_clock::now() + bound;
        for (;;) {
            if (auto eol = buf_.find('\n'); eol != std::string::npos) {
                std::string line = buf_.substr(0, eol);
                buf_.erase(0, eol + 1);
                return line;
            }
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) throw std::runtime_error("receiver did not answer in time");
            pollfd p{fd_, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(left.count()));
            if (r < 0 && errno != EINTR) throw std::runtime_error("poll on the receiver control socket failed");
            if (r <= 0) continue;
            char tmp[8192];
            const ssize_t n = ::read(fd_, tmp, sizeof tmp);
            if (n == 0) throw std::runtime_error("the receiver process exited");
            if (n < 0) {
                if (errno == EINTR) continue;
                throw std::runtime_error("receiver control read failed");
            }
            buf_.append(tmp, static_cast<std::size_t>(n));
        }
    }

    pid_t pid_ = -1;
    int fd_ = -1;
    std::array<int, 4> ports_{};
    std::string buf_{};
};

} // namespace scale
