// Snippets of docs/sending.md (see docs.hpp). Compiled only: the sender would POST to acme.example.
// The snippets keep the guide's layout:
// clang-format off
// [snippet:sender]
#include <hookline/sending/sender.hpp>
// [/snippet:sender]

#include "docs.hpp"

namespace docs::sending {

void sender() {
    // [snippet:sender]
    hookline::standard_sender sender;                       // libcurl, defaults everywhere
    auto key = hookline::secret::generate().value();        // give key.reveal() to the integrator

    sender.add_endpoint("acme", {
        .url = "https://acme.example/webhooks",
        .secrets = {{key}},
        .event_types = {"invoice.*", "user.created"},       // exact, prefix.*, or * ; empty = all
    }).value();

    auto receipt = sender.send("invoice.paid", {{"invoice", "in_42"}, {"amount", 4200}});
    // receipt->message_id, receipt->deliveries (endpoints it was queued for)
    // [/snippet:sender]
}

} // namespace docs::sending
