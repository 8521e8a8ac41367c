/// \file The `signer` concept: what turns an outgoing message into the headers that authenticate it.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>

#include <concepts>
#include <cstdint>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

/// One delivery attempt to sign. Views only: they must outlive the `sign` call.
struct outbound_message {
    std::string_view id{};         ///< message id, the same across retries
    std::string_view body{};       ///< exact bytes that will be sent
    std::int64_t timestamp = 0;    ///< Unix seconds of this attempt
    std::string_view url{};        ///< destination URL, for schemes that sign it (Twilio, Square)
    std::string_view event_type{}; ///< event type, for schemes that send it in a header (GitHub, Shopify)
};

/// A signer is a copyable value whose const `sign` returns the headers to add to the request.
/// Stock signers are safe to call from several threads at once; user signers used by a sender must be too.
template <class S>
concept signer = std::copy_constructible<S> && requires(const S& s, const outbound_message& m) {
    { s.sign(m) } -> std::same_as<result<header_map>>;
};

HOOKLINE_END_NAMESPACE
