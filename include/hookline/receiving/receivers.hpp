/// \file Receiver aliases for the schemes hookline ships: `basic_receiver` over each stock verifier.
///
/// Thread-safety: as `basic_receiver`.
#pragma once

#include <hookline/receiving/receiver.hpp>
#include <hookline/signing/schemes.hpp>

HOOKLINE_BEGIN_NAMESPACE

// `standard_receiver` (Standard Webhooks) is declared in receiver.hpp.

/// GitHub: event type from `X-GitHub-Event`, id from `X-GitHub-Delivery`.
using github_receiver = basic_receiver<github_verifier>;
/// Stripe: id and type from the JSON body ("evt_...", "payment_intent.succeeded").
using stripe_receiver = basic_receiver<stripe_verifier>;
/// Slack Events API: id "event_id" and type "type" from the JSON body. Not for slash commands or
/// interactivity (form-encoded bodies get 400). Answer the `url_verification` handshake from a
/// synchronous handler: `rx.on("url_verification", [](const webhook_event& e) { return
/// e.reply(e.json().at("challenge").get<std::string>()); });`
using slack_receiver = basic_receiver<slack_verifier>;
/// Shopify: topic and webhook id from the `X-Shopify-*` headers.
using shopify_receiver = basic_receiver<shopify_verifier>;
/// Square: id "event_id" and type from the JSON body; set `receiver_options::public_base_url` (signed URL).
using square_receiver = basic_receiver<square_verifier>;
/// Twilio: form-encoded bodies, no id (the SHA-256 of the body de-duplicates); set `public_base_url`.
using twilio_receiver = basic_receiver<twilio_verifier>;
/// A shared token in a header (no signature over the body).
using shared_token_receiver = basic_receiver<shared_token_verifier>;

HOOKLINE_END_NAMESPACE
