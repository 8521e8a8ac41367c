// The README's "sender in 20 lines", kept compiling by the build; README.md quotes the marked region
// (ctest docs.snippets checks the quote). Not run by the tests: it would POST to acme.example.
// The quoted code keeps the README's layout:
// clang-format off
// [snippet:sender]
#include <hookline/sending/sender.hpp>

int main() {
    hookline::standard_sender sender;   // Standard Webhooks signatures, retries on the standard schedule
    auto key = hookline::secret::generate().value();   // hand key.reveal() to the integrator

    sender.add_endpoint("acme", {
        .url = "https://acme.example/webhooks",
        .secrets = {{key}},
        .event_types = {"invoice.*"},
    }).value();

    auto receipt = sender.send("invoice.paid", {{"invoice", "in_42"}, {"amount", 4200}});
    if (!receipt) return 1;             // typed error: receipt.error().message()
    sender.stop(std::chrono::seconds(10));   // what is still pending stays in the store
}
// [/snippet:sender]
