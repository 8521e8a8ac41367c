// The secret type: parsing, generation, and never revealing itself by accident.
#include <hookline/core/error.hpp>
#include <hookline/core/secret.hpp>

#include <catch2/catch.hpp>

#include <sstream>
#include <string>

using namespace hookline;

TEST_CASE("secret: parses whsec_ with or without prefix and padding", "[secret]") {
    auto a = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    auto b = secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    CHECK(a == b);
    CHECK(a.kind() == secret_kind::symmetric);
    CHECK(a.size() == 24);
    auto padded = secret::parse("whsec_" + base64_encode(std::string(25, 'k'))).value();
    auto unpadded_text = base64_encode(std::string(25, 'k'));
    while (unpadded_text.back() == '=') unpadded_text.pop_back();
    CHECK(secret::parse("whsec_" + unpadded_text).value() == padded);
}

TEST_CASE("secret: rejects empty and malformed secrets with a typed error", "[secret]") {
    for (const char* bad :
         {"", "whsec_", "whsec_!!!!", "whsec_abc def", "whsk_", "whpk_", "whpk_AAAA", "whsk_AAAA", "whsec_A"}) {
        INFO(bad);
        auto r = secret::parse(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error() == errc::invalid_secret);
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
        CHECK(e.code() == errc::invalid_secret);
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
    CHECK(secret::from_bytes("It's a Secret to Everybody").value().bytes() == "It's a Secret to Everybody");
}
