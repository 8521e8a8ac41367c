// Snippets of docs/standard-webhooks.md (see docs.hpp).
// The snippets keep the guide's layout:
// clang-format off
// [snippet:keys]
#include <hookline/hookline.hpp>
// [/snippet:keys]

#include "docs.hpp"

#include <cstdint>
#include <iostream>
#include <string>

namespace docs::standard_webhooks {

bool keys() {
    // [snippet:keys]
    auto key  = hookline::secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value(); // or result-check it
    auto mine = hookline::secret::generate().value();          // 32 random bytes (24..64 allowed)
    auto ed   = hookline::secret::generate_ed25519().value();  // whsk_ private key
    auto pub  = ed.public_key();                               // whpk_ public key, give it to receivers
    std::cout << key;               // prints whsec_[redacted 24 bytes]
    std::string stored = key.reveal(); // the only way to get the text form back
    // [/snippet:keys]
    std::cout << "\n";
    return stored == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" && mine.bytes().size() == 32 && pub.reveal().starts_with("whpk_");
}

bool signing(const hookline::secret& old_key, const hookline::secret& new_key, const std::string& body,
             httplib::Request& request) {
    // [snippet:signing]
    hookline::standard_signer signer{old_key, new_key};   // rotation: one signature per key
    auto headers = signer.sign({.id = "msg_1", .body = body, .timestamp = hookline::unix_now()});
    if (!headers) { /* headers.error() == errc::crypto_failure, practically never */ }
    for (const auto& h : *headers) request.set_header(h.name, h.value);
    // [/snippet:signing]
    return headers.has_value();
}

struct reply_t {
    int status;
    std::string text;
};
reply_t reply(int status, std::string text) { return {status, std::move(text)}; }
void use(const std::string& id, std::int64_t timestamp) { std::cout << id << " signed at " << timestamp << "\n"; }

reply_t verifying(const hookline::secret& key, const hookline::header_map& headers, const std::string& body,
                  std::int64_t now_unix_seconds) {
    // [snippet:verifying]
    hookline::standard_verifier verifier(key, {.tolerance = std::chrono::minutes(5)});
    auto verified = verifier.verify({.headers = headers, .body = body});  // system clock
    auto verified_at = verifier.verify({.headers = headers, .body = body}, now_unix_seconds); // injected time
    if (!verified) return reply(401, verified.error().message());
    use(verified->id, *verified->timestamp);
    // [/snippet:verifying]
    if (!verified_at) return reply(401, verified_at.error().message());
    return reply(200, "ok");
}

} // namespace docs::standard_webhooks

namespace docs {
bool run_standard_webhooks() {
    using namespace standard_webhooks;
    const auto old_key = hookline::secret::generate().value();
    const auto new_key = hookline::secret::generate().value();
    const std::string body = R"({"type":"invoice.paid"})";
    httplib::Request request;
    if (!keys() || !signing(old_key, new_key, body, request)) return false;
    hookline::header_map headers;
    for (const auto& [name, value] : request.headers) headers.add(name, value);
    const auto now = hookline::unix_now();
    const auto ok = verifying(old_key, headers, body, now);
    const auto stale = verifying(old_key, headers, body, now + 600);
    const auto tampered = verifying(new_key, headers, body + " ", now);
    return ok.status == 200 && stale.status == 401 && tampered.status == 401;
}
} // namespace docs
