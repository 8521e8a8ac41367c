// quickstart: the whole loop in one program, on 127.0.0.1.
// A receiver verifies Standard Webhooks signatures and dispatches by event type; a `standard_sender`
// signs an event and delivers it, allowed to reach 127.0.0.1 by the one option that permits loopback
// (refused by default: SSRF protection). Exits 0 when the event arrived verified and a tampered copy of
// the sender's request was refused.
#include <hookline/hookline.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

int main() {
    std::signal(SIGPIPE, SIG_IGN);
    const auto key = hookline::secret::generate().value();
    std::printf("secret shared with the receiver: %s\n", key.redacted().c_str());

    // Receiver: verify, then dispatch on the payload's "type".
    const hookline::standard_verifier verifier(key);
    std::mutex mutex; // the server's threads and main share what arrived
    int delivered = 0;
    httplib::Headers last_headers; // the signed request as it arrived, to tamper with below
    std::string last_body;
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
            std::lock_guard lock(mutex);
            ++delivered;
            last_headers = req.headers;
            last_body = req.body;
            std::printf("receiver: %s verified, invoice %s paid\n", verified->id.c_str(),
                        event["data"].value("invoice", "?").c_str());
        }
        res.status = 204;
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    std::thread thread([&] { server.listen_after_bind(); });
    // bind_to_any_port() already listens: connections queue until the accept loop runs.

    // Sender: the stock sender, allowed to reach 127.0.0.1 (and nothing else private).
    bool sent = false;
    {
        hookline::standard_sender sender{hookline::curl_transport({
            .addresses = hookline::address_policy::with_allowed({"127.0.0.1/32"}).value(),
        })};
        sender
            .add_endpoint("local",
                          {.url = "http://127.0.0.1:" + std::to_string(port) + "/webhooks", .secrets = {{key}}})
            .value();
        auto receipt = sender.send("invoice.paid", {{"invoice", "in_42"}});
        sent = receipt && sender.drain(std::chrono::seconds(20)); // a failure is also logged to stderr
        std::printf("sender: %s -> %s\n", receipt ? receipt->message_id.c_str() : "(not sent)",
                    sent ? "delivery finished" : "no outcome within 20 s");
    }

    // A tampered body must be refused.
    httplib::Headers headers;
    std::string body;
    {
        std::lock_guard lock(mutex);
        for (const char* name : {"webhook-id", "webhook-timestamp", "webhook-signature"})
            if (auto it = last_headers.find(name); it != last_headers.end()) headers.emplace(name, it->second);
        body = last_body;
    }
    httplib::Client client("127.0.0.1", port);
    client.set_tcp_nodelay(true);
    auto forged = client.Post("/webhooks", headers, body + " ", "application/json");
    std::printf("tampered POST -> %d (%s)\n", forged ? forged->status : -1, forged ? forged->body.c_str() : "");

    server.stop();
    thread.join();
    const bool ok = sent && delivered == 1 && forged && forged->status == 401;
    std::printf("%s\n", ok ? "quickstart: OK" : "quickstart: FAILED");
    return ok ? 0 : 1;
}
