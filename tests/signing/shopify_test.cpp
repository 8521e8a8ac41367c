// Shopify webhooks: the computed vector (checked against @shopify/shopify-api), both header spellings,
// rotation, and every way a verification can fail.
#include <hookline/signing/schemes/shopify.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace hookline;

namespace {
constexpr std::string_view client_secret = "hush";
constexpr std::string_view body = R"({"id":820982911946154508,"email":"jon@example.com"})";
constexpr std::string_view sig = "D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8=";

secret key() { return secret::from_bytes(client_secret).value(); }
header_map headers(std::string_view s = sig) {
    return {{"X-Shopify-Hmac-Sha256", std::string(s)},
            {"X-Shopify-Topic", "orders/create"},
            {"X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"},
            {"X-Shopify-Shop-Domain", "example.myshopify.com"}};
}
result<verified_message> check(const shopify_verifier& v, const header_map& h, std::string_view b = body) {
    return v.verify({.headers = h, .body = b}, 0);
}
} // namespace

TEST_CASE("shopify: signing reproduces the vector and sends topic and id", "[shopify]") {
    shopify_signer s(key(), {.shop_domain = "example.myshopify.com", .api_version = "2025-01"});
    CHECK(s.signature(body).value() == sig);
    auto h = s.sign({.id = "wh-1", .body = body, .event_type = "orders/create"}).value();
    CHECK(h.get("X-Shopify-Hmac-Sha256") == sig);
    CHECK(h.get("X-Shopify-Topic") == "orders/create");
    CHECK(h.get("X-Shopify-Webhook-Id") == "wh-1");
    CHECK(h.get("X-Shopify-Shop-Domain") == "example.myshopify.com");
    CHECK(h.get("X-Shopify-API-Version") == "2025-01");
    auto bare = shopify_signer(key()).sign({.id = "", .body = body}).value();
    CHECK(bare.size() == 1);
}

TEST_CASE("shopify: the vector verifies and yields topic and webhook id", "[shopify]") {
    shopify_verifier v(key());
    auto r = check(v, headers());
    REQUIRE(r);
    CHECK(r->event_type == "orders/create");
    CHECK(r->id == "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
    CHECK_FALSE(r->timestamp.has_value());
    // Only the HMAC header is required.
    r = check(v, header_map{{"x-shopify-hmac-sha256", std::string(sig)}});
    REQUIRE(r);
    CHECK(r->id.empty());
    CHECK(r->event_type.empty());
    CHECK(v.verify({.headers = headers(), .body = body}));
}

TEST_CASE("shopify: the unprefixed header names of Events deliveries are accepted", "[shopify]") {
    shopify_verifier v(key());
    header_map h{{"shopify-hmac-sha256", std::string(sig)},
                 {"shopify-topic", "products/update"},
                 {"shopify-webhook-id", "evt-9"}};
    auto r = check(v, h);
    REQUIRE(r);
    CHECK(r->event_type == "products/update");
    CHECK(r->id == "evt-9");
    // One spelling of each is allowed, not both.
    h.add("X-Shopify-Hmac-Sha256", std::string(sig));
    CHECK(check(v, h).error() == errc::duplicate_header);
}

TEST_CASE("shopify: wrong secret and tampered body are rejected", "[shopify]") {
    CHECK(check(shopify_verifier(secret::from_bytes("hush!").value()), headers()).error() ==
          errc::no_matching_signature);
    shopify_verifier v(key());
    CHECK(check(v, headers(), R"({"id":820982911946154509,"email":"jon@example.com"})").error() ==
          errc::no_matching_signature);
    CHECK(check(v, headers(), std::string(body) + "\n").error() == errc::no_matching_signature);
    CHECK(check(v, headers(), "").error() == errc::no_matching_signature);
}

TEST_CASE("shopify: missing and duplicate and malformed headers are told apart", "[shopify]") {
    shopify_verifier v(key());
    auto none = headers();
    none.erase("X-Shopify-Hmac-Sha256");
    CHECK(check(v, none).error() == errc::missing_header);
    for (auto name : {"X-Shopify-Hmac-Sha256", "X-Shopify-Topic", "X-Shopify-Webhook-Id"}) {
        auto dup = headers();
        dup.add(name, std::string(dup.get(name).value()));
        CHECK(check(v, dup).error() == errc::duplicate_header);
    }
    const std::string huge(1 << 20, 'A');
    const std::string nul_inside = std::string("D0UMXmhjwBRi4y66TmhJ") + '\0' + "DlhQABD7zI2fm3p6/QLMo8=";
    const std::string sha1_sized = base64_encode(std::string(20, 'x'));
    const std::string hex = hex_encode(base64_decode(sig).value());
    for (std::string_view bad :
         {std::string_view(""), std::string_view("!!!!"),
          std::string_view("D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8"),
          std::string_view("D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6_QLMo8="), std::string_view(huge),
          std::string_view(nul_inside), std::string_view(sha1_sized), std::string_view(hex)}) {
        CAPTURE(bad.size());
        CHECK(check(v, headers(bad)).error() == errc::malformed_header);
    }
}

TEST_CASE("shopify: rotation verifies with the old or the new secret", "[shopify]") {
    auto old_secret = key();
    auto new_secret = secret::from_bytes("new-client-secret").value();
    shopify_verifier both{new_secret, old_secret};
    CHECK(check(both, headers()));
    auto new_sig = shopify_signer(new_secret).signature(body).value();
    CHECK(check(both, headers(new_sig)));
    CHECK(shopify_signer{new_secret, old_secret}.signature(body).value() == new_sig);
    CHECK(check(shopify_verifier(old_secret), headers(new_sig)).error() == errc::no_matching_signature);
}

TEST_CASE("shopify: construction errors and concepts", "[shopify]") {
    CHECK(shopify_signer::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(shopify_verifier::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(shopify_verifier::make(secret::generate_ed25519().value()).error() == errc::invalid_key);
    CHECK_THROWS_AS(shopify_verifier(std::span<const secret>{}), hookline::error);
    STATIC_REQUIRE(signer<shopify_signer>);
    STATIC_REQUIRE(verifier<shopify_verifier>);
    STATIC_REQUIRE(shopify_verifier::body_id_field.empty());
    STATIC_REQUIRE(shopify_verifier::body_type_field.empty());
}

TEST_CASE("shopify: random header values never crash the verifier", "[shopify]") {
    std::mt19937 rng(7);
    shopify_verifier v(key());
    for (int i = 0; i < 2000; ++i) {
        std::string s(rng() % 64, ' ');
        for (auto& c : s) c = static_cast<char>(rng() % 256);
        CHECK_FALSE(check(v, headers(s)));
    }
}
