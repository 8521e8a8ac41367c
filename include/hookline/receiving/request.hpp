/// \file What a receiver takes and gives back: `request_view` (an HTTP request, views only),
/// `response`, and `http_status_for` (the status a failed check answers).
///
/// Thread-safety: plain values and a pure function.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

HOOKLINE_BEGIN_NAMESPACE

/// An HTTP request as the receiver sees it. Views only, valid for the duration of `handle`.
struct request_view {
    std::string_view method; ///< "POST", ...
    std::string_view target; ///< path and query as received, e.g. "/webhooks?x=1"
    /// Every header field, repeats kept: a `header_map`, or `header_ref`s pointing into the server's own
    /// header storage (no copy; see httplib_adapter.hpp). Must outlive the `handle` call.
    header_view headers;
    std::string_view body; ///< the raw body (empty when it was not read because it was too large)
    /// The public URL the sender posted to, for schemes that sign it (Twilio, Square). Empty: the
    /// receiver uses `receiver_options::public_base_url` + `target`.
    std::string_view url{};
    /// The body size declared before reading it (Content-Length), when known. Over the limit, the
    /// receiver answers 413 without looking at `body`, so adapters need not read it at all.
    std::optional<std::uint64_t> content_length{};
};

/// What to send back: status, headers and a short text body.
struct response {
    int status = 200;
    header_map headers;
    std::string body;
};

/// The HTTP status a receiver answers for a failed check `ec`.
inline int http_status_for(std::error_code ec) noexcept {
    if (ec.category() != error_category()) return 500;
    switch (static_cast<errc>(ec.value())) {
    case errc::ok: return 200;
    case errc::missing_header:
    case errc::malformed_header:
    case errc::duplicate_header:
    case errc::malformed_body:
    case errc::invalid_ordering_key:
    case errc::invalid_argument: return 400;
    case errc::no_matching_signature:
    case errc::timestamp_too_old:
    case errc::timestamp_too_new:
    case errc::body_hash_mismatch: return 401;
    case errc::not_found: return 404;
    case errc::method_not_allowed: return 405;
    case errc::payload_too_large: return 413;
    case errc::unsupported_media_type: return 415;
    case errc::queue_full:
    case errc::store_failure: return 503;
    case errc::no_handler: return 200;
    default: return 500; // our own failure (key, crypto, configuration such as a missing URL)
    }
}

HOOKLINE_END_NAMESPACE
