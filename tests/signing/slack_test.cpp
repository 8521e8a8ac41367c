// Slack request signing: the docs' published vector, rotation, tolerance on both sides, and every way
// a verification can fail.
#include "support/mutate.hpp"

#include <hookline/signing/schemes/slack.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

using namespace hookline;
using namespace std::string_literals;

namespace {
// From Slack's "Verifying requests from Slack" documentation.
constexpr std::string_view docs_secret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr std::int64_t docs_ts = 1531420618;
constexpr std::string_view docs_body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name="
    "foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks."
    "slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015."
    "47445629121.803a0bc887a14d10d2c447fce8b6703c";
constexpr std::string_view docs_sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

secret key() { return secret::from_bytes(docs_secret).value(); }

header_map docs_headers(std::string sig = std::string(docs_sig), std::string ts = std::to_string(docs_ts)) {
    return {{"X-Slack-Request-Timestamp", std::move(ts)}, {"X-Slack-Signature", std::move(sig)}};
}

result<verified_message> check(const slack_verifier& v, const header_map& h, std::int64_t now = docs_ts,
                               std::string_view body = docs_body) {
    return v.verify({.headers = h, .body = body}, now);
}
} // namespace

using test_support::mutate;

TEST_CASE("slack: signing reproduces the documented vector", "[slack]") {
    slack_signer signer(key());
    CHECK(signer.signature(docs_ts, docs_body).value() == docs_sig);
    auto h = signer.sign({.id = "", .body = docs_body, .timestamp = docs_ts}).value();
    CHECK(h == docs_headers());
}

TEST_CASE("slack: the documented vector verifies within tolerance on either side", "[slack]") {
    slack_verifier v(key());
    auto h = docs_headers();
    auto r = check(v, h);
    REQUIRE(r);
    CHECK(r->timestamp == docs_ts);
    CHECK(r->id.empty());
    CHECK(r->event_type.empty());
    CHECK(check(v, h, docs_ts + 300));
    CHECK(check(v, h, docs_ts - 300));
    header_map lower{{"x-slack-request-timestamp", " 1531420618 "}, {"x-slack-signature", std::string(docs_sig)}};
    CHECK(check(v, lower));
}

TEST_CASE("slack: stale and future timestamps fail with which side", "[slack]") {
    slack_verifier v(key());
    auto h = docs_headers();
    CHECK(check(v, h, docs_ts + 301).error() == errc::timestamp_too_old);
    CHECK(check(v, h, docs_ts - 301).error() == errc::timestamp_too_new);
    slack_verifier like_bolt(key(), {.reject_future = false});
    CHECK(check(like_bolt, h, docs_ts - 100000));
    CHECK(check(like_bolt, h, docs_ts + 301).error() == errc::timestamp_too_old);
    slack_verifier narrow(key(), {.tolerance = std::chrono::seconds(10)});
    CHECK(check(narrow, h, docs_ts + 11).error() == errc::timestamp_too_old);
    CHECK(slack_verifier::make(key(), {.tolerance = std::chrono::seconds(-5)}).error() == errc::invalid_argument);
}

TEST_CASE("slack: wrong secret and tampered body or timestamp are rejected", "[slack]") {
    auto h = docs_headers();
    CHECK(check(slack_verifier(secret::from_bytes("8f742231b10e8888abcd99yyyzzz85a6").value()), h).error() ==
          errc::no_matching_signature);
    slack_verifier v(key());
    CHECK(check(v, h, docs_ts, std::string(docs_body) + "&x=1").error() == errc::no_matching_signature);
    auto other_ts = docs_headers(std::string(docs_sig), std::to_string(docs_ts + 1));
    CHECK(check(v, other_ts).error() == errc::no_matching_signature);
}

TEST_CASE("slack: rotation accepts a signature from either trusted secret", "[slack]") {
    auto old_key = key();
    auto new_key = secret::from_bytes("a-new-signing-secret").value();
    slack_verifier both{old_key, new_key};
    CHECK(check(both, docs_headers()));
    CHECK(check(both, docs_headers(slack_signer(new_key).signature(docs_ts, docs_body).value())));
    CHECK(check(slack_verifier(old_key), docs_headers(slack_signer(new_key).signature(docs_ts, docs_body).value()))
              .error() == errc::no_matching_signature);
}

TEST_CASE("slack: missing and duplicate headers are told apart", "[slack]") {
    slack_verifier v(key());
    for (auto name : {"X-Slack-Request-Timestamp", "X-Slack-Signature"}) {
        auto h = docs_headers();
        h.erase(name);
        CHECK(check(v, h).error() == errc::missing_header);
        auto dup = docs_headers();
        dup.add(name, std::string(dup.get(name).value()));
        CHECK(check(v, dup).error() == errc::duplicate_header);
    }
}

TEST_CASE("slack: malformed headers are rejected without crashing", "[slack]") {
    slack_verifier v(key());
    const std::string hex(docs_sig.substr(3));
    const std::vector<std::string> bad_sigs = {
        "",
        "v0",
        "v0=",
        "=" + hex,
        hex,
        "v1=" + hex,
        "V0=" + hex,
        "v0:" + hex,
        "v0=" + hex.substr(1),
        "v0=" + hex + "0",
        "v0=" + hex + "00",
        "v0=" + hex.substr(2) + "zz",
        "v0=" + hex + ",v0=" + hex,
        "v0==" + hex.substr(1),
        "v0=\0"s + hex.substr(1),
        "v0="s + hex.substr(0, 62) + "\0\0"s,
        "v0=" + std::string(1 << 20, 'a'),
        std::string(1 << 16, '='),
    };
    for (const auto& s : bad_sigs) {
        INFO("signature #" << (&s - bad_sigs.data()));
        CHECK(check(v, docs_headers(s)).error() == errc::malformed_header);
    }
    const std::vector<std::string> bad_ts = {
        "",
        "abc",
        "-1531420618",
        "+1531420618",
        "1531420618.0",
        "1531420618abc",
        "0x5B47A0CA",
        "99999999999999999999999",
        "15314\0"s + "20618",
        "1531 420618",
        std::string(1 << 16, '9'),
    };
    for (const auto& t : bad_ts) {
        INFO("timestamp #" << (&t - bad_ts.data()));
        CHECK(check(v, docs_headers(std::string(docs_sig), t)).error() == errc::malformed_header);
    }
}

TEST_CASE("slack: bad keys are refused", "[slack]") {
    CHECK(slack_verifier::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(slack_signer::make(secret::generate_ed25519().value()).error() == errc::invalid_key);
    CHECK_THROWS_AS(slack_signer(secret::generate_ed25519().value()), hookline::error);
}

TEST_CASE("slack: concepts hold and the body fields are declared", "[slack]") {
    STATIC_REQUIRE(signer<slack_signer>);
    STATIC_REQUIRE(verifier<slack_verifier>);
    STATIC_REQUIRE(slack_verifier::body_id_field == "event_id");
    STATIC_REQUIRE(slack_verifier::body_type_field == "type");
    STATIC_REQUIRE(slack_verifier::scheme_name == "slack");
}

TEST_CASE("slack: random edits of valid headers never crash or verify", "[slack]") {
    slack_verifier v(key());
    std::mt19937 rng(20261122);
    for (int i = 0; i < 5000; ++i) {
        auto sig = i % 2 ? mutate(std::string(docs_sig), rng) : std::string(docs_sig);
        auto ts = i % 2 ? std::to_string(docs_ts) : mutate(std::to_string(docs_ts), rng);
        auto r = check(v, docs_headers(sig, ts));
        if (r) CHECK(detail::iequals(detail::trim(sig), docs_sig));
    }
}
