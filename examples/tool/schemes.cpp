// The signature schemes the hookline tool knows (see schemes.hpp).
#include "schemes.hpp"

#include "args.hpp"

#include <hookline/signing/schemes.hpp>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace hookline_cli {

const std::vector<scheme_entry>& schemes() {
    static const std::vector<scheme_entry> all = {
        {"standard",
         "whsec_... (HMAC-SHA256, v1), whsk_... (Ed25519 private: signs v1a; verify uses its public half) "
         "or whpk_... (Ed25519 public, verifies)",
         [](const scheme_input& in) -> hookline::result<hookline::header_map> {
             auto signer = hookline::standard_signer::make(standard_secrets(in));
             if (!signer) return signer.error();
             return signer->sign({.id = in.id, .body = in.body, .timestamp = in.timestamp});
         },
         [](const scheme_input& in) -> hookline::result<hookline::verified_message> {
             auto v = hookline::standard_verifier::make(standard_secrets(in), {.tolerance = in.tolerance});
             if (!v) return v.error();
             return v->verify({.headers = in.headers, .body = in.body, .url = in.url}, in.now);
         },
         has_timestamp},
        // Provider schemes (providers-a): GitHub, Stripe, Slack.
        {"github", "the webhook secret as typed in GitHub (plain text); sign takes one",
         [](const scheme_input& in) -> hookline::result<hookline::header_map> {
             auto signer = hookline::github_signer::make(single_plain_secret(in, "github"));
             if (!signer) return signer.error();
             return signer->sign(
                 {.id = in.id, .body = in.body, .timestamp = in.timestamp, .event_type = in.event_type});
         },
         [](const scheme_input& in) -> hookline::result<hookline::verified_message> {
             auto v = hookline::github_verifier::make(plain_secrets(in));
             if (!v) return v.error();
             return v->verify({.headers = in.headers, .body = in.body, .url = in.url}, in.now);
         },
         uses_type},
        {"stripe", "the endpoint's signing secret, whsec_... (the whole string is the key)",
         [](const scheme_input& in) -> hookline::result<hookline::header_map> {
             auto signer = hookline::stripe_signer::make(plain_secrets(in));
             if (!signer) return signer.error();
             return signer->sign({.id = in.id, .body = in.body, .timestamp = in.timestamp});
         },
         [](const scheme_input& in) -> hookline::result<hookline::verified_message> {
             auto v = hookline::stripe_verifier::make(plain_secrets(in), {.tolerance = in.tolerance});
             if (!v) return v.error();
             return v->verify({.headers = in.headers, .body = in.body, .url = in.url}, in.now);
         },
         has_timestamp},
        {"slack", "the app's signing secret (plain text); sign takes one",
         [](const scheme_input& in) -> hookline::result<hookline::header_map> {
             auto signer = hookline::slack_signer::make(single_plain_secret(in, "slack"));
             if (!signer) return signer.error();
             return signer->sign({.id = in.id, .body = in.body, .timestamp = in.timestamp});
         },
         [](const scheme_input& in) -> hookline::result<hookline::verified_message> {
             auto v = hookline::slack_verifier::make(plain_secrets(in), {.tolerance = in.tolerance});
             if (!v) return v.error();
             return v->verify({.headers = in.headers, .body = in.body, .url = in.url}, in.now);
         },
         has_timestamp},
        // Twilio: --url is the full request URL. A form body is read as the POST parameters; with
        // -H "Content-Type: application/json" (or a URL carrying bodySHA256) the JSON variant applies,
        // and sign appends bodySHA256 to a URL that lacks it, printing the URL to send to on stderr.
        {"twilio", "the account's auth token (plain text)",
         [](const scheme_input& in) -> hookline::result<hookline::header_map> {
             auto signer = hookline::twilio_signer::make(plain_secrets(in));
             if (!signer) return signer.error();
             std::string url = in.url;
             if (hookline::detail::twilio_is_json(in.headers) && !hookline::detail::twilio_body_hash_param(url)) {
                 url = hookline::twilio_url_with_body_hash(url, in.body);
                 std::cerr << "hookline: send to " << url << "\n";
             }
             return signer->sign({.id = in.id, .body = in.body, .timestamp = in.timestamp, .url = url});
         },
         [](const scheme_input& in) -> hookline::result<hookline::verified_message> {
             auto v = hookline::twilio_verifier::make(plain_secrets(in));
             if (!v) return v.error();
             return v->verify({.headers = in.headers, .body = in.body, .url = in.url}, in.now);
         },
         needs_url},
        // Shopify: --type is the topic, --id the webhook id.
        {"shopify", "the app's client secret (plain text)",
         [](const scheme_input& in) -> hookline::result<hookline::header_map> {
             auto signer = hookline::shopify_signer::make(plain_secrets(in));
             if (!signer) return signer.error();
             return signer->sign(
                 {.id = in.id, .body = in.body, .timestamp = in.timestamp, .event_type = in.event_type});
         },
         [](const scheme_input& in) -> hookline::result<hookline::verified_message> {
             auto v = hookline::shopify_verifier::make(plain_secrets(in));
             if (!v) return v.error();
             return v->verify({.headers = in.headers, .body = in.body, .url = in.url}, in.now);
         },
         uses_type},
        // Square: --url is the subscription's notification URL.
        {"square", "the subscription's signature key (plain text, not decoded)",
         [](const scheme_input& in) -> hookline::result<hookline::header_map> {
             auto signer = hookline::square_signer::make(plain_secrets(in));
             if (!signer) return signer.error();
             return signer->sign({.id = in.id, .body = in.body, .timestamp = in.timestamp, .url = in.url});
         },
         [](const scheme_input& in) -> hookline::result<hookline::verified_message> {
             auto v = hookline::square_verifier::make(plain_secrets(in));
             if (!v) return v.error();
             return v->verify({.headers = in.headers, .body = in.body, .url = in.url}, in.now);
         },
         needs_url},
        // Shared token: --secret is the token, sent as "<--token-header>: <--token-prefix><token>".
        {"shared_token", "the token itself (plain text), sent in --token-header after --token-prefix; sign takes one",
         [](const scheme_input& in) -> hookline::result<hookline::header_map> {
             auto signer = hookline::shared_token_signer::make(single_plain_secret(in, "shared_token"),
                                                               {.header = in.token_header, .prefix = in.token_prefix});
             if (!signer) return signer.error();
             return signer->sign({.id = in.id, .body = in.body, .timestamp = in.timestamp});
         },
         [](const scheme_input& in) -> hookline::result<hookline::verified_message> {
             auto v = hookline::shared_token_verifier::make(plain_secrets(in),
                                                            {.header = in.token_header, .prefix = in.token_prefix});
             if (!v) return v.error();
             return v->verify({.headers = in.headers, .body = in.body, .url = in.url}, in.now);
         },
         no_traits},
    };
    return all;
}

const scheme_entry& find_scheme(std::string_view name) {
    for (const auto& s : schemes())
        if (s.name == name) return s;
    std::string message = "unknown scheme '";
    message.append(name).append("' (known: ");
    bool first = true;
    for (const auto& s : schemes()) {
        if (!first) message.push_back('|');
        message.append(s.name);
        first = false;
    }
    message.push_back(')');
    throw usage_error(message);
}

} // namespace hookline_cli
