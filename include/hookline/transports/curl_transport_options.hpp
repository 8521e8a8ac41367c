/// \file Options of `curl_transport` (an aggregate: use designated initialisers).
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

/// Options for `curl_transport`; every field has a safe default.
struct curl_transport_options {
    /// Used when a request's `timeout` is zero. Covers resolution, connection, TLS, sending and receiving.
    std::chrono::milliseconds total_timeout = std::chrono::seconds(15);
    /// Upper bound on the TCP connect (and the TLS handshake), never more than the total timeout.
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
    /// Response body bytes read at most; the transfer ends there and the connection is closed.
    std::size_t max_response_body = std::size_t{64} * 1024;
    /// With a longer body: false truncates (`http_response::body_truncated`), true fails with
    /// `errc::response_too_large`.
    bool fail_on_large_response = false;
    /// Destination address policy (SSRF protection), applied to every address a connection is opened
    /// to, after resolution: no second lookup can answer differently. Default: public unicast only.
    address_policy addresses{};
    /// Verify the server's certificate chain and host name. Leave on.
    bool verify_tls = true;
    std::string ca_file{};          ///< PEM bundle of trusted CAs; empty with `ca_dir` empty: the system store
    std::string ca_dir{};           ///< hashed CA directory (c_rehash)
    std::string client_cert_file{}; ///< PEM client certificate, for mutual TLS
    std::string client_key_file{};  ///< PEM private key (unencrypted) of `client_cert_file`
    /// Proxy URL (`http://host:port`); empty: none (the `http_proxy` environment variables are ignored).
    /// The proxy connects to the destination itself: hookline resolves and checks the destination's
    /// addresses before each request but cannot pin them, so enforce SSRF rules at the proxy too.
    std::string proxy{};
    /// Sent when a request has no User-Agent of its own.
    std::string user_agent = std::string("hookline/") + HOOKLINE_VERSION_STRING;
    /// Offer HTTP/2 over TLS (ALPN); an endpoint that accepts it gets requests multiplexed on one connection.
    bool http2 = true;
    /// Connections kept open for reuse after a request (all origins); each holds a socket. 0: libcurl's
    /// own sizing, four times the requests in flight, so that many endpoints (each its own origin) keep
    /// their connections instead of reconnecting for every request.
    std::size_t max_idle_connections = 0;
    /// Connections open at once to one host (in use and idle); 0 = no limit (a sender limits per endpoint).
    std::size_t max_connections_per_host = 0;
    /// An idle connection older than this is closed instead of reused.
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
    /// Threads running transfers; each drives any number of them (1 is enough for tens of thousands).
    std::size_t io_threads = 1;
    /// Name resolution for tests (simulated DNS answers); empty: libcurl's own asynchronous resolver.
    /// What it returns is still checked against `addresses` at connect time.
    std::function<result<std::vector<ip_address>>(const std::string& host)> resolver{};
};

HOOKLINE_END_NAMESPACE
