// Square webhooks: the SDKs' shared test vector and extras (checked with square@46.0.0), rotation, and
// every way a verification can fail.
#include <hookline/signing/schemes/square.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace hookline;

namespace {
constexpr std::string_view sdk_url = "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9";
constexpr std::string_view sdk_key = "Ibxx_5AKakO-3qeNVR61Dw";
constexpr std::string_view sdk_body =
    R"({"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}})";
constexpr std::string_view sdk_sig = "GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4=";

secret key() { return secret::from_bytes(sdk_key).value(); }
header_map headers(std::string_view s = sdk_sig) { return {{"x-square-hmacsha256-signature", std::string(s)}}; }
result<verified_message> check(const square_verifier& v, const header_map& h, std::string_view body = sdk_body,
                               std::string_view url = sdk_url) {
    return v.verify({.headers = h, .body = body, .url = url}, 0);
}
} // namespace

TEST_CASE("square: signing reproduces the SDK vector", "[square]") {
    square_signer s(key());
    CHECK(s.signature(sdk_url, sdk_body).value() == sdk_sig);
    auto h = s.sign({.id = "ignored", .body = sdk_body, .url = sdk_url}).value();
    CHECK(h.size() == 1);
    CHECK(h.get("x-square-hmacsha256-signature") == sdk_sig);
}

TEST_CASE("square: the extra vectors sign raw bytes without escaping", "[square]") {
    square_signer s(secret::from_bytes("signature-key").value());
    CHECK(s.signature("https://webhook.site/webhooks", R"({"data":{"type":"webhooks","id":"fake_id"}})").value() ==
          "W3FlCNk5IA3ZQ2LHTWoajvzfaDu/OwY2tNHIHC3IUOA=");
    CHECK(s.signature("https://webhook.site/webhooks", R"({"data":{"type":"webhooks","id":">id<"}})").value() ==
          "Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=");
}

TEST_CASE("square: the SDK vector verifies and id and type are left to the body", "[square]") {
    square_verifier v(key());
    auto r = check(v, headers());
    REQUIRE(r);
    CHECK(r->id.empty());
    CHECK(r->event_type.empty());
    CHECK(square_verifier::body_id_field == "event_id");
    CHECK(square_verifier::body_type_field == "type");
    CHECK(check(v, header_map{{"X-Square-HmacSha256-Signature", std::string(sdk_sig)}}));
    CHECK(v.verify({.headers = headers(), .body = sdk_body, .url = sdk_url}));
}

TEST_CASE("square: wrong key and tampered body or URL are rejected", "[square]") {
    CHECK(check(square_verifier(secret::from_bytes("Ibxx_5AKakO-3qeNVR61Dx").value()), headers()).error() ==
          errc::no_matching_signature);
    // The key is text, not base64 to decode.
    CHECK(check(square_verifier(secret::from_bytes(base64_decode(sdk_key).value()).value()), headers()).error() ==
          errc::no_matching_signature);
    square_verifier v(key());
    CHECK(check(v, headers(), std::string(sdk_body) + " ").error() == errc::no_matching_signature);
    for (auto u : {"https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b8",
                   "https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9/",
                   "https://webhook.site:443/679a4f3a-dcfa-49ee-bac5-9d0edad886b9",
                   "http://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9"}) {
        CAPTURE(u);
        CHECK(check(v, headers(), sdk_body, u).error() == errc::no_matching_signature);
    }
}

TEST_CASE("square: missing URL and missing and duplicate and malformed headers are told apart", "[square]") {
    square_verifier v(key());
    CHECK(check(v, headers(), sdk_body, "").error() == errc::missing_url);
    CHECK(square_signer(key()).sign({.id = "", .body = sdk_body}).error() == errc::missing_url);
    CHECK(check(v, header_map{}).error() == errc::missing_header);
    CHECK(check(v, header_map{{"x-square-signature", std::string(sdk_sig)}}).error() == errc::missing_header);
    auto dup = headers();
    dup.add("X-Square-Hmacsha256-Signature", std::string(sdk_sig));
    CHECK(check(v, dup).error() == errc::duplicate_header);
    const std::string huge(1 << 20, 'G');
    const std::string nul_inside = std::string("GF4YkrJgGBDZ9NIYbNXB") + '\0' + "zqb2HoL4RW/S6vkZ9/2N4=";
    const std::string hex = "185e1892b2601810d9f4d2186cd5c19cccea6f61e82f8456fd2eaf919f7fd8de";
    for (std::string_view bad :
         {std::string_view(""), std::string_view("\t"), std::string_view("GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4"),
          std::string_view("GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW_S6vkZ9_2N4="), std::string_view("GF4Y====="),
          std::string_view(huge), std::string_view(nul_inside), std::string_view(hex)}) {
        CAPTURE(bad.size());
        CHECK(check(v, headers(bad)).error() == errc::malformed_header);
    }
}

TEST_CASE("square: rotation verifies with any trusted key", "[square]") {
    auto old_key = key();
    auto new_key = secret::from_bytes("a-new-signature-key").value();
    square_verifier both{new_key, old_key};
    CHECK(check(both, headers()));
    auto new_sig = square_signer(new_key).signature(sdk_url, sdk_body).value();
    CHECK(check(both, headers(new_sig)));
    CHECK(square_signer{new_key, old_key}.signature(sdk_url, sdk_body).value() == new_sig);
    CHECK(check(square_verifier(old_key), headers(new_sig)).error() == errc::no_matching_signature);
}

TEST_CASE("square: construction errors and concepts", "[square]") {
    CHECK(square_signer::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(square_verifier::make(secret::generate_ed25519().value().public_key()).error() == errc::invalid_key);
    CHECK_THROWS_AS(square_signer(std::span<const secret>{}), hookline::error);
    STATIC_REQUIRE(signer<square_signer>);
    STATIC_REQUIRE(verifier<square_verifier>);
}

TEST_CASE("square: random header values and URLs never crash the verifier", "[square]") {
    std::mt19937 rng(99);
    square_verifier v(key());
    for (int i = 0; i < 2000; ++i) {
        std::string s(rng() % 64, ' ');
        for (auto& c : s) c = static_cast<char>(rng() % 256);
        CHECK_FALSE(check(v, headers(s), sdk_body, i % 2 ? std::string_view(s) : sdk_url));
    }
}
