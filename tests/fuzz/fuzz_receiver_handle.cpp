// libFuzzer target: `basic_receiver::handle` on arbitrary requests. Input: a mode byte, then
// "METHOD TARGET\n", header lines "Name: value\n" up to an empty line, then the body. When the mode
// byte says so, the request is correctly signed (over the fuzzed id and body) so that the JSON
// parsing, id/type extraction, de-duplication and dispatch behind verification are reached too.
// Oracles: a body rejected as malformed is one nlohmann/json rejects (or nested deeper than the
// limit, or holding a NUL), and the event type handed to handlers is nlohmann/json's top-level "type".
#include "json_nesting.hpp"

#include <hookline/receiving/receiver.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
struct payload {
    std::string type;
    int amount = 0;
};
void from_json(const nlohmann::json& j, payload& p) {
    j.at("type").get_to(p.type);
    p.amount = j.value("amount", 0);
}

std::string_view next_line(std::string_view& in) {
    auto nl = in.find('\n');
    auto line = in.substr(0, nl);
    in = nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1);
    return line;
}

constexpr std::int64_t now = 1700000000;

/// The type the receiver must have read from `body`: nlohmann/json's top-level string "type".
void check_type(const hookline::webhook_event& e) {
    const auto doc = nlohmann::json::parse(e.body, nullptr, false);
    const bool has = doc.is_object() && doc.contains("type") && doc["type"].is_string();
    if (has ? e.type != doc["type"].get<std::string>() : !e.type.empty()) std::abort();
}

hookline::standard_receiver& receiver() {
    using namespace hookline;
    static const secret key = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    static standard_receiver rx = [] {
        return standard_receiver(standard_verifier(key),
                                 {.path = "/webhooks", .max_body_size = 64 * 1024, .clock = [] { return now; }},
                                 memory_dedup_store({.max_entries = 1000}));
    }();
    static bool registered = [] {
        rx.on("invoice.paid", [](const webhook_event& e) {
            check_type(e);
            return e.json().is_object();
        });
        rx.on<payload>("typed.*", [](const payload& p) { return p.amount >= 0; });
        rx.on("fail.*", [](const webhook_event&) -> hookline::result<void> { return hookline::errc::handler_failed; });
        rx.on("throw.*", [](const webhook_event&) { throw std::runtime_error("x"); });
        rx.on_any([](const webhook_event& e) { check_type(e); });
        return true;
    }();
    (void)registered;
    return rx;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hookline;
    static const standard_signer signer(secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value());
    if (size == 0) return 0;
    const std::uint8_t mode = data[0];
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    std::string_view request_line = next_line(in);
    auto sp = request_line.find(' ');
    std::string_view method = request_line.substr(0, sp);
    std::string_view target = sp == std::string_view::npos ? std::string_view{} : request_line.substr(sp + 1);
    header_map h;
    for (;;) {
        if (in.empty()) break;
        std::string_view line = next_line(in);
        if (line.empty()) break;
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            h.add(std::string(line), "");
        else
            h.add(std::string(line.substr(0, colon)), std::string(detail::trim(line.substr(colon + 1))));
    }
    std::string_view body = in;
    if (mode & 1) {
        const std::string id = "msg_" + std::to_string(mode >> 1);
        auto signed_headers = signer.sign({.id = id, .body = body, .timestamp = now});
        if (signed_headers)
            for (const auto& f : *signed_headers) h.set(f.name, f.value);
        if (mode & 2) {
            h.set("Content-Type", "application/json");
            method = "POST";
            target = "/webhooks";
        }
    }
    response r = receiver().handle({.method = method, .target = target, .headers = h, .body = body});
    if (r.status < 200 || r.status > 599) std::abort();
    if (r.body == "400 malformed body" && !nlohmann::json::parse(body, nullptr, false).is_discarded() &&
        fuzz::json_nesting(body) <= receiver().options().max_json_depth && body.find('\0') == std::string_view::npos)
        std::abort();
    return 0;
}
