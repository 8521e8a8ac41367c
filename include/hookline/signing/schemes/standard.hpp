/// \file Standard Webhooks (spec v1.0.0): `v1` HMAC-SHA256 and `v1a` Ed25519 signatures, with key
/// rotation. hookline's own format and the one its sender emits by default.
///
/// Thread-safety: `standard_signer` and `standard_verifier` are immutable after construction; one
/// object (or its copies) may sign or verify from any number of threads at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/schemes/detail/sdk_parsing.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/signing/verifier.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Header names of the Standard Webhooks format, and the `svix-` names verifiers also accept.
namespace standard_headers {
inline constexpr std::string_view id = "webhook-id";
inline constexpr std::string_view timestamp = "webhook-timestamp";
inline constexpr std::string_view signature = "webhook-signature";
inline constexpr std::string_view svix_id = "svix-id";
inline constexpr std::string_view svix_timestamp = "svix-timestamp";
inline constexpr std::string_view svix_signature = "svix-signature";
} // namespace standard_headers

namespace detail {
/// The keys of a Standard Webhooks signer or verifier, scheduled once.
struct standard_keys {
    std::vector<hmac_key> hmac;
    std::vector<ed25519_key> ed25519;

    static result<standard_keys> make(std::span<const secret> secrets, bool signing) {
        if (secrets.empty()) return errc::invalid_secret;
        standard_keys keys;
        for (const auto& s : secrets) {
            switch (s.kind()) {
            case secret_kind::symmetric: {
                auto k = hmac_key::make(s.bytes());
                if (!k) return k.error();
                keys.hmac.push_back(std::move(*k));
                break;
            }
            case secret_kind::ed25519_private: {
                auto k = ed25519_key::from_seed(s.bytes());
                if (!k) return k.error();
                keys.ed25519.push_back(signing ? std::move(*k) : k->public_key());
                break;
            }
            case secret_kind::ed25519_public: {
                if (signing) return errc::invalid_key; // a public key cannot sign
                auto k = ed25519_key::from_public(s.bytes());
                if (!k) return k.error();
                keys.ed25519.push_back(std::move(*k));
                break;
            }
            }
        }
        return keys;
    }
};

/// `id.timestamp.body`, the signed content, as one buffer (Ed25519 signs in one shot).
inline std::string standard_signed_content(std::string_view id, std::string_view ts, std::string_view body) {
    std::string content;
    content.reserve(id.size() + ts.size() + body.size() + 2);
    content.append(id).append(1, '.').append(ts).append(1, '.').append(body);
    return content;
}

/// The single value of the first present header among `names`; nullopt when none is present.
/// `errc::duplicate_header` when the chosen header is repeated.
inline result<std::optional<std::string_view>> single_header(header_view h, std::string_view name,
                                                             std::string_view alias) {
    std::string_view chosen = h.contains(name) ? name : alias;
    std::size_t n = h.count(chosen);
    if (n == 0) return std::optional<std::string_view>{};
    if (n > 1) return errc::duplicate_header;
    return std::optional<std::string_view>{h.get(chosen)};
}

/// The `webhook-` headers (or, when absent, their `svix-` aliases) of a message, found in one pass.
struct standard_header_values {
    std::optional<std::string_view> id, timestamp, signature;

    /// `errc::duplicate_header` when a chosen header is repeated (checked in the order id,
    /// timestamp, signature); absent headers are left empty.
    static result<standard_header_values> find(header_view h) {
        // Per name: how often it occurs and its first value. Index 2k is `webhook-`, 2k+1 `svix-`.
        static constexpr std::string_view names[] = {standard_headers::id,        standard_headers::svix_id,
                                                     standard_headers::timestamp, standard_headers::svix_timestamp,
                                                     standard_headers::signature, standard_headers::svix_signature};
        static_assert(names[2].size() == names[4].size() && names[3].size() == names[5].size());
        std::size_t count[6] = {};
        std::string_view first[6];
        h.visit([&](std::string_view name, std::string_view value) {
            // The length picks the candidate, and for the two pairs of equal length the first letter
            // after the prefix ("t"imestamp / "s"ignature); then one folded compare (the names are
            // lower case, so only `name` is folded).
            std::size_t i = 0;
            switch (name.size()) {
            case names[0].size(): i = 0; break;                               // webhook-id
            case names[1].size(): i = 1; break;                               // svix-id
            case names[2].size(): i = (name[8] | 0x20) == 't' ? 2 : 4; break; // webhook-timestamp / -signature
            case names[3].size(): i = (name[5] | 0x20) == 't' ? 3 : 5; break; // svix-timestamp / -signature
            default: return true;
            }
            if (equals_lower(name, names[i]) && count[i]++ == 0) first[i] = value;
            return true;
        });
        standard_header_values out;
        std::optional<std::string_view>* slots[] = {&out.id, &out.timestamp, &out.signature};
        for (std::size_t k = 0; k < 3; ++k) {
            const std::size_t i = count[2 * k] > 0 ? 2 * k : 2 * k + 1;
            if (count[i] > 1) return errc::duplicate_header;
            if (count[i] == 1) *slots[k] = first[i];
        }
        return out;
    }

private:
    /// `text` equals the lower-case ASCII `lower` when folded to lower case; sizes are equal.
    static bool equals_lower(std::string_view text, std::string_view lower) noexcept {
        for (std::size_t i = 0; i < lower.size(); ++i) {
            char c = text[i];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            if (c != lower[i]) return false;
        }
        return true;
    }
};

/// A decoded signature in a fixed buffer: base64 validated in full, at most `bytes.size()` bytes
/// kept (a longer one matches no key, but is still well-formed).
struct standard_signature_bytes {
    static constexpr std::size_t capacity = 64; ///< the longest signature: Ed25519's
    std::array<char, capacity> bytes;           ///< not zeroed: only the first `size` bytes are read
    std::size_t size = 0;                       ///< decoded length, which may exceed `capacity`

    /// False when `text` is not base64.
    bool decode(std::string_view text) {
        char* out = bytes.data();
        auto n = base64_decode_each(text, [out](std::size_t i, char c) {
            if (i < capacity) out[i] = c;
        });
        size = n.value_or(0);
        return n.has_value();
    }
    bool fits() const noexcept { return size <= capacity; }
    /// True when `text`, which `decode` accepted, is the canonical padded standard base64 of the bytes
    /// (what `base64_encode` would give): no URL-safe digits, padding present, no stray low bits.
    bool canonical(std::string_view text) const noexcept {
        if (text.size() != (size + 2) / 3 * 4) return false;
        for (char c : text)
            if (c == '-' || c == '_') return false;
        const auto digit = [&](std::size_t i) { return base64_table[static_cast<unsigned char>(text[i])]; };
        switch (size % 3) {
        case 1: return (digit(text.size() - 3) & 0x0F) == 0;
        case 2: return (digit(text.size() - 2) & 0x03) == 0;
        default: return true;
        }
    }
    std::string_view view() const noexcept { return {bytes.data(), fits() ? size : 0}; }
};

/// The `v1` HMAC of `id.timestamp.body`: the short `id.timestamp.` prefix is joined on the stack so
/// OpenSSL sees two updates instead of five.
inline digest_value standard_mac(const hmac_key& key, std::string_view id, std::string_view ts, std::string_view body) {
    std::array<char, 128> prefix;
    if (id.size() + ts.size() + 2 > prefix.size()) return key.compute({id, ".", ts, ".", body});
    char* p = prefix.data();
    p = std::copy(id.begin(), id.end(), p);
    *p++ = '.';
    p = std::copy(ts.begin(), ts.end(), p);
    *p++ = '.';
    return key.compute({std::string_view(prefix.data(), static_cast<std::size_t>(p - prefix.data())), body});
}
} // namespace detail

/// Signs with every key it holds (`whsec_` and `whsk_`), emitting one signature per key: during a
/// rotation receivers holding either the old or the new key accept the message.
class standard_signer {
public:
    static constexpr std::string_view scheme_name = "standard";

    /// Fails with `errc::invalid_secret` for no keys and `errc::invalid_key` for a public key.
    static result<standard_signer> make(std::span<const secret> keys) {
        auto k = detail::standard_keys::make(keys, true);
        if (!k) return k.error();
        return standard_signer(std::move(*k));
    }
    static result<standard_signer> make(const secret& key) { return make(std::span<const secret>(&key, 1)); }

    /// Throwing forms of `make`.
    explicit standard_signer(std::span<const secret> keys) : standard_signer(make(keys).value()) {}
    explicit standard_signer(const secret& key) : standard_signer(make(key).value()) {}
    standard_signer(std::initializer_list<secret> keys)
        : standard_signer(std::span<const secret>(keys.begin(), keys.size())) {}

    /// The `webhook-signature` value: space-separated `v1,<base64>` and `v1a,<base64>` entries.
    result<std::string> signature(std::string_view id, std::int64_t timestamp, std::string_view body) const {
        const std::string ts = std::to_string(timestamp);
        std::string out;
        out.reserve(48 * keys_.hmac.size() + 92 * keys_.ed25519.size());
        for (const auto& k : keys_.hmac) {
            auto mac = detail::standard_mac(k, id, ts, body);
            if (mac.size == 0) return errc::crypto_failure;
            if (!out.empty()) out.push_back(' ');
            out.append("v1,");
            base64_encode_to(out, mac.view());
        }
        if (!keys_.ed25519.empty()) {
            const std::string content = detail::standard_signed_content(id, ts, body);
            for (const auto& k : keys_.ed25519) {
                auto sig = k.sign(content);
                if (!sig) return sig.error();
                if (!out.empty()) out.push_back(' ');
                out.append("v1a,");
                base64_encode_to(out, *sig);
            }
        }
        return out;
    }

    /// `webhook-id`, `webhook-timestamp` and `webhook-signature` for `m`.
    result<header_map> sign(const outbound_message& m) const {
        auto sig = signature(m.id, m.timestamp, m.body);
        if (!sig) return sig.error();
        header_map h;
        h.reserve(3);
        h.add(std::string(standard_headers::id), std::string(m.id));
        h.add(std::string(standard_headers::timestamp), std::to_string(m.timestamp));
        h.add(std::string(standard_headers::signature), std::move(*sig));
        return h;
    }

private:
    explicit standard_signer(detail::standard_keys k) : keys_(std::move(k)) {}
    detail::standard_keys keys_;
};

/// Options of a `standard_verifier`.
struct standard_verifier_options {
    /// How far the signed timestamp may be from now, in either direction.
    std::chrono::seconds tolerance{300};
    /// Signatures in one header beyond this many are ignored (bounds the work an attacker can cause).
    std::size_t max_signatures = 16;
};

/// Accepts a message when any signature in its header matches any trusted key, and its timestamp is
/// within tolerance. Checks run in order: headers present and single, timestamp well-formed,
/// timestamp within tolerance, signature header well-formed, a signature matches. Read as the
/// reference library (standardwebhooks 1.1.1) reads them: the timestamp with `parseInt` (digits
/// after optional white space, anything after them ignored; the number is what is signed), the
/// signature header as space-separated `version,signature` entries (a further `,…` ignored), a `v1`
/// signature matching only in canonical padded base64.
class standard_verifier {
public:
    static constexpr std::string_view scheme_name = "standard";

    /// `keys`: `whsec_` secrets, `whpk_` public keys, or `whsk_` private keys (their public half is used).
    static result<standard_verifier> make(std::span<const secret> keys, standard_verifier_options options = {}) {
        auto k = detail::standard_keys::make(keys, false);
        if (!k) return k.error();
        return standard_verifier(std::move(*k), options);
    }
    static result<standard_verifier> make(const secret& key, standard_verifier_options options = {}) {
        return make(std::span<const secret>(&key, 1), options);
    }

    /// Throwing forms of `make`.
    explicit standard_verifier(std::span<const secret> keys, standard_verifier_options options = {})
        : standard_verifier(make(keys, options).value()) {}
    explicit standard_verifier(const secret& key, standard_verifier_options options = {})
        : standard_verifier(make(key, options).value()) {}
    standard_verifier(std::initializer_list<secret> keys, standard_verifier_options options = {})
        : standard_verifier(std::span<const secret>(keys.begin(), keys.size()), options) {}

    const standard_verifier_options& options() const noexcept { return options_; }

    result<verified_message> verify(const inbound_message& m, std::int64_t now) const {
        auto found = detail::standard_header_values::find(m.headers);
        if (!found) return found.error();
        if (!found->id || !found->timestamp || !found->signature) return errc::missing_header;
        const std::string_view msg_id = *found->id;
        if (msg_id.empty()) return errc::malformed_header;

        // Read as the reference library reads it (`parseInt`), and signed as the number it denotes.
        auto ts = detail::js_parse_int_seconds(*found->timestamp);
        if (!ts) return errc::malformed_header;
        const std::string ts_string = std::to_string(*ts);
        const std::string_view ts_text = ts_string;
        const std::int64_t tolerance = options_.tolerance.count();
        if (now - *ts > tolerance) return errc::timestamp_too_old;
        if (*ts - now > tolerance) return errc::timestamp_too_new;

        // v1 MACs are computed per key when a v1 signature first needs them, in key order, so a
        // match on the first key costs one MAC. The first few live on the stack.
        std::array<digest_value, 4> local_macs;
        std::vector<digest_value> more_macs;
        std::size_t computed = 0;
        auto mac_of = [&](std::size_t i) -> const digest_value& {
            for (; computed <= i; ++computed) {
                auto mac = detail::standard_mac(keys_.hmac[computed], msg_id, ts_text, m.body);
                if (computed < local_macs.size()) {
                    local_macs[computed] = mac;
                } else {
                    more_macs.push_back(mac);
                }
            }
            return i < local_macs.size() ? local_macs[i] : more_macs[i - local_macs.size()];
        };
        std::string content; // built on first v1a signature
        detail::standard_signature_bytes raw;
        bool any_well_formed = false;
        std::size_t seen = 0;
        std::string_view rest = *found->signature;
        while (!rest.empty() && seen < options_.max_signatures) {
            std::size_t sp = rest.find(' ');
            std::string_view token = rest.substr(0, sp);
            rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
            if (token.empty()) continue;
            ++seen;
            // `version,signature[,ignored...]`, as the reference library splits it.
            const std::string_view version = *detail::js_split_field(token, ',', 0);
            const auto sig_text = detail::js_split_field(token, ',', 1);
            if (version.empty() || !sig_text || !raw.decode(*sig_text) || raw.size == 0) continue;
            any_well_formed = true;
            if (!raw.fits()) continue; // longer than any signature: matches nothing
            if (version == "v1") {
                // The reference library compares base64 text: only the canonical, padded form matches.
                if (!raw.canonical(*sig_text)) continue;
                for (std::size_t i = 0; i < keys_.hmac.size(); ++i)
                    if (mac_of(i).matches(raw.view())) return verified_message{std::string(msg_id), {}, *ts};
            } else if (version == "v1a" && !keys_.ed25519.empty()) {
                if (content.empty()) content = detail::standard_signed_content(msg_id, ts_text, m.body);
                for (const auto& k : keys_.ed25519)
                    if (k.verify(content, raw.view())) return verified_message{std::string(msg_id), {}, *ts};
            }
        }
        return any_well_formed ? errc::no_matching_signature : errc::malformed_header;
    }

    /// Verifies against the system clock.
    result<verified_message> verify(const inbound_message& m) const { return verify(m, unix_now()); }

private:
    standard_verifier(detail::standard_keys k, standard_verifier_options o) : keys_(std::move(k)), options_(o) {}
    detail::standard_keys keys_;
    standard_verifier_options options_;
};

static_assert(signer<standard_signer>);
static_assert(verifier<standard_verifier>);

HOOKLINE_END_NAMESPACE
