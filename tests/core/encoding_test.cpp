// Base64 and hex codecs: round trips, RFC 4648 vectors, and rejection of malformed input.
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>

#include <catch2/catch.hpp>

#include <string>

using namespace hookline;

TEST_CASE("encoding: base64 matches the RFC 4648 vectors", "[encoding]") {
    const std::pair<std::string, std::string> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : vectors) {
        CHECK(base64_encode(plain) == encoded);
        CHECK(base64_decode(encoded) == plain);
    }
}

TEST_CASE("encoding: base64 decodes unpadded and URL-safe input", "[encoding]") {
    CHECK(base64_decode("Zg") == "f");
    CHECK(base64_decode("Zm8") == "fo");
    CHECK(base64_decode("-_-_") == base64_decode("+/+/"));
}

TEST_CASE("encoding: base64 rejects malformed input", "[encoding]") {
    for (const char* bad :
         {"Z", "Zm9vY", "Zg=", "Zm9v=", "Zg===", "====", "Z===", "Zm 9v", "Zm9v\n", "Zg==Zg==", "\xff\xfe", "=Zm9"}) {
        INFO(bad);
        CHECK_FALSE(base64_decode(bad).has_value());
    }
    CHECK_FALSE(base64_decode(std::string("Zm\0v", 4)).has_value());
}

TEST_CASE("encoding: base64 round-trips every byte value at every length", "[encoding]") {
    std::string bytes;
    for (int i = 0; i < 300; ++i) {
        bytes.push_back(static_cast<char>((i * 37) & 0xFF));
        REQUIRE(base64_decode(base64_encode(bytes)) == bytes);
    }
}

TEST_CASE("encoding: hex encodes lower case and decodes either case", "[encoding]") {
    CHECK(hex_encode(std::string("\x00\x01\xab\xff", 4)) == "0001abff");
    CHECK(hex_decode("0001ABff") == std::string("\x00\x01\xab\xff", 4));
    for (const char* bad : {"0", "abc", "zz", "0g", " 00", "00 "}) {
        INFO(bad);
        CHECK_FALSE(hex_decode(bad).has_value());
    }
}

TEST_CASE("encoding: unix seconds parse strictly", "[encoding]") {
    CHECK(detail::parse_unix_seconds("0") == 0);
    CHECK(detail::parse_unix_seconds("1614265330") == 1614265330);
    CHECK(detail::parse_unix_seconds("999999999999999999") == 999999999999999999);
    for (const char* bad : {"", "-1", "+1", "1e9", "1.5", " 1", "1 ", "0x10", "9999999999999999999"}) {
        INFO(bad);
        CHECK_FALSE(detail::parse_unix_seconds(bad).has_value());
    }
}

TEST_CASE("crypto: HMAC-SHA256 and SHA-1 match RFC 4231 and RFC 2202", "[crypto]") {
    // RFC 4231 test case 2, RFC 2202 test case 2.
    auto k256 = hmac_key::make("Jefe").value();
    CHECK(hex_encode(k256.compute("what do ya want for nothing?").view()) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    auto k1 = hmac_key::make("Jefe", hmac_digest::sha1).value();
    CHECK(hex_encode(k1.compute("what do ya want for nothing?").view()) == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    // Parts are concatenated; the context is reusable across calls.
    CHECK(k256.compute({"what do ya ", "want for ", "nothing?"}).view() ==
          k256.compute("what do ya want for nothing?").view());
}

TEST_CASE("crypto: SHA-256 matches FIPS 180-2", "[crypto]") {
    CHECK(hex_encode(sha256("abc").view()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("crypto: an empty digest never matches", "[crypto]") {
    digest_value empty;
    CHECK_FALSE(empty.matches(""));
    CHECK(constant_time_equal("abc", "abc"));
    CHECK_FALSE(constant_time_equal("abc", "abd"));
    CHECK_FALSE(constant_time_equal("abc", "abcd"));
}

TEST_CASE("crypto: Ed25519 matches RFC 8032 test 1", "[crypto]") {
    auto seed = hex_decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").value();
    auto key = ed25519_key::from_seed(seed).value();
    CHECK(hex_encode(key.public_bytes()) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    auto sig = key.sign("").value();
    CHECK(hex_encode(sig) == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701"
                             "cf9b46bd25bf5f0595bbe24655141438e7a100b");
    CHECK(key.public_key().verify("", sig));
    CHECK_FALSE(key.public_key().verify("x", sig));
    CHECK_FALSE(key.public_key().sign("").has_value());
    CHECK(ed25519_key::from_seed("short").error() == errc::invalid_key);
}
