/// \file Shopify webhooks (`X-Shopify-Hmac-Sha256`): base64 HMAC-SHA256 of the raw body, keyed with the
/// app's client secret as text. The topic (`X-Shopify-Topic`) and webhook id (`X-Shopify-Webhook-Id`)
/// travel in headers. Shopify's newer "Events" deliveries use the same names without `X-`
/// (`shopify-hmac-sha256`, ...); both spellings are accepted.
///
/// Thread-safety: `shopify_signer` and `shopify_verifier` are immutable after construction; one object
/// (or its copies) may sign or verify from any number of threads at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/schemes/detail/hmac_support.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/signing/verifier.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Header names Shopify sends (the `X-` spelling; the unprefixed one is accepted too).
namespace shopify_headers {
inline constexpr std::string_view hmac = "X-Shopify-Hmac-Sha256";
inline constexpr std::string_view topic = "X-Shopify-Topic";
inline constexpr std::string_view webhook_id = "X-Shopify-Webhook-Id";
inline constexpr std::string_view shop_domain = "X-Shopify-Shop-Domain";
inline constexpr std::string_view api_version = "X-Shopify-API-Version";
inline constexpr std::string_view triggered_at = "X-Shopify-Triggered-At";
inline constexpr std::string_view hmac_unprefixed = "shopify-hmac-sha256";
inline constexpr std::string_view topic_unprefixed = "shopify-topic";
inline constexpr std::string_view webhook_id_unprefixed = "shopify-webhook-id";
} // namespace shopify_headers

/// Options of a `shopify_signer`: extra headers Shopify sends and some receivers require (the
/// `@shopify/shopify-api` validator insists on all of them). Empty values are not sent.
struct shopify_signer_options {
    std::string shop_domain{}; ///< `X-Shopify-Shop-Domain`, e.g. "example.myshopify.com"
    std::string api_version{}; ///< `X-Shopify-API-Version`, e.g. "2025-01"
};

/// Signs as Shopify does: `X-Shopify-Hmac-Sha256`, plus `X-Shopify-Topic` (the event type) and
/// `X-Shopify-Webhook-Id` (the message id) when not empty. Shopify's header holds one signature, so a
/// signer given several secrets signs with the first.
class shopify_signer {
public:
    static constexpr std::string_view scheme_name = "shopify";

    /// Fails with `errc::invalid_secret` for no secrets and `errc::invalid_key` for a non-HMAC secret.
    static result<shopify_signer> make(std::span<const secret> secrets, shopify_signer_options options = {}) {
        auto keys = detail::make_hmac_keys(secrets, hmac_digest::sha256);
        if (!keys) return keys.error();
        return shopify_signer(std::move(keys->front()), std::move(options));
    }
    static result<shopify_signer> make(const secret& s, shopify_signer_options options = {}) {
        return make(std::span<const secret>(&s, 1), std::move(options));
    }

    /// Throwing forms of `make`.
    explicit shopify_signer(std::span<const secret> secrets, shopify_signer_options options = {})
        : shopify_signer(make(secrets, std::move(options)).value()) {}
    explicit shopify_signer(const secret& s, shopify_signer_options options = {})
        : shopify_signer(make(s, std::move(options)).value()) {}
    shopify_signer(std::initializer_list<secret> secrets, shopify_signer_options options = {})
        : shopify_signer(std::span<const secret>(secrets.begin(), secrets.size()), std::move(options)) {}

    const shopify_signer_options& options() const noexcept { return options_; }

    /// The `X-Shopify-Hmac-Sha256` value for `body`.
    result<std::string> signature(std::string_view body) const {
        return detail::encode_mac(key_, {body}, detail::mac_encoding::base64);
    }

    result<header_map> sign(const outbound_message& m) const {
        auto sig = signature(m.body);
        if (!sig) return sig.error();
        header_map h;
        h.add(std::string(shopify_headers::hmac), std::move(*sig));
        if (!m.event_type.empty()) h.add(std::string(shopify_headers::topic), std::string(m.event_type));
        if (!m.id.empty()) h.add(std::string(shopify_headers::webhook_id), std::string(m.id));
        if (!options_.shop_domain.empty()) h.add(std::string(shopify_headers::shop_domain), options_.shop_domain);
        if (!options_.api_version.empty()) h.add(std::string(shopify_headers::api_version), options_.api_version);
        return h;
    }

private:
    shopify_signer(hmac_key k, shopify_signer_options o) : key_(std::move(k)), options_(std::move(o)) {}
    hmac_key key_;
    shopify_signer_options options_;
};

/// Accepts a request when its HMAC header matches under any trusted secret (Shopify's app secret
/// rotation keeps an old and a new one). Checks run in order: HMAC header present and single among both
/// spellings (`missing_header`, `duplicate_header`), 44 characters of canonical base64
/// (`malformed_header`), topic and webhook id not repeated (`duplicate_header`), a secret matches
/// (`no_matching_signature`). The topic becomes `verified_message::event_type` and the webhook id
/// `verified_message::id` (either may be empty). Shopify signs no timestamp: deduplicate by webhook id.
class shopify_verifier {
public:
    static constexpr std::string_view scheme_name = "shopify";
    /// Shopify's id and topic travel in headers; the body is the resource, whose "id" is not the event's.
    static constexpr std::string_view body_id_field{};
    static constexpr std::string_view body_type_field{};

    /// Fails with `errc::invalid_secret` for no secrets and `errc::invalid_key` for a non-HMAC secret.
    static result<shopify_verifier> make(std::span<const secret> secrets) {
        auto keys = detail::make_hmac_keys(secrets, hmac_digest::sha256);
        if (!keys) return keys.error();
        return shopify_verifier(std::move(*keys));
    }
    static result<shopify_verifier> make(const secret& s) { return make(std::span<const secret>(&s, 1)); }

    /// Throwing forms of `make`.
    explicit shopify_verifier(std::span<const secret> secrets) : shopify_verifier(make(secrets).value()) {}
    explicit shopify_verifier(const secret& s) : shopify_verifier(make(s).value()) {}
    shopify_verifier(std::initializer_list<secret> secrets)
        : shopify_verifier(std::span<const secret>(secrets.begin(), secrets.size())) {}

    /// `now` is unused: Shopify signs no timestamp.
    result<verified_message> verify(const inbound_message& m, std::int64_t /*now*/) const {
        using namespace shopify_headers;
        auto sig_h = detail::required_header(m.headers, {hmac, hmac_unprefixed});
        if (!sig_h) return sig_h.error();
        auto mac = detail::decode_base64_mac(*sig_h, 32);
        if (!mac) return errc::malformed_header;
        auto topic_h = detail::optional_header(m.headers, {topic, topic_unprefixed});
        if (!topic_h) return topic_h.error();
        auto id_h = detail::optional_header(m.headers, {webhook_id, webhook_id_unprefixed});
        if (!id_h) return id_h.error();
        bool failed = false;
        if (!detail::any_key_matches(keys_, {m.body}, mac->view(), failed))
            return failed ? errc::crypto_failure : errc::no_matching_signature;
        return verified_message{*id_h ? std::string(**id_h) : std::string(),
                                *topic_h ? std::string(**topic_h) : std::string(), std::nullopt};
    }

    /// Verifies against the system clock (unused: Shopify signs no timestamp).
    result<verified_message> verify(const inbound_message& m) const { return verify(m, unix_now()); }

private:
    explicit shopify_verifier(std::vector<hmac_key> k) : keys_(std::move(k)) {}
    std::vector<hmac_key> keys_;
};

static_assert(signer<shopify_signer>);
static_assert(verifier<shopify_verifier>);

HOOKLINE_END_NAMESPACE
