/// \file `hmac_state`: the shared, reusable key schedule behind `hmac_key` (pooled OpenSSL 3
/// `EVP_MAC` contexts, or HMAC-SHA256 from precomputed SHA-256 states outside FIPS mode).
///
/// Thread-safety: one state is used by every copy of an `hmac_key`, from any number of threads at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/digest.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// HMAC-SHA256 from precomputed SHA-256 states needs OpenSSL's 3.0 low-level SHA-256 API. The code is
// present whenever that API is; HOOKLINE_HMAC_EVP_ONLY only stops `hmac_state::states_allowed` from
// choosing it, so translation units that disagree on the macro still agree on the class layout.
#if !defined(OPENSSL_NO_DEPRECATED_3_0)
#define HOOKLINE_DETAIL_SHA256_STATES 1
#else
#define HOOKLINE_DETAIL_SHA256_STATES 0
#endif

HOOKLINE_BEGIN_NAMESPACE

namespace detail {
struct mac_ctx_deleter {
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
using mac_ctx_ptr = std::unique_ptr<EVP_MAC_CTX, mac_ctx_deleter>;

inline EVP_MAC* hmac_algorithm() {
    // Fetched once per process; EVP_MAC objects are reference counted and thread-safe.
    static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    return mac;
}

/// One key schedule plus a free list of keyed contexts, so each MAC re-initialises a context that
/// already holds the key instead of hashing the key again. Released contexts sit in a few lock-free
/// slots, so up to that many threads signing at once take no lock; the mutex guards the overflow list.
class hmac_state {
public:
    /// `allow_states`: HMAC-SHA256 may be computed from precomputed SHA-256 states (see `states_allowed`).
    static std::shared_ptr<hmac_state> make(std::string_view key, hmac_digest digest,
                                            bool allow_states = states_allowed()) {
        auto s = std::make_shared<hmac_state>();
#if HOOKLINE_DETAIL_SHA256_STATES
        if (digest == hmac_digest::sha256 && allow_states) return s->schedule_states(key) ? s : nullptr;
#else
        (void)allow_states;
#endif
        EVP_MAC* mac = hmac_algorithm();
        if (!mac) return nullptr;
        s->prototype_.reset(EVP_MAC_CTX_new(mac));
        if (!s->prototype_) return nullptr;
        const char* name = digest == hmac_digest::sha1 ? "SHA1" : "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(name), 0),
                               OSSL_PARAM_construct_end()};
        static const unsigned char empty = 0;
        const auto* k = key.empty() ? &empty : reinterpret_cast<const unsigned char*>(key.data());
        if (EVP_MAC_init(s->prototype_.get(), k, key.size(), params) != 1) return nullptr;
        return s;
    }

    /// HMAC-SHA256 from SHA-256 states precomputed from the key (RFC 2104's inner and outer pads
    /// hashed once) is about a quarter cheaper per message than `EVP_MAC`, which copies and
    /// re-allocates its digest contexts on every call. It uses OpenSSL's low-level SHA-256 (deprecated
    /// in 3.0 and outside the provider framework), so it is used only when the process is not in FIPS
    /// mode and OpenSSL was built with its 3.0 API; define HOOKLINE_HMAC_EVP_ONLY to never use it.
    static bool states_allowed() noexcept {
#if HOOKLINE_DETAIL_SHA256_STATES && !defined(HOOKLINE_HMAC_EVP_ONLY)
        return EVP_default_properties_is_fips_enabled(nullptr) == 0 && OSSL_PROVIDER_available(nullptr, "fips") == 0;
#else
        return false;
#endif
    }

    hmac_state() = default;
    hmac_state(const hmac_state&) = delete;
    hmac_state& operator=(const hmac_state&) = delete;
    ~hmac_state() {
        for (auto& slot : hot_) EVP_MAC_CTX_free(slot.ctx.load(std::memory_order_acquire));
        for (auto* c : free_) EVP_MAC_CTX_free(c);
#if HOOKLINE_DETAIL_SHA256_STATES
        OPENSSL_cleanse(&states_, sizeof states_);
#endif
    }

    digest_value compute(std::initializer_list<std::string_view> parts) {
#if HOOKLINE_DETAIL_SHA256_STATES
        if (uses_states_) return compute_from_states(parts);
#endif
        digest_value out;
        mac_ctx_ptr ctx = acquire();
        if (!ctx || EVP_MAC_init(ctx.get(), nullptr, 0, nullptr) != 1) return out;
        for (auto p : parts)
            if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(p.data()), p.size()) != 1) return out;
        std::size_t len = 0;
        if (EVP_MAC_final(ctx.get(), out.bytes.data(), &len, out.bytes.size()) != 1) return out;
        out.size = len;
        release(std::move(ctx));
        return out;
    }

    /// True when this key computes from precomputed SHA-256 states (for tests).
    bool uses_states() const noexcept { return uses_states_; }

private:
    static constexpr std::size_t max_pooled = 64;

#if HOOKLINE_DETAIL_SHA256_STATES
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#elif defined(_MSC_VER)
#pragma warning(push)
#pragma warning(disable : 4996)
#endif
    struct sha256_states {
        SHA256_CTX inner;
        SHA256_CTX outer;
    };

    bool schedule_states(std::string_view key) {
        unsigned char block[SHA256_CBLOCK] = {};
        if (key.size() > sizeof block) {
            digest_value k = sha256(key); // RFC 2104: a long key is hashed first
            const bool hashed = k.size != 0;
            std::copy(k.bytes.begin(), k.bytes.begin() + static_cast<std::ptrdiff_t>(k.size), block);
            OPENSSL_cleanse(k.bytes.data(), k.bytes.size());
            if (!hashed) return false;
        } else {
            std::copy(key.begin(), key.end(), block);
        }
        // The state after hashing the key XOR-ed with a pad byte (0x36 inner, 0x5c outer).
        auto hash_padded_key = [&block](SHA256_CTX& state, unsigned char pad_byte) {
            unsigned char pad[SHA256_CBLOCK];
            for (std::size_t i = 0; i < sizeof pad; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ pad_byte);
            const bool ok = SHA256_Init(&state) == 1 && SHA256_Update(&state, pad, sizeof pad) == 1;
            OPENSSL_cleanse(pad, sizeof pad);
            return ok;
        };
        const bool ok = hash_padded_key(states_.inner, 0x36) && hash_padded_key(states_.outer, 0x5c);
        OPENSSL_cleanse(block, sizeof block);
        uses_states_ = ok;
        return ok;
    }

    digest_value compute_from_states(std::initializer_list<std::string_view> parts) const {
        digest_value out;
        sha256_states c = states_;
        unsigned char inner[SHA256_DIGEST_LENGTH];
        bool ok = true;
        for (auto p : parts) ok = ok && SHA256_Update(&c.inner, p.data(), p.size()) == 1;
        ok = ok && SHA256_Final(inner, &c.inner) == 1;
        ok = ok && SHA256_Update(&c.outer, inner, sizeof inner) == 1;
        ok = ok && SHA256_Final(out.bytes.data(), &c.outer) == 1;
        OPENSSL_cleanse(&c, sizeof c);
        OPENSSL_cleanse(inner, sizeof inner);
        if (ok) out.size = SHA256_DIGEST_LENGTH;
        return out;
    }
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#elif defined(_MSC_VER)
#pragma warning(pop)
#endif
    sha256_states states_{};
#endif
    bool uses_states_ = false;

    mac_ctx_ptr acquire() {
        for (auto& slot : hot_) {
            if (slot.ctx.load(std::memory_order_relaxed) == nullptr) continue;
            if (EVP_MAC_CTX* c = slot.ctx.exchange(nullptr, std::memory_order_acquire)) return mac_ctx_ptr(c);
        }
        {
            std::lock_guard lock(mutex_);
            if (!free_.empty()) {
                mac_ctx_ptr c(free_.back());
                free_.pop_back();
                return c;
            }
        }
        return mac_ctx_ptr(EVP_MAC_CTX_dup(prototype_.get()));
    }
    void release(mac_ctx_ptr ctx) {
        for (auto& slot : hot_) {
            EVP_MAC_CTX* expected = nullptr;
            if (slot.ctx.compare_exchange_strong(expected, ctx.get(), std::memory_order_release,
                                                 std::memory_order_relaxed)) {
                (void)ctx.release();
                return;
            }
        }
        std::lock_guard lock(mutex_);
        if (free_.size() < max_pooled) free_.push_back(ctx.release());
    }

    mac_ctx_ptr prototype_;
    struct alignas(64) slot_type { // one cache line each: no false sharing
        std::atomic<EVP_MAC_CTX*> ctx{nullptr};
    };
    std::array<slot_type, 8> hot_{};
    std::mutex mutex_;
    std::vector<EVP_MAC_CTX*> free_;
};
} // namespace detail

HOOKLINE_END_NAMESPACE
