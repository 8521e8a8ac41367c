/// \file Slack request signing: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>">`
/// with `X-Slack-Request-Timestamp: <unix seconds>`, keyed with the app's signing secret as plain text.
///
/// Thread-safety: `slack_signer` and `slack_verifier` are immutable after construction; one object (or
/// its copies) may sign or verify from any number of threads at once.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/schemes/detail/hmac_support.hpp>
#include <hookline/signing/schemes/detail/sdk_parsing.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/signing/verifier.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Header names Slack sends.
namespace slack_headers {
inline constexpr std::string_view signature = "X-Slack-Signature";
inline constexpr std::string_view timestamp = "X-Slack-Request-Timestamp";
} // namespace slack_headers

/// Signs like Slack. Slack's header holds one signature, so a signer has one secret; rotate on the
/// receiving side (a verifier trusts several).
class slack_signer {
public:
    static constexpr std::string_view scheme_name = "slack";

    /// `key`: the signing secret as shown by Slack, via `secret::from_bytes`.
    /// For senders that build a signer from an endpoint's keys: signs with the first one (this scheme's
    /// header carries a single signature). No keys: `errc::invalid_secret`.
    static result<slack_signer> make(std::span<const secret> keys) {
        if (keys.empty()) return errc::invalid_secret;
        return make(keys.front());
    }

    static result<slack_signer> make(const secret& key) {
        auto k = detail::make_hmac_keys(std::span<const secret>(&key, 1), hmac_digest::sha256);
        if (!k) return k.error();
        return slack_signer(std::move(k->front()));
    }

    /// Throwing form of `make`.
    explicit slack_signer(const secret& key) : slack_signer(make(key).value()) {}

    /// The `X-Slack-Signature` value: `v0=<lower-case hex>`.
    result<std::string> signature(std::int64_t timestamp, std::string_view body) const {
        auto hex = detail::encode_mac(key_, {"v0:", std::to_string(timestamp), ":", body}, detail::mac_encoding::hex);
        if (!hex) return hex.error();
        return "v0=" + *hex;
    }

    /// `X-Slack-Request-Timestamp` and `X-Slack-Signature` for `m`.
    result<header_map> sign(const outbound_message& m) const {
        auto sig = signature(m.timestamp, m.body);
        if (!sig) return sig.error();
        header_map h;
        h.reserve(2);
        h.add(std::string(slack_headers::timestamp), std::to_string(m.timestamp));
        h.add(std::string(slack_headers::signature), std::move(*sig));
        return h;
    }

private:
    explicit slack_signer(hmac_key k) : key_(std::move(k)) {}
    hmac_key key_;
};

/// Options of a `slack_verifier`.
struct slack_verifier_options {
    /// How far the signed timestamp may be from now (Slack recommends 5 minutes).
    std::chrono::seconds tolerance{300};
    /// Also reject timestamps more than `tolerance` in the future (`errc::timestamp_too_new`). Slack's
    /// Bolt only rejects old ones; set false to behave exactly like it.
    bool reject_future = true;
};

/// Accepts a request whose `X-Slack-Signature` (`v0=` and 64 lower-case hex digits; as in Bolt, text
/// after a further `=` is ignored) matches under any trusted secret, with `X-Slack-Request-Timestamp`
/// (decimal digits, signed as sent) within tolerance. Checks in order: both headers present and
/// single, timestamp well-formed, within tolerance, signature well-formed, a secret matches. Bolt
/// skips its staleness check for a timestamp that is not a number; hookline refuses one. The id and type of an Events
/// API callback are in its JSON body
/// (`event_id`, `type`); slash commands and interactivity payloads are form-encoded and carry none.
class slack_verifier {
public:
    static constexpr std::string_view scheme_name = "slack";
    /// Where an Events API callback carries its id and type (JSON body).
    static constexpr std::string_view body_id_field = "event_id";
    static constexpr std::string_view body_type_field = "type";

    /// `secrets`: signing secrets (plain text, via `secret::from_bytes`); several during a rotation.
    static result<slack_verifier> make(std::span<const secret> secrets, slack_verifier_options options = {}) {
        if (options.tolerance.count() < 0) return errc::invalid_argument;
        auto k = detail::make_hmac_keys(secrets, hmac_digest::sha256);
        if (!k) return k.error();
        return slack_verifier(std::move(*k), options);
    }
    static result<slack_verifier> make(const secret& key, slack_verifier_options options = {}) {
        return make(std::span<const secret>(&key, 1), options);
    }

    /// Throwing forms of `make`.
    explicit slack_verifier(std::span<const secret> secrets, slack_verifier_options options = {})
        : slack_verifier(make(secrets, options).value()) {}
    explicit slack_verifier(const secret& key, slack_verifier_options options = {})
        : slack_verifier(make(key, options).value()) {}
    slack_verifier(std::initializer_list<secret> secrets, slack_verifier_options options = {})
        : slack_verifier(std::span<const secret>(secrets.begin(), secrets.size()), options) {}

    const slack_verifier_options& options() const noexcept { return options_; }

    result<verified_message> verify(const inbound_message& m, std::int64_t now) const {
        auto ts_h = detail::required_header(m.headers, {slack_headers::timestamp});
        auto sig_h = detail::required_header(m.headers, {slack_headers::signature});
        if (!ts_h) return ts_h.error();
        if (!sig_h) return sig_h.error();
        auto ts = detail::parse_unix_seconds(*ts_h);
        if (!ts) return errc::malformed_header;
        const std::int64_t tolerance = options_.tolerance.count();
        if (now - *ts > tolerance) return errc::timestamp_too_old;
        if (options_.reject_future && *ts - now > tolerance) return errc::timestamp_too_new;

        // As Bolt reads it: `signature.split('=')`, version "v0", the hash up to any further `=`.
        auto hash = detail::js_split_field(*sig_h, '=', 1);
        if (*detail::js_split_field(*sig_h, '=', 0) != "v0" || !hash) return errc::malformed_header;
        auto mac = detail::decode_hex_mac(*hash, 32);
        if (!mac) return errc::malformed_header;

        bool crypto_failed = false;
        if (!detail::any_key_matches(keys_, {"v0:", *ts_h, ":", m.body}, mac->view(), crypto_failed))
            return crypto_failed ? errc::crypto_failure : errc::no_matching_signature;
        return verified_message{{}, {}, *ts};
    }

    /// Verifies against the system clock.
    result<verified_message> verify(const inbound_message& m) const { return verify(m, unix_now()); }

private:
    slack_verifier(std::vector<hmac_key> k, slack_verifier_options o) : keys_(std::move(k)), options_(o) {}
    std::vector<hmac_key> keys_;
    slack_verifier_options options_;
};

static_assert(signer<slack_signer>);
static_assert(verifier<slack_verifier>);

HOOKLINE_END_NAMESPACE
