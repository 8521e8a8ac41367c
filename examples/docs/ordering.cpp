// Snippets of docs/ordering.md (see docs.hpp). Compiled only: the sender would POST to acme.example.
// The snippets keep the guide's layout:
// clang-format off
#include <hookline/sending/sender.hpp>

#include "docs.hpp"

#include <string>

namespace docs::ordering {

void ordered_endpoint() {
    hookline::standard_sender sender;
    auto key = hookline::secret::generate().value();
    // [snippet:ordered-endpoint]
    sender.add_endpoint("acme", {
        .url = "https://acme.example/webhooks",
        .secrets = {{key}},
        .max_concurrency = 64,                                   // up to 64 keys in flight at once
        .order = hookline::delivery_order::per_key,              // or ::endpoint: one stream in all
        .on_head_exhausted = hookline::head_exhaustion::block,   // or ::skip
    }).value();

    // Events of one order reach acme in send order; other orders do not wait for them.
    sender.send({.type = "order.created", .payload = R"({"order":"ord_42"})", .ordering_key = "ord_42"}).value();
    sender.send({.type = "order.paid",    .payload = R"({"order":"ord_42"})", .ordering_key = "ord_42"}).value();
    sender.send({.type = "order.created", .payload = R"({"order":"ord_43"})", .ordering_key = "ord_43"}).value();
    // [/snippet:ordered-endpoint]
}

void unblock(hookline::standard_sender& sender, const std::string& message_id) {
    // [snippet:unblock]
    // An exhausted head holds its key (under ::block). Either deliver it again ...
    sender.retry(message_id, "acme").value();
    // ... or give it up, and the key goes on with its next message:
    sender.skip(message_id, "acme").value();
    // [/snippet:unblock]
}

} // namespace docs::ordering
