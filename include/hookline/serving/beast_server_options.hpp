/// \file `beast_server_options` and `beast_server_stats`: how a `beast_server`
/// (hookline/serving/beast_server.hpp) is configured and what it counts.
///
/// Thread-safety: plain values.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/worker_pool.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

HOOKLINE_BEGIN_NAMESPACE

/// Options of a `beast_server`. Aggregate: use designated initialisers.
struct beast_server_options {
    /// Address to listen on. The default serves this machine only; "0.0.0.0" or "::" serve every
    /// interface.
    std::string address = "127.0.0.1";
    /// Port to listen on; 0 lets the system choose (read it back with `port()`).
    std::uint16_t port = 0;
    /// Threads running the network I/O (1 or 2 is plenty: they never wait on a handler).
    std::size_t io_threads = 1;
    /// Connections open at once, at most (each is a file descriptor).
    std::size_t max_connections = 10'000;
    /// Time for a whole request, head and body, from its first byte (from the accept for the first
    /// request of a connection).
    std::chrono::milliseconds request_deadline = std::chrono::seconds(10);
    /// Time a keep-alive connection may wait silently for its next request.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(5);
    /// Time for writing a response.
    std::chrono::milliseconds write_timeout = std::chrono::seconds(10);
    /// Largest request line plus header fields (431 beyond).
    std::size_t max_header_bytes = std::size_t{8} * 1024;
    /// Largest body read (see the file comment for what happens beyond).
    std::size_t max_body_bytes = std::size_t{1024} * 1024;
    /// Disable Nagle's algorithm on every connection (without it responses can stall ~40 ms).
    bool tcp_nodelay = true;
    /// Call the handler on the I/O threads instead of the worker pool: only for handlers that never
    /// block (no disk, no database, no lock held long), as one slow call stalls every connection.
    bool inline_handlers = false;
    /// The worker pool handlers run on; a full queue answers 503.
    worker_pool_options workers{.threads = 4, .queue_capacity = 1024};
    /// The `Retry-After` seconds of that 503.
    std::chrono::seconds retry_after{5};
};

/// What a `beast_server` did and refused so far (a snapshot; every count only grows, except
/// `connections_open`).
struct beast_server_stats {
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_open = 0;
    std::uint64_t responses = 0;                ///< responses written completely
    std::uint64_t closed_request_deadline = 0;  ///< connections cut at `request_deadline`
    std::uint64_t closed_idle_timeout = 0;      ///< keep-alive connections silent for `idle_timeout`
    std::uint64_t closed_write_timeout = 0;     ///< responses not taken within `write_timeout`
    std::uint64_t closed_for_capacity = 0;      ///< idle connections closed to make room at the cap
    std::uint64_t accept_paused = 0;            ///< times accepting stopped at the cap with none idle
    std::uint64_t refused_header_too_large = 0; ///< 431
    std::uint64_t refused_body_too_large = 0;   ///< bodies over `max_body_bytes`, not read
    std::uint64_t refused_bad_request = 0;      ///< unparsable requests (400)
    std::uint64_t refused_busy = 0;             ///< 503: the worker queue was full
    std::uint64_t accept_errors = 0;            ///< failed accepts (e.g. out of file descriptors)
};

HOOKLINE_END_NAMESPACE
