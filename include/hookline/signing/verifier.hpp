/// \file The `verifier` concept: what decides whether an incoming request really comes from its sender.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

/// What a verifier looks at. Views only, valid for the duration of the call.
struct inbound_message {
    header_view headers;     ///< the request's headers (a `header_map` converts implicitly)
    std::string_view body{}; ///< the raw body, byte for byte as received
    std::string_view url{};  ///< the public URL the sender posted to (required by Twilio and Square)
};

/// What a successful verification established.
struct verified_message {
    std::string id;                        ///< message id when the scheme carries it outside the body (else empty)
    std::string event_type;                ///< event type when the scheme carries it outside the body (else empty)
    std::optional<std::int64_t> timestamp; ///< signed timestamp, for schemes that have one
};

/// A verifier is a copyable value whose const `verify(message, now)` checks the signature (and the
/// timestamp against `now`, in Unix seconds) and says which check failed otherwise. Stock verifiers
/// are safe to call from several threads at once.
template <class V>
concept verifier = std::copy_constructible<V> && requires(const V& v, const inbound_message& m, std::int64_t now) {
    { v.verify(m, now) } -> std::same_as<result<verified_message>>;
};

/// Verifies against the system clock.
template <verifier V>
result<verified_message> verify_now(const V& v, const inbound_message& m) {
    return v.verify(m, unix_now());
}

HOOKLINE_END_NAMESPACE
