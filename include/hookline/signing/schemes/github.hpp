/// \file GitHub webhooks: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, keyed with
/// the webhook's secret as plain text. The legacy `X-Hub-Signature: sha1=<hex>` is off unless enabled.
/// GitHub signs no timestamp: replay protection has to come from de-duplicating `X-GitHub-Delivery`.
///
/// Thread-safety: `github_signer` and `github_verifier` are immutable after construction; one object
/// (or its copies) may sign or verify from any number of threads at once.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/schemes/detail/hmac_support.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/signing/verifier.hpp>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Header names GitHub sends.
namespace github_headers {
inline constexpr std::string_view signature_256 = "X-Hub-Signature-256";
inline constexpr std::string_view signature_sha1 = "X-Hub-Signature";
inline constexpr std::string_view event = "X-GitHub-Event";
inline constexpr std::string_view delivery = "X-GitHub-Delivery";
} // namespace github_headers

/// Options of a `github_signer`.
struct github_signer_options {
    /// Also emit the legacy `X-Hub-Signature: sha1=...` header (for receivers that only know it).
    bool legacy_sha1 = false;
};

/// Signs like GitHub: `X-Hub-Signature-256` over the body, plus `X-GitHub-Event` and
/// `X-GitHub-Delivery` from the message's event type and id when they are not empty. GitHub's header
/// holds one signature, so a signer has one secret; rotate on the receiving side (a verifier trusts
/// several).
class github_signer {
public:
    static constexpr std::string_view scheme_name = "github";

    /// `key`: the webhook secret as typed in GitHub, via `secret::from_bytes`.
    /// `errc::invalid_key` for an Ed25519 key.
    /// For senders that build a signer from an endpoint's keys: signs with the first one (this scheme's
    /// header carries a single signature). No keys: `errc::invalid_secret`.
    static result<github_signer> make(std::span<const secret> keys, github_signer_options options = {}) {
        if (keys.empty()) return errc::invalid_secret;
        return make(keys.front(), options);
    }

    static result<github_signer> make(const secret& key, github_signer_options options = {}) {
        auto k = detail::make_hmac_keys(std::span<const secret>(&key, 1), hmac_digest::sha256);
        if (!k) return k.error();
        std::vector<hmac_key> sha1;
        if (options.legacy_sha1) {
            auto k1 = detail::make_hmac_keys(std::span<const secret>(&key, 1), hmac_digest::sha1);
            if (!k1) return k1.error();
            sha1 = std::move(*k1);
        }
        return github_signer(std::move(k->front()), std::move(sha1));
    }

    /// Throwing form of `make`.
    explicit github_signer(const secret& key, github_signer_options options = {})
        : github_signer(make(key, options).value()) {}

    /// The `X-Hub-Signature-256` value: `sha256=<lower-case hex>`.
    result<std::string> signature(std::string_view body) const {
        auto hex = detail::encode_mac(sha256_, {body}, detail::mac_encoding::hex);
        if (!hex) return hex.error();
        return "sha256=" + *hex;
    }

    result<header_map> sign(const outbound_message& m) const {
        auto sig = signature(m.body);
        if (!sig) return sig.error();
        header_map h;
        h.reserve(4);
        h.add(std::string(github_headers::signature_256), std::move(*sig));
        if (!sha1_.empty()) {
            auto hex = detail::encode_mac(sha1_.front(), {m.body}, detail::mac_encoding::hex);
            if (!hex) return hex.error();
            h.add(std::string(github_headers::signature_sha1), "sha1=" + *hex);
        }
        if (!m.event_type.empty()) h.add(std::string(github_headers::event), std::string(m.event_type));
        if (!m.id.empty()) h.add(std::string(github_headers::delivery), std::string(m.id));
        return h;
    }

private:
    github_signer(hmac_key k, std::vector<hmac_key> sha1) : sha256_(std::move(k)), sha1_(std::move(sha1)) {}
    hmac_key sha256_;
    std::vector<hmac_key> sha1_; // empty unless legacy_sha1
};

/// Options of a `github_verifier`.
struct github_verifier_options {
    /// Accept `X-Hub-Signature: sha1=...` when `X-Hub-Signature-256` is absent. Off by default: SHA-1
    /// signatures are legacy and a downgrade an attacker could choose. When both headers are present
    /// only the SHA-256 one is checked.
    bool accept_sha1 = false;
};

/// Accepts a request whose `X-Hub-Signature-256` matches the body under any trusted secret. Checks in
/// order: signature header present and single, body not empty (`malformed_body`, as
/// @octokit/webhooks-methods), well-formed (`sha256=` and 64 lower-case hex digits: octokit compares
/// the exact text), event and delivery headers not repeated, a secret matches. The result carries the event type
/// (`X-GitHub-Event`) and delivery id (`X-GitHub-Delivery`), empty when absent; no timestamp.
class github_verifier {
public:
    static constexpr std::string_view scheme_name = "github";
    /// GitHub's body carries neither the delivery id nor the event type (both are headers).
    static constexpr std::string_view body_id_field{};
    static constexpr std::string_view body_type_field{};

    /// `secrets`: the webhook secrets (plain text, via `secret::from_bytes`); several during a rotation.
    static result<github_verifier> make(std::span<const secret> secrets, github_verifier_options options = {}) {
        auto k = detail::make_hmac_keys(secrets, hmac_digest::sha256);
        if (!k) return k.error();
        std::vector<hmac_key> sha1;
        if (options.accept_sha1) {
            auto k1 = detail::make_hmac_keys(secrets, hmac_digest::sha1);
            if (!k1) return k1.error();
            sha1 = std::move(*k1);
        }
        return github_verifier(std::move(*k), std::move(sha1), options);
    }
    static result<github_verifier> make(const secret& key, github_verifier_options options = {}) {
        return make(std::span<const secret>(&key, 1), options);
    }

    /// Throwing forms of `make`.
    explicit github_verifier(std::span<const secret> secrets, github_verifier_options options = {})
        : github_verifier(make(secrets, options).value()) {}
    explicit github_verifier(const secret& key, github_verifier_options options = {})
        : github_verifier(make(key, options).value()) {}
    github_verifier(std::initializer_list<secret> secrets, github_verifier_options options = {})
        : github_verifier(std::span<const secret>(secrets.begin(), secrets.size()), options) {}

    const github_verifier_options& options() const noexcept { return options_; }

    /// `now` is unused: GitHub signs no timestamp.
    result<verified_message> verify(const inbound_message& m, std::int64_t /*now*/) const {
        using namespace github_headers;
        const std::vector<hmac_key>* keys = &sha256_;
        std::string_view prefix = "sha256=";
        std::size_t mac_size = 32;
        auto sig = detail::required_header(m.headers, {signature_256});
        if (!sig && sig.error() == errc::missing_header && options_.accept_sha1) {
            sig = detail::required_header(m.headers, {signature_sha1});
            keys = &sha1_;
            prefix = "sha1=";
            mac_size = 20;
        }
        if (!sig) return sig.error();
        if (m.body.empty()) return errc::malformed_body; // @octokit/webhooks-methods refuses an empty payload
        if (!sig->starts_with(prefix)) return errc::malformed_header;
        auto mac = detail::decode_hex_mac(sig->substr(prefix.size()), mac_size);
        if (!mac) return errc::malformed_header;
        auto event_h = detail::optional_header(m.headers, {github_headers::event});
        if (!event_h) return event_h.error();
        auto delivery_h = detail::optional_header(m.headers, {delivery});
        if (!delivery_h) return delivery_h.error();

        bool crypto_failed = false;
        if (!detail::any_key_matches(*keys, {m.body}, mac->view(), crypto_failed))
            return crypto_failed ? errc::crypto_failure : errc::no_matching_signature;
        return verified_message{std::string(delivery_h->value_or("")), std::string(event_h->value_or("")),
                                std::nullopt};
    }

    /// Verifies against the system clock (which GitHub's scheme does not use).
    result<verified_message> verify(const inbound_message& m) const { return verify(m, unix_now()); }

private:
    github_verifier(std::vector<hmac_key> k, std::vector<hmac_key> sha1, github_verifier_options o)
        : sha256_(std::move(k)), sha1_(std::move(sha1)), options_(o) {}
    std::vector<hmac_key> sha256_;
    std::vector<hmac_key> sha1_; // empty unless accept_sha1
    github_verifier_options options_;
};

static_assert(signer<github_signer>);
static_assert(verifier<github_verifier>);

HOOKLINE_END_NAMESPACE
