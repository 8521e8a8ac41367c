// Issue #17, "Secrets": weak or mistyped Standard Webhooks keys are refused with a typed error that
// says which mistake it was and never quotes the key; providers' plain-text secrets go through the
// explicitly named `secret::from_bytes`.
#include <hookline/core/error.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/schemes.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <utility>

using namespace hookline;

TEST_CASE("secret_parse: the issue's keys are refused, each with its own error", "[security][secret]") {
    // A 1-byte key.
    CHECK(secret::parse("whsec_AA").error() == errc::secret_too_short);
    // A password without prefix: once base64-decoded into 12 unrelated bytes, now refused as such.
    CHECK(secret::parse("mysecretpassword").error() == errc::secret_missing_prefix);
    // Not base64 after the prefix: refused, not decoded into something else.
    CHECK(secret::parse("whsec_mysecretpassword!").error() == errc::secret_not_base64);
    CHECK(secret::parse("whsec_my secret password").error() == errc::secret_not_base64);
}

TEST_CASE("secret_parse: 16 bytes is the shortest whsec_ key", "[security][secret]") {
    for (std::size_t n = 0; n < 40; ++n) {
        CAPTURE(n);
        auto r = secret::parse("whsec_" + base64_encode(std::string(n, 'k')));
        if (n < secret::min_symmetric_size) {
            CHECK(r.error() == errc::secret_too_short);
        } else {
            REQUIRE(r);
            CHECK(r->size() == n);
        }
    }
}

TEST_CASE("secret_parse: errors never quote the key", "[security][secret]") {
    const std::pair<std::string, errc> cases[] = {
        {"whsec_AA", errc::secret_too_short},
        {"Zm9vYmFyYmF6cXV1eHF1dXhxdXV4", errc::secret_missing_prefix},
        {"whsec_Zm9vYmFy!!YmF6", errc::secret_not_base64},
        {"whsk_Zm9vYmFyYmF6", errc::invalid_secret},
    };
    for (const auto& [text, expected] : cases) {
        CAPTURE(text);
        auto r = secret::parse(text);
        REQUIRE_FALSE(r);
        CHECK(r.error() == expected);
        const std::string message = r.error().message();
        CHECK(message.find("Zm9v") == std::string::npos);
        CHECK(message.find("AA") == std::string::npos);
        try {
            (void)r.value();
            FAIL("value() should throw");
        } catch (const hookline::error& e) {
            CHECK(std::string(e.what()).find("Zm9v") == std::string::npos);
        }
    }
    CHECK(std::error_code(errc::secret_missing_prefix).message() == "secret lacks the whsec_, whsk_ or whpk_ prefix");
    CHECK(std::error_code(errc::secret_not_base64).message() == "secret is not base64 after its prefix");
    CHECK(std::error_code(errc::secret_too_short).message() == "secret shorter than 16 bytes");
}

TEST_CASE("secret_parse: plain-text provider secrets use from_bytes, as typed", "[security][secret]") {
    // GitHub's documented secret and Stripe's whole whsec_ string are keys as text.
    auto github = secret::from_bytes("It's a Secret to Everybody").value();
    CHECK(github.bytes() == "It's a Secret to Everybody");
    auto stripe = secret::from_bytes("whsec_test_secret").value();
    CHECK(stripe.bytes() == "whsec_test_secret");
    CHECK(stripe.kind() == secret_kind::symmetric);
    // The provider chose the secret: no minimum length (never empty: core/secret_test.cpp).
    CHECK(secret::from_bytes("x").value().size() == 1);
    // from_bytes keys sign and verify for every HMAC scheme.
    CHECK(github_verifier::make(github));
    CHECK(stripe_verifier::make(stripe));
    CHECK(slack_verifier::make(github));
}
