/// \file Building blocks shared by the provider schemes that sign with an HMAC (GitHub, Stripe, Slack,
/// Twilio, Shopify, Square) and the shared-token scheme: key scheduling for several secrets, strict
/// single-header look-up with aliases, strict MAC decoding (lower-case hex or canonical base64, as the SDKs compare
/// them), trying every trusted key, and encoding a MAC. Internal: everything here is in `hookline::detail` and may
/// change without notice.
///
/// Thread-safety: pure functions over values.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>

#include <array>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// One scheduled HMAC key per trusted secret. No secrets: `errc::invalid_secret`; an empty or
/// non-symmetric (Ed25519) secret: `errc::invalid_key`, since these schemes sign with shared secrets.
inline result<std::vector<hmac_key>> make_hmac_keys(std::span<const secret> secrets, hmac_digest digest) {
    if (secrets.empty()) return errc::invalid_secret;
    std::vector<hmac_key> keys;
    keys.reserve(secrets.size());
    for (const auto& s : secrets) {
        if (s.kind() != secret_kind::symmetric || s.size() == 0) return errc::invalid_key;
        auto k = hmac_key::make(s.bytes(), digest);
        if (!k) return k.error();
        keys.push_back(std::move(*k));
    }
    return keys;
}

/// The single value carried under any of `names` (aliases of one header), with leading and trailing
/// spaces and tabs (HTTP OWS) removed; an empty optional when absent. More than one field among all
/// the aliases: `errc::duplicate_header`. One pass over the fields. (Not the same as standard.hpp's
/// `single_header`, which only counts the first alias present.)
inline result<std::optional<std::string_view>> optional_header(header_view h,
                                                               std::initializer_list<std::string_view> names) {
    std::optional<std::string_view> found;
    std::size_t n = 0;
    h.visit([&](std::string_view name, std::string_view value) {
        for (auto alias : names) {
            if (!iequals(name, alias)) continue;
            if (n++ == 0) found = value;
            break;
        }
        return n < 2; // a second one decides already
    });
    if (n > 1) return errc::duplicate_header;
    if (found) found = trim(*found);
    return found;
}

/// Like `optional_header`, but an absent header is `errc::missing_header`.
inline result<std::string_view> required_header(header_view h, std::initializer_list<std::string_view> names) {
    auto v = optional_header(h, names);
    if (!v) return v.error();
    if (!*v) return errc::missing_header;
    return **v;
}

/// A decoded MAC (at most 64 bytes) held without heap allocation.
struct mac_bytes {
    std::array<char, 64> data{};
    std::size_t size = 0;
    std::string_view view() const noexcept { return {data.data(), size}; }
};

/// Decodes exactly `2 * size` lower-case hex digits. nullopt for any other length or character,
/// upper case included: the providers' SDKs compare the hex text with their own lower-case digest.
inline std::optional<mac_bytes> decode_hex_mac(std::string_view text, std::size_t size) noexcept {
    mac_bytes out;
    if (size > out.data.size() || text.size() != 2 * size) return std::nullopt;
    out.size = size;
    const auto lower_hex = [](char c) {
        return (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    };
    for (std::size_t i = 0; i < size; ++i) {
        int hi = lower_hex(text[2 * i]);
        int lo = lower_hex(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.data[i] = static_cast<char>((hi << 4) | lo);
    }
    return out;
}

/// Decodes canonical, padded standard base64 of exactly `size` bytes. Anything else (URL-safe digits,
/// missing padding, stray bits, surrounding spaces, a wrong length) is nullopt.
inline std::optional<mac_bytes> decode_base64_mac(std::string_view text, std::size_t size) {
    mac_bytes out;
    if (size > out.data.size() || text.size() != (size + 2) / 3 * 4) return std::nullopt;
    auto raw = base64_decode(text);
    if (!raw || raw->size() != size || base64_encode(*raw) != text) return std::nullopt;
    raw->copy(out.data.data(), size);
    out.size = size;
    return out;
}

/// True when the MAC of the concatenated `parts` under any of `keys` equals `candidate` (each
/// comparison constant-time). Every key is tried, so the time does not depend on which one matched.
/// Sets `failed` when OpenSSL could not compute a MAC.
inline bool any_key_matches(const std::vector<hmac_key>& keys, std::initializer_list<std::string_view> parts,
                            std::string_view candidate, bool& failed) {
    bool matched = false;
    for (const auto& k : keys) {
        auto mac = k.compute(parts);
        if (mac.size == 0) failed = true;
        matched = mac.matches(candidate) || matched;
    }
    return matched;
}

/// How a scheme writes a MAC in its header.
enum class mac_encoding { hex, base64 };

/// The HMAC of the concatenated `parts` under `key`, as lower-case hex or padded standard base64;
/// `errc::crypto_failure` when OpenSSL failed.
inline result<std::string> encode_mac(const hmac_key& key, std::initializer_list<std::string_view> parts,
                                      mac_encoding encoding) {
    auto mac = key.compute(parts);
    if (mac.size == 0) return errc::crypto_failure;
    return encoding == mac_encoding::hex ? hex_encode(mac.view()) : base64_encode(mac.view());
}

} // namespace detail

HOOKLINE_END_NAMESPACE
