/// \file Internals shared by the provider schemes that sign with one base64 HMAC in one header
/// (Twilio, Shopify, Square): key scheduling, strict header look-up and strict MAC decoding.
///
/// Thread-safety: pure functions over values.
#pragma once

#include <hookline/config.hpp>
#include <hookline/crypto.hpp>
#include <hookline/encoding.hpp>
#include <hookline/error.hpp>
#include <hookline/headers.hpp>
#include <hookline/secret.hpp>

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Schedules one HMAC key per secret. No secrets gives `errc::invalid_secret`; an Ed25519 key (these
/// providers sign with shared secrets only) gives `errc::invalid_key`.
inline result<std::vector<hmac_key>> provider_hmac_keys(std::span<const secret> secrets, hmac_digest digest) {
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

/// The single value carried under any of `names` (aliases of one header). Absent: an empty optional.
/// More than one field among all the aliases: `errc::duplicate_header`.
inline result<std::optional<std::string_view>> provider_header(const header_map& h,
                                                               std::initializer_list<std::string_view> names) {
    std::optional<std::string_view> found;
    std::size_t n = 0;
    for (auto name : names) {
        n += h.count(name);
        if (!found) found = h.get(name);
    }
    if (n > 1) return errc::duplicate_header;
    return found;
}

/// Decodes a MAC sent as canonical, padded standard base64 of exactly `size` bytes (surrounding spaces
/// and tabs are ignored). Anything else — URL-safe digits, missing padding, stray bits, a wrong length —
/// is nullopt. Never reads outside `text`.
inline std::optional<std::string> provider_decode_mac(std::string_view text, std::size_t size) {
    text = trim(text);
    if (text.size() != (size + 2) / 3 * 4) return std::nullopt;
    auto raw = base64_decode(text);
    if (!raw || raw->size() != size || base64_encode(*raw) != text) return std::nullopt;
    return raw;
}

/// True when the MAC of `parts` under any of `keys` equals `mac` (each comparison constant-time).
/// Sets `failed` when OpenSSL could not compute a MAC.
inline bool provider_any_matches(const std::vector<hmac_key>& keys, std::string_view mac,
                                 std::initializer_list<std::string_view> parts, bool& failed) {
    bool ok = false;
    for (const auto& k : keys) {
        auto d = k.compute(parts);
        if (d.size == 0) failed = true;
        ok = d.matches(mac) || ok;
    }
    return ok;
}

/// The HMAC of `parts` under `key` as padded standard base64, or `errc::crypto_failure`.
inline result<std::string> provider_base64_mac(const hmac_key& key, std::initializer_list<std::string_view> parts) {
    auto d = key.compute(parts);
    if (d.size == 0) return errc::crypto_failure;
    return base64_encode(d.view());
}

} // namespace detail

HOOKLINE_END_NAMESPACE
