/// \file `secret`: signing and verification key material that never prints itself.
///
/// Thread-safety: a value type; const member functions may be called concurrently.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>

#include <openssl/crypto.h>

#include <ostream>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

/// What a `secret` holds.
enum class secret_kind {
    symmetric,       ///< shared HMAC key (`whsec_`, or a provider's plain-text secret)
    ed25519_private, ///< Ed25519 private key (`whsk_`): signs, and verifies via its public half
    ed25519_public,  ///< Ed25519 public key (`whpk_`): verifies only
};

/// Key bytes plus their kind. Printing, streaming or `redacted()` never shows the bytes; only the
/// explicit `reveal()` and `bytes()` do. The bytes are wiped when the object dies.
class secret {
public:
    static constexpr std::string_view symmetric_prefix = "whsec_";
    static constexpr std::string_view private_prefix = "whsk_";
    static constexpr std::string_view public_prefix = "whpk_";
    static constexpr std::size_t min_generated_size = 24;
    static constexpr std::size_t max_generated_size = 64;

    /// The shortest `whsec_` key `parse` accepts (128 bits); `generate` makes 32 bytes.
    static constexpr std::size_t min_symmetric_size = 16;

    /// Parses a Standard Webhooks key: `whsec_<base64>` (at least 16 bytes), `whsk_<base64>` (Ed25519
    /// seed, 32 bytes, or seed followed by its public key, 64 bytes) or `whpk_<base64>` (32 bytes).
    /// Base64 may be standard or URL-safe, padded or not. The prefix is required: text without one
    /// is refused rather than read as base64 (the reference libraries would decode
    /// "mysecretpassword" into 12 unrelated bytes). Errors, none quoting the text:
    /// `secret_missing_prefix`, `secret_not_base64`, `secret_too_short`, and `invalid_secret` for
    /// empty text or an Ed25519 key of the wrong size (or whose halves disagree). A provider's
    /// plain-text secret is not a Standard Webhooks key: use `from_bytes`.
    static result<secret> parse(std::string_view text) {
        if (text.empty()) return errc::invalid_secret;
        secret_kind kind = secret_kind::symmetric;
        if (text.starts_with(symmetric_prefix)) {
            text.remove_prefix(symmetric_prefix.size());
        } else if (text.starts_with(private_prefix)) {
            text.remove_prefix(private_prefix.size());
            kind = secret_kind::ed25519_private;
        } else if (text.starts_with(public_prefix)) {
            text.remove_prefix(public_prefix.size());
            kind = secret_kind::ed25519_public;
        } else {
            return errc::secret_missing_prefix;
        }
        auto bytes = base64_decode(text);
        if (!bytes) return errc::secret_not_base64;
        secret s;
        s.kind_ = kind;
        s.bytes_ = std::move(*bytes);
        if (kind == secret_kind::symmetric) {
            if (s.bytes_.size() < min_symmetric_size) return errc::secret_too_short;
        } else if (kind == secret_kind::ed25519_private) {
            if (s.bytes_.size() == 64) {
                // seed || public: keep the seed, and insist the public half belongs to it.
                auto key = ed25519_key::from_seed(std::string_view(s.bytes_).substr(0, 32));
                if (!key || !constant_time_equal(key->public_bytes(), std::string_view(s.bytes_).substr(32)))
                    return errc::invalid_secret;
                s.wipe_tail(32);
            }
            if (s.bytes_.size() != ed25519_key::seed_size) return errc::invalid_secret;
        } else if (s.bytes_.size() != ed25519_key::public_size) {
            return errc::invalid_secret;
        }
        return s;
    }

    /// A symmetric secret made of exactly these bytes, for providers whose secret is a plain string
    /// used as the HMAC key as typed: GitHub's webhook secret, Stripe's whole `whsec_...` string,
    /// Slack's signing secret, Twilio's auth token, Shopify's client secret, Square's signature key.
    /// No minimum length (the provider chose it); empty input gives `errc::invalid_secret`.
    static result<secret> from_bytes(std::string_view bytes) {
        if (bytes.empty()) return errc::invalid_secret;
        secret s;
        s.bytes_.assign(bytes);
        return s;
    }

    /// A fresh symmetric secret of `size` random bytes (24 to 64; 32 by default).
    static result<secret> generate(std::size_t size = 32) {
        if (size < min_generated_size || size > max_generated_size) return errc::invalid_argument;
        auto bytes = random_bytes(size);
        if (!bytes) return bytes.error();
        secret s;
        s.bytes_ = std::move(*bytes);
        return s;
    }

    /// A fresh Ed25519 private key.
    static result<secret> generate_ed25519() {
        auto key = ed25519_key::generate();
        if (!key) return key.error();
        secret s;
        s.kind_ = secret_kind::ed25519_private;
        s.bytes_ = key->seed_bytes();
        if (s.bytes_.size() != ed25519_key::seed_size) return errc::crypto_failure;
        return s;
    }

    secret(const secret&) = default;
    secret& operator=(const secret& other) {
        if (this != &other) {
            wipe();
            bytes_ = other.bytes_;
            kind_ = other.kind_;
        }
        return *this;
    }
    secret(secret&& other) noexcept : bytes_(std::move(other.bytes_)), kind_(other.kind_) { other.wipe(); }
    secret& operator=(secret&& other) noexcept {
        if (this != &other) {
            wipe();
            bytes_ = std::move(other.bytes_);
            kind_ = other.kind_;
            other.wipe();
        }
        return *this;
    }
    ~secret() { wipe(); }

    secret_kind kind() const noexcept { return kind_; }
    std::size_t size() const noexcept { return bytes_.size(); }

    /// The raw key bytes, for signers and verifiers. Handle with care.
    std::string_view bytes() const noexcept { return bytes_; }

    /// The Standard Webhooks text form (`whsec_…`, `whsk_…` holding the 32-byte seed as the reference
    /// Go library reads it, `whpk_…`), to
    /// store or hand to an integrator. The only call that turns the key into printable text.
    std::string reveal() const {
        switch (kind_) {
        case secret_kind::ed25519_private: return std::string(private_prefix) + base64_encode(bytes_);
        case secret_kind::ed25519_public: return std::string(public_prefix) + base64_encode(bytes_);
        case secret_kind::symmetric: break;
        }
        return std::string(symmetric_prefix) + base64_encode(bytes_);
    }

    /// The public half of an Ed25519 private key as a `whpk_` secret (the key itself otherwise).
    secret public_key() const {
        if (kind_ != secret_kind::ed25519_private) return *this;
        secret s;
        s.kind_ = secret_kind::ed25519_public;
        if (auto key = ed25519_key::from_seed(bytes_)) s.bytes_ = key->public_bytes();
        return s;
    }

    /// A printable stand-in such as `whsec_[redacted 32 bytes]`; public keys are shown in full.
    std::string redacted() const {
        switch (kind_) {
        case secret_kind::ed25519_public: return reveal();
        case secret_kind::ed25519_private: return std::string(private_prefix) + "[redacted]";
        case secret_kind::symmetric: break;
        }
        return std::string(symmetric_prefix) + "[redacted " + std::to_string(bytes_.size()) + " bytes]";
    }

    friend std::ostream& operator<<(std::ostream& os, const secret& s) { return os << s.redacted(); }

    /// Constant-time comparison of kind and bytes.
    friend bool operator==(const secret& a, const secret& b) noexcept {
        return a.kind_ == b.kind_ && constant_time_equal(a.bytes_, b.bytes_);
    }

private:
    secret() = default;
    void wipe() noexcept {
        if (bytes_.capacity() > 0) OPENSSL_cleanse(bytes_.data(), bytes_.capacity());
        bytes_.clear();
    }
    void wipe_tail(std::size_t keep) noexcept {
        OPENSSL_cleanse(bytes_.data() + keep, bytes_.size() - keep);
        bytes_.resize(keep);
    }

    std::string bytes_;
    secret_kind kind_ = secret_kind::symmetric;
};

HOOKLINE_END_NAMESPACE
