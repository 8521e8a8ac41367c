/// \file Stripe webhooks: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=<hex>]`, each `v1` the
/// hex HMAC-SHA256 of `<t>.<raw body>`. The key is the endpoint's whole signing secret string,
/// `whsec_...` included, as bytes: build it with `secret::from_bytes("whsec_...")`, not `secret::parse`
/// (which would base64-decode it and yield a different key).
///
/// Thread-safety: `stripe_signer` and `stripe_verifier` are immutable after construction; one object
/// (or its copies) may sign or verify from any number of threads at once.
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
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Header names Stripe sends.
namespace stripe_headers {
inline constexpr std::string_view signature = "Stripe-Signature";
} // namespace stripe_headers

namespace detail::stripe {
/// Calls `f(name, value)` for each comma-separated element of `header` as stripe-node reads it:
/// `name` is the text before the first `=` (taken as is: no trimming, case-sensitive) and `value`
/// the text between the first and the second `=` (nullopt when there is no `=`). Empty elements and
/// unknown names are the caller's to skip.
template <class F>
void for_each_element(std::string_view header, F&& f) {
    while (true) {
        std::size_t comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        f(*js_split_field(item, '=', 0), js_split_field(item, '=', 1));
        if (comma == std::string_view::npos) return;
        header.remove_prefix(comma + 1);
    }
}
} // namespace detail::stripe

/// Signs like Stripe: one `v1` signature per key, so during a secret roll receivers holding either the
/// old or the new secret accept the message (as Stripe does when it rolls an endpoint's secret).
class stripe_signer {
public:
    static constexpr std::string_view scheme_name = "stripe";

    /// `keys`: signing secrets (`secret::from_bytes("whsec_...")`). `errc::invalid_secret` for none.
    static result<stripe_signer> make(std::span<const secret> keys) {
        auto k = detail::make_hmac_keys(keys, hmac_digest::sha256);
        if (!k) return k.error();
        return stripe_signer(std::move(*k));
    }
    static result<stripe_signer> make(const secret& key) { return make(std::span<const secret>(&key, 1)); }

    /// Throwing forms of `make`.
    explicit stripe_signer(std::span<const secret> keys) : stripe_signer(make(keys).value()) {}
    explicit stripe_signer(const secret& key) : stripe_signer(make(key).value()) {}
    stripe_signer(std::initializer_list<secret> keys)
        : stripe_signer(std::span<const secret>(keys.begin(), keys.size())) {}

    /// The `Stripe-Signature` value: `t=<timestamp>,v1=<hex>[,v1=<hex>...]`.
    result<std::string> signature(std::int64_t timestamp, std::string_view body) const {
        const std::string ts = std::to_string(timestamp);
        std::string out = "t=" + ts;
        for (const auto& k : keys_) {
            auto hex = detail::encode_mac(k, {ts, ".", body}, detail::mac_encoding::hex);
            if (!hex) return hex.error();
            out.append(",v1=").append(*hex);
        }
        return out;
    }

    /// `Stripe-Signature` for `m` (its id and event type travel in the JSON body, not in headers).
    result<header_map> sign(const outbound_message& m) const {
        auto sig = signature(m.timestamp, m.body);
        if (!sig) return sig.error();
        header_map h;
        h.add(std::string(stripe_headers::signature), std::move(*sig));
        return h;
    }

private:
    explicit stripe_signer(std::vector<hmac_key> k) : keys_(std::move(k)) {}
    std::vector<hmac_key> keys_;
};

/// Options of a `stripe_verifier`.
struct stripe_verifier_options {
    /// How far the signed timestamp may be from now (Stripe's SDKs default to 300 s).
    std::chrono::seconds tolerance{300};
    /// Also reject timestamps more than `tolerance` in the future (`errc::timestamp_too_new`). Stripe's
    /// own SDKs only reject old ones; set false to behave exactly like them.
    bool reject_future = true;
};

/// Accepts a message when any `v1` signature in `Stripe-Signature` matches any trusted secret and `t`
/// is within tolerance. The header is read as stripe-node 23 reads it: comma-separated `name=value`
/// elements; the last `t` is the timestamp (`parseInt`: digits after optional white space, anything
/// after them ignored; the signed content uses the number, not the text); every `v1` is a candidate,
/// and one that is not 64 lower-case hex digits simply matches nothing (but an empty one voids the
/// header, as stripe-node throws on it); other names (`v0`, ` v1` with a space, `V1`) and elements
/// without `=` are skipped. Errors in order: header absent (`missing_header`) or repeated
/// (`duplicate_header`); an empty body (`malformed_body`, as stripe-node); no usable `t`, no `v1`
/// element or an empty one (`malformed_header`); timestamp out of tolerance; no `v1` matches
/// (`no_matching_signature`). Stripe puts the event id and type in the JSON body (`id`, `type`): the
/// result leaves them empty and carries the signed timestamp.
class stripe_verifier {
public:
    static constexpr std::string_view scheme_name = "stripe";
    /// Where the event id and type are in the JSON body.
    static constexpr std::string_view body_id_field = "id";
    static constexpr std::string_view body_type_field = "type";

    /// `secrets`: endpoint signing secrets (`secret::from_bytes("whsec_...")`); several during a roll.
    static result<stripe_verifier> make(std::span<const secret> secrets, stripe_verifier_options options = {}) {
        if (options.tolerance.count() < 0) return errc::invalid_argument;
        auto k = detail::make_hmac_keys(secrets, hmac_digest::sha256);
        if (!k) return k.error();
        return stripe_verifier(std::move(*k), options);
    }
    static result<stripe_verifier> make(const secret& key, stripe_verifier_options options = {}) {
        return make(std::span<const secret>(&key, 1), options);
    }

    /// Throwing forms of `make`.
    explicit stripe_verifier(std::span<const secret> secrets, stripe_verifier_options options = {})
        : stripe_verifier(make(secrets, options).value()) {}
    explicit stripe_verifier(const secret& key, stripe_verifier_options options = {})
        : stripe_verifier(make(key, options).value()) {}
    stripe_verifier(std::initializer_list<secret> secrets, stripe_verifier_options options = {})
        : stripe_verifier(std::span<const secret>(secrets.begin(), secrets.size()), options) {}

    const stripe_verifier_options& options() const noexcept { return options_; }

    result<verified_message> verify(const inbound_message& m, std::int64_t now) const {
        auto header = detail::required_header(m.headers, {stripe_headers::signature});
        if (!header) return header.error();
        if (m.body.empty()) return errc::malformed_body; // stripe-node refuses an empty payload

        std::optional<std::string_view> ts_text; // the last `t`, as stripe-node keeps it
        std::size_t v1_count = 0;
        bool empty_v1 = false; // stripe-node throws on an empty `v1`, whatever else the header holds
        detail::stripe::for_each_element(*header, [&](std::string_view k, std::optional<std::string_view> v) {
            if (k == "t") ts_text = v.value_or(std::string_view{});
            if (k != "v1") return;
            ++v1_count;
            empty_v1 = empty_v1 || !v || v->empty();
        });
        if (!ts_text || v1_count == 0 || empty_v1) return errc::malformed_header;
        auto ts = detail::js_parse_int_seconds(*ts_text);
        if (!ts) return errc::malformed_header;

        const std::int64_t tolerance = options_.tolerance.count();
        if (now - *ts > tolerance) return errc::timestamp_too_old;
        if (options_.reject_future && *ts - now > tolerance) return errc::timestamp_too_new;

        // One MAC per key over `<t as a number>.<body>`, compared against every v1 (constant time each).
        const std::string ts_signed = std::to_string(*ts);
        std::vector<digest_value> macs;
        macs.reserve(keys_.size());
        for (const auto& k : keys_) {
            macs.push_back(k.compute({ts_signed, ".", m.body}));
            if (macs.back().size == 0) return errc::crypto_failure;
        }
        bool matched = false;
        detail::stripe::for_each_element(*header, [&](std::string_view k, std::optional<std::string_view> v) {
            if (k != "v1" || !v) return;
            auto candidate = detail::decode_hex_mac(*v, 32);
            for (const auto& mac : macs) matched = (candidate && mac.matches(candidate->view())) || matched;
        });
        if (!matched) return errc::no_matching_signature;
        return verified_message{{}, {}, *ts};
    }

    /// Verifies against the system clock.
    result<verified_message> verify(const inbound_message& m) const { return verify(m, unix_now()); }

private:
    stripe_verifier(std::vector<hmac_key> k, stripe_verifier_options o) : keys_(std::move(k)), options_(o) {}
    std::vector<hmac_key> keys_;
    stripe_verifier_options options_;
};

static_assert(signer<stripe_signer>);
static_assert(verifier<stripe_verifier>);

HOOKLINE_END_NAMESPACE
