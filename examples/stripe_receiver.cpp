// A complete Stripe webhook receiver on cpp-httplib.
//
//   STRIPE_WEBHOOK_SECRET=whsec_... ./stripe_receiver [PORT]        (default port 8080)
//
// Stripe signs with the Stripe-Signature header (timestamp + v1 HMAC); the event id ("evt_...") and
// type ("payment_intent.succeeded") are in the JSON body, the object in data.object. Stripe retries
// every non-2xx answer for up to three days, so a handler that throws gets its event again.
// Local testing: `stripe listen --forward-to localhost:8080/stripe` prints the secret to use.
#include <hookline/hookline.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {
/// The parts of a payment_intent.* event this program uses.
struct payment_intent_event {
    std::string id;     // evt_...
    std::string intent; // pi_...
    long amount = 0;
    std::string currency;
};
void from_json(const nlohmann::json& j, payment_intent_event& e) {
    j.at("id").get_to(e.id);
    const auto& object = j.at("data").at("object");
    object.at("id").get_to(e.intent);
    object.at("amount").get_to(e.amount);
    object.at("currency").get_to(e.currency);
}
} // namespace

int main(int argc, char** argv) {
    const char* secret_text = std::getenv("STRIPE_WEBHOOK_SECRET");
    if (!secret_text || !*secret_text) {
        std::cerr << "set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_...)\n";
        return 2;
    }
    // Stripe's whsec_ secret is used as plain text bytes, prefix included.
    auto key = hookline::secret::from_bytes(secret_text);
    if (!key) {
        std::cerr << "STRIPE_WEBHOOK_SECRET: " << key.error().message() << "\n";
        return 2;
    }
    const int port = argc > 1 ? std::atoi(argv[1]) : 8080;

    hookline::receiver_options options;
    options.observer = [](const hookline::request_info& i) {
        std::clog << hookline::to_string(i.result) << " " << i.status << " " << i.event_type << " " << i.id
                  << (i.error ? " (" + i.error.message() + ")" : std::string()) << "\n";
    };
    hookline::stripe_receiver receiver(hookline::stripe_verifier(*key), options);

    receiver.on<payment_intent_event>("payment_intent.succeeded", [](const payment_intent_event& e) {
        std::cout << "payment " << e.intent << " succeeded: " << e.amount << " " << e.currency << "\n";
    });
    receiver.on("payment_intent.*",
                [](const hookline::webhook_event& e) { std::cout << "payment intent " << e.type << "\n"; });
    receiver.on_any([](const hookline::webhook_event& e) { std::cout << "event " << e.type << " (" << e.id << ")\n"; });

    httplib::Server server;
    server.set_tcp_nodelay(true);
    hookline::mount(server, receiver, "/stripe");
    std::cout << "listening on http://0.0.0.0:" << port << "/stripe" << std::endl;
    if (!server.listen("0.0.0.0", port)) {
        std::cerr << "cannot listen on port " << port << "\n";
        return 1;
    }
}
