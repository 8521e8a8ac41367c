/// \file `beast_server`: a small HTTP/1.1 server on Boost.Asio + Boost.Beast for untrusted clients,
/// serving one framework-agnostic handler (`response handler(const request_view&)`). Link
/// `hookline::beast` (Boost 1.81+ headers). hookline/receiving/beast_adapter.hpp mounts a receiver on it.
///
/// What a slow or hostile client can cost it, by design:
/// - one deadline over a whole request, head and body (`request_deadline`): a client trickling bytes
///   is cut when it expires, however often it sends; a new connection must deliver its first request
///   within it. Between requests a keep-alive connection may stay silent for `idle_timeout`; a
///   response must be written within `write_timeout`.
/// - at most `max_connections` connections. At the cap, once a new connection is pending, the oldest
///   idle keep-alive connection is closed to make room for it; when none is idle the server stops
///   accepting (new connections wait in the kernel's listen queue, 4096 deep) until a connection ends,
///   or becomes idle and is closed for it.
/// - a head over `max_header_bytes` is answered 431; a body declared over `max_body_bytes` is not read
///   (a chunked one is cut off at the limit): the handler is called with an empty body and
///   `content_length` over the limit, so it can answer 413, and the connection is closed after it.
/// - a few sockets and a flat buffer per connection, no thread: I/O runs on `io_threads` threads (1
///   or 2), handlers on a bounded worker pool (answering 503 + Retry-After when its queue is full), or
///   inline on the I/O threads when `inline_handlers` is set (only for handlers that never block).
/// Each refusal is counted in `stats()`.
///
/// Thread-safety: configure (`options()`, `set_handler`) before `start`, from one thread. `start` once;
/// then `port`, `stats` and `stop` may be called from any thread, except that `stop` (and the
/// destructor) must not be called from a handler or a thread of the server. The handler is called
/// concurrently from the worker threads (or the I/O threads) and must be thread-safe.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/receiving/request.hpp>
#include <hookline/serving/beast_server_options.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {
class beast_core;
} // namespace detail

/// The server. Movable, not copyable; the destructor stops it.
class beast_server {
public:
    using handler_type = std::function<response(const request_view&)>;

    explicit beast_server(beast_server_options options = {});
    /// A template, not a `handler_type` parameter, so that `beast_server({.port = 8080})` names the
    /// options alone on every compiler (clang 14 with libstdc++ 12 fails hard trying `std::function`).
    template <class Handler>
    requires std::is_invocable_r_v<response, Handler&, const request_view&>
    explicit beast_server(Handler handler, beast_server_options options = {}) : beast_server(std::move(options)) {
        set_handler(handler_type(std::move(handler)));
    }
    beast_server(beast_server&&) noexcept;
    beast_server& operator=(beast_server&&) noexcept;
    beast_server(const beast_server&) = delete;
    beast_server& operator=(const beast_server&) = delete;
    ~beast_server();

    /// The handler every request goes to (before `start`).
    void set_handler(handler_type handler);
    /// The options, changeable before `start`.
    beast_server_options& options() noexcept;
    const beast_server_options& options() const noexcept;

    /// Binds, listens and starts the threads. Errors: `errc::invalid_argument` (bad address, no
    /// handler, already started), or the system's (address in use, permission denied...).
    result<void> start();
    /// Closes the listener and every connection, runs the handlers already queued, joins the threads.
    /// Idempotent.
    void stop();
    /// The port listened on (after a successful `start`), 0 before.
    std::uint16_t port() const noexcept;
    beast_server_stats stats() const noexcept;

private:
    std::unique_ptr<detail::beast_core> core_;
};

HOOKLINE_END_NAMESPACE

#include <hookline/serving/detail/beast_core.hpp>
