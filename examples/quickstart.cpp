// quickstart: the whole loop in one program, on 127.0.0.1.
// A receiver verifies Standard Webhooks signatures and dispatches by event type; a sender signs an
// event and POSTs it. Exits 0 when the event arrived verified and a forged copy was refused.
#include <hookline/hookline.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <thread>

int main() {
    std::signal(SIGPIPE, SIG_IGN);
    const auto key = hookline::secret::generate().value();
    std::printf("secret shared with the receiver: %s\n", key.redacted().c_str());

    // Receiver: verify, then dispatch on the payload's "type".
    const hookline::standard_verifier verifier(key);
    int delivered = 0;
    httplib::Server server;
    server.set_tcp_nodelay(true);
    server.Post("/webhooks", [&](const httplib::Request& req, httplib::Response& res) {
        hookline::header_map headers;
        for (const auto& [name, value] : req.headers) headers.add(name, value);
        auto verified = hookline::verify_now(verifier, {.headers = headers, .body = req.body});
        if (!verified) {
            res.status = 401;
            res.set_content(verified.error().message(), "text/plain");
            return;
        }
        auto event = nlohmann::json::parse(req.body, nullptr, false);
        if (event.is_discarded()) {
            res.status = 400;
            return;
        }
        if (event.value("type", "") == "invoice.paid") {
            ++delivered;
            std::printf("receiver: %s verified, invoice %s paid\n", verified->id.c_str(),
                        event["data"].value("invoice", "?").c_str());
        }
        res.status = 204;
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    std::thread thread([&] { server.listen_after_bind(); });

    // bind_to_any_port() already listens: connections queue until the accept loop runs.
    // Sender: sign and POST.
    const hookline::standard_signer signer(key);
    const std::string body = nlohmann::json{{"type", "invoice.paid"}, {"data", {{"invoice", "in_42"}}}}.dump();
    const auto headers =
        signer.sign({.id = "msg_quickstart_1", .body = body, .timestamp = hookline::unix_now()}).value();
    httplib::Client client("127.0.0.1", port);
    client.set_tcp_nodelay(true);
    httplib::Headers h;
    for (const auto& f : headers) h.emplace(f.name, f.value);
    auto good = client.Post("/webhooks", h, body, "application/json");
    std::printf("sender: signed POST -> %d\n", good ? good->status : -1);

    // A tampered body must be refused.
    auto forged = client.Post("/webhooks", h, body + " ", "application/json");
    std::printf("sender: tampered POST -> %d (%s)\n", forged ? forged->status : -1, forged ? forged->body.c_str() : "");

    server.stop();
    thread.join();
    const bool ok = good && good->status == 204 && forged && forged->status == 401 && delivered == 1;
    std::printf("%s\n", ok ? "quickstart: OK" : "quickstart: FAILED");
    return ok ? 0 : 1;
}
