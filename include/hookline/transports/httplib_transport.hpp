/// \file `httplib_transport`: the stock `transport`, on cpp-httplib, with SSRF protection, a total
/// timeout, a capped response body, TLS verification and a keep-alive connection pool. cpp-httplib
/// connects (proxy and TLS handshake included); the request and response bytes are hookline's own
/// (`http1.hpp`), see `detail::exchange_client`.
///
/// Thread-safety: `send` is const and safe to call from any number of threads at once. Copies share
/// one connection pool and one deadline watchdog; the last copy to go away closes them (no `send`
/// may still be running then).
///
/// SIGPIPE: cpp-httplib 0.11.4 writes with `send(..., 0)` (no MSG_NOSIGNAL), and everything over TLS goes
/// through OpenSSL, so a write to a connection the peer has reset raises SIGPIPE, whose default action kills the
/// process. By default (`sigpipe_handling::block_in_send`) `send` blocks SIGPIPE in the calling thread for the duration
/// of the call and discards a SIGPIPE it caused (the libpq technique); nothing process-wide changes. In a thread that
/// called `detail::block_sigpipe_for_this_thread()` (a sender's worker threads do) SIGPIPE stays blocked for good,
/// `send` makes no signal-mask calls, and a pending SIGPIPE is discarded after a failed request. `ignore_process_wide`
/// sets SIGPIPE to SIG_IGN once at construction; `leave_alone` does nothing (choose it when your program already
/// ignores SIGPIPE).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/transports/address_policy.hpp>
#include <hookline/transports/detail/http1.hpp>
#include <hookline/transports/transport.hpp>

#include <httplib.h>
#include <openssl/err.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// What `httplib_transport` does about SIGPIPE (see the file comment).
enum class sigpipe_handling { block_in_send, ignore_process_wide, leave_alone };

/// Options for `httplib_transport`; aggregate, use designated initialisers.
struct httplib_transport_options {
    /// Used when a request's `timeout` is zero. Covers resolution, connection, TLS, sending and receiving.
    std::chrono::milliseconds total_timeout = std::chrono::seconds(15);
    /// Upper bound on the TCP connect (and never more than what is left of the total timeout).
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
    /// Response body bytes read at most; the rest is not read and the connection is closed.
    std::size_t max_response_body = std::size_t{64} * 1024;
    /// With a longer body: false truncates (`http_response::body_truncated`), true fails with
    /// `errc::response_too_large`.
    bool fail_on_large_response = false;
    /// Destination address policy (SSRF protection). Default: public unicast addresses only.
    address_policy addresses{};
    /// Verify the server's certificate chain and host name. Leave on.
    bool verify_tls = true;
    std::string ca_file{};          ///< PEM bundle of trusted CAs; empty with `ca_dir` empty: the system store
    std::string ca_dir{};           ///< hashed CA directory (c_rehash)
    std::string client_cert_file{}; ///< PEM client certificate, for mutual TLS
    std::string client_key_file{};  ///< PEM private key (unencrypted) of `client_cert_file`
    /// Optional HTTP proxy (HTTPS goes through CONNECT). The proxy resolves the destination itself,
    /// so hookline can check the addresses it sees but cannot pin them: enforce SSRF rules at the proxy too.
    std::string proxy_host{};
    int proxy_port = 0;
    /// Sent when a request has no User-Agent of its own; empty: none. With a line break or NUL in it
    /// every `send` fails with `errc::invalid_argument`.
    std::string user_agent = std::string("hookline/") + HOOKLINE_VERSION_STRING;
    /// Idle keep-alive connections kept per origin (scheme, host, port, address). Concurrent requests
    /// to one origin each use their own connection; this caps only those kept for reuse.
    std::size_t max_idle_per_origin = 4;
    /// Idle connections kept across all origins (each holds a socket).
    std::size_t max_idle_total = 256;
    /// An idle connection older than this is closed instead of reused.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
    sigpipe_handling sigpipe = sigpipe_handling::block_in_send;
    /// Name resolution; empty: `hookline::resolve` (getaddrinfo). Whatever it returns is still checked
    /// against `addresses`. Tests use it to simulate DNS answers; it must be thread-safe.
    std::function<result<std::vector<ip_address>>(const std::string& host)> resolver{};
};

namespace detail {

/// Blocks SIGPIPE in this thread for its lifetime; a SIGPIPE raised meanwhile is consumed.
class sigpipe_blocker {
public:
    explicit sigpipe_blocker(bool active) : active_(active) {
        if (!active_) return;
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &block, &old_);
    }
    ~sigpipe_blocker() {
        if (!active_) return;
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                sigset_t only;
                sigemptyset(&only);
                sigaddset(&only, SIGPIPE);
                timespec zero{0, 0};
                while (sigtimedwait(&only, nullptr, &zero) < 0 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    sigpipe_blocker(const sigpipe_blocker&) = delete;
    sigpipe_blocker& operator=(const sigpipe_blocker&) = delete;

private:
    bool active_;
    bool was_pending_ = false;
    sigset_t old_{};
};

/// Marks SIGPIPE as blocked for good in the calling thread (a thread the library owns, such as a
/// sender's worker): blocks it once, and `httplib_transport` then skips its per-call signal-mask
/// calls in this thread. A SIGPIPE raised later in the thread stays pending and blocked, and is
/// discarded after a failed request. Idempotent.
inline thread_local bool sigpipe_blocked_for_thread = false;
inline void block_sigpipe_for_this_thread() noexcept {
    if (sigpipe_blocked_for_thread) return;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    sigpipe_blocked_for_thread = true;
}

/// Discards a SIGPIPE pending for this thread (only call where SIGPIPE is blocked).
inline void consume_pending_sigpipe() noexcept {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) != 1) return;
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&only, nullptr, &zero) < 0 && errno == EINTR) {
    }
}

struct exchange;

/// Where the transport leaves the `exchange` for an `exchange_client`'s next `send`, and how the
/// deadline watchdog interrupts the client's socket: through a duplicate of its descriptor, taken when
/// cpp-httplib creates the socket. `shutdown` on the duplicate ends a blocked connect, TLS handshake,
/// read or write at once, without the client's socket mutex (which cpp-httplib holds while it
/// connects and shakes hands) and without the risk of hitting a reused descriptor number (the
/// duplicate stays open until the next socket replaces it).
class exchange_slot {
public:
    exchange* pending = nullptr;

    exchange_slot() = default;
    exchange_slot(const exchange_slot&) = delete;
    exchange_slot& operator=(const exchange_slot&) = delete;
    virtual ~exchange_slot() {
        if (watch_fd_ >= 0) ::close(watch_fd_);
    }

    /// Carries `x` on the client's kept connection, if it has one (see `exchange_client`); false when
    /// it has none, and the request must go through cpp-httplib's `send`, which connects.
    virtual bool exchange_on_kept(exchange& x) = 0;

    /// cpp-httplib made a new socket.
    void watch(socket_t sock) noexcept {
        const int dup = ::fcntl(sock, F_DUPFD_CLOEXEC, 0);
        std::lock_guard lock(watch_mutex_);
        if (watch_fd_ >= 0) ::close(watch_fd_);
        watch_fd_ = dup;
    }
    /// Shuts the current socket down (any thread).
    void interrupt() noexcept {
        std::lock_guard lock(watch_mutex_);
        if (watch_fd_ >= 0) ::shutdown(watch_fd_, SHUT_RDWR);
    }

private:
    std::mutex watch_mutex_;
    int watch_fd_ = -1;
};

/// One thread that shuts down the connection of any request still running past its deadline
/// (`exchange_slot::interrupt`, or `ClientImpl::stop` for a client without a slot; both are safe while
/// another thread uses the client). cpp-httplib 0.11.4 only has per-operation timeouts; this makes
/// the total timeout hard, e.g. against a server that drips one header line, or one byte of its TLS
/// handshake, just inside each read timeout.
///
/// Cost per request: two short critical sections and no allocation (a `ticket` lives on the caller's
/// stack, linked into an intrusive list). The watchdog thread is woken only when a new deadline is
/// earlier than the time it already plans to look again; after the last request ends it keeps that
/// plan for `idle_linger` before sleeping until woken, so a steady stream of requests never wakes it.
class deadline_watchdog {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds idle_linger{1000};

    /// One watched request; must stay alive (and unmoved) between `add` and `remove`.
    struct ticket {
        clock::time_point deadline{};
        httplib::ClientImpl* client = nullptr;
        exchange_slot* slot = nullptr; ///< when set, interrupted through it instead of `client->stop()`
        bool firing = false;
        bool fired = false;
        ticket* prev = nullptr;
        ticket* next = nullptr;
    };

    deadline_watchdog() = default;
    deadline_watchdog(const deadline_watchdog&) = delete;
    deadline_watchdog& operator=(const deadline_watchdog&) = delete;
    ~deadline_watchdog() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    /// Watches `t.client` until `t.deadline`, then until `remove(t)`.
    void add(ticket& t) {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
        t.prev = nullptr;
        t.next = head_;
        if (head_) head_->prev = &t;
        head_ = &t;
        if (t.deadline < next_wake_) { // otherwise the watchdog looks early enough anyway
            next_wake_ = t.deadline;
            wake_cv_.notify_one();
        }
    }

    /// Stops watching; returns whether the deadline fired. After it returns the watchdog no longer
    /// touches the client.
    bool remove(ticket& t) {
        std::unique_lock lock(mutex_);
        if (t.firing) fired_cv_.wait(lock, [&] { return !t.firing; });
        if (t.prev)
            t.prev->next = t.next;
        else
            head_ = t.next;
        if (t.next) t.next->prev = t.prev;
        t.prev = t.next = nullptr;
        return t.fired;
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        bool lingering = false;
        while (!stopping_) {
            ticket* earliest = nullptr;
            for (ticket* t = head_; t; t = t->next)
                if (!t->firing && (!earliest || t->deadline < earliest->deadline)) earliest = t;
            const auto now = clock::now();
            if (!earliest) {
                if (lingering) { // quiet for idle_linger: sleep until a request comes
                    lingering = false;
                    next_wake_ = clock::time_point::max();
                    wake_cv_.wait(lock);
                } else {
                    lingering = true;
                    next_wake_ = now + idle_linger;
                    wake_cv_.wait_until(lock, next_wake_);
                }
                continue;
            }
            lingering = false;
            if (now < earliest->deadline) {
                next_wake_ = earliest->deadline;
                wake_cv_.wait_until(lock, next_wake_);
                continue;
            }
            next_wake_ = clock::time_point::min();
            earliest->firing = true;
            auto* client = earliest->client;
            auto* slot = earliest->slot;
            lock.unlock();
            if (slot)
                slot->interrupt();
            else
                client->stop(); // may wait while the client connects or shakes hands
            lock.lock();
            earliest->firing = false; // remove() waits for this: the ticket is still alive
            earliest->fired = true;
            // Fire again shortly in case the stop landed before the connection existed.
            earliest->deadline = clock::now() + std::chrono::milliseconds(50);
            fired_cv_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_cv_;  // the watchdog thread waits here
    std::condition_variable fired_cv_; // remove() waits here while its ticket fires
    ticket* head_ = nullptr;
    clock::time_point next_wake_ = clock::time_point::min(); // when the watchdog will look next
    bool stopping_ = false;
    std::thread thread_;
};

/// Header names and values must not smuggle line breaks into the request.
inline bool header_text_ok(std::string_view s, bool is_name) {
    if (is_name && s.empty()) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u == '\r' || u == '\n' || u == 0) return false;
        if (is_name && (u <= 0x20 || u >= 0x7f || c == ':')) return false;
    }
    return true;
}

/// Plain TCP for an `exchange`: `send` without SIGPIPE, `recv`.
struct plain_io {
    socket_t sock;
    ssize_t write_some(const char* p, std::size_t n) const noexcept {
        ssize_t r;
        do {
            r = ::send(sock, p, n, MSG_NOSIGNAL);
        } while (r < 0 && errno == EINTR);
        return r;
    }
    ssize_t read_some(char* p, std::size_t n) const noexcept {
        ssize_t r;
        do {
            r = ::recv(sock, p, n, 0);
        } while (r < 0 && errno == EINTR);
        return r;
    }
};

/// TLS for an `exchange`, once cpp-httplib has completed the handshake: one `SSL_write` for a whole
/// small request (one TLS record) and `SSL_read`s into the reader's buffer (cpp-httplib's own TLS
/// stream reads a response head one byte per `SSL_read`). The socket is blocking by then.
struct tls_io {
    SSL* ssl;
    ssize_t write_some(const char* p, std::size_t n) const noexcept {
        for (;;) {
            ERR_clear_error();
            const int r = SSL_write(ssl, p, static_cast<int>(std::min<std::size_t>(n, INT_MAX)));
            if (r > 0) return r;
            if (!interrupted(r)) return -1;
        }
    }
    ssize_t read_some(char* p, std::size_t n) const noexcept {
        for (;;) {
            ERR_clear_error();
            const int r = SSL_read(ssl, p, static_cast<int>(std::min<std::size_t>(n, INT_MAX)));
            if (r > 0) return r;
            // A close without close_notify ends the stream as cpp-httplib's own TLS stream does.
            if (r == 0 || SSL_get_error(ssl, r) == SSL_ERROR_ZERO_RETURN) return 0;
            if (!interrupted(r)) return -1;
        }
    }

private:
    /// A signal ended the underlying read or write (OpenSSL reports it as "want read/write").
    bool interrupted(int r) const noexcept {
        const int e = SSL_get_error(ssl, r);
        return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && errno == EINTR;
    }
};

template <class Io>
bool write_all(const Io& io, std::string_view bytes) noexcept {
    while (!bytes.empty()) {
        const ssize_t r = io.write_some(bytes.data(), bytes.size());
        if (r <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(r));
    }
    return true;
}

/// The socket timeouts an `exchange` blocks under. cpp-httplib sets SO_RCVTIMEO and SO_SNDTIMEO once,
/// when it creates the socket, from the first request's timeouts; its own stream polled with each
/// request's timeouts instead. Here they are raised when a request on a reused connection needs more
/// (rounded up, so a steady timeout costs no system call); lowering is left to the transport's
/// watchdog, which ends every request at its deadline anyway.
class socket_timeouts {
public:
    /// Forget what was applied: cpp-httplib made a new socket.
    void reset() noexcept { read_ = write_ = std::chrono::seconds(0); }
    void ensure(socket_t sock, std::chrono::microseconds read, std::chrono::microseconds write) noexcept {
        raise(sock, SO_RCVTIMEO, read, read_);
        raise(sock, SO_SNDTIMEO, write, write_);
    }

private:
    static void raise(socket_t sock, int option, std::chrono::microseconds need, std::chrono::seconds& applied) {
        if (applied.count() > 0 && need <= applied) return;
        const auto value = std::chrono::ceil<std::chrono::seconds>(need) + std::chrono::seconds(1);
        timeval tv{};
        tv.tv_sec = static_cast<decltype(tv.tv_sec)>(value.count());
        if (::setsockopt(sock, SOL_SOCKET, option, &tv, sizeof tv) == 0) applied = value;
    }
    std::chrono::seconds read_{0};
    std::chrono::seconds write_{0};
};

/// True for the cpp-httplib versions whose client is known to hand its connection to `process_socket`
/// as `exchange_client` expects (connected, TLS handshake done, then closed unless it returns true);
/// with any other version, or when HOOKLINE_HTTPLIB_OWN_STREAMS is defined (for the whole program),
/// the transport lets cpp-httplib write the request and read the response itself.
#if defined(HOOKLINE_HTTPLIB_OWN_STREAMS)
inline constexpr bool own_exchange_supported = false;
#else
inline constexpr bool own_exchange_supported = std::string_view(CPPHTTPLIB_VERSION).substr(0, 5) == "0.11.";
#endif

/// One request and its response, carried by an `exchange_client` on its connection.
struct exchange {
    std::string_view wire;       ///< the request head, and the body when it is small, in one piece
    std::string_view body_after; ///< body bytes written after `wire` (large bodies)
    bool head_request = false;
    std::size_t max_body = 0;
    std::chrono::steady_clock::time_point deadline{};
    http_response* out = nullptr;
    bool ran = false;   ///< cpp-httplib connected and handed over the connection
    bool stale = false; ///< a reused connection had unasked-for bytes waiting: nothing was written
    http1::response_result result{};
};

/// A cpp-httplib client (`httplib::ClientImpl` for plain HTTP, `httplib::SSLClient` for HTTPS) that
/// leaves connecting, proxies and the TLS handshake to cpp-httplib (its `send`, with the exchange
/// pending, reaches `process_socket` once connected) and carries a pending `exchange` itself. A kept
/// connection is used directly (`exchange_on_kept`), without cpp-httplib's `send`: one `poll` checks
/// that nothing is waiting on it (a closed connection, or bytes nobody asked for), and no
/// `httplib::Request`, `Response` or callback is built. The request leaves in one write (one TCP
/// segment or TLS record for a small request) and the response is read into a buffer by
/// `http1::response_reader` with blocking reads (no poll before each). A read never outlives the
/// request: the transport's watchdog shuts the socket down at the deadline (`exchange_slot`).
/// Only `httplib_transport` uses it, one thread at a time (the pool's), always with an exchange (a
/// `send` without one fails).
template <class Base>
class exchange_client : public Base, public exchange_slot {
public:
    template <class... Args>
    explicit exchange_client(Args&&... args) : Base(std::forward<Args>(args)...) {
        this->set_socket_options([this](socket_t sock) {
            timeouts_.reset();
            reused_ = false;
            watch(sock);
        });
    }

    bool exchange_on_kept(exchange& x) override {
        const auto& socket = this->socket_; // only this thread uses the client (the transport's pool)
        if (!socket.is_open()) return false;
        if constexpr (is_tls)
            if (!socket.ssl) return false;
        // Readable now: closed by the peer, or bytes that answer no request of ours (a late or extra
        // response: read as this request's answer they would misreport the delivery). Leave it to
        // cpp-httplib's `send`: it reconnects from a closed connection in this client (keeping its TLS
        // context), and `process_socket` refuses one with bytes waiting. Nothing was written here.
        if (bytes_waiting(socket)) return false;
        carry(socket, x);
        return true;
    }

protected:
    bool process_socket(const typename Base::Socket& socket, std::function<bool(httplib::Stream&)> callback) override {
        (void)callback; // cpp-httplib's request writer and response reader: not used
        exchange* x = pending;
        if (!x) return false; // only the transport sends through this client, always with an exchange
        if constexpr (is_tls)
            if (!socket.ssl) return false;
        // Kept connections normally go through exchange_on_kept; should cpp-httplib hand one over here,
        // the same rule holds: bytes waiting on it answer no request of ours, so leave it (cpp-httplib
        // closes it) and let the transport go on with a new one. Nothing was written.
        if (reused_ && bytes_waiting(socket)) {
            x->stale = true;
            return false;
        }
        carry(socket, *x);
        return x->result.complete && x->result.keep_alive; // false: cpp-httplib closes the connection
    }

private:
    static constexpr bool is_tls = std::is_base_of_v<httplib::SSLClient, Base>;

    void carry(const typename Base::Socket& socket, exchange& x) {
        reused_ = true;
        x.ran = true;
        const auto read =
            std::chrono::seconds(this->read_timeout_sec_) + std::chrono::microseconds(this->read_timeout_usec_);
        const auto write =
            std::chrono::seconds(this->write_timeout_sec_) + std::chrono::microseconds(this->write_timeout_usec_);
        timeouts_.ensure(socket.sock, read, write);
        if constexpr (is_tls)
            run(tls_io{socket.ssl}, x);
        else
            run(plain_io{socket.sock}, x);
    }

    template <class Io>
    static void run(Io io, exchange& x) {
        if (!write_all(io, x.wire) || !write_all(io, x.body_after)) return;
        const auto deadline = x.deadline;
        auto past = [deadline] { return std::chrono::steady_clock::now() >= deadline; };
        http1::response_reader<Io, decltype(past)> reader(io, past);
        x.result = reader.read(*x.out, x.max_body, x.head_request);
    }
    /// Something to read now: the peer's end of the connection, or bytes (TLS: also decrypted ones).
    static bool bytes_waiting(const typename Base::Socket& socket) noexcept {
        if constexpr (is_tls)
            if (SSL_pending(socket.ssl) > 0) return true;
        pollfd p{socket.sock, POLLIN, 0};
        return ::poll(&p, 1, 0) > 0;
    }

    socket_timeouts timeouts_;
    bool reused_ = false; // the socket carried an exchange before
};
using plain_client = exchange_client<httplib::ClientImpl>;
using tls_client = exchange_client<httplib::SSLClient>;

/// A pooled connection: cpp-httplib's client, and where to leave it an exchange (null when the
/// transport lets cpp-httplib do the exchange).
struct connection {
    std::unique_ptr<httplib::ClientImpl> client;
    exchange_slot* slot = nullptr;
    explicit operator bool() const noexcept { return client != nullptr; }
};

struct httplib_transport_state {
    using clock = std::chrono::steady_clock;
    explicit httplib_transport_state(httplib_transport_options o) : options(std::move(o)) {}

    struct pooled {
        connection conn;
        clock::time_point idle_since;
    };

    httplib_transport_options options;
    deadline_watchdog watchdog;
    std::mutex pool_mutex;
    std::unordered_map<std::string, std::vector<pooled>> idle;
    std::size_t idle_total = 0;

    /// The most recently used idle connection of `key` that has not idled too long, or none.
    connection acquire(const std::string& key) {
        std::vector<pooled> expired; // closed outside the lock
        connection found;
        {
            std::lock_guard lock(pool_mutex);
            auto it = idle.find(key);
            if (it == idle.end()) return {};
            auto& v = it->second;
            auto now = clock::now();
            while (!v.empty()) {
                pooled p = std::move(v.back());
                v.pop_back();
                --idle_total;
                if (now - p.idle_since < options.idle_timeout) {
                    found = std::move(p.conn);
                    break;
                }
                expired.push_back(std::move(p));
            }
            if (v.empty()) idle.erase(it);
        }
        return found;
    }

    /// Keeps `c` for reuse unless the origin or the whole pool is full.
    void release(const std::string& key, connection c) {
        std::vector<pooled> dropped; // closed outside the lock
        std::lock_guard lock(pool_mutex);
        auto now = clock::now();
        auto& v = idle[key];
        // Oldest first: drop the ones that idled too long.
        auto keep = std::find_if(v.begin(), v.end(),
                                 [&](const pooled& p) { return now - p.idle_since < options.idle_timeout; });
        for (auto i = v.begin(); i != keep; ++i) dropped.push_back(std::move(*i));
        idle_total -= static_cast<std::size_t>(keep - v.begin());
        v.erase(v.begin(), keep);
        if (v.size() < options.max_idle_per_origin && idle_total < options.max_idle_total) {
            v.push_back({std::move(c), now});
            ++idle_total;
        } else {
            dropped.push_back({std::move(c), now});
        }
        if (v.empty()) idle.erase(key);
    }
};

inline connection make_client(const httplib_transport_options& o, const parsed_url& url, const std::string& pinned_ip) {
    connection made;
    if (url.scheme == "https") {
        std::unique_ptr<httplib::SSLClient> ssl;
        if constexpr (own_exchange_supported) {
            auto own = std::make_unique<tls_client>(url.host, url.port, o.client_cert_file, o.client_key_file);
            made.slot = own.get();
            ssl = std::move(own);
        } else {
            ssl = std::make_unique<httplib::SSLClient>(url.host, url.port, o.client_cert_file, o.client_key_file);
        }
        if (!ssl->is_valid()) return {};
        made.client = std::move(ssl);
        made.client->enable_server_certificate_verification(o.verify_tls);
        if (!o.ca_file.empty() || !o.ca_dir.empty()) made.client->set_ca_cert_path(o.ca_file, o.ca_dir);
    } else if constexpr (own_exchange_supported) {
        auto own = std::make_unique<plain_client>(url.host, url.port);
        made.slot = own.get();
        made.client = std::move(own);
    } else {
        made.client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
    }
    auto& c = made.client;
    if (!pinned_ip.empty()) c->set_hostname_addr_map({{url.host, pinned_ip}});
    if (!o.proxy_host.empty()) c->set_proxy(o.proxy_host, o.proxy_port);
    c->set_tcp_nodelay(true);
    c->set_keep_alive(true);
    c->set_follow_location(false);
    c->set_decompress(false); // no Accept-Encoding is sent; never inflate what a receiver sends
    c->set_url_encode(false); // the target was validated by parse_url: send it byte for byte
    return made;
}

} // namespace detail

/// The stock transport. Per request: parse the URL strictly, resolve the host once, refuse it unless
/// every address passes `options.addresses`, connect to a checked address (pinned, so there is no
/// second DNS lookup), send, and read at most `max_response_body` bytes of the response, all within
/// the total timeout. Redirects are not followed (a 3xx is returned as a response). Connections are
/// kept alive and reused per origin.
class httplib_transport {
public:
    explicit httplib_transport(httplib_transport_options options = {})
        : state_(std::make_shared<detail::httplib_transport_state>(std::move(options))) {
        if (state_->options.sigpipe == sigpipe_handling::ignore_process_wide) ::signal(SIGPIPE, SIG_IGN);
    }

    const httplib_transport_options& options() const noexcept { return state_->options; }

    /// Sends `request`; see the `transport` concept for the errors.
    result<http_response> send(const http_request& request) const {
        using clock = std::chrono::steady_clock;
        const auto start = clock::now();
        const auto& o = state_->options;
        const auto timeout = request.timeout.count() > 0 ? request.timeout : o.total_timeout;
        const auto deadline = start + timeout;

        auto url = parse_url(request.url);
        if (!url) return url.error();
        if (request.method.empty() || !detail::header_text_ok(request.method, true)) return errc::invalid_argument;
        if (!detail::header_text_ok(o.user_agent, false)) return errc::invalid_argument;
        for (const auto& h : request.headers)
            if (!detail::header_text_ok(h.name, true) || !detail::header_text_ok(h.value, false))
                return errc::invalid_argument;

        // An IP literal needs no lookup (and is checked like any resolved address).
        result<std::vector<ip_address>> addresses = errc::dns_failure;
        if (o.resolver)
            addresses = o.resolver(url->host);
        else if (auto literal = url->host_is_ip ? ip_address::parse(url->host) : std::nullopt)
            addresses = std::vector<ip_address>{*literal};
        else
            addresses = resolve(url->host);
        if (!addresses) return addresses.error();
        if (auto checked = check_all(*addresses, o.addresses); !checked) return checked.error();
        if (clock::now() >= deadline) return errc::timeout;

        // In a thread that keeps SIGPIPE blocked for good (a sender's worker) no mask change is needed.
        const bool blocked_for_thread = detail::sigpipe_blocked_for_thread;
        detail::sigpipe_blocker sigpipe(o.sigpipe == sigpipe_handling::block_in_send && !blocked_for_thread);
        const bool consume_on_failure = blocked_for_thread && o.sigpipe == sigpipe_handling::block_in_send;
        std::error_code last = make_error_code(errc::connection_failed);
        // Try the checked addresses in resolver order while the connection itself is refused.
        const bool via_proxy = !o.proxy_host.empty();
        for (const auto& address : *addresses) {
            std::string ip = via_proxy ? std::string() : address.to_string();
            auto attempt = send_to(*url, ip, request, start, deadline);
            // A failed write may have left a SIGPIPE pending in this thread: discard it.
            if (!attempt && consume_on_failure) detail::consume_pending_sigpipe();
            if (attempt || attempt.error() != errc::connection_failed || !connect_failed_ || via_proxy) return attempt;
            last = attempt.error();
            if (clock::now() >= deadline) return errc::timeout;
        }
        return last;
    }

private:
    // Set by send_to when the failure happened while connecting (try the next address). Thread-local
    // because send is const and concurrent.
    static inline thread_local bool connect_failed_ = false;

    /// One try on `ip`; `fresh`: on a new connection, not a kept one.
    result<http_response> send_to(const parsed_url& url, const std::string& ip, const http_request& request,
                                  std::chrono::steady_clock::time_point start,
                                  std::chrono::steady_clock::time_point deadline, bool fresh = false) const {
        using namespace std::chrono;
        using clock = steady_clock;
        const auto& o = state_->options;
        connect_failed_ = false;
        const std::string key = pool_key(url, ip);
        auto conn = fresh ? detail::connection{} : state_->acquire(key);
        if (!conn) conn = detail::make_client(o, url, ip);
        if (!conn) return errc::tls_failure; // client certificate or key could not be loaded
        httplib::ClientImpl& client = *conn.client;

        auto remaining = duration_cast<microseconds>(deadline - clock::now());
        if (remaining.count() <= 0) return errc::timeout;
        // cpp-httplib polls with millisecond resolution (rounding down): add a little slack so a
        // per-operation timeout never ends just before the deadline; the watchdog cuts at the deadline.
        auto slack = duration_cast<microseconds>(milliseconds(20));
        auto connect = std::min(duration_cast<microseconds>(o.connect_timeout), remaining + slack);
        client.set_connection_timeout(connect);
        client.set_read_timeout(remaining + slack);
        client.set_write_timeout(remaining + slack);

        http_response out;
        httplib::Request req;
        std::string wire;
        detail::exchange x;
        bool truncated = false;
        bool late = false;
        if (conn.slot)
            prepare_exchange(url, request, deadline, out, wire, x);
        else
            prepare_httplib_request(url, request, deadline, out, req, truncated, late);

        httplib::Response res;
        httplib::Error err = httplib::Error::Success;
        detail::deadline_watchdog::ticket watch{.deadline = deadline, .client = &client, .slot = conn.slot};
        state_->watchdog.add(watch);
        bool ok = false;
        if (!conn.slot || !conn.slot->exchange_on_kept(x)) {
            if (conn.slot) conn.slot->pending = &x;
            ok = client.send(req, res, err);
            if (conn.slot) conn.slot->pending = nullptr;
        }
        bool fired = state_->watchdog.remove(watch);
        if (x.stale && !fired) { // nothing was sent on the kept connection: once more on a new one
            conn = {};
            return send_to(url, ip, request, start, deadline, true);
        }
        out.latency = duration_cast<microseconds>(clock::now() - start);

        bool reusable = true;
        if (x.ran) { // hookline's exchange ran on the connection cpp-httplib made
            ok = x.result.complete;
            reusable = x.result.keep_alive;
            truncated = x.result.truncated;
            late = x.result.late;
        } else if (ok) {
            out.status = res.status;
        }
        if (ok && !late) {
            if (!fired && reusable) state_->release(key, std::move(conn));
            return out;
        }
        // Failed or aborted: never reuse this connection.
        conn = {};
        if (truncated && out.status != 0) {
            if (o.fail_on_large_response) return errc::response_too_large;
            out.body_truncated = true;
            return out;
        }
        if (fired || late || clock::now() >= deadline) return errc::timeout;
        if (x.ran) return errc::connection_failed; // reset, closed early, or not an HTTP/1.x response
        switch (err) {
        case httplib::Error::ConnectionTimeout: return errc::timeout;
        case httplib::Error::SSLConnection:
        case httplib::Error::SSLLoadingCerts:
        case httplib::Error::SSLServerVerification: return errc::tls_failure;
        case httplib::Error::Connection: connect_failed_ = true; return errc::connection_failed;
        default: return errc::connection_failed;
        }
    }

    /// Appends "host:port" (IPv6 literals in brackets); without ":port" for the scheme's default port
    /// when `omit_default_port` (the Host field).
    static void append_authority(std::string& out, const parsed_url& url, bool omit_default_port) {
        const bool ipv6 = url.host.find(':') != std::string::npos;
        if (ipv6) out.push_back('[');
        out.append(url.host);
        if (ipv6) out.push_back(']');
        if (omit_default_port && url.port == (url.scheme == "https" ? 443 : 80)) return;
        char port[8];
        const auto end = std::to_chars(port, port + sizeof port, url.port).ptr;
        out.append(":").append(port, static_cast<std::size_t>(end - port));
    }

    /// "scheme://host:port@address", built in one allocation.
    static std::string pool_key(const parsed_url& url, const std::string& ip) {
        std::string key;
        key.reserve(url.scheme.size() + url.host.size() + ip.size() + 16);
        key.append(url.scheme).append("://");
        append_authority(key, url, false);
        key.append("@").append(ip);
        return key;
    }

    /// The request as hookline writes it (`exchange_client`): head and small body in one buffer.
    void prepare_exchange(const parsed_url& url, const http_request& request,
                          std::chrono::steady_clock::time_point deadline, http_response& out, std::string& wire,
                          detail::exchange& x) const {
        const auto& o = state_->options;
        std::string host;
        append_authority(host, url, true);
        // Through an HTTP proxy a plain request names its absolute URL; HTTPS went through CONNECT.
        const bool absolute = url.scheme == "http" && !o.proxy_host.empty();
        const std::string target_storage = absolute ? "http://" + url.authority() + url.target : std::string();
        const std::string_view target = absolute ? std::string_view(target_storage) : std::string_view(url.target);
        std::optional<std::size_t> length;
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH")
            length = request.body.size();
        const bool gather = request.body.size() <= max_gathered_body;
        std::size_t guess = 128 + request.method.size() + target.size() + host.size() + o.user_agent.size();
        for (const auto& h : request.headers) guess += h.name.size() + h.value.size() + 4;
        wire.reserve(guess + (gather ? request.body.size() : 0));
        detail::http1::append_request_head(wire, request.method, target, host, request.headers, o.user_agent, length);
        if (gather)
            wire.append(request.body);
        else
            x.body_after = request.body;
        x.wire = wire;
        x.head_request = request.method == "HEAD";
        x.max_body = o.max_response_body;
        x.deadline = deadline;
        x.out = &out;
    }

    /// The request as cpp-httplib writes it (other cpp-httplib versions, HOOKLINE_HTTPLIB_OWN_STREAMS).
    void prepare_httplib_request(const parsed_url& url, const http_request& request,
                                 std::chrono::steady_clock::time_point deadline, http_response& out,
                                 httplib::Request& req, bool& truncated, bool& late) const {
        const auto& o = state_->options;
        req.method = request.method;
        req.path = url.target;
        bool has_agent = false;
        for (const auto& h : request.headers) {
            // Framing is the transport's: a caller's Host, Content-Length or Transfer-Encoding could
            // desynchronise the request from what is actually sent.
            if (iequals(h.name, "host") || iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding"))
                continue;
            has_agent = has_agent || iequals(h.name, "user-agent");
            req.headers.emplace(h.name, h.value);
        }
        if (!has_agent && !o.user_agent.empty()) req.headers.emplace("User-Agent", o.user_agent);
        // The body goes out through a provider: no copy into the request.
        if (!request.body.empty()) {
            req.content_length_ = request.body.size();
            req.content_provider_ = [&request](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                return sink.write(request.body.data() + offset, length);
            };
        }
        req.response_handler = [&out](const httplib::Response& res) {
            out.status = res.status;
            for (const auto& [k, v] : res.headers) out.headers.add(k, v);
            return true;
        };
        req.content_receiver = [&out, &truncated, &late, &o, deadline](const char* data, std::size_t n, std::uint64_t,
                                                                       std::uint64_t) {
            if (std::chrono::steady_clock::now() >= deadline) {
                late = true;
                return false;
            }
            std::size_t room = o.max_response_body - out.body_excerpt.size();
            out.body_excerpt.append(data, std::min(n, room));
            if (n > room) {
                truncated = true;
                return false;
            }
            return true;
        };
    }

    /// Bodies up to this size leave in the same write as the request head.
    static constexpr std::size_t max_gathered_body = std::size_t{64} * 1024;

    static bool iequals(std::string_view a, std::string_view b) noexcept { return detail::iequals(a, b); }

    std::shared_ptr<detail::httplib_transport_state> state_;
};

static_assert(transport<httplib_transport>);
static_assert(transport<const httplib_transport>);

HOOKLINE_END_NAMESPACE
