// Standard Webhooks signing and verification: the spec's vector, rotation, Ed25519, and every way a
// verification can fail.
#include <hookline/signing/schemes/standard.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;

namespace {
constexpr std::string_view spec_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view spec_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t spec_ts = 1614265330;
constexpr std::string_view spec_body = R"({"test": 2432232314})";
constexpr std::string_view spec_sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

header_map spec_headers(std::string_view sig = spec_sig) {
    return {{"webhook-id", std::string(spec_id)},
            {"webhook-timestamp", std::to_string(spec_ts)},
            {"webhook-signature", std::string(sig)}};
}

secret key() { return secret::parse(spec_secret).value(); }
} // namespace

TEST_CASE("standard: signing reproduces the spec's published vector", "[standard]") {
    standard_signer signer(key());
    CHECK(signer.signature(spec_id, spec_ts, spec_body).value() == spec_sig);
    auto h = signer.sign({.id = spec_id, .body = spec_body, .timestamp = spec_ts}).value();
    CHECK(h.get("webhook-id") == spec_id);
    CHECK(h.get("webhook-timestamp") == "1614265330");
    CHECK(h.get("webhook-signature") == spec_sig);
}

TEST_CASE("standard: the spec vector verifies within tolerance on either side", "[standard]") {
    standard_verifier v(key());
    auto h = spec_headers();
    auto r = v.verify({.headers = h, .body = spec_body}, spec_ts);
    REQUIRE(r);
    CHECK(r->id == spec_id);
    CHECK(r->timestamp == spec_ts);
    CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts + 300));
    CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts - 300));
}

TEST_CASE("standard: timestamps outside the tolerance fail with which side", "[standard]") {
    standard_verifier v(key());
    auto h = spec_headers();
    CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts + 301).error() == errc::timestamp_too_old);
    CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts - 301).error() == errc::timestamp_too_new);
    standard_verifier wide(key(), {.tolerance = std::chrono::seconds(3600)});
    CHECK(wide.verify({.headers = h, .body = spec_body}, spec_ts + 3600));
    CHECK(wide.verify({.headers = h, .body = spec_body}, spec_ts + 3601).error() == errc::timestamp_too_old);
}

TEST_CASE("standard: tampering is detected", "[standard]") {
    standard_verifier v(key());
    auto h = spec_headers();
    CHECK(v.verify({.headers = h, .body = R"({"test": 2432232315})"}, spec_ts).error() == errc::no_matching_signature);
    auto other_id = spec_headers();
    other_id.set("webhook-id", "msg_other");
    CHECK(v.verify({.headers = other_id, .body = spec_body}, spec_ts).error() == errc::no_matching_signature);
    auto other_ts = spec_headers();
    other_ts.set("webhook-timestamp", std::to_string(spec_ts + 1));
    CHECK(v.verify({.headers = other_ts, .body = spec_body}, spec_ts).error() == errc::no_matching_signature);
    standard_verifier wrong(secret::generate().value());
    CHECK(wrong.verify({.headers = h, .body = spec_body}, spec_ts).error() == errc::no_matching_signature);
}

TEST_CASE("standard: missing and duplicate and malformed headers are told apart", "[standard]") {
    standard_verifier v(key());
    for (auto name : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
        auto h = spec_headers();
        h.erase(name);
        CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts).error() == errc::missing_header);
        auto dup = spec_headers();
        dup.add(name, std::string(dup.get(name).value()));
        CHECK(v.verify({.headers = dup, .body = spec_body}, spec_ts).error() == errc::duplicate_header);
    }
    for (auto bad_ts : {"", "abc", "16142653300000000000000", "-1614265330", "x1614265330", "+-1"}) {
        auto h = spec_headers();
        h.set("webhook-timestamp", bad_ts);
        CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts).error() == errc::malformed_header);
    }
    // The reference library reads the timestamp with parseInt and signs the number it denotes.
    for (auto odd_ts : {"1614265330.5", "+1614265330", "01614265330", "1614265330abc", " 1614265330"}) {
        auto h = spec_headers();
        h.set("webhook-timestamp", odd_ts);
        CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts));
    }
    for (auto bad_sig : {"", "v1", "v1,", "v1,!!!!", "   ", ",abc"}) {
        auto h = spec_headers(bad_sig);
        CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts).error() == errc::malformed_header);
    }
    auto empty_id = spec_headers();
    empty_id.set("webhook-id", "");
    CHECK(v.verify({.headers = empty_id, .body = spec_body}, spec_ts).error() == errc::malformed_header);
}

TEST_CASE("standard: header names match case-insensitively and svix- names are accepted", "[standard]") {
    standard_verifier v(key());
    header_map upper{{"Webhook-Id", std::string(spec_id)},
                     {"WEBHOOK-TIMESTAMP", std::to_string(spec_ts)},
                     {"Webhook-Signature", std::string(spec_sig)}};
    CHECK(v.verify({.headers = upper, .body = spec_body}, spec_ts));
    header_map svix{{"svix-id", std::string(spec_id)},
                    {"Svix-Timestamp", std::to_string(spec_ts)},
                    {"svix-signature", std::string(spec_sig)}};
    CHECK(v.verify({.headers = svix, .body = spec_body}, spec_ts));
}

TEST_CASE("standard: any matching signature among several passes; unknown versions are skipped", "[standard]") {
    standard_verifier v(key());
    std::string many = "v2,Zm9vYmFy v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= garbage  " + std::string(spec_sig);
    auto h = spec_headers(many);
    CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts));
    auto only_unknown = spec_headers("v9,Zm9vYmFy");
    CHECK(v.verify({.headers = only_unknown, .body = spec_body}, spec_ts).error() == errc::no_matching_signature);
}

TEST_CASE("standard: rotation signs with every key and verifies with any", "[standard]") {
    auto old_key = key();
    auto new_key = secret::generate().value();
    standard_signer signer{old_key, new_key};
    auto sig = signer.signature(spec_id, spec_ts, spec_body).value();
    CHECK(sig.starts_with(std::string(spec_sig) + " v1,"));
    auto h = spec_headers(sig);
    CHECK(standard_verifier(old_key).verify({.headers = h, .body = spec_body}, spec_ts));
    CHECK(standard_verifier(new_key).verify({.headers = h, .body = spec_body}, spec_ts));
    // A verifier trusting both accepts a message signed by either alone.
    standard_verifier both{old_key, new_key};
    auto only_new = spec_headers(standard_signer(new_key).signature(spec_id, spec_ts, spec_body).value());
    CHECK(both.verify({.headers = only_new, .body = spec_body}, spec_ts));
}

TEST_CASE("standard: v1a Ed25519 signs with whsk_ and verifies with whpk_", "[standard]") {
    auto priv = secret::generate_ed25519().value();
    auto pub = priv.public_key();
    CHECK(pub.kind() == secret_kind::ed25519_public);
    standard_signer signer(priv);
    auto sig = signer.signature(spec_id, spec_ts, spec_body).value();
    CHECK(sig.starts_with("v1a,"));
    auto h = spec_headers(sig);
    CHECK(standard_verifier(pub).verify({.headers = h, .body = spec_body}, spec_ts));
    CHECK(standard_verifier(priv).verify({.headers = h, .body = spec_body}, spec_ts));
    CHECK(standard_verifier(pub).verify({.headers = h, .body = "x"}, spec_ts).error() == errc::no_matching_signature);
    CHECK(standard_verifier(secret::generate_ed25519().value().public_key())
              .verify({.headers = h, .body = spec_body}, spec_ts)
              .error() == errc::no_matching_signature);
    // An HMAC-only verifier does not accept v1a, and vice versa.
    CHECK(standard_verifier(key()).verify({.headers = h, .body = spec_body}, spec_ts).error() ==
          errc::no_matching_signature);
    // Keys survive a round trip through their text form.
    CHECK(secret::parse(priv.reveal()).value() == priv);
    CHECK(secret::parse(pub.reveal()).value() == pub);
}

TEST_CASE("standard: mixed HMAC and Ed25519 keys sign side by side", "[standard]") {
    auto priv = secret::generate_ed25519().value();
    standard_signer signer{key(), priv};
    auto sig = signer.signature(spec_id, spec_ts, spec_body).value();
    CHECK(sig.starts_with(std::string(spec_sig) + " v1a,"));
    auto h = spec_headers(sig);
    CHECK(standard_verifier(priv.public_key()).verify({.headers = h, .body = spec_body}, spec_ts));
    CHECK(standard_verifier(key()).verify({.headers = h, .body = spec_body}, spec_ts));
}

TEST_CASE("standard: a public key cannot sign; no keys is an error", "[standard]") {
    auto pub = secret::generate_ed25519().value().public_key();
    CHECK(standard_signer::make(pub).error() == errc::invalid_key);
    CHECK_THROWS_AS(standard_signer(pub), hookline::error);
    CHECK(standard_signer::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(standard_verifier::make(std::span<const secret>{}).error() == errc::invalid_secret);
}

TEST_CASE("standard: signatures beyond the configured maximum are not examined", "[standard]") {
    std::string sig;
    for (int i = 0; i < 3; ++i) sig += "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ";
    sig += spec_sig;
    auto h = spec_headers(sig);
    CHECK(standard_verifier(key(), {.max_signatures = 3}).verify({.headers = h, .body = spec_body}, spec_ts).error() ==
          errc::no_matching_signature);
    CHECK(standard_verifier(key(), {.max_signatures = 4}).verify({.headers = h, .body = spec_body}, spec_ts));
}

TEST_CASE("standard: concepts hold for the stock types", "[standard]") {
    STATIC_REQUIRE(signer<standard_signer>);
    STATIC_REQUIRE(verifier<standard_verifier>);
    STATIC_REQUIRE(std::is_copy_constructible_v<standard_signer>);
}

TEST_CASE("standard: a second published v1 vector", "[standard]") {
    auto k = secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").value();
    CHECK(standard_signer(k)
              .signature("msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
                         R"({"email":"test@example.com","username":"test_user"})")
              .value() == "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=");
}

TEST_CASE("standard: v1a reproduces the reference Go library's Ed25519 vector", "[standard]") {
    auto priv = secret::parse("whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=").value();
    CHECK(priv.kind() == secret_kind::ed25519_private);
    CHECK(priv.public_key().reveal() == "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=");
    CHECK(priv.reveal() == "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=");
    const std::string expected =
        "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==";
    CHECK(standard_signer(priv).signature(spec_id, spec_ts, spec_body).value() == expected);
    auto pub = secret::parse("whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=").value();
    auto h = spec_headers(expected);
    CHECK(standard_verifier(pub).verify({.headers = h, .body = spec_body}, spec_ts));
    // A 64-byte seed||public form is read too, and must be consistent.
    auto seed = std::string(priv.bytes());
    auto both = "whsk_" + base64_encode(seed + std::string(pub.bytes()));
    CHECK(secret::parse(both).value() == priv);
    auto mismatched = "whsk_" + base64_encode(seed + std::string(32, 'x'));
    CHECK(secret::parse(mismatched).error() == errc::invalid_secret);
}

TEST_CASE("standard: rotation over many keys matches the first and the last key", "[standard]") {
    std::vector<secret> keys;
    keys.reserve(6);
    for (int i = 0; i < 6; ++i) keys.push_back(secret::generate().value());
    standard_verifier v(std::span<const secret>(keys.data(), keys.size()));
    for (const auto& k : {keys.front(), keys[3], keys.back()}) {
        auto h = spec_headers(standard_signer(k).signature(spec_id, spec_ts, spec_body).value());
        CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts));
    }
    auto h = spec_headers(standard_signer(secret::generate().value()).signature(spec_id, spec_ts, spec_body).value());
    CHECK(v.verify({.headers = h, .body = spec_body}, spec_ts).error() == errc::no_matching_signature);
}

TEST_CASE("standard: v1 matches in canonical padded base64 only; overlong ones match nothing", "[standard]") {
    // The reference library compares the base64 text, so other spellings of the same bytes fail there.
    standard_verifier v(key());
    std::string sig(spec_sig);
    sig.pop_back(); // drop the '='
    CHECK(v.verify({.headers = spec_headers(sig), .body = spec_body}, spec_ts).error() == errc::no_matching_signature);
    for (auto& c : sig) c = c == '+' ? '-' : c == '/' ? '_' : c;
    CHECK(v.verify({.headers = spec_headers(sig), .body = spec_body}, spec_ts).error() == errc::no_matching_signature);
    // Text after a second comma is ignored, as the reference library's split(",") ignores it.
    CHECK(v.verify({.headers = spec_headers(std::string(spec_sig) + ",extra"), .body = spec_body}, spec_ts));
    auto overlong = "v1," + base64_encode(std::string(100, 'x'));
    CHECK(v.verify({.headers = spec_headers(overlong), .body = spec_body}, spec_ts).error() ==
          errc::no_matching_signature);
}

TEST_CASE("standard: webhook- headers take precedence over their svix- aliases", "[standard]") {
    standard_verifier v(key());
    auto h = spec_headers();
    h.add("svix-id", "msg_other");
    h.add("svix-id", "msg_other2"); // a repeated alias is ignored when the webhook- name is present
    auto r = v.verify({.headers = h, .body = spec_body}, spec_ts);
    REQUIRE(r);
    CHECK(r->id == spec_id);
    header_map svix{{"svix-id", std::string(spec_id)},
                    {"svix-timestamp", std::to_string(spec_ts)},
                    {"svix-signature", std::string(spec_sig)},
                    {"SVIX-SIGNATURE", std::string(spec_sig)}};
    CHECK(v.verify({.headers = svix, .body = spec_body}, spec_ts).error() == errc::duplicate_header);
}

TEST_CASE("standard: a message id too long for the stack buffer signs the same bytes", "[standard]") {
    const std::string long_id(300, 'm');
    auto k = key();
    auto mac = hmac_key::make(k.bytes()).value().compute(long_id + "." + std::to_string(spec_ts) + "." +
                                                         std::string(spec_body));
    const std::string expected = "v1," + base64_encode(mac.view());
    CHECK(standard_signer(k).signature(long_id, spec_ts, spec_body).value() == expected);
    header_map h{
        {"webhook-id", long_id}, {"webhook-timestamp", std::to_string(spec_ts)}, {"webhook-signature", expected}};
    CHECK(standard_verifier(k).verify({.headers = h, .body = spec_body}, spec_ts));
}

TEST_CASE("standard: one signer and one verifier serve several threads at once", "[standard]") {
    const standard_signer signer(key());
    const standard_verifier verifier{key(), secret::generate().value()};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const std::string body = "thread " + std::to_string(t) + " message " + std::to_string(i);
                auto sig = signer.signature(spec_id, spec_ts, body);
                if (!sig) {
                    ++failures;
                    continue;
                }
                auto h = spec_headers(*sig);
                if (!verifier.verify({.headers = h, .body = body}, spec_ts)) ++failures;
                if (verifier.verify({.headers = h, .body = body + "x"}, spec_ts)) ++failures;
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(failures.load() == 0);
}
