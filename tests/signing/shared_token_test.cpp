// Shared tokens: the configured header must carry one of the trusted tokens (after an optional prefix).
#include "support/mutate.hpp"

#include <hookline/signing/schemes/shared_token.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace hookline;
using namespace std::string_literals;

namespace {
secret tok(std::string_view t) { return secret::from_bytes(t).value(); }

result<verified_message> check(const shared_token_verifier& v, const header_map& h) {
    return v.verify({.headers = h, .body = "{}"}, 0);
}
} // namespace

using test_support::mutate;

TEST_CASE("shared_token: a whole Authorization value matches", "[shared_token]") {
    shared_token_verifier v(tok("Bearer xyz"));
    header_map h{{"authorization", "Bearer xyz"}};
    auto r = check(v, h);
    REQUIRE(r);
    CHECK(r->id.empty());
    CHECK_FALSE(r->timestamp.has_value());
    CHECK(v.verify({.headers = h, .body = ""}));
    header_map wrong{{"Authorization", "Bearer xy"}};
    CHECK(check(v, wrong).error() == errc::no_matching_signature);
    header_map longer{{"Authorization", "Bearer xyzz"}};
    CHECK(check(v, longer).error() == errc::no_matching_signature);
}

TEST_CASE("shared_token: a prefix is matched case-insensitively and the token exactly", "[shared_token]") {
    shared_token_verifier v(tok("xyz"), {.prefix = "Bearer "});
    CHECK(check(v, {{"Authorization", "Bearer xyz"}}));
    CHECK(check(v, {{"Authorization", "bearer xyz"}}));
    CHECK(check(v, {{"Authorization", "Bearer XYZ"}}).error() == errc::no_matching_signature);
    CHECK(check(v, {{"Authorization", "Basic xyz"}}).error() == errc::malformed_header);
    CHECK(check(v, {{"Authorization", "Bearer "}}).error() == errc::malformed_header);
    CHECK(check(v, {{"Authorization", "xyz"}}).error() == errc::malformed_header);
}

TEST_CASE("shared_token: a custom header carries a raw token", "[shared_token]") {
    shared_token_verifier v(tok("s3cr3t"), {.header = "X-Webhook-Token"});
    CHECK(check(v, {{"x-webhook-token", "s3cr3t"}}));
    CHECK(check(v, {{"Authorization", "s3cr3t"}}).error() == errc::missing_header);
    CHECK(v.options().header == "X-Webhook-Token");
}

TEST_CASE("shared_token: rotation accepts any trusted token", "[shared_token]") {
    shared_token_verifier v{{tok("old"), tok("new")}, {.prefix = "Bearer "}};
    CHECK(check(v, {{"Authorization", "Bearer old"}}));
    CHECK(check(v, {{"Authorization", "Bearer new"}}));
    CHECK(check(v, {{"Authorization", "Bearer other"}}).error() == errc::no_matching_signature);
}

TEST_CASE("shared_token: missing and duplicate and malformed headers are told apart", "[shared_token]") {
    shared_token_verifier v(tok("Bearer xyz"));
    CHECK(check(v, {}).error() == errc::missing_header);
    CHECK(check(v, {{"Authorization", "Bearer xyz"}, {"AUTHORIZATION", "Bearer xyz"}}).error() ==
          errc::duplicate_header);
    const std::vector<std::string> nasty = {"", " ", "\t"};
    for (const auto& s : nasty) CHECK(check(v, {{"Authorization", s}}).error() == errc::malformed_header);
    const std::vector<std::string> wrong = {"Bearer xyz\0"s, "\0Bearer xyz"s,           "Bearer\0xyz"s,
                                            "Bearer  xyz",   std::string(1 << 20, 'B'), "="};
    for (const auto& s : wrong) CHECK(check(v, {{"Authorization", s}}).error() == errc::no_matching_signature);
    // Surrounding spaces (HTTP OWS) are not part of the value.
    CHECK(check(v, {{"Authorization", "  Bearer xyz\t"}}));
}

TEST_CASE("shared_token: the signer emits the prefix and the token", "[shared_token]") {
    shared_token_signer s(tok("xyz"), {.header = "X-Token", .prefix = "Token "});
    auto h = s.sign({.id = "m", .body = "{}"}).value();
    REQUIRE(h.size() == 1);
    CHECK(h.get("X-Token") == "Token xyz");
    shared_token_verifier v(tok("xyz"), {.header = "X-Token", .prefix = "Token "});
    CHECK(check(v, h));
    CHECK(shared_token_signer::make(tok("a\r\nInjected: 1")).error() == errc::invalid_argument);
    CHECK(shared_token_signer::make(tok("a"), {.header = ""}).error() == errc::invalid_argument);
}

TEST_CASE("shared_token: bad configuration is refused and tokens never print", "[shared_token]") {
    CHECK(shared_token_verifier::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(shared_token_verifier::make(tok("x"), {.header = ""}).error() == errc::invalid_argument);
    CHECK(shared_token_verifier::make(secret::generate_ed25519().value()).error() == errc::invalid_key);
    CHECK_THROWS_AS(shared_token_verifier(std::span<const secret>{}), hookline::error);
    std::ostringstream os;
    os << tok("supersecret");
    CHECK(os.str().find("supersecret") == std::string::npos);
}

TEST_CASE("shared_token: concepts hold and the body fields are declared", "[shared_token]") {
    STATIC_REQUIRE(signer<shared_token_signer>);
    STATIC_REQUIRE(verifier<shared_token_verifier>);
    STATIC_REQUIRE(shared_token_verifier::body_id_field.empty());
    STATIC_REQUIRE(shared_token_verifier::body_type_field.empty());
}

TEST_CASE("shared_token: random edits of a valid header never crash or verify", "[shared_token]") {
    shared_token_verifier v(tok("xyz"), {.prefix = "Bearer "});
    std::mt19937 rng(20261122);
    for (int i = 0; i < 5000; ++i) {
        auto s = mutate("Bearer xyz", rng);
        auto r = check(v, {{"Authorization", s}});
        if (r) CHECK(detail::iequals(detail::trim(s), "Bearer xyz"));
    }
}
