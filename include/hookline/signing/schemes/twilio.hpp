/// \file Twilio request validation (`X-Twilio-Signature`): base64 HMAC-SHA1, keyed with the account's
/// auth token, of the full request URL followed by the POST parameters sorted by name, each written
/// as `name` + `value` with no separators. JSON bodies use the `bodySHA256` variant: the signature
/// covers the URL alone, and the URL's `bodySHA256` query parameter must be the hex SHA-256 of the body.
///
/// The variant is chosen per request:
/// - the URL has a `bodySHA256` query parameter, or the request's `Content-Type` is
///   `application/json`: the JSON variant (a JSON request whose URL lacks `bodySHA256` fails with
///   `errc::body_hash_mismatch` once the signature itself has matched);
/// - otherwise the body is read as `application/x-www-form-urlencoded` POST parameters (an empty
///   body, as in GET requests, means no parameters).
///
/// Repeated parameter names follow twilio-node: a name's values are de-duplicated and sorted. Names
/// and values are compared as bytes (twilio-node compares UTF-16 code units; the orders agree except
/// between characters above U+FFFF and U+E000..U+FFFF).
///
/// Thread-safety: `twilio_signer` and `twilio_verifier` are immutable after construction; one object
/// (or its copies) may sign or verify from any number of threads at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/form.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/schemes/detail/hmac_support.hpp>
#include <hookline/signing/schemes/detail/twilio_url.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/signing/verifier.hpp>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Header names Twilio sends.
namespace twilio_headers {
inline constexpr std::string_view signature = "X-Twilio-Signature";
inline constexpr std::string_view idempotency_token = "I-Twilio-Idempotency-Token";
} // namespace twilio_headers

namespace detail {
inline constexpr std::size_t twilio_mac_size = 20; // SHA-1
inline constexpr std::string_view twilio_body_hash_name = "bodySHA256";

/// The concatenation `name1value1name2value2...` over the fields sorted by name, a name's values
/// de-duplicated and sorted: sorting (name, value) pairs and dropping equal neighbours does exactly that.
inline std::string twilio_params_string(std::vector<form_field> fields) {
    std::sort(fields.begin(), fields.end());
    fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
    std::size_t n = 0;
    for (const auto& f : fields) n += f.name.size() + f.value.size();
    std::string out;
    out.reserve(n);
    for (const auto& f : fields) out.append(f.name).append(f.value);
    return out;
}

/// The raw value of the URL's first `bodySHA256` query parameter, if any.
inline std::optional<std::string_view> twilio_body_hash_param(std::string_view url) {
    std::size_t q = url.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view query = url.substr(q + 1);
    query = query.substr(0, query.find('#'));
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view segment = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        std::size_t eq = segment.find('=');
        if (segment.substr(0, eq) == twilio_body_hash_name)
            return eq == std::string_view::npos ? std::string_view{} : segment.substr(eq + 1);
    }
    return std::nullopt;
}

/// True when `param` is the lower-case hex SHA-256 of `body` (twilio-node compares the text).
inline bool twilio_body_hash_matches(std::string_view param, std::string_view body) {
    auto expected = decode_hex_mac(param, 32);
    return expected && sha256(body).matches(expected->view());
}

/// True when the request's Content-Type is `application/json` (parameters such as charset ignored).
inline bool twilio_is_json(header_view h) {
    auto ct = h.get("Content-Type");
    if (!ct) return false;
    std::string_view v = *ct;
    return iequals(trim(v.substr(0, v.find(';'))), "application/json");
}

/// The URLs a signature may have been computed over: those twilio-node's `validateRequest` tries
/// (see detail/twilio_url.hpp), the URL as received first.
inline std::vector<std::string> twilio_url_variants(std::string_view url) { return twilio_url::variants(url); }
} // namespace detail

/// `url` with `bodySHA256=<hex SHA-256 of body>` appended to its query, as Twilio does for JSON
/// bodies. Send the request to this URL and sign it with `twilio_signer`.
inline std::string twilio_url_with_body_hash(std::string_view url, std::string_view body) {
    std::string out(url);
    out.append(url.find('?') == std::string_view::npos ? "?" : "&");
    out.append(detail::twilio_body_hash_name).append("=").append(hex_encode(sha256(body).view()));
    return out;
}

/// Signs requests as Twilio does: `X-Twilio-Signature`, plus `I-Twilio-Idempotency-Token` carrying
/// the message id when it is not empty. The URL (`outbound_message::url`) is required. A URL with a
/// `bodySHA256` parameter (see `twilio_url_with_body_hash`) selects the JSON variant and must hash the
/// body; otherwise the body must be form-encoded POST parameters.
///
/// Twilio's header holds one signature, so a signer given several auth tokens signs with the first;
/// during a rotation, sign with the new token and let receivers trust both.
class twilio_signer {
public:
    static constexpr std::string_view scheme_name = "twilio";

    /// Fails with `errc::invalid_secret` for no tokens and `errc::invalid_key` for a non-HMAC secret.
    static result<twilio_signer> make(std::span<const secret> auth_tokens) {
        auto keys = detail::make_hmac_keys(auth_tokens, hmac_digest::sha1);
        if (!keys) return keys.error();
        return twilio_signer(std::move(keys->front()));
    }
    static result<twilio_signer> make(const secret& auth_token) {
        return make(std::span<const secret>(&auth_token, 1));
    }

    /// Throwing forms of `make`.
    explicit twilio_signer(std::span<const secret> auth_tokens) : twilio_signer(make(auth_tokens).value()) {}
    explicit twilio_signer(const secret& auth_token) : twilio_signer(make(auth_token).value()) {}
    twilio_signer(std::initializer_list<secret> auth_tokens)
        : twilio_signer(std::span<const secret>(auth_tokens.begin(), auth_tokens.size())) {}

    /// The `X-Twilio-Signature` value for a request to `url` with `body`. Errors: `missing_url`,
    /// `body_hash_mismatch` (the URL's `bodySHA256` is not the body's), `malformed_body` (a form body
    /// with a bad `%` escape), `crypto_failure`.
    result<std::string> signature(std::string_view url, std::string_view body) const {
        if (url.empty()) return errc::missing_url;
        if (auto hash = detail::twilio_body_hash_param(url)) {
            if (!detail::twilio_body_hash_matches(*hash, body)) return errc::body_hash_mismatch;
            return detail::encode_mac(key_, {url}, detail::mac_encoding::base64);
        }
        auto fields = parse_form_urlencoded(body);
        if (!fields) return fields.error();
        const std::string params = detail::twilio_params_string(std::move(*fields));
        return detail::encode_mac(key_, {url, params}, detail::mac_encoding::base64);
    }

    /// The signature of the POST parameters `params` (in any order) for a request to `url`.
    result<std::string> signature(std::string_view url, std::vector<form_field> params) const {
        if (url.empty()) return errc::missing_url;
        const std::string joined = detail::twilio_params_string(std::move(params));
        return detail::encode_mac(key_, {url, joined}, detail::mac_encoding::base64);
    }

    /// `X-Twilio-Signature` (and `I-Twilio-Idempotency-Token` for a non-empty id) for `m`.
    result<header_map> sign(const outbound_message& m) const {
        auto sig = signature(m.url, m.body);
        if (!sig) return sig.error();
        header_map h;
        h.add(std::string(twilio_headers::signature), std::move(*sig));
        if (!m.id.empty()) h.add(std::string(twilio_headers::idempotency_token), std::string(m.id));
        return h;
    }

private:
    explicit twilio_signer(hmac_key k) : key_(std::move(k)) {}
    hmac_key key_;
};

/// Options of a `twilio_verifier`.
struct twilio_verifier_options {
    /// Also accept signatures over the URL forms twilio-node 6.2's `validateRequest` tries: any port
    /// removed, the scheme's default port added, and the WHATWG-normalised URL (lower-case scheme
    /// and host, no default port, `/` for an empty path, dot segments resolved, some characters
    /// percent-encoded) without and with a port, each also with its query re-encoded by Node's
    /// legacy `querystring` (repeated names grouped, numeric names first). false: the URL as given.
    bool url_variants = true;
};

/// Accepts a request when `X-Twilio-Signature` matches under any trusted auth token (rotation). Checks
/// run in order: URL given (`missing_url`), signature header present and single (`missing_header`,
/// `duplicate_header`), signature 28 characters of canonical base64 (`malformed_header`), idempotency
/// token not repeated (`duplicate_header`), form body decodes (`malformed_body`), a signature matches
/// (`no_matching_signature`), and for the JSON variant the body hash (`body_hash_mismatch`).
/// Twilio signs no timestamp; deduplicate with the idempotency token, which becomes
/// `verified_message::id` when present.
class twilio_verifier {
public:
    static constexpr std::string_view scheme_name = "twilio";
    /// Twilio identifies requests by header (or by fields such as `CallSid` in form bodies), not JSON.
    static constexpr std::string_view body_id_field{};
    static constexpr std::string_view body_type_field{};

    /// Fails with `errc::invalid_secret` for no tokens and `errc::invalid_key` for a non-HMAC secret.
    static result<twilio_verifier> make(std::span<const secret> auth_tokens, twilio_verifier_options options = {}) {
        auto keys = detail::make_hmac_keys(auth_tokens, hmac_digest::sha1);
        if (!keys) return keys.error();
        return twilio_verifier(std::move(*keys), options);
    }
    static result<twilio_verifier> make(const secret& auth_token, twilio_verifier_options options = {}) {
        return make(std::span<const secret>(&auth_token, 1), options);
    }

    /// Throwing forms of `make`.
    explicit twilio_verifier(std::span<const secret> auth_tokens, twilio_verifier_options options = {})
        : twilio_verifier(make(auth_tokens, options).value()) {}
    explicit twilio_verifier(const secret& auth_token, twilio_verifier_options options = {})
        : twilio_verifier(make(auth_token, options).value()) {}
    twilio_verifier(std::initializer_list<secret> auth_tokens, twilio_verifier_options options = {})
        : twilio_verifier(std::span<const secret>(auth_tokens.begin(), auth_tokens.size()), options) {}

    const twilio_verifier_options& options() const noexcept { return options_; }

    /// `m.url` must be the full public URL Twilio requested, query string included. `now` is unused:
    /// Twilio signs no timestamp.
    result<verified_message> verify(const inbound_message& m, std::int64_t /*now*/) const {
        if (m.url.empty()) return errc::missing_url;
        auto sig_h = detail::required_header(m.headers, {twilio_headers::signature});
        if (!sig_h) return sig_h.error();
        auto mac = detail::decode_base64_mac(*sig_h, detail::twilio_mac_size);
        if (!mac) return errc::malformed_header;
        auto id_h = detail::optional_header(m.headers, {twilio_headers::idempotency_token});
        if (!id_h) return id_h.error();

        auto body_hash = detail::twilio_body_hash_param(m.url);
        const bool json = body_hash.has_value() || detail::twilio_is_json(m.headers);
        std::string params;
        if (!json) {
            auto fields = parse_form_urlencoded(m.body);
            if (!fields) return fields.error();
            params = detail::twilio_params_string(std::move(*fields));
        }

        bool matched = false, failed = false;
        if (options_.url_variants) {
            for (const auto& url : detail::twilio_url_variants(m.url))
                if (detail::any_key_matches(keys_, {url, params}, mac->view(), failed)) {
                    matched = true;
                    break;
                }
        } else {
            matched = detail::any_key_matches(keys_, {m.url, params}, mac->view(), failed);
        }
        if (!matched) return failed ? errc::crypto_failure : errc::no_matching_signature;
        if (json && (!body_hash || !detail::twilio_body_hash_matches(*body_hash, m.body)))
            return errc::body_hash_mismatch;
        return verified_message{*id_h ? std::string(**id_h) : std::string(), {}, std::nullopt};
    }

    /// Verifies against the system clock (unused: Twilio signs no timestamp).
    result<verified_message> verify(const inbound_message& m) const { return verify(m, unix_now()); }

private:
    twilio_verifier(std::vector<hmac_key> k, twilio_verifier_options o) : keys_(std::move(k)), options_(o) {}
    std::vector<hmac_key> keys_;
    twilio_verifier_options options_;
};

static_assert(signer<twilio_signer>);
static_assert(verifier<twilio_verifier>);

HOOKLINE_END_NAMESPACE
