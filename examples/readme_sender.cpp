// The README's "sender in 20 lines", kept compiling by the build; README.md quotes the marked region
// (ctest docs.snippets checks the quote). It delivers to the README's receiver on 127.0.0.1:8080 (run
// both with the same WEBHOOK_SECRET). Not run by the tests: it needs that receiver listening.
// The quoted code keeps the README's layout:
// clang-format off
// [snippet:sender]
#include <hookline/sending/sender.hpp>

int main() {
    // Loopback and private addresses are refused by default (SSRF protection); this one option
    // allows 127.0.0.1 so the sender reaches the receiver below. Real endpoints need no option.
    hookline::standard_sender sender{hookline::curl_transport({
        .addresses = hookline::address_policy::with_allowed({"127.0.0.1/32"}).value(),
    })};
    const char* text = std::getenv("WEBHOOK_SECRET");   // the whsec_… key the receiver holds too
    auto key = hookline::secret::parse(text ? text : "").value();

    sender.add_endpoint("local", {
        .url = "http://127.0.0.1:8080/webhooks",
        .secrets = {{key}},
        .event_types = {"invoice.*"},
    }).value();

    auto receipt = sender.send("invoice.paid", {{"id", "in_42"}, {"amount", 4200}});
    if (!receipt) return 1;             // typed error: receipt.error().message()
    sender.drain(std::chrono::seconds(30));   // waits for the outcome; failures are logged to stderr
}
// [/snippet:sender]
