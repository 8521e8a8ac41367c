// Twilio request validation: twilio-node's vectors (ports, repeated names, the bodySHA256 JSON variant),
// form decoding, and every way a verification can fail.
#include <hookline/core/form.hpp>
#include <hookline/signing/schemes/twilio.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <string>

using namespace hookline;

namespace {
constexpr std::string_view token = "12345";
constexpr std::string_view url = "https://mycompany.com/myapp.php?foo=1&bar=2";
constexpr std::string_view url_443 = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
constexpr std::string_view url_http = "http://mycompany.com/myapp.php?foo=1&bar=2";
constexpr std::string_view url_http_80 = "http://mycompany.com:80/myapp.php?foo=1&bar=2";
constexpr std::string_view url_1234 = "http://mycompany.com:1234/myapp.php?foo=1&bar=2";
// CallSid=CA1234567890ABCDE Caller=+14158675309 Digits=1234 From=+14158675309 To=+18005551212, shuffled.
constexpr std::string_view form = "To=%2B18005551212&CallSid=CA1234567890ABCDE&Digits=1234&Caller=%2B14158675309"
                                  "&From=%2B14158675309";
constexpr std::string_view sig = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
constexpr std::string_view sig_443 = "kvajT1Ptam85bY51eRf/AJRuM3w=";
constexpr std::string_view sig_http_80 = "0ZXoZLH/DfblKGATFgpif+LLRf4=";
constexpr std::string_view sig_1234 = "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=";

constexpr std::string_view json_body = R"({"property": "value", "boolean": true})";
constexpr std::string_view json_url = "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256="
                                      "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
constexpr std::string_view json_sig = "a9nBmqA0ju/hNViExpshrM61xv4=";

secret key() { return secret::from_bytes(token).value(); }
header_map headers(std::string_view s = sig) { return {{"X-Twilio-Signature", std::string(s)}}; }
header_map json_headers(std::string_view s = json_sig) {
    return {{"X-Twilio-Signature", std::string(s)}, {"Content-Type", "application/json; charset=utf-8"}};
}

result<verified_message> check(const twilio_verifier& v, const header_map& h, std::string_view body,
                               std::string_view u) {
    return v.verify({.headers = h, .body = body, .url = u}, 0);
}
} // namespace

TEST_CASE("twilio: signing reproduces twilio-node's vectors", "[twilio]") {
    twilio_signer s(key());
    CHECK(s.signature(url, form).value() == sig);
    CHECK(s.signature(url_443, form).value() == sig_443);
    CHECK(s.signature(url_http_80, form).value() == sig_http_80);
    CHECK(s.signature(url_1234, form).value() == sig_1234);
    std::vector<form_field> params{{"CallSid", "CA1234567890ABCDE"},
                                   {"Caller", "+14158675309"},
                                   {"Digits", "1234"},
                                   {"From", "+14158675309"},
                                   {"To", "+18005551212"}};
    CHECK(s.signature(url, params).value() == sig);
    auto h = s.sign({.id = "idem-1", .body = form, .url = url}).value();
    CHECK(h.get("X-Twilio-Signature") == sig);
    CHECK(h.get("I-Twilio-Idempotency-Token") == "idem-1");
    CHECK_FALSE(s.sign({.id = "", .body = form, .url = url}).value().contains("I-Twilio-Idempotency-Token"));
}

TEST_CASE("twilio: the vector verifies and the idempotency token becomes the id", "[twilio]") {
    twilio_verifier v(key());
    auto r = check(v, headers(), form, url);
    REQUIRE(r);
    CHECK(r->id.empty());
    CHECK_FALSE(r->timestamp.has_value());
    auto h = headers();
    h.add("I-Twilio-Idempotency-Token", "abc-123");
    r = check(v, h, form, url);
    REQUIRE(r);
    CHECK(r->id == "abc-123");
    h.add("i-twilio-idempotency-token", "other");
    CHECK(check(v, h, form, url).error() == errc::duplicate_header);
    CHECK(v.verify({.headers = headers(), .body = form, .url = url}));
}

TEST_CASE("twilio: the default port may be present on one side and absent on the other", "[twilio]") {
    twilio_verifier v(key());
    for (auto received : {url, url_443}) {
        CHECK(check(v, headers(sig), form, received));
        CHECK(check(v, headers(sig_443), form, received));
    }
    CHECK(check(v, headers(sig_http_80), form, url_http));
    CHECK(check(v, headers(sig_http_80), form, url_http_80));
    // A non-default port must match exactly, and the scheme's default port is not the other's.
    CHECK(check(v, headers(sig_1234), form, url_1234));
    CHECK(check(v, headers(sig_1234), form, url_http).error() == errc::no_matching_signature);
    CHECK(check(v, headers(sig_http_80), form, "https://mycompany.com/myapp.php?foo=1&bar=2").error() ==
          errc::no_matching_signature);
    CHECK(check(v, headers(sig_443), form, "http://mycompany.com/myapp.php?foo=1&bar=2").error() ==
          errc::no_matching_signature);
    // Variants can be turned off.
    twilio_verifier exact(key(), {.url_variants = false});
    CHECK(check(exact, headers(sig), form, url));
    CHECK(check(exact, headers(sig), form, url_443).error() == errc::no_matching_signature);
}

TEST_CASE("twilio: an empty path matches a signature over the root path", "[twilio]") {
    twilio_signer s(key());
    auto with_slash = s.signature("https://example.com/", "A=1").value();
    twilio_verifier v(key());
    CHECK(check(v, headers(with_slash), "A=1", "https://example.com"));
    CHECK(check(v, headers(with_slash), "A=1", "https://example.com:443"));
    auto with_slash_q = s.signature("https://example.com/?x=1", "A=1").value();
    CHECK(check(v, headers(with_slash_q), "A=1", "https://example.com?x=1"));
    // The reverse is not accepted (twilio-node does not either).
    auto without = s.signature("https://example.com", "A=1").value();
    CHECK(check(v, headers(without), "A=1", "https://example.com/").error() == errc::no_matching_signature);
}

TEST_CASE("twilio: repeated parameter names are de-duplicated and sorted like twilio-node", "[twilio]") {
    twilio_signer s(key());
    const std::string_view expected = "IK+Dwps556ElfBT0I3Rgjkr1wJU=";
    CHECK(s.signature(url, "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234").value() == expected);
    CHECK(s.signature(url, "Digits=1234&Sid=CA123&Digits=5678&Digits=1234&SidAccount=AC123").value() == expected);
    twilio_verifier v(key());
    CHECK(check(v, headers(expected), "Digits=5678&Digits=1234&Digits=5678&SidAccount=AC123&Sid=CA123", url));
    CHECK(check(v, headers(expected), "Digits=5678&SidAccount=AC123&Sid=CA123", url).error() ==
          errc::no_matching_signature);
}

TEST_CASE("twilio: the bodySHA256 variant signs the URL and checks the body hash", "[twilio]") {
    twilio_signer s(key());
    CHECK(twilio_url_with_body_hash(url, json_body) == json_url);
    CHECK(s.signature(json_url, json_body).value() == json_sig);
    CHECK(s.sign({.id = "", .body = json_body, .url = json_url}).value().get("X-Twilio-Signature") == json_sig);
    CHECK(s.signature(json_url, std::string_view(R"({"property": "other"})")).error() == errc::body_hash_mismatch);

    twilio_verifier v(key());
    CHECK(check(v, json_headers(), json_body, json_url));
    CHECK(check(v, headers(json_sig), json_body, json_url)); // the URL alone selects the variant
    CHECK(check(v, json_headers(), R"({"property": "value", "boolean": false})", json_url).error() ==
          errc::body_hash_mismatch);
    // The URL is signed: changing the hash in it breaks the signature first.
    std::string other_hash = twilio_url_with_body_hash(url, "{}");
    CHECK(check(v, json_headers(), "{}", other_hash).error() == errc::no_matching_signature);
    // A JSON request whose URL carries no bodySHA256 cannot prove its body.
    auto url_only = s.signature(url, std::vector<form_field>{}).value();
    CHECK(check(v, json_headers(url_only), json_body, url).error() == errc::body_hash_mismatch);
    // Malformed hash parameters never match.
    for (auto bad : {"", "zz", "0a1f", "0A1FF7634D9AB3B95DB5C9A2DFE9416E41502B283A80C7CF19632632F96E662"}) {
        std::string u = std::string(url) + "&bodySHA256=" + bad;
        auto bad_sig = s.signature(u, std::vector<form_field>{}).value();
        CHECK(check(v, json_headers(bad_sig), json_body, u).error() == errc::body_hash_mismatch);
    }
    // Upper-case hex does not match: twilio-node compares the lower-case text.
    std::string upper(json_url);
    for (std::size_t i = upper.find("bodySHA256=") + 11; i < upper.size(); ++i)
        if (upper[i] >= 'a' && upper[i] <= 'f') upper[i] = static_cast<char>(upper[i] - 'a' + 'A');
    CHECK(s.signature(upper, json_body).error() == errc::body_hash_mismatch);
    auto upper_sig = s.signature(upper, std::vector<form_field>{}).value();
    CHECK(check(v, json_headers(upper_sig), json_body, upper).error() == errc::body_hash_mismatch);
}

TEST_CASE("twilio: wrong token and tampered body or URL are rejected", "[twilio]") {
    twilio_verifier v(key());
    CHECK(twilio_verifier(secret::from_bytes("54321").value())
              .verify({.headers = headers(), .body = form, .url = url}, 0)
              .error() == errc::no_matching_signature);
    CHECK(check(v, headers(), std::string(form) + "&Extra=1", url).error() == errc::no_matching_signature);
    CHECK(check(v, headers(),
                "To=%2B18005551213&CallSid=CA1234567890ABCDE&Digits=1234&Caller=%2B14158675309"
                "&From=%2B14158675309",
                url)
              .error() == errc::no_matching_signature);
    CHECK(check(v, headers(), form, "https://mycompany.com/myapp.php?foo=1&bar=3").error() ==
          errc::no_matching_signature);
    CHECK(check(v, headers(), form, "https://mycompany.com/myapp.php?bar=2&foo=1").error() ==
          errc::no_matching_signature);
    CHECK(check(v, headers(), form, "https://evil.com/myapp.php?foo=1&bar=2").error() == errc::no_matching_signature);
}

TEST_CASE("twilio: missing and duplicate and malformed headers are told apart", "[twilio]") {
    twilio_verifier v(key());
    CHECK(check(v, header_map{}, form, url).error() == errc::missing_header);
    auto dup = headers();
    dup.add("x-twilio-signature", std::string(sig));
    CHECK(check(v, dup, form, url).error() == errc::duplicate_header);
    CHECK(check(v, header_map{{"x-twilio-signature", std::string(sig)}}, form, url)); // names are case-insensitive
    CHECK(check(v, header_map{{"X-Twilio-Signature", "  " + std::string(sig) + "\t"}}, form, url));

    const std::string huge(1 << 20, 'A');
    const std::string nul_inside = std::string("RSOYDt4T1cUTdK1PDd93") + '\0' + "VVr8B8=";
    const std::string nul_after = std::string(sig) + '\0';
    const std::string sha256_sized = base64_encode(std::string(32, 'x'));
    for (std::string_view bad :
         {std::string_view(""), std::string_view("   "), std::string_view("!!!!"),
          std::string_view("RSOYDt4T1cUTdK1PDd93/VVr8B8"),  // unpadded
          std::string_view("RSOYDt4T1cUTdK1PDd93_VVr8B8="), // URL-safe digit
          std::string_view("RSOYDt4T1cUTdK1PDd93/VVr8B9="), // stray low bits
          std::string_view("RSOYDt4T1cUTdK1PDd93/VVr8B8=="), std::string_view("="), std::string_view(huge),
          std::string_view(nul_inside), std::string_view(nul_after), std::string_view(sha256_sized)}) {
        CAPTURE(bad.size());
        CHECK(check(v, headers(bad), form, url).error() == errc::malformed_header);
    }
}

TEST_CASE("twilio: the URL is required on both sides", "[twilio]") {
    CHECK(check(twilio_verifier(key()), headers(), form, "").error() == errc::missing_url);
    CHECK(twilio_signer(key()).sign({.id = "", .body = form}).error() == errc::missing_url);
    CHECK(twilio_signer(key()).signature("", std::vector<form_field>{}).error() == errc::missing_url);
}

TEST_CASE("twilio: bad percent escapes in a form body are malformed", "[twilio]") {
    twilio_verifier v(key());
    twilio_signer s(key());
    for (auto bad : {"A=%", "A=%4", "A=%zz", "A=%4g", "%=1", "A=1&B=%%41", "A=%G1"}) {
        CAPTURE(bad);
        CHECK(check(v, headers(), bad, url).error() == errc::malformed_body);
        CHECK(s.signature(url, std::string_view(bad)).error() == errc::malformed_body);
    }
}

TEST_CASE("twilio: rotation verifies with any trusted token and signs with the first", "[twilio]") {
    auto old_token = key();
    auto new_token = secret::from_bytes("new-auth-token").value();
    twilio_verifier both{new_token, old_token};
    CHECK(check(both, headers(), form, url));
    auto new_sig = twilio_signer(new_token).signature(url, form).value();
    CHECK(check(both, headers(new_sig), form, url));
    twilio_signer rotating{new_token, old_token};
    CHECK(rotating.signature(url, form).value() == new_sig);
    CHECK(check(twilio_verifier(old_token), headers(new_sig), form, url).error() == errc::no_matching_signature);
}

TEST_CASE("twilio: construction errors", "[twilio]") {
    CHECK(twilio_signer::make(std::span<const secret>{}).error() == errc::invalid_secret);
    CHECK(twilio_verifier::make(std::span<const secret>{}).error() == errc::invalid_secret);
    auto ed = secret::generate_ed25519().value();
    CHECK(twilio_verifier::make(ed).error() == errc::invalid_key);
    CHECK_THROWS_AS(twilio_signer(ed), hookline::error);
    STATIC_REQUIRE(signer<twilio_signer>);
    STATIC_REQUIRE(verifier<twilio_verifier>);
    STATIC_REQUIRE(twilio_verifier::body_id_field.empty());
}

TEST_CASE("twilio: form decoding follows application/x-www-form-urlencoded", "[twilio][form]") {
    auto f = parse_form_urlencoded("a=1+2&b=%41%2b%2B&&c&=v&d=x=y&e=%E2%98%83&").value();
    REQUIRE(f.size() == 6);
    CHECK(f[0] == form_field{"a", "1 2"});
    CHECK(f[1] == form_field{"b", "A++"});
    CHECK(f[2] == form_field{"c", ""});
    CHECK(f[3] == form_field{"", "v"});
    CHECK(f[4] == form_field{"d", "x=y"});
    CHECK(f[5] == form_field{"e", "\xE2\x98\x83"});
    CHECK(parse_form_urlencoded("").value().empty());
    CHECK(parse_form_urlencoded("a=%00").value()[0].value == std::string(1, '\0'));
    CHECK(parse_form_urlencoded("a=%0").error() == errc::malformed_body);
}

TEST_CASE("twilio: URL variants stay inside the input for odd URLs", "[twilio]") {
    for (auto u : {"", "://", "https://", "https://:", "https://h:", "https://[::1]:443/x", "https://u@h:443",
                   "http://[::1]", "x", "https://h:443:443/", "HTTPS://H/?bodySHA256", "mailto:x"}) {
        CAPTURE(u);
        auto variants = detail::twilio_url_variants(u);
        CHECK(!variants.empty());
        CHECK(variants.size() <= 7);
        CHECK(variants.front() == u);
    }
    auto v6 = detail::twilio_url_variants("https://[::1]/p");
    CHECK(std::find(v6.begin(), v6.end(), "https://[::1]:443/p") != v6.end());
    auto userinfo = detail::twilio_url_variants("https://u:pw@h/p");
    CHECK(std::find(userinfo.begin(), userinfo.end(), "https://u:pw@h:443/p") != userinfo.end());
}

TEST_CASE("twilio: random inputs never crash the verifier", "[twilio]") {
    std::mt19937 rng(12345);
    const std::string alphabet = std::string("%+=&?:/@[]#abcAZ09 bodySHA256") + '\0' + "\xff";
    auto random_text = [&](std::size_t max) {
        std::string s(rng() % max, ' ');
        for (auto& c : s) c = alphabet[rng() % alphabet.size()];
        return s;
    };
    twilio_verifier v(key());
    for (int i = 0; i < 2000; ++i) {
        header_map h{{"X-Twilio-Signature", i % 3 ? std::string(sig) : random_text(40)}};
        if (i % 2) h.add("Content-Type", "application/json");
        std::string u = i % 5 ? "https://" + random_text(30) : random_text(30);
        auto r = check(v, h, random_text(60), u);
        CHECK_FALSE(r);
    }
}
