/// \file Square webhooks (`x-square-hmacsha256-signature`): base64 HMAC-SHA256 of the notification URL
/// followed by the raw body, keyed with the subscription's signature key used as text (it looks like
/// base64 but is not decoded: build it with `secret::from_bytes`). The URL must be exactly the one the
/// subscription was created with; Square normalises nothing. The event id and type are in the body
/// (`"event_id"`, `"type"`).
///
/// Thread-safety: `square_signer` and `square_verifier` are immutable after construction; one object
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

/// Header names Square sends.
namespace square_headers {
inline constexpr std::string_view signature = "x-square-hmacsha256-signature";
} // namespace square_headers

/// Signs as Square does. The notification URL (`outbound_message::url`) is required. Square's header
/// holds one signature, so a signer given several keys signs with the first.
class square_signer {
public:
    static constexpr std::string_view scheme_name = "square";

    /// Fails with `errc::invalid_secret` for no keys and `errc::invalid_key` for a non-HMAC secret.
    static result<square_signer> make(std::span<const secret> signature_keys) {
        auto keys = detail::make_hmac_keys(signature_keys, hmac_digest::sha256);
        if (!keys) return keys.error();
        return square_signer(std::move(keys->front()));
    }
    static result<square_signer> make(const secret& signature_key) {
        return make(std::span<const secret>(&signature_key, 1));
    }

    /// Throwing forms of `make`.
    explicit square_signer(std::span<const secret> signature_keys) : square_signer(make(signature_keys).value()) {}
    explicit square_signer(const secret& signature_key) : square_signer(make(signature_key).value()) {}
    square_signer(std::initializer_list<secret> signature_keys)
        : square_signer(std::span<const secret>(signature_keys.begin(), signature_keys.size())) {}

    /// The `x-square-hmacsha256-signature` value; `errc::missing_url` for an empty URL.
    result<std::string> signature(std::string_view url, std::string_view body) const {
        if (url.empty()) return errc::missing_url;
        return detail::encode_mac(key_, {url, body}, detail::mac_encoding::base64);
    }

    result<header_map> sign(const outbound_message& m) const {
        auto sig = signature(m.url, m.body);
        if (!sig) return sig.error();
        header_map h;
        h.add(std::string(square_headers::signature), std::move(*sig));
        return h;
    }

private:
    explicit square_signer(hmac_key k) : key_(std::move(k)) {}
    hmac_key key_;
};

/// Accepts a request when its signature matches under any trusted signature key (rotation). Checks
/// run in order: URL given (`missing_url`), header present and single (`missing_header`,
/// `duplicate_header`), 44 characters of canonical base64 (`malformed_header`), a key matches
/// (`no_matching_signature`). Square signs no timestamp; `verified_message` stays empty, and the
/// receiver reads the id and type from the body fields named below.
class square_verifier {
public:
    static constexpr std::string_view scheme_name = "square";
    static constexpr std::string_view body_id_field = "event_id";
    static constexpr std::string_view body_type_field = "type";

    /// Fails with `errc::invalid_secret` for no keys and `errc::invalid_key` for a non-HMAC secret.
    static result<square_verifier> make(std::span<const secret> signature_keys) {
        auto keys = detail::make_hmac_keys(signature_keys, hmac_digest::sha256);
        if (!keys) return keys.error();
        return square_verifier(std::move(*keys));
    }
    static result<square_verifier> make(const secret& signature_key) {
        return make(std::span<const secret>(&signature_key, 1));
    }

    /// Throwing forms of `make`.
    explicit square_verifier(std::span<const secret> signature_keys) : square_verifier(make(signature_keys).value()) {}
    explicit square_verifier(const secret& signature_key) : square_verifier(make(signature_key).value()) {}
    square_verifier(std::initializer_list<secret> signature_keys)
        : square_verifier(std::span<const secret>(signature_keys.begin(), signature_keys.size())) {}

    /// `m.url` must be the subscription's notification URL, byte for byte. `now` is unused.
    result<verified_message> verify(const inbound_message& m, std::int64_t /*now*/) const {
        if (m.url.empty()) return errc::missing_url;
        auto sig_h = detail::required_header(m.headers, {square_headers::signature});
        if (!sig_h) return sig_h.error();
        auto mac = detail::decode_base64_mac(*sig_h, 32);
        if (!mac) return errc::malformed_header;
        bool failed = false;
        if (!detail::any_key_matches(keys_, {m.url, m.body}, mac->view(), failed))
            return failed ? errc::crypto_failure : errc::no_matching_signature;
        return verified_message{};
    }

    /// Verifies against the system clock (unused: Square signs no timestamp).
    result<verified_message> verify(const inbound_message& m) const { return verify(m, unix_now()); }

private:
    explicit square_verifier(std::vector<hmac_key> k) : keys_(std::move(k)) {}
    std::vector<hmac_key> keys_;
};

static_assert(signer<square_signer>);
static_assert(verifier<square_verifier>);

HOOKLINE_END_NAMESPACE
