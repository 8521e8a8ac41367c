// Issue #17, "Accept what the official SDKs accept, no more": regression tests for each scheme's
// parser on odd inputs, with the verdicts the providers' SDKs give (tests/interop/leniency.test.mjs
// compares them live against the pinned npm SDKs).
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/signing/schemes.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

using namespace hookline;

namespace {
std::string hmac_hex(std::string_view key, std::string_view text) {
    return hex_encode(hmac_key::make(key).value().compute({text}).view());
}
std::string to_upper(std::string s) {
    for (auto& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}
} // namespace

TEST_CASE("scheme_leniency: Stripe, one odd v1 does not void the valid one", "[security][stripe]") {
    const std::string body = R"({"id":"evt_test_webhook","object":"event"})";
    const std::int64_t ts = 1700000000;
    const std::string v1 = hmac_hex("whsec_test_secret", "1700000000." + body);
    stripe_verifier v(secret::from_bytes("whsec_test_secret").value());
    auto verify = [&](const std::string& header) {
        header_map h{{"Stripe-Signature", header}};
        return v.verify({.headers = h, .body = body}, ts);
    };
    // The issue's header (accepted by stripe-node 23.1.0).
    CHECK(verify("t=1700000000,v1=deadbeef,v1=" + v1 + ",v0=0123"));
    CHECK(verify("t=1700000000,v1=" + v1 + ",v1=not-hex,v1=" + std::string(70, 'f')));
    // Refused there too: upper-case hex, an empty v1 anywhere, names with spaces or capitals.
    CHECK(verify("t=1700000000,v1=" + to_upper(v1)).error() == errc::no_matching_signature);
    CHECK(verify("t=1700000000,v1=" + v1 + ",v1=").error() == errc::malformed_header);
    CHECK(verify("t=1700000000, v1=" + v1).error() == errc::malformed_header);
    CHECK(verify("t=1700000000,V1=" + v1).error() == errc::malformed_header);
    // The timestamp is parseInt's number: the last t counts, and is what is signed.
    CHECK(verify("t=99,t=01700000000,v1=" + v1));
    CHECK(verify("t=1700000000,t=99,v1=" + v1).error() == errc::timestamp_too_old);
    CHECK(verify("t=NaN,v1=" + hmac_hex("whsec_test_secret", "NaN." + body)).error() == errc::malformed_header);
}

TEST_CASE("scheme_leniency: GitHub and Slack compare lower-case hex only", "[security][github][slack]") {
    const std::string body = "Hello, World!";
    const std::string key = "It's a Secret to Everybody";
    const std::string hex = hmac_hex(key, body);
    github_verifier gh(secret::from_bytes(key).value());
    auto gh_verify = [&](const std::string& sig, const std::string& b) {
        header_map h{{"X-Hub-Signature-256", sig}};
        return gh.verify({.headers = h, .body = b}, 0);
    };
    CHECK(gh_verify("sha256=" + hex, body));
    CHECK(gh_verify("sha256=" + to_upper(hex), body).error() == errc::malformed_header);
    CHECK(gh_verify("SHA256=" + hex, body).error() == errc::malformed_header);
    CHECK(gh_verify("sha256=" + hex + "=x", body).error() == errc::malformed_header);
    CHECK(gh_verify("sha256=" + hmac_hex(key, ""), "").error() == errc::malformed_body);

    const std::string sbody = "token=x&command=%2Fweather";
    slack_verifier sl(secret::from_bytes(key).value());
    auto sl_verify = [&](const std::string& ts, const std::string& sig) {
        header_map h{{"X-Slack-Request-Timestamp", ts}, {"X-Slack-Signature", sig}};
        return sl.verify({.headers = h, .body = sbody}, 1531420618);
    };
    const std::string good = "v0=" + hmac_hex(key, "v0:1531420618:" + sbody);
    CHECK(sl_verify("1531420618", good));
    CHECK(sl_verify("1531420618", good + "=ignored")); // Bolt's split('=') drops it
    CHECK(sl_verify("1531420618", "v0=" + to_upper(good.substr(3))).error() == errc::malformed_header);
    CHECK(sl_verify("1531420618", "V0=" + good.substr(3)).error() == errc::malformed_header);
    // Bolt skips its staleness check for a timestamp that is not a number; hookline refuses it.
    CHECK(sl_verify("abc", "v0=" + hmac_hex(key, "v0:abc:" + sbody)).error() == errc::malformed_header);
}

TEST_CASE("scheme_leniency: Standard Webhooks reads like the reference library", "[security][standard]") {
    const auto key = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    const std::string body = R"({"test": 2432232314})";
    const std::int64_t ts = 1614265330;
    const std::string sig = standard_signer(key).signature("msg_p5jXN8AQM9LWM0D4loKWxJek", ts, body).value();
    standard_verifier v(key);
    auto verify = [&](const std::string& t, const std::string& s) {
        header_map h{
            {"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"}, {"webhook-timestamp", t}, {"webhook-signature", s}};
        return v.verify({.headers = h, .body = body}, ts);
    };
    CHECK(verify("1614265330", "v1,bad " + sig));
    CHECK(verify("01614265330", sig));
    CHECK(verify("1614265330.9", sig));
    CHECK(verify("1614265330", sig + ",extra"));
    std::string unpadded = sig;
    unpadded.pop_back();
    CHECK(verify("1614265330", unpadded).error() == errc::no_matching_signature);
    CHECK(verify("1614265330", "V1," + sig.substr(3)).error() == errc::no_matching_signature);
    CHECK(verify("-1614265330", sig).error() == errc::malformed_header);
}

TEST_CASE("scheme_leniency: Twilio tries the URL forms twilio-node tries", "[security][twilio]") {
    using detail::twilio_url::legacy_querystring;
    using detail::twilio_url::variants;
    using detail::twilio_url::whatwg_normalise;
    auto has = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    // Any port removed, the default port added.
    CHECK(has(variants("https://example.com:8443/sms"), "https://example.com/sms"));
    CHECK(has(variants("https://example.com/sms"), "https://example.com:443/sms"));
    CHECK(has(variants("http://example.com/sms"), "http://example.com:80/sms"));
    CHECK_FALSE(has(variants("https://example.com/sms"), "https://example.com:8443/sms"));
    // The WHATWG form (expected values from Node's `new URL(u).toString()`).
    const std::pair<const char*, std::optional<std::string>> normalised[] = {
        {"HTTPS://Example.COM:443", "https://example.com/"},
        {"https://example.com:0443/a/./b/../c?x=' y#f g", "https://example.com/a/c?x=%27%20y#f%20g"},
        {"https://example.com/a b?q=\"<>`{}", "https://example.com/a%20b?q=%22%3C%3E`{}"},
        {"http://h:80/p?", "http://h/p?"},
        {"https://h/\\x", "https://h//x"},
        {"https://h/a/%2e%2E/b", "https://h/b"},
        {"https://h/a/..", "https://h/"},
        {"https://h/a/.", "https://h/a/"},
        {"https://h/%2e/x", "https://h/x"},
        {"http://h:8080", "http://h:8080/"},
        {"https://h:443/p?a#", "https://h/p?a#"},
        {"https://h/p?\xC3\xA9=\xC3\xBC", "https://h/p?%C3%A9=%C3%BC"},
        {"https://h/{x}|^", "https://h/%7Bx%7D|^"},
        {"  https://h/p\t\n ", "https://h/p"},
        {"https://h.:443/p", "https://h./p"},
        {"https://1.2.3.4:443/p", "https://1.2.3.4/p"},
        {"https://u:pw@H/p", "https://u:pw@h/p"},
        {"https://u@h/p", "https://u@h/p"},
        {"https://u:p=x@h/", std::nullopt}, // WHATWG would encode the '=': not modelled
        {"https://h:99999/", std::nullopt}, // Node throws
        {"https://0x7f.1/", std::nullopt},  // an IPv4 number: not modelled, no variant
        {"https://[::1]/", std::nullopt},   // IPv6: not modelled
        {"ftp://h/", std::nullopt},         // not http(s)
        {"example.com/p", std::nullopt},    // Node throws
    };
    for (const auto& [in, out] : normalised) {
        CAPTURE(in);
        CHECK(whatwg_normalise(in) == out);
    }
    // Node's legacy querystring round trip (expected values from Node 18+).
    const std::pair<const char*, std::optional<std::string>> legacy[] = {
        {"u?a=1&&=2&b", "u?a=1&=2&b="},
        {"u?b=2&a=1&b=3", "u?b=2&b=3&a=1"},
        {"u?2=x&b=1&10=y&01=z", "u?2=x&10=y&b=1&01=z"},
        {"u?a+b=c+d&e=%27&f=%zz&g=caf%C3%A9", "u?a%20b=c%20d&e='&f=%25zz&g=caf%C3%A9"},
        {"u?a=1=2", "u?a=1%3D2"},
        {"u?x=1&x=1", "u?x=1&x=1"},
        {"u?", "u?"},
        {"u", "u"},
        {"u?a=%E9", std::nullopt}, // Node would substitute U+FFFD: not modelled, no variant
    };
    for (const auto& [in, out] : legacy) {
        CAPTURE(in);
        CHECK(legacy_querystring(in) == out);
    }
    // End to end: a signature over the grouped query verifies for the query as received.
    const auto token = secret::from_bytes("12345").value();
    const std::string signed_url = "https://example.com/p?a=1&a=3&b=2";
    const std::string sig = twilio_signer(token).signature(signed_url, std::vector<form_field>{}).value();
    header_map h{{"X-Twilio-Signature", sig}};
    twilio_verifier v(token);
    CHECK(v.verify({.headers = h, .body = "", .url = "https://example.com/p?a=1&b=2&a=3"}, 0));
    CHECK(v.verify({.headers = h, .body = "", .url = "https://example.com/p?b=2&a=1&a=3"}).error() ==
          errc::no_matching_signature);
    twilio_verifier exact(token, {.url_variants = false});
    CHECK(exact.verify({.headers = h, .body = "", .url = "https://example.com/p?a=1&b=2&a=3"}, 0).error() ==
          errc::no_matching_signature);
}

TEST_CASE("scheme_leniency: Shopify and Square compare canonical base64 only", "[security][shopify][square]") {
    const std::string body = R"({"id":1})";
    const auto key = secret::from_bytes("hush").value();
    const std::string sig = shopify_signer(key).signature(body).value();
    shopify_verifier sh(key);
    auto sh_verify = [&](const std::string& s) {
        header_map h{{"X-Shopify-Hmac-Sha256", s}};
        return sh.verify({.headers = h, .body = body}, 0);
    };
    CHECK(sh_verify(sig));
    std::string unpadded = sig;
    unpadded.pop_back();
    CHECK(sh_verify(unpadded).error() == errc::malformed_header);
    CHECK(sh_verify(sig + "x").error() == errc::malformed_header);

    const std::string url = "https://example.com/square";
    const std::string sq = square_signer(key).signature(url, body).value();
    square_verifier sv(key);
    header_map h{{"x-square-hmacsha256-signature", sq}};
    CHECK(sv.verify({.headers = h, .body = body, .url = url}, 0));
    CHECK(sv.verify({.headers = h, .body = body, .url = url + "/"}, 0).error() == errc::no_matching_signature);
    CHECK(sv.verify({.headers = h, .body = body, .url = "https://example.com:443/square"}, 0).error() ==
          errc::no_matching_signature);
}
