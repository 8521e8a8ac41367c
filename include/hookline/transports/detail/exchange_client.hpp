/// \file `exchange_client`: a cpp-httplib client that, once cpp-httplib has connected, writes the request
/// and reads the response itself (`http1.hpp`), and keeps the connection for the next exchange.
///
/// Thread-safety: one `exchange_client` is used by one thread at a time (the transport's pool hands it out).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/transports/detail/deadline_watchdog.hpp>
#include <hookline/transports/detail/http1.hpp>
#include <hookline/transports/transport.hpp>

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

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

} // namespace detail

HOOKLINE_END_NAMESPACE
