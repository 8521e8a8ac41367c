// A custom signature scheme: a signer (for the sender) and a verifier (for the receiver) for a
// made-up "Acme" header `Acme-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
// See docs/extending.md.
// The quoted code keeps the guide's layout:
// clang-format off
#include <hookline/hookline.hpp>

#include <charconv>
#include <chrono>
#include <iostream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// [snippet:signer]
/// Signs with every key it was made with (one `v1=` per key, for key rotation). Immutable after
/// construction; `sign` may be called from any number of threads.
class acme_signer {
public:
    /// What makes it a `signer_factory`: the sender builds one per endpoint from the endpoint's keys.
    static hookline::result<acme_signer> make(std::span<const hookline::secret> keys) {
        if (keys.empty()) return hookline::errc::invalid_secret;
        acme_signer s;
        for (const auto& k : keys) {
            if (k.kind() != hookline::secret_kind::symmetric) return hookline::errc::invalid_key;
            auto key = hookline::hmac_key::make(k.bytes()); // scheduled once, pooled: never per call
            if (!key) return key.error();
            s.keys_.push_back(std::move(*key));
        }
        return s;
    }

    hookline::result<hookline::header_map> sign(const hookline::outbound_message& m) const {
        const std::string t = std::to_string(m.timestamp);
        std::string value = "t=" + t;
        for (const auto& k : keys_) {
            const auto mac = k.compute({t, ".", m.body});
            if (mac.size == 0) return hookline::errc::crypto_failure;
            value += ",v1=" + hookline::hex_encode(mac.view());
        }
        return hookline::header_map{{"Acme-Signature", std::move(value)}};
    }

private:
    std::vector<hookline::hmac_key> keys_;
};
static_assert(hookline::signer_factory<acme_signer>);
// [/snippet:signer]

// [snippet:verifier]
/// Accepts a request when one `v1=` matches and `t` is within `tolerance` of now. Immutable after
/// construction; `verify` may be called from any number of threads.
class acme_verifier {
public:
    static constexpr std::string_view scheme_name = "acme"; // shown in the receiver's reports
    std::chrono::seconds tolerance{300};

    static hookline::result<acme_verifier> make(const hookline::secret& k) {
        auto key = hookline::hmac_key::make(k.bytes());
        if (!key) return key.error();
        return acme_verifier(std::move(*key));
    }

    hookline::result<hookline::verified_message> verify(const hookline::inbound_message& m, std::int64_t now) const {
        const auto header = m.headers.get("Acme-Signature");
        if (!header) return hookline::errc::missing_header;
        std::optional<std::int64_t> t;
        std::string_view t_text;
        std::vector<std::string_view> signatures;
        std::string_view rest = *header;
        while (!rest.empty()) { // comma-separated key=value pairs
            const auto comma = rest.find(',');
            const auto field = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
            if (field.starts_with("t=")) {
                t_text = field.substr(2);
                std::int64_t v = 0;
                const auto [end, ec] = std::from_chars(t_text.data(), t_text.data() + t_text.size(), v);
                if (ec == std::errc() && end == t_text.data() + t_text.size() && !t_text.empty()) t = v;
            } else if (field.starts_with("v1=")) {
                signatures.push_back(field.substr(3));
            }
        }
        if (!t || signatures.empty()) return hookline::errc::malformed_header;
        if (now - *t > tolerance.count()) return hookline::errc::timestamp_too_old;
        if (*t - now > tolerance.count()) return hookline::errc::timestamp_too_new;
        const auto expected = key_.compute({t_text, ".", m.body});
        for (auto hex : signatures) {
            auto raw = hookline::hex_decode(hex);
            if (raw && expected.matches(*raw)) // constant-time comparison
                return hookline::verified_message{.id = {}, .event_type = {}, .timestamp = t}; // id, type: from the body
        }
        return hookline::errc::no_matching_signature;
    }

private:
    explicit acme_verifier(hookline::hmac_key key) : key_(std::move(key)) {}
    hookline::hmac_key key_;
};
static_assert(hookline::verifier<acme_verifier>);
// [/snippet:verifier]

int main() {
    const auto key = hookline::secret::generate().value();
    const auto signer = acme_signer::make(std::span(&key, 1)).value();
    const auto verifier = acme_verifier::make(key).value();

    const std::string body = R"({"id":"evt_1","type":"invoice.paid"})";
    const std::int64_t now = hookline::unix_now();
    const auto headers = signer.sign({.id = "evt_1", .body = body, .timestamp = now}).value();

    // [snippet:receiver]
    // The receiver takes any verifier; the message id and event type come from the body's "id" and
    // "type" members here, since the scheme carries neither in a header.
    hookline::basic_receiver<acme_verifier> rx(verifier);
    rx.on("invoice.paid", [](const hookline::webhook_event& e) { std::cout << "paid: " << e.id << "\n"; });
    // [/snippet:receiver]

    const bool good = verifier.verify({.headers = headers, .body = body}, now).has_value();
    const bool tampered = verifier.verify({.headers = headers, .body = body + " "}, now).has_value();
    const bool stale = verifier.verify({.headers = headers, .body = body}, now + 301).has_value();
    std::cout << headers.get_or("Acme-Signature", "") << "\n";
    return good && !tampered && !stale ? 0 : 1;
}
