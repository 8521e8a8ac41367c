/// \file The `transport` concept: what carries one HTTP request to a webhook endpoint and brings back
/// the response. The stock transport is `httplib_transport` (hookline/transports/httplib_transport.hpp).
///
/// Thread-safety: `http_request` and `http_response` are values. A transport's `send` must be safe to
/// call from several worker threads at once (the sender calls it concurrently).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>

#include <chrono>
#include <concepts>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

/// One outgoing request. `body` is a view: the caller keeps the bytes alive during `send`.
struct http_request {
    std::string url;      ///< absolute http(s) URL
    header_map headers{}; ///< sent as given (Content-Type included); Host, Content-Length and Transfer-Encoding are the
                          ///< transport's
    std::string_view body{}; ///< exact bytes to send
    /// Total time allowed (resolve, connect, TLS, send, receive); zero: the transport's default.
    std::chrono::milliseconds timeout{0};
    std::string method = "POST";
};

/// What came back. Any status is a response (3xx, 4xx, 5xx included): the caller classifies it.
struct http_response {
    int status = 0;
    header_map headers{};
    std::string body_excerpt{};          ///< the body's first bytes, up to the transport's cap
    bool body_truncated = false;         ///< the body was longer than the cap (the rest was not read)
    std::chrono::microseconds latency{}; ///< from the start of `send` to the end of the response
};

/// A transport turns an `http_request` into an `http_response` or an error: `errc::invalid_url`,
/// `errc::address_refused` (SSRF policy), `errc::dns_failure`, `errc::connection_failed` (refused,
/// reset, closed mid-response), `errc::timeout` (the total timeout passed), `errc::tls_failure`,
/// `errc::response_too_large` (only if configured to fail rather than truncate). `send` may be const
/// or not, and must be safe to call from several threads at once.
template <class T>
concept transport = requires(T& t, const http_request& r) {
    { t.send(r) } -> std::same_as<result<http_response>>;
};

HOOKLINE_END_NAMESPACE
