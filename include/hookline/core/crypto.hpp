/// \file The OpenSSL 3 keys hookline signs and verifies with: `hmac_key` (scheduled once, reused; its
/// state is `detail::hmac_state`) and `ed25519_key`. SHA-256, random bytes and constant-time comparison
/// are in digest.hpp, included here.
///
/// Thread-safety: `hmac_key` and `ed25519_key` are immutable values that share their OpenSSL state;
/// any number of threads may use copies of the same key, or the same object, at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/detail/hmac_state.hpp>
#include <hookline/core/digest.hpp>
#include <hookline/core/error.hpp>

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

/// An HMAC key whose schedule is computed once. Copies share it. An empty `digest_value` from
/// `compute` means OpenSSL failed (out of memory); callers treat it as `errc::crypto_failure`.
class hmac_key {
public:
    /// Schedules `key` for `digest`. Fails with `errc::crypto_failure` only if OpenSSL does.
    static result<hmac_key> make(std::string_view key, hmac_digest digest = hmac_digest::sha256) {
        auto state = detail::hmac_state::make(key, digest);
        if (!state) return errc::crypto_failure;
        return hmac_key(std::move(state));
    }

    /// HMAC of the concatenation of `parts`.
    digest_value compute(std::initializer_list<std::string_view> parts) const { return state_->compute(parts); }
    digest_value compute(std::string_view data) const { return state_->compute({data}); }

private:
    explicit hmac_key(std::shared_ptr<detail::hmac_state> s) : state_(std::move(s)) {}
    std::shared_ptr<detail::hmac_state> state_;
};

namespace detail {
struct pkey_deleter {
    void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
} // namespace detail

/// An Ed25519 key: a private key (can sign and verify) or a public key (verifies only).
class ed25519_key {
public:
    static constexpr std::size_t seed_size = 32;
    static constexpr std::size_t public_size = 32;
    static constexpr std::size_t signature_size = 64;

    /// A private key from its 32-byte seed.
    static result<ed25519_key> from_seed(std::string_view seed) {
        if (seed.size() != seed_size) return errc::invalid_key;
        EVP_PKEY* k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                                   reinterpret_cast<const unsigned char*>(seed.data()), seed.size());
        if (!k) return errc::invalid_key;
        return ed25519_key(k, true);
    }

    /// A public key from its 32 raw bytes.
    static result<ed25519_key> from_public(std::string_view pub) {
        if (pub.size() != public_size) return errc::invalid_key;
        EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                                  reinterpret_cast<const unsigned char*>(pub.data()), pub.size());
        if (!k) return errc::invalid_key;
        return ed25519_key(k, false);
    }

    /// A fresh private key from OpenSSL's CSPRNG.
    static result<ed25519_key> generate() {
        auto seed = random_bytes(seed_size);
        if (!seed) return seed.error();
        auto key = from_seed(*seed);
        OPENSSL_cleanse(seed->data(), seed->size());
        return key;
    }

    bool has_private() const noexcept { return private_; }

    /// The 32 raw public-key bytes.
    std::string public_bytes() const {
        std::string out(public_size, '\0');
        std::size_t len = out.size();
        if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1) return {};
        out.resize(len);
        return out;
    }

    /// The 32-byte seed; empty for a public key. Handle the result as a secret.
    std::string seed_bytes() const {
        if (!private_) return {};
        std::string out(seed_size, '\0');
        std::size_t len = out.size();
        if (EVP_PKEY_get_raw_private_key(key_.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1)
            return {};
        out.resize(len);
        return out;
    }

    /// The public half of this key.
    ed25519_key public_key() const {
        if (!private_) return *this;
        auto pub = from_public(public_bytes());
        return pub ? *pub : *this;
    }

    /// Signs `message` (Ed25519 is one-shot: the whole message at once).
    result<std::string> sign(std::string_view message) const {
        if (!private_) return errc::invalid_key;
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        std::string sig(signature_size, '\0');
        std::size_t len = sig.size();
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
            EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1)
            return errc::crypto_failure;
        sig.resize(len);
        return sig;
    }

    /// True when `signature` is a valid signature of `message` by this key.
    bool verify(std::string_view message, std::string_view signature) const {
        if (signature.size() != signature_size) return false;
        std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) == 1 &&
               EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
    }

private:
    ed25519_key(EVP_PKEY* k, bool priv) : key_(k, detail::pkey_deleter{}), private_(priv) {}
    std::shared_ptr<EVP_PKEY> key_;
    bool private_ = false;
};

HOOKLINE_END_NAMESPACE
