/// \file What a sender refuses when it is offered, rather than at every attempt: events whose id or
/// type cannot travel in a header, endpoints whose URL or literal address can never be delivered to,
/// header fields that are malformed or that the sender sets, and endpoint limits with no meaning.
///
/// Thread-safety: free functions over values; safe to call from any thread.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/sending/endpoint.hpp>
#include <hookline/transports/address_policy.hpp>

#include <chrono>
#include <cmath>
#include <concepts>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// The longest request timeout, lease margin or idle period a sender or endpoint accepts.
inline constexpr std::chrono::milliseconds max_option_duration = std::chrono::hours(24);
/// Limits above this are taken for a negative number converted to `std::size_t`.
inline constexpr std::size_t max_option_count = std::size_t{1} << 30;

/// A transport that says which destination addresses it may connect to (the stock ones do).
template <class T>
concept address_policy_transport = requires(const T& t) {
    { t.options().addresses } -> std::convertible_to<const address_policy&>;
};

/// An event's id (empty: the sender makes one) and type become header values (`webhook-id`,
/// `X-GitHub-Event`, `X-Shopify-Topic`, ...): refused when they could not be sent as such.
inline result<void> check_event_text(std::string_view id, std::string_view type) noexcept {
    if (type.empty() || !header_value_ok(type)) return errc::invalid_event_type;
    if (!header_value_ok(id)) return errc::invalid_message_id;
    return {};
}

/// An ordering key travels in the `webhook-ordering-key` header and names a stream in the store.
inline result<void> check_ordering_key(std::string_view key) noexcept {
    if (!ordering_key_ok(key)) return errc::invalid_ordering_key;
    return {};
}

/// Every field of a request about to be handed to the transport.
inline result<void> check_request_headers(const header_map& headers) noexcept {
    for (const auto& h : headers) {
        if (!header_name_ok(h.name)) return errc::invalid_header_name;
        if (!header_value_ok(h.value)) return errc::invalid_header_value;
    }
    return {};
}

/// An endpoint's URL (`errc::invalid_url`), its literal IP address when `policy` refuses it
/// (`errc::address_refused`; names are resolved and checked at connect time), and its limits
/// (`errc::invalid_option`: a negative or day-long timeout, a negative or non-finite rate limit).
inline result<void> check_endpoint(const endpoint_config& c, const address_policy* policy) {
    auto url = parse_url(c.url);
    if (!url) return url.error();
    if (policy && url->host_is_ip) {
        auto ip = ip_address::parse(url->host);
        if (!ip) return errc::invalid_url;
        if (auto ok = policy->check(*ip); !ok) return ok.error();
    }
    if (c.timeout.count() < 0 || c.timeout > max_option_duration) return errc::invalid_option;
    if (!std::isfinite(c.rate_limit) || c.rate_limit < 0) return errc::invalid_option;
    if (c.max_concurrency > max_option_count) return errc::invalid_option;
    if (c.tenant.size() > 256 || !header_value_ok(c.tenant)) return errc::invalid_tenant;
    return {};
}

/// The address policy of `t`, or null when its transport type does not expose one.
template <class Transport>
const address_policy* address_policy_of(const Transport& t) noexcept {
    if constexpr (address_policy_transport<Transport>)
        return &t.options().addresses;
    else
        return nullptr;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
