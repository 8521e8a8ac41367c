/// \file Building blocks shared by the provider schemes that send a hex HMAC (GitHub, Stripe, Slack):
/// key scheduling for several secrets, strict single-header look-up and fixed-size hex parsing.
/// Internal: everything here is in `hookline::detail::hex_hmac` and may change without notice.
///
/// Thread-safety: pure functions; `keys` is immutable after construction.
#pragma once

#include <hookline/config.hpp>
#include <hookline/crypto.hpp>
#include <hookline/encoding.hpp>
#include <hookline/error.hpp>
#include <hookline/headers.hpp>
#include <hookline/secret.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::hex_hmac {

/// One scheduled HMAC key per trusted secret. Only symmetric secrets are accepted.
inline result<std::vector<hmac_key>> make_keys(std::span<const secret> secrets,
                                               hmac_digest digest = hmac_digest::sha256) {
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

/// The value of header `name`, which must be present exactly once: `errc::missing_header` or
/// `errc::duplicate_header` otherwise. Leading and trailing spaces and tabs (HTTP OWS) are removed.
inline result<std::string_view> required_header(const header_map& h, std::string_view name) {
    std::size_t n = h.count(name);
    if (n == 0) return errc::missing_header;
    if (n > 1) return errc::duplicate_header;
    return trim(*h.get(name));
}

/// The value of an optional header: empty when absent, `errc::duplicate_header` when repeated.
inline result<std::string_view> optional_header(const header_map& h, std::string_view name) {
    std::size_t n = h.count(name);
    if (n == 0) return std::string_view{};
    if (n > 1) return errc::duplicate_header;
    return trim(*h.get(name));
}

/// A decoded fixed-size MAC (at most 64 bytes) without heap allocation.
struct mac_bytes {
    std::array<char, 64> data{};
    std::size_t size = 0;
    std::string_view view() const noexcept { return {data.data(), size}; }
};

/// Decodes exactly `2 * bytes` hex digits (either case). nullopt for any other length or character.
inline std::optional<mac_bytes> decode_hex_mac(std::string_view text, std::size_t bytes) noexcept {
    if (bytes > 64 || text.size() != 2 * bytes) return std::nullopt;
    mac_bytes out;
    out.size = bytes;
    for (std::size_t i = 0; i < bytes; ++i) {
        int hi = hex_value(text[2 * i]);
        int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.data[i] = static_cast<char>((hi << 4) | lo);
    }
    return out;
}

/// True when any key's MAC of the concatenated `parts` equals `candidate` (constant-time per key).
/// Every key is tried, so the time does not depend on which key matched.
inline bool any_key_matches(const std::vector<hmac_key>& keys, std::initializer_list<std::string_view> parts,
                            std::string_view candidate, bool& crypto_failed) {
    bool matched = false;
    for (const auto& k : keys) {
        auto mac = k.compute(parts);
        if (mac.size == 0) crypto_failed = true;
        matched = mac.matches(candidate) || matched;
    }
    return matched;
}

/// Lower-case hex of an HMAC of `parts`; `errc::crypto_failure` when OpenSSL failed.
inline result<std::string> hex_mac(const hmac_key& key, std::initializer_list<std::string_view> parts) {
    auto mac = key.compute(parts);
    if (mac.size == 0) return errc::crypto_failure;
    return hex_encode(mac.view());
}

} // namespace detail::hex_hmac

HOOKLINE_END_NAMESPACE
