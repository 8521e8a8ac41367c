// Snippets of docs/schemes.md (see docs.hpp). Each guide section's statements are a function whose
// parameters are the names the snippet takes as given (the received headers, the raw body...).
// The snippets keep the guide's layout:
// clang-format off
// [snippet:standard]
#include <hookline/signing/schemes/standard.hpp>
// [/snippet:standard]
// [snippet:github]
#include <hookline/signing/schemes/github.hpp>
// [/snippet:github]
// [snippet:stripe]
#include <hookline/signing/schemes/stripe.hpp>
// [/snippet:stripe]
// [snippet:slack]
#include <hookline/signing/schemes/slack.hpp>
// [/snippet:slack]
// [snippet:shared-token]
#include <hookline/signing/schemes/shared_token.hpp>
// [/snippet:shared-token]
// [snippet:twilio]
#include <hookline/signing/schemes/twilio.hpp>
// [/snippet:twilio]
// [snippet:shopify]
#include <hookline/signing/schemes/shopify.hpp>
// [/snippet:shopify]
// [snippet:square]
#include <hookline/signing/schemes/square.hpp>
// [/snippet:square]

#include "docs.hpp"

#include <chrono>
#include <iostream>
#include <string>
#include <string_view>

namespace docs::schemes {

void log(const std::string& line) { std::cout << line << "\n"; }

bool standard(const std::string& body, const hookline::secret& old_key, const hookline::secret& new_key,
              const hookline::header_map& received_headers, std::string_view raw_body) {
    // [snippet:standard]
    auto key = hookline::secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    hookline::standard_signer signer(key);                       // or {old_key, new_key}: one signature each
    auto headers = signer.sign({.id = "msg_1", .body = body, .timestamp = hookline::unix_now()}).value();

    hookline::standard_verifier verifier({old_key, new_key}, {.tolerance = std::chrono::seconds(300)});
    auto r = verifier.verify({.headers = received_headers, .body = raw_body});
    if (!r) log(r.error().message());                           // "timestamp too old", ...
    // [/snippet:standard]
    return r && headers.get("webhook-signature");
}

bool github(const std::string& webhook_secret, const hookline::header_map& h, std::string_view raw_body) {
    // [snippet:github]
    auto s = hookline::secret::from_bytes(webhook_secret).value();   // as typed in the GitHub settings
    hookline::github_verifier verifier(s);                           // {old, new} while rotating
    auto r = verifier.verify({.headers = h, .body = raw_body});
    // r->event_type == "push" (X-GitHub-Event), r->id == X-GitHub-Delivery
    // [/snippet:github]
    return r && r->event_type == "push" && r->id == "d-1";
}

bool stripe(const hookline::header_map& h, std::string_view raw_body) {
    // [snippet:stripe]
    auto s = hookline::secret::from_bytes("whsec_...").value();   // NOT secret::parse: Stripe keys with the string
    hookline::stripe_verifier verifier(s);                        // {.tolerance = 600s}, {.reject_future = false}
    auto r = verifier.verify({.headers = h, .body = raw_body});
    // r->timestamp == t; the event id and type are the body's "id" and "type"
    // [/snippet:stripe]
    return r.has_value();
}

bool slack(const std::string& signing_secret, const hookline::header_map& h, std::string_view raw_body) {
    // [snippet:slack]
    auto s = hookline::secret::from_bytes(signing_secret).value();  // "Signing Secret" of the Slack app
    hookline::slack_verifier verifier(s);
    auto r = verifier.verify({.headers = h, .body = raw_body});
    // [/snippet:slack]
    return r.has_value();
}

bool shared_token(const std::string& t1, const std::string& t2, const std::string& t) {
    // [snippet:shared-token]
    // "Authorization: Bearer <token>", either token accepted:
    hookline::shared_token_verifier v({hookline::secret::from_bytes(t1).value(), hookline::secret::from_bytes(t2).value()},
                                      {.prefix = "Bearer "});
    // A custom header holding the raw token:
    hookline::shared_token_verifier w(hookline::secret::from_bytes(t).value(), {.header = "X-Webhook-Token"});
    // [/snippet:shared-token]
    const hookline::header_map bearer{{"Authorization", "Bearer " + t2}};
    const hookline::header_map custom{{"X-Webhook-Token", t}};
    return v.verify({.headers = bearer, .body = "{}"}) && w.verify({.headers = custom, .body = "{}"}) &&
           !v.verify({.headers = custom, .body = "{}"});
}

bool twilio(const std::string& auth_token, const hookline::header_map& request_headers, std::string_view raw_body) {
    // [snippet:twilio]
    auto token = hookline::secret::from_bytes(auth_token).value();
    hookline::twilio_verifier verifier(token);            // or {new_token, old_token}
    auto r = verifier.verify({.headers = request_headers,
                              .body = raw_body,
                              .url = "https://example.com/twilio/voice?x=1"}); // the full public URL
    if (!r) log("rejected: " + r.error().message());
    // [/snippet:twilio]
    return r.has_value();
}

bool shopify(const std::string& client_secret, const std::string& previous_client_secret,
             const hookline::header_map& request_headers, std::string_view raw_body) {
    // [snippet:shopify]
    hookline::shopify_verifier verifier{hookline::secret::from_bytes(client_secret).value(),
                                        hookline::secret::from_bytes(previous_client_secret).value()};
    auto r = verifier.verify({.headers = request_headers, .body = raw_body});
    // r->event_type == "orders/create" (X-Shopify-Topic), r->id == X-Shopify-Webhook-Id
    // [/snippet:shopify]
    return r && r->event_type == "orders/create" && r->id == "w-1";
}

bool square(const std::string& signature_key, const hookline::header_map& request_headers, std::string_view raw_body) {
    // [snippet:square]
    hookline::square_verifier verifier(hookline::secret::from_bytes(signature_key).value());
    auto r = verifier.verify({.headers = request_headers,
                              .body = raw_body,
                              .url = "https://example.com/square"}); // exactly the subscription's URL
    // id and type: read "event_id" and "type" from the JSON body (square_verifier::body_id_field / body_type_field)
    // [/snippet:square]
    return r.has_value();
}

} // namespace docs::schemes

namespace docs {
// Each section's code against a request its own scheme's signer made.
bool run_schemes() {
    using namespace schemes;
    const std::string body = R"({"id":"evt_1","event_id":"evt_1","type":"invoice.paid"})";
    const auto now = hookline::unix_now();
    bool ok = true;

    const auto old_key = hookline::secret::generate().value();
    const auto new_key = hookline::secret::generate().value();
    const auto std_headers = hookline::standard_signer(new_key).sign({.id = "msg_1", .body = body, .timestamp = now}).value();
    ok = standard(body, old_key, new_key, std_headers, body) && ok;

    const auto plain = [](std::string_view text) { return hookline::secret::from_bytes(text).value(); };
    const auto gh = hookline::github_signer(plain("gh secret"))
                        .sign({.id = "d-1", .body = body, .timestamp = now, .event_type = "push"})
                        .value();
    ok = github("gh secret", gh, body) && ok;
    const auto st = hookline::stripe_signer(plain("whsec_...")).sign({.id = "evt_1", .body = body, .timestamp = now}).value();
    ok = stripe(st, body) && ok;
    const auto sl = hookline::slack_signer(plain("slack secret")).sign({.id = "", .body = body, .timestamp = now}).value();
    ok = slack("slack secret", sl, body) && ok;
    ok = shared_token("token one", "token two", "raw token") && ok;

    const std::string form = "CallSid=CA1&From=%2B15550100";
    const auto tw = hookline::twilio_signer(plain("auth token"))
                        .sign({.id = "", .body = form, .timestamp = now, .url = "https://example.com/twilio/voice?x=1"})
                        .value();
    ok = twilio("auth token", tw, form) && ok;
    const auto sh = hookline::shopify_signer(plain("old client secret"))
                        .sign({.id = "w-1", .body = body, .timestamp = now, .event_type = "orders/create"})
                        .value();
    ok = shopify("new client secret", "old client secret", sh, body) && ok;
    const auto sq = hookline::square_signer(plain("square key"))
                        .sign({.id = "", .body = body, .timestamp = now, .url = "https://example.com/square"})
                        .value();
    ok = square("square key", sq, body) && ok;
    return ok;
}
} // namespace docs
