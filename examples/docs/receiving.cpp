// Snippets of docs/receiver.md (see docs.hpp).
// The snippets keep the guide's layout:
// clang-format off
// [snippet:program]
#include <hookline/hookline.hpp>

#include <cstdlib>
#include <iostream>
// [/snippet:program]

#include "docs.hpp"

#include <string>
#include <type_traits>
#include <utility>

namespace docs::receiving {

// The framework-independent core of every receiver.
// [snippet:handle]
hookline::response handle(const hookline::request_view& request);
// [/snippet:handle]
static_assert(std::is_same_v<decltype(handle(std::declval<const hookline::request_view&>())),
                             decltype(std::declval<hookline::standard_receiver&>().handle(
                                 std::declval<const hookline::request_view&>()))>);

} // namespace docs::receiving

// The guide's complete program; its `main` is not this executable's (it would listen on port 8080).
namespace docs::receiver_program {
// [snippet:program]
struct invoice_paid { std::string invoice_id; long amount = 0; };
void from_json(const nlohmann::json& j, invoice_paid& p) {
    j.at("data").at("invoice_id").get_to(p.invoice_id);
    j.at("data").at("amount").get_to(p.amount);
}

int main() {
    const char* text = std::getenv("WEBHOOK_SECRET");
    auto key = hookline::secret::parse(text ? text : "").value();   // throws when unset or malformed
    hookline::standard_receiver receiver{hookline::standard_verifier(key)};

    receiver.on<invoice_paid>("invoice.paid", [](const invoice_paid& p) { std::cout << p.invoice_id << " paid\n"; });
    receiver.on("invoice.*", [](const hookline::webhook_event& e) { std::cout << e.type << " " << e.id << "\n"; });
    receiver.on_any([](const hookline::webhook_event& e) { std::cout << "other event: " << e.type << "\n"; });

    httplib::Server server;
    server.set_tcp_nodelay(true);               // avoids ~40 ms Nagle stalls
    hookline::mount(server, receiver, "/webhooks");
    return server.listen("0.0.0.0", 8080) ? 0 : 1;   // 1: the port could not be bound
}
// [/snippet:program]
} // namespace docs::receiver_program

namespace docs::receiving_reply {
hookline::response slack_handshake(const hookline::secret& signing_secret, const hookline::request_view& request) {
    // [snippet:reply]
    hookline::slack_receiver rx{hookline::slack_verifier(signing_secret)};
    rx.on("url_verification", [](const hookline::webhook_event& e) {
        return e.reply(e.json().at("challenge").get<std::string>()); // 200, text/plain
    });
    rx.on("event_callback", [](const hookline::webhook_event&) { /* ... */ });
    // [/snippet:reply]
    return rx.handle(request);
}
} // namespace docs::receiving_reply

namespace docs {
// The program's receiver, driven without a server: a signed event reaches its typed handler once.
bool run_receiving() {
    const auto key = hookline::secret::generate().value();
    hookline::standard_receiver receiver{hookline::standard_verifier(key)};
    std::string paid;
    receiver.on<receiver_program::invoice_paid>(
        "invoice.paid", [&](const receiver_program::invoice_paid& p) { paid = p.invoice_id; });

    const std::string body = R"({"type":"invoice.paid","data":{"invoice_id":"in_1","amount":4200}})";
    auto headers = hookline::standard_signer(key).sign({.id = "msg_1", .body = body, .timestamp = hookline::unix_now()}).value();
    headers.set("Content-Type", "application/json");
    const hookline::request_view request{.method = "POST", .target = "/webhooks", .headers = headers, .body = body};
    const auto first = receiver.handle(request);
    const auto again = receiver.handle(request);
    if (!(first.status == 200 && again.status == 200 && paid == "in_1")) return false;

    // Slack's handshake: the challenge comes back as the body.
    const auto slack_key = hookline::secret::from_bytes("8f742231b10e8888abcd99yyyzzz85a5").value();
    const std::string challenge = R"({"token":"t","challenge":"3eZbrw1aBm2","type":"url_verification"})";
    auto slack_headers = hookline::slack_signer(slack_key).sign({.body = challenge, .timestamp = hookline::unix_now()}).value();
    slack_headers.set("Content-Type", "application/json");
    const auto answer = receiving_reply::slack_handshake(
        slack_key, {.method = "POST", .target = "/slack/events", .headers = slack_headers, .body = challenge});
    return answer.status == 200 && answer.body == "3eZbrw1aBm2";
}
} // namespace docs
