// HMAC keys: the RFC 4231 vectors, and the two ways hookline computes HMAC-SHA256 (precomputed
// SHA-256 states, OpenSSL's EVP_MAC) agreeing on every key length around the block size.
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;

namespace {
std::string hex(const digest_value& d) { return hex_encode(d.view()); }

std::string pattern(std::size_t n, unsigned seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed * 7 + 3) & 0xff);
    return s;
}
} // namespace

TEST_CASE("crypto: HMAC-SHA256 matches the RFC 4231 vectors both ways", "[crypto]") {
    struct vector_case {
        std::string key, data, mac;
    };
    const std::vector<vector_case> cases = {
        {std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
        {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    };
    for (bool states : {true, false}) {
        for (const auto& c : cases) {
            auto key = detail::hmac_state::make(c.key, hmac_digest::sha256, states);
            REQUIRE(key);
            CHECK(key->uses_states() == (states && detail::hmac_state::states_allowed()));
            CHECK(hex(key->compute({c.data})) == c.mac);
            // The same bytes split into parts give the same MAC.
            CHECK(hex(key->compute({c.data.substr(0, 3), "", c.data.substr(3)})) == c.mac);
        }
    }
}

TEST_CASE("crypto: precomputed states and EVP_MAC agree for keys around the block size", "[crypto]") {
    for (std::size_t key_len : {0, 1, 31, 32, 63, 64, 65, 127, 128, 129, 200}) {
        const std::string key = pattern(key_len, static_cast<unsigned>(key_len));
        auto fast = detail::hmac_state::make(key, hmac_digest::sha256, true);
        auto evp = detail::hmac_state::make(key, hmac_digest::sha256, false);
        REQUIRE(fast);
        REQUIRE(evp);
        CHECK(fast->uses_states() == detail::hmac_state::states_allowed());
        CHECK_FALSE(evp->uses_states());
        for (std::size_t msg_len : {0, 1, 55, 56, 63, 64, 65, 1024, 5000}) {
            const std::string msg = pattern(msg_len, 9);
            const auto a = fast->compute({msg});
            const auto b = evp->compute({msg});
            REQUIRE(a.size == 32);
            CHECK(a.view() == b.view());
        }
    }
}

TEST_CASE("crypto: one key computes the same MAC from many threads at once", "[crypto]") {
    const std::string msg = pattern(1000, 1);
    // Both ways of computing HMAC-SHA256, and HMAC-SHA1 (always pooled EVP_MAC contexts). Twelve
    // threads: more than the eight lock-free context slots, so the overflow list is used too.
    const std::vector<std::shared_ptr<detail::hmac_state>> keys = {
        detail::hmac_state::make("shared key", hmac_digest::sha256, true),
        detail::hmac_state::make("shared key", hmac_digest::sha256, false),
        detail::hmac_state::make("shared key", hmac_digest::sha1, false)};
    for (const auto& key : keys) {
        REQUIRE(key);
        const std::string expected = hex(key->compute({msg}));
        REQUIRE_FALSE(expected.empty());
        std::vector<std::thread> threads;
        std::vector<int> mismatches(12, 0);
        for (int t = 0; t < 12; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 300; ++i)
                    if (hex(key->compute({msg.substr(0, 10), msg.substr(10)})) != expected) ++mismatches[t];
            });
        for (auto& th : threads) th.join();
        for (int m : mismatches) CHECK(m == 0);
    }
}
