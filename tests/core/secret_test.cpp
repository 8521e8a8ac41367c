// The secret type: parsing, generation, and never revealing itself by accident.
#include <hookline/core/error.hpp>
#include <hookline/core/secret.hpp>

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <utility>

using namespace hookline;

TEST_CASE("secret: parses whsec_ with or without padding; the prefix is required", "[secret]") {
    auto a = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    CHECK(a.kind() == secret_kind::symmetric);
    CHECK(a.size() == 24);
    CHECK(secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").error() == errc::secret_missing_prefix);
    auto padded = secret::parse("whsec_" + base64_encode(std::string(25, 'k'))).value();
    auto unpadded_text = base64_encode(std::string(25, 'k'));
    while (unpadded_text.back() == '=') unpadded_text.pop_back();
    CHECK(secret::parse("whsec_" + unpadded_text).value() == padded);
}

TEST_CASE("secret: rejects empty and malformed secrets with a typed error", "[secret]") {
    // More short and unprefixed keys: security/secret_parse_test.cpp.
    const std::pair<const char*, errc> bad[] = {
        {"", errc::invalid_secret},
        {"whsec_", errc::secret_too_short},
        {"whsec_!!!!", errc::secret_not_base64},
        {"whsec_abc def", errc::secret_not_base64},
        {"whsec_A", errc::secret_not_base64},
        {"whsk_", errc::invalid_secret},
        {"whpk_", errc::invalid_secret},
        {"whpk_AAAA", errc::invalid_secret},
        {"whsk_AAAA", errc::invalid_secret},
        {"whsk_!!", errc::secret_not_base64},
    };
    for (const auto& [text, expected] : bad) {
        INFO(text);
        auto r = secret::parse(text);
        REQUIRE_FALSE(r);
        CHECK(r.error() == expected);
    }
    CHECK(secret::from_bytes("").error() == errc::invalid_secret);
    CHECK_THROWS_AS(secret::parse("whsec_").value(), hookline::error);
}

TEST_CASE("secret: generates 24 to 64 random bytes", "[secret]") {
    CHECK(secret::generate().value().size() == 32);
    CHECK(secret::generate(24).value().size() == 24);
    CHECK(secret::generate(64).value().size() == 64);
    CHECK(secret::generate(23).error() == errc::invalid_argument);
    CHECK(secret::generate(65).error() == errc::invalid_argument);
    CHECK_FALSE(secret::generate().value() == secret::generate().value());
    auto g = secret::generate().value();
    CHECK(secret::parse(g.reveal()).value() == g);
}

TEST_CASE("secret: printing shows a redacted form only", "[secret]") {
    auto s = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    std::ostringstream os;
    os << s;
    CHECK(os.str() == "whsec_[redacted 24 bytes]");
    CHECK(s.redacted().find("MfKQ") == std::string::npos);
    CHECK(s.reveal() == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    auto priv = secret::generate_ed25519().value();
    std::ostringstream pos;
    pos << priv;
    CHECK(pos.str() == "whsk_[redacted]");
    // A public key is not secret and prints in full.
    CHECK(priv.public_key().redacted() == priv.public_key().reveal());
}

TEST_CASE("secret: errors never carry secret material", "[secret]") {
    const std::string text = "whsec_SuperSecretButNotBase64!";
    auto r = secret::parse(text);
    REQUIRE_FALSE(r);
    try {
        (void)r.value();
        FAIL("value() should throw");
    } catch (const hookline::error& e) {
        CHECK(std::string(e.what()).find("SuperSecret") == std::string::npos);
        CHECK(e.code() == errc::secret_not_base64);
    }
}

TEST_CASE("secret: copies and moves keep the bytes and kind", "[secret]") {
    auto s = secret::generate().value();
    secret copy = s;
    CHECK(copy == s);
    secret moved = std::move(copy);
    CHECK(moved == s);
    auto other = secret::generate_ed25519().value();
    moved = other;
    CHECK(moved == other);
    CHECK(moved.kind() == secret_kind::ed25519_private);
}
