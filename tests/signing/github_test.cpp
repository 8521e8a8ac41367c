// GitHub signing and verification: the docs' published vector, the legacy SHA-1 header, rotation, and
// every way a verification can fail.
#include "support/mutate.hpp"

#include <hookline/signing/schemes/github.hpp>

#include <catch2/catch.hpp>

#include <cctype>
#include <random>
#include <string>
#include <vector>

using namespace hookline;
using namespace std::string_literals;

namespace {
// From GitHub's "Validating webhook deliveries" documentation.
constexpr std::string_view docs_secret = "It's a Secret to Everybody";
constexpr std::string_view docs_body = "Hello, World!";
constexpr std::string_view docs_sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
constexpr std::string_view docs_sha1 = "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59";

secret key() { return secret::from_bytes(docs_secret).value(); }

header_map docs_headers(std::string sig = std::string(docs_sig)) {
    return {{"X-Hub-Signature-256", std::move(sig)},
            {"X-GitHub-Event", "push"},
            {"X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"}};
}

result<verified_message> check(const github_verifier& v, const header_map& h, std::string_view body = docs_body) {
    return v.verify({.headers = h, .body = body}, 0);
}
} // namespace

using test_support::mutate;

TEST_CASE("github: signing reproduces the documented vector", "[github]") {
    github_signer signer(key());
    CHECK(signer.signature(docs_body).value() == docs_sig);
    auto h = signer.sign({.id = "d-1", .body = docs_body, .event_type = "push"}).value();
    CHECK(h.get("X-Hub-Signature-256") == docs_sig);
    CHECK(h.get("X-GitHub-Event") == "push");
    CHECK(h.get("X-GitHub-Delivery") == "d-1");
    CHECK_FALSE(h.contains("X-Hub-Signature"));
    // Without an id or type only the signature is sent.
    auto bare = signer.sign({.id = "", .body = docs_body}).value();
    CHECK(bare.size() == 1);
}

TEST_CASE("github: the legacy SHA-1 header is emitted only when asked for", "[github]") {
    github_signer signer(key(), {.legacy_sha1 = true});
    auto h = signer.sign({.id = "", .body = docs_body}).value();
    CHECK(h.get("X-Hub-Signature-256") == docs_sig);
    CHECK(h.get("X-Hub-Signature") == docs_sha1);
}

TEST_CASE("github: the documented vector verifies and reports event and delivery", "[github]") {
    github_verifier v(key());
    auto h = docs_headers();
    auto r = check(v, h);
    REQUIRE(r);
    CHECK(r->event_type == "push");
    CHECK(r->id == "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    CHECK_FALSE(r->timestamp.has_value());
    // Lower-case header names are fine; upper-case hex is not (octokit compares the exact text).
    header_map lower{{"x-hub-signature-256", std::string(docs_sig)}};
    auto r2 = check(v, lower);
    REQUIRE(r2);
    CHECK(r2->event_type.empty());
    CHECK(r2->id.empty());
    std::string upper(docs_sig);
    for (std::size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
    header_map upper_h{{"X-Hub-Signature-256", upper}};
    CHECK(check(v, upper_h).error() == errc::malformed_header);
    CHECK(v.verify({.headers = h, .body = docs_body}));
}

TEST_CASE("github: wrong secret and tampered body are rejected", "[github]") {
    auto h = docs_headers();
    CHECK(check(github_verifier(secret::from_bytes("It's a Secret to Everybody!").value()), h).error() ==
          errc::no_matching_signature);
    CHECK(check(github_verifier(key()), h, "Hello, World?").error() == errc::no_matching_signature);
    // An empty body is refused before any MAC, as octokit refuses an empty payload.
    CHECK(check(github_verifier(key()), h, "").error() == errc::malformed_body);
}

TEST_CASE("github: rotation accepts a signature from either trusted secret", "[github]") {
    auto old_key = key();
    auto new_key = secret::from_bytes("the new secret").value();
    github_verifier both{old_key, new_key};
    auto h_old = docs_headers(github_signer(old_key).signature(docs_body).value());
    auto h_new = docs_headers(github_signer(new_key).signature(docs_body).value());
    CHECK(check(both, h_old));
    CHECK(check(both, h_new));
    CHECK(check(github_verifier(old_key), h_new).error() == errc::no_matching_signature);
}

TEST_CASE("github: missing and duplicate headers are told apart", "[github]") {
    github_verifier v(key());
    header_map none{{"X-GitHub-Event", "push"}};
    CHECK(check(v, none).error() == errc::missing_header);
    auto dup = docs_headers();
    dup.add("x-hub-signature-256", std::string(docs_sig));
    CHECK(check(v, dup).error() == errc::duplicate_header);
    for (auto name : {"X-GitHub-Event", "X-GitHub-Delivery"}) {
        auto h = docs_headers();
        h.add(name, "again");
        CHECK(check(v, h).error() == errc::duplicate_header);
    }
}

TEST_CASE("github: malformed signature headers are rejected without crashing", "[github]") {
    github_verifier v(key(), {.accept_sha1 = true});
    const std::string hex(docs_sig.substr(7));
    const std::vector<std::string> nasty = {
        "",
        "sha256",
        "sha256=",
        "=" + hex,
        hex,
        "sha256:" + hex,
        "SHA256=" + hex,
        "sha256=" + hex.substr(1),
        "sha256=" + hex + "0",
        "sha256=" + hex + "00",
        "sha256=" + hex.substr(2) + "zz",
        "sha256=" + hex.substr(0, 32) + " " + hex.substr(33),
        "sha256=" + hex + ",sha256=" + hex,
        "sha256= " + hex,
        "sha256=\0"s + hex.substr(1),
        "sha256="s + hex.substr(0, 62) + "\0\0"s,
        "sha256=" + std::string(1 << 20, 'a'),
        "sha1=" + std::string(docs_sha1.substr(5)),
        std::string(1 << 16, ','),
    };
    for (const auto& s : nasty) {
        header_map h{{"X-Hub-Signature-256", s}};
        auto r = check(v, h);
        CHECK(r.error() == errc::malformed_header);
    }
    // Surrounding spaces (HTTP OWS) are not part of the value.
    header_map spaced{{"X-Hub-Signature-256", " " + std::string(docs_sig) + "\t"}};
    CHECK(check(v, spaced));
}

TEST_CASE("github: SHA-1 is accepted only when enabled and never as a downgrade", "[github]") {
    header_map legacy{{"X-Hub-Signature", std::string(docs_sha1)}};
    CHECK(check(github_verifier(key()), legacy).error() == errc::missing_header);
    github_verifier v(key(), {.accept_sha1 = true});
    CHECK(check(v, legacy));
    CHECK(check(v, legacy, "tampered").error() == errc::no_matching_signature);
    // When the SHA-256 header is present, a valid SHA-1 header does not rescue a bad SHA-256 one.
    header_map both{{"X-Hub-Signature-256", "sha256=" + std::string(64, '0')},
                    {"X-Hub-Signature", std::string(docs_sha1)}};
    CHECK(check(v, both).error() == errc::no_matching_signature);
    header_map sha1_dup{{"X-Hub-Signature", std::string(docs_sha1)}, {"X-Hub-Signature", std::string(docs_sha1)}};
    CHECK(check(v, sha1_dup).error() == errc::duplicate_header);
    header_map sha1_as_256{{"X-Hub-Signature", "sha256=" + std::string(docs_sig.substr(7))}};
    CHECK(check(v, sha1_as_256).error() == errc::malformed_header);
}

TEST_CASE("github: bad keys are refused", "[github]") {
    CHECK(github_verifier::make(std::span<const secret>{}).error() == errc::invalid_secret);
    auto ed = secret::generate_ed25519().value();
    CHECK(github_verifier::make(ed).error() == errc::invalid_key);
    CHECK(github_signer::make(ed).error() == errc::invalid_key);
    CHECK_THROWS_AS(github_signer(ed), hookline::error);
}

TEST_CASE("github: concepts hold and the body fields are declared", "[github]") {
    STATIC_REQUIRE(signer<github_signer>);
    STATIC_REQUIRE(verifier<github_verifier>);
    STATIC_REQUIRE(github_verifier::body_id_field.empty());
    STATIC_REQUIRE(github_verifier::body_type_field.empty());
    STATIC_REQUIRE(github_verifier::scheme_name == "github");
}

TEST_CASE("github: random edits of a valid header never crash or verify", "[github]") {
    github_verifier v(key(), {.accept_sha1 = true});
    std::mt19937 rng(20261122);
    for (int i = 0; i < 5000; ++i) {
        auto s = mutate(std::string(docs_sig), rng);
        header_map h{{i % 2 ? "X-Hub-Signature-256" : "X-Hub-Signature", s}};
        auto r = check(v, h);
        // Only an edit that leaves the value equal up to hex case and surrounding OWS may pass.
        if (r) CHECK(detail::iequals(detail::trim(s), i % 2 ? docs_sig : docs_sha1));
    }
}
