/// \file The hashing primitives under hookline's signatures: SHA-256, the digest value type, random
/// bytes and constant-time comparison (OpenSSL 3).
///
/// Thread-safety: free functions and values; any thread may call them at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

/// True when `a` and `b` hold the same bytes. Time depends on the length only, not the contents.
inline bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// `n` bytes from OpenSSL's CSPRNG.
inline result<std::string> random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1)
        return errc::crypto_failure;
    return out;
}

/// A digest or MAC value (up to 64 bytes). Empty (`size == 0`) when OpenSSL failed to compute it.
struct digest_value {
    std::array<unsigned char, 64> bytes{};
    std::size_t size = 0;
    std::string_view view() const noexcept { return {reinterpret_cast<const char*>(bytes.data()), size}; }
    /// Constant-time check that `candidate` equals this value; always false for an empty value, so a
    /// failed computation can never match.
    bool matches(std::string_view candidate) const noexcept {
        return size != 0 && constant_time_equal(view(), candidate);
    }
};

/// SHA-256 of the concatenation of `parts`.
inline digest_value sha256(std::initializer_list<std::string_view> parts) {
    digest_value out;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    unsigned int len = 0;
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return out;
    for (auto p : parts)
        if (EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) return out;
    if (EVP_DigestFinal_ex(ctx.get(), out.bytes.data(), &len) != 1) return out;
    out.size = len;
    return out;
}

inline digest_value sha256(std::string_view data) { return sha256({data}); }

/// Hash functions an `hmac_key` can use.
enum class hmac_digest { sha256, sha1 };

HOOKLINE_END_NAMESPACE
