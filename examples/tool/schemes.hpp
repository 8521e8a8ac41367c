// The signature schemes the hookline tool knows, by their --scheme name. Each entry turns the tool's
// inputs into a library signer or verifier; adding a scheme means adding one entry here.
#pragma once

#include "args.hpp"

#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/verifier.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
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
        if (!s)
            throw usage_error("--secret #" + std::to_string(i + 1) +
                              " is not a valid whsec_/whsk_/whpk_ key: " + s.error().message());
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

/// Every scheme the tool knows, in --help order. Defined in schemes.cpp: its signers and verifiers are
/// compiled once, not in every verb's translation unit.
const std::vector<scheme_entry>& schemes();

/// The scheme called `name`, or a usage error listing the known ones.
const scheme_entry& find_scheme(std::string_view name);

} // namespace hookline_cli
