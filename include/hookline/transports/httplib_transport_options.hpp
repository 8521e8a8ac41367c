/// \file Options of `httplib_transport` (an aggregate: use designated initialisers).
///
/// Thread-safety: a plain value; `resolver` must be safe to call from several threads at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/transports/address_policy.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
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

HOOKLINE_END_NAMESPACE
