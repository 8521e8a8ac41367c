// A complete Standard Webhooks receiver on cpp-httplib: verifies each request, drops duplicates,
// and dispatches by event type, with a typed handler for one event. Copy it and fill in the handlers.
//
//   WEBHOOK_SECRET=whsec_... ./standard_receiver [PORT]        (default port 8080)
//
// Try it with the hookline tool (one -H per header line it prints):
//   body='{"type":"invoice.paid","data":{"invoice_id":"in_1","amount":4200}}'
//   echo -n "$body" | hookline sign --secret "$WEBHOOK_SECRET"
//   curl localhost:8080/webhooks -H 'Content-Type: application/json' -H 'webhook-id: ...' ... -d "$body"
#include <hookline/hookline.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {
/// The payload of "invoice.paid", as our sender defines it.
struct invoice_paid {
    std::string invoice_id;
    long amount = 0;
};
/// nlohmann/json conversion (found by argument-dependent lookup).
void from_json(const nlohmann::json& j, invoice_paid& p) {
    const auto& data = j.at("data");
    data.at("invoice_id").get_to(p.invoice_id);
    data.at("amount").get_to(p.amount);
}
} // namespace

int main(int argc, char** argv) {
    const char* secret_text = std::getenv("WEBHOOK_SECRET");
    if (!secret_text) {
        std::cerr << "set WEBHOOK_SECRET to the endpoint's whsec_... secret\n";
        return 2;
    }
    auto key = hookline::secret::parse(secret_text);
    if (!key) {
        std::cerr << "WEBHOOK_SECRET: " << key.error().message() << "\n"; // never print the secret itself
        return 2;
    }
    const int port = argc > 1 ? std::atoi(argv[1]) : 8080;

    hookline::receiver_options options;
    options.max_body_size = 256 * 1024;
    // One log line per request: outcome, event type, id, latency. Errors say which check failed.
    options.observer = [](const hookline::request_info& i) {
        std::clog << hookline::to_string(i.result) << " " << i.status << " " << i.event_type << " " << i.id << " "
                  << std::chrono::duration_cast<std::chrono::microseconds>(i.latency).count() << "us"
                  << (i.error ? " (" + i.error.message() + ")" : std::string()) << "\n";
    };
    // The in-memory store forgets ids on restart; use hookline::sqlite_dedup_store to remember them.
    hookline::standard_receiver receiver(hookline::standard_verifier(*key), options);

    receiver.on<invoice_paid>("invoice.paid", [](const invoice_paid& p) {
        std::cout << "invoice " << p.invoice_id << " paid: " << p.amount << "\n";
        // Throwing here (or returning false) answers 500 and leaves the id unhandled: the sender retries.
    });
    receiver.on("invoice.*",
                [](const hookline::webhook_event& e) { std::cout << "other invoice event " << e.type << "\n"; });
    receiver.on_any([](const hookline::webhook_event& e) { std::cout << "unhandled event type '" << e.type << "'\n"; });

    httplib::Server server;
    server.set_tcp_nodelay(true); // without it, loopback requests stall ~40 ms (Nagle)
    hookline::mount(server, receiver, "/webhooks");
    std::cout << "listening on http://0.0.0.0:" << port << "/webhooks" << std::endl;
    if (!server.listen("0.0.0.0", port)) {
        std::cerr << "cannot listen on port " << port << "\n";
        return 1;
    }
}
