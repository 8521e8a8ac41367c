// Stripe signing and verification: a vector computed with stripe@23.1.0, rotation, tolerance on both
// sides, and a table of malformed Stripe-Signature headers.
#include "support/mutate.hpp"

#include <hookline/signing/schemes/stripe.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace hookline;
using namespace std::string_literals;

namespace {
// stripe@23.1.0 Stripe.webhooks.generateTestHeaderString({payload, secret, timestamp}).
constexpr std::string_view sdk_secret = "whsec_test_secret";
constexpr std::int64_t sdk_ts = 1700000000;
constexpr std::string_view sdk_body = R"({"id":"evt_test_webhook","object":"event"})";
constexpr std::string_view sdk_v1 = "d95c6b7477fbd7e9f90b1b0ef5f9c7ac25abca5382460e0d988c2b2a5b71b990";
const std::string sdk_header = "t=1700000000,v1=" + std::string(sdk_v1);

secret key() { return secret::from_bytes(sdk_secret).value(); }

header_map headers(std::string value) { return {{"Stripe-Signature", std::move(value)}}; }

result<verified_message> check(const stripe_verifier& v, const std::string& header, std::int64_t now = sdk_ts,
                               std::string_view body = sdk_body) {
    auto h = headers(header);
    return v.verify({.headers = h, .body = body}, now);
}
} // namespace

using test_support::mutate;

TEST_CASE("stripe: signing reproduces the SDK's test header", "[stripe]") {
    stripe_signer signer(key());
    CHECK(signer.signature(sdk_ts, sdk_body).value() == sdk_header);
    auto h = signer.sign({.id = "evt_1", .body = sdk_body, .timestamp = sdk_ts}).value();
    CHECK(h.size() == 1);
    CHECK(h.get("Stripe-Signature") == sdk_header);
}

TEST_CASE("stripe: the SDK vector verifies and carries the timestamp", "[stripe]") {
    stripe_verifier v(key());
    auto r = check(v, sdk_header);
    REQUIRE(r);
    CHECK(r->timestamp == sdk_ts);
    CHECK(r->id.empty());
    CHECK(r->event_type.empty());
    CHECK(check(v, sdk_header, sdk_ts + 300));
    CHECK(check(v, sdk_header, sdk_ts - 300));
    // Header name case and v0 / unknown elements do not matter; upper-case hex matches nothing
    // (stripe-node compares the hex text).
    header_map lower{{"stripe-signature", sdk_header + ",v0=abc,v9=zzz"}};
    CHECK(v.verify({.headers = lower, .body = sdk_body}, sdk_ts));
    std::string upper = "t=1700000000,v1=" + std::string(sdk_v1);
    for (auto& c : upper)
        if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
    CHECK(check(v, upper).error() == errc::no_matching_signature);
}

TEST_CASE("stripe: the secret is the whole whsec_ string, not its base64 decoding", "[stripe]") {
    auto decoded = secret::parse(sdk_secret);
    if (decoded) CHECK(check(stripe_verifier(*decoded), sdk_header).error() == errc::no_matching_signature);
}

TEST_CASE("stripe: stale and future timestamps fail with which side", "[stripe]") {
    stripe_verifier v(key());
    CHECK(check(v, sdk_header, sdk_ts + 301).error() == errc::timestamp_too_old);
    CHECK(check(v, sdk_header, sdk_ts - 301).error() == errc::timestamp_too_new);
    stripe_verifier like_sdk(key(), {.reject_future = false});
    CHECK(check(like_sdk, sdk_header, sdk_ts - 100000));
    CHECK(check(like_sdk, sdk_header, sdk_ts + 301).error() == errc::timestamp_too_old);
    stripe_verifier wide(key(), {.tolerance = std::chrono::seconds(3600)});
    CHECK(check(wide, sdk_header, sdk_ts + 3600));
    CHECK(check(wide, sdk_header, sdk_ts + 3601).error() == errc::timestamp_too_old);
    CHECK(stripe_verifier::make(key(), {.tolerance = std::chrono::seconds(-1)}).error() == errc::invalid_argument);
}

TEST_CASE("stripe: wrong secret and tampered body or timestamp are rejected", "[stripe]") {
    CHECK(check(stripe_verifier(secret::from_bytes("whsec_other").value()), sdk_header).error() ==
          errc::no_matching_signature);
    stripe_verifier v(key());
    CHECK(check(v, sdk_header, sdk_ts, R"({"id":"evt_test_webhook","object":"event" })").error() ==
          errc::no_matching_signature);
    CHECK(check(v, "t=1700000001,v1=" + std::string(sdk_v1)).error() == errc::no_matching_signature);
    // The timestamp is signed as the number it denotes (stripe-node's parseInt): leading zeros, a '+'
    // or trailing text do not change it.
    CHECK(check(v, "t=01700000000,v1=" + std::string(sdk_v1)));
    CHECK(check(v, "t=1700000000x,v1=" + std::string(sdk_v1)));
    // An empty body is refused, as stripe-node refuses it.
    CHECK(check(v, sdk_header, sdk_ts, "").error() == errc::malformed_body);
}

TEST_CASE("stripe: rotation signs with every key and any v1 may match", "[stripe]") {
    auto old_key = key();
    auto new_key = secret::from_bytes("whsec_rolled").value();
    stripe_signer signer{old_key, new_key};
    auto sig = signer.signature(sdk_ts, sdk_body).value();
    CHECK(sig.starts_with(sdk_header + ",v1="));
    CHECK(check(stripe_verifier(old_key), sig));
    CHECK(check(stripe_verifier(new_key), sig));
    auto only_new = stripe_signer(new_key).signature(sdk_ts, sdk_body).value();
    CHECK(check(stripe_verifier{old_key, new_key}, only_new));
    CHECK(check(stripe_verifier(old_key), only_new).error() == errc::no_matching_signature);
    // A matching v1 after non-matching ones, with t anywhere, passes.
    CHECK(check(stripe_verifier(key()), "v1=" + std::string(64, '0') + ",v1=" + std::string(sdk_v1) + ",t=1700000000"));
}

TEST_CASE("stripe: missing and duplicate headers are told apart", "[stripe]") {
    stripe_verifier v(key());
    header_map none{{"Content-Type", "application/json"}};
    CHECK(v.verify({.headers = none, .body = sdk_body}, sdk_ts).error() == errc::missing_header);
    header_map dup{{"Stripe-Signature", sdk_header}, {"stripe-signature", sdk_header}};
    CHECK(v.verify({.headers = dup, .body = sdk_body}, sdk_ts).error() == errc::duplicate_header);
}

TEST_CASE("stripe: malformed Stripe-Signature headers are rejected without crashing", "[stripe]") {
    stripe_verifier v(key());
    const std::string v1(sdk_v1);
    // Each refused by stripe-node 23.1.0 as well (tests/interop/leniency.test.mjs compares verdicts).
    const std::vector<std::string> nasty = {
        "",
        ",",
        ",,,",
        "t",
        "t=",
        "=",
        "v1=" + v1,                                  // no timestamp
        "t=1700000000",                              // no signature
        "t=1700000000,v0=" + v1,                     // only v0
        "t=1700000000,v1=",                          // empty v1 (stripe-node throws)
        "t=1700000000,v1=" + v1 + ",v1=",            // ... even next to a valid one
        "t=1700000000,v1,v1=" + v1,                  // a v1 without '='
        "t=1700000000, v1=" + v1,                    // " v1" is another name
        "t=1700000000,v1 =" + v1,                    // so is "v1 "
        "T=1700000000,v1=" + v1,                     // names are case-sensitive
        "t=1700000000,V1=" + v1,                     //
        "t=-1700000000,v1=" + v1,                    // before 1970
        "t=abc,v1=" + v1,                            // no number
        "t=99999999999999999999999,v1=" + v1,        // does not fit
        "t=1700000000,v1==" + v1,                    // value is "" before the second '='
        "t=1700000000;v1=" + v1,                     // one element, named "t"
        "t=1700000000," + std::string(1 << 16, ','), // no v1
        "t\0=1700000000,v1="s + v1,                  // a name "t\0"
    };
    for (const auto& s : nasty) {
        INFO("header #" << (&s - nasty.data()));
        CHECK(check(v, s).error() == errc::malformed_header);
    }
    // Odd entries that stripe-node skips do not void a valid v1.
    const std::vector<std::string> accepted = {
        "t=1700000000,v1=deadbeef,v1=" + v1 + ",v0=zz",                    // the issue's header
        "t=1700000000,v1=" + v1 + ",",                                     // trailing comma
        ",t=1700000000,v1=" + v1,                                          // leading comma
        "t=1700000000,,v1=" + v1,                                          // repeated commas
        "t=1700000000,t=1700000000,v1=" + v1,                              // two timestamps: the last counts
        "t=1,t=1700000000,v1=" + v1,                                       //
        "t,t=1700000000,v1=" + v1,                                         //
        "t= 1700000000,v1=" + v1,                                          // parseInt skips white space
        "t=+1700000000,v1=" + v1,                                          // and reads a '+'
        "t=1700000000.9,v1=" + v1,                                         // and stops at the first non-digit
        "t=1700000000,v1=" + v1 + "=x",                                    // the value ends at a second '='
        "t=1700000000,v1=" + v1 + ",v1=xyz",                               // one good, one bad v1
        "t=1700000000,v1=" + v1.substr(1) + ",v1=" + v1,                   // odd length
        "t=1700000000,v1=" + v1 + "00,v1=" + v1,                           // too long
        "t=1700000000,v1=" + v1.substr(0, 60) + "\0\0\0\0"s + ",v1=" + v1, // NULs
        "t=1700000000,x" + std::string(1000, '=') + ",v1=" + v1,           // unknown names
    };
    for (const auto& s : accepted) {
        INFO("header #" << (&s - accepted.data()));
        CHECK(check(v, s));
    }
    // Refused as unsigned: the timestamp a v1 signs is the last t.
    CHECK(check(v, "t=1700000000,t=1,v1=" + v1).error() == errc::timestamp_too_old);
    CHECK(check(v, "t=1700000000,v1=" + std::string(1 << 20, 'a')).error() == errc::no_matching_signature);
    // Spaces around the whole value (HTTP OWS) are not part of it; unknown elements are skipped.
    CHECK(check(v, " " + sdk_header + "\t"));
    // Many well-formed v1 entries are fine (one MAC per key, then cheap comparisons).
    std::string many = "t=1700000000";
    for (int i = 0; i < 1000; ++i) many += ",v1=" + std::string(64, 'f');
    CHECK(check(v, many).error() == errc::no_matching_signature);
    CHECK(check(v, many + ",v1=" + v1));
}

TEST_CASE("stripe: bad keys are refused", "[stripe]") {
    CHECK(stripe_verifier::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(stripe_signer::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(stripe_signer::make(secret::generate_ed25519().value()).error() == errc::invalid_key);
    CHECK_THROWS_AS(stripe_verifier(std::span<const secret>{}), hookline::error);
}

TEST_CASE("stripe: concepts hold and the body fields are declared", "[stripe]") {
    STATIC_REQUIRE(signer<stripe_signer>);
    STATIC_REQUIRE(verifier<stripe_verifier>);
    STATIC_REQUIRE(stripe_verifier::body_id_field == "id");
    STATIC_REQUIRE(stripe_verifier::body_type_field == "type");
    STATIC_REQUIRE(stripe_verifier::scheme_name == "stripe");
}

TEST_CASE("stripe: random edits of a valid header never crash or verify", "[stripe]") {
    stripe_verifier v(key());
    std::mt19937 rng(20261122);
    for (int i = 0; i < 5000; ++i) {
        auto s = mutate(sdk_header, rng);
        auto r = check(v, s);
        if (r) CHECK(s.find(sdk_v1.substr(0, 60)) != std::string::npos);
    }
}
