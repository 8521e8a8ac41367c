/// \file Secrets at rest: AES-256-GCM (OpenSSL) with a key the application supplies.
///
/// A sealed text is "aes256gcm:" + base64(12-byte random nonce || ciphertext || 16-byte tag), with the
/// row it belongs to as associated data, so a sealed secret copied into another row does not open.
/// Without a key, secrets are kept as "plain:" + their text.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/digest.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

inline constexpr std::string_view sealed_prefix = "aes256gcm:";
inline constexpr std::string_view plain_prefix = "plain:";

struct cipher_ctx_free {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

/// Seals `plain` under the 32-byte `key` (empty key: kept as plain text).
inline result<std::string> seal(std::string_view key, std::string_view plain, std::string_view associated) {
    if (key.empty()) return std::string(plain_prefix) + std::string(plain);
    if (key.size() != 32) return errc::invalid_key;
    auto nonce = random_bytes(12);
    if (!nonce) return nonce.error();
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    std::string out = *nonce;
    out.resize(12 + plain.size() + 16);
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    int len = 0, total = 0;
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k, p) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                          static_cast<int>(associated.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), p + 12, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                          static_cast<int>(plain.size())) != 1)
        return errc::crypto_failure;
    total = len;
    if (EVP_EncryptFinal_ex(ctx.get(), p + 12 + total, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, 16, p + 12 + plain.size()) != 1)
        return errc::crypto_failure;
    return std::string(sealed_prefix) + base64_encode(out);
}

/// Opens what `seal` made. `wrong_store_key` when it was sealed and the key is missing or wrong (or the
/// text was changed), or when it is plain and a key is given (a store must be sealed throughout).
inline result<std::string> unseal(std::string_view key, std::string_view sealed, std::string_view associated) {
    if (sealed.starts_with(plain_prefix)) {
        if (!key.empty()) return errc::wrong_store_key;
        return std::string(sealed.substr(plain_prefix.size()));
    }
    if (!sealed.starts_with(sealed_prefix) || key.size() != 32) return errc::wrong_store_key;
    auto raw = base64_decode(sealed.substr(sealed_prefix.size()));
    if (!raw || raw->size() < 28) return errc::wrong_store_key;
    auto* p = reinterpret_cast<unsigned char*>(raw->data());
    const std::size_t n = raw->size() - 28;
    std::string plain(n, '\0');
    cipher_ctx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    const auto* k = reinterpret_cast<const unsigned char*>(key.data());
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k, p) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(associated.data()),
                          static_cast<int>(associated.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, p + 12,
                          static_cast<int>(n)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, 16, p + 12 + n) != 1)
        return errc::crypto_failure;
    if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) != 1) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return errc::wrong_store_key;
    }
    return plain;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
