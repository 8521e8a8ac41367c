// The signature schemes the hookline tool knows, by their --scheme name. Each entry turns the tool's
// inputs into a library signer or verifier; adding a scheme means adding one entry here.
#pragma once

#include "args.hpp"

#include <hookline/hookline.hpp>

#include <functional>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace hookline_cli {

/// What `sign` and `verify` were given on the command line.
struct scheme_input {
    std::vector<std::string> secrets; // as typed; each scheme decides how to read them
    std::string id;
    std::int64_t timestamp = 0;          // sign: the timestamp to sign
    std::int64_t now = 0;                // verify: the current time
    std::chrono::seconds tolerance{300}; // verify: used by the schemes that sign a timestamp
    std::string url;
    std::string event_type;
    std::string token_header = "Authorization"; // shared_token: where the token travels
    std::string token_prefix = "Bearer ";       // shared_token: text before the token
    hookline::header_map headers;               // verify: the received headers; sign: hints such as Content-Type
    std::string body;
};

/// What a scheme reads besides the body and --secret; drives the tool's --help.
enum scheme_traits : unsigned {
    no_traits = 0,
    needs_url = 1,     // signs the request URL: --url is required
    uses_type = 2,     // sign sends --type (the event type) in a header
    has_timestamp = 4, // signs a timestamp: sign uses --timestamp, verify --now and --tolerance
};

struct scheme_entry {
    std::string_view name;
    std::string_view secret_help; // what --secret is, shown by --help
    std::function<hookline::result<hookline::header_map>(const scheme_input&)> sign;
    std::function<hookline::result<hookline::verified_message>(const scheme_input&)> verify;
    unsigned traits = no_traits; // scheme_traits
};

/// Parses each --secret as a Standard Webhooks key, or throws a usage error that does not echo it.
inline std::vector<hookline::secret> standard_secrets(const scheme_input& in) {
    std::vector<hookline::secret> out;
    for (std::size_t i = 0; i < in.secrets.size(); ++i) {
        auto s = hookline::secret::parse(in.secrets[i]);
        if (!s) throw usage_error("--secret #" + std::to_string(i + 1) + " is not a valid whsec_/whsk_/whpk_ key");
        out.push_back(std::move(*s));
    }
    return out;
}

/// Each --secret as raw bytes, for provider schemes whose secrets are plain text.
inline std::vector<hookline::secret> plain_secrets(const scheme_input& in) {
    std::vector<hookline::secret> out;
    for (std::size_t i = 0; i < in.secrets.size(); ++i) {
        auto s = hookline::secret::from_bytes(in.secrets[i]);
        if (!s) throw usage_error("--secret #" + std::to_string(i + 1) + " is empty");
        out.push_back(std::move(*s));
    }
    return out;
}

/// The one --secret of a scheme whose header carries a single signature (GitHub, Slack, shared token).
inline hookline::secret single_plain_secret(const scheme_input& in, std::string_view scheme) {
    if (in.secrets.size() != 1)
        throw usage_error("--scheme " + std::string(scheme) + " signs with exactly one --secret");
    return std::move(plain_secrets(in).front());
}

inline const std::vector<scheme_entry>& schemes() {
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

inline const scheme_entry& find_scheme(std::string_view name) {
    for (const auto& s : schemes())
        if (s.name == name) return s;
    std::string known;
    for (const auto& s : schemes()) known += (known.empty() ? "" : "|") + std::string(s.name);
    throw usage_error("unknown scheme '" + std::string(name) + "' (known: " + known + ")");
}

} // namespace hookline_cli
