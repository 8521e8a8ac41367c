// A complete GitHub webhook receiver on cpp-httplib.
//
//   GITHUB_WEBHOOK_SECRET=... ./github_receiver [PORT]        (default port 8080)
//
// GitHub sends the event type in X-GitHub-Event and the delivery id in X-GitHub-Delivery; the
// receiver reads both from the verified headers, and de-duplicates redeliveries by delivery id.
// Configure the webhook with content type "application/json".
#include <hookline/hookline.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {
/// The parts of a "push" event payload this program uses.
struct push_event {
    std::string ref;
    std::string repository;
    std::size_t commits = 0;
};
void from_json(const nlohmann::json& j, push_event& p) {
    j.at("ref").get_to(p.ref);
    j.at("repository").at("full_name").get_to(p.repository);
    p.commits = j.value("commits", nlohmann::json::array()).size();
}
} // namespace

int main(int argc, char** argv) {
    const char* secret_text = std::getenv("GITHUB_WEBHOOK_SECRET");
    if (!secret_text || !*secret_text) {
        std::cerr << "set GITHUB_WEBHOOK_SECRET to the webhook's secret\n";
        return 2;
    }
    auto key = hookline::secret::from_bytes(secret_text); // GitHub secrets are plain text
    if (!key) {
        std::cerr << "GITHUB_WEBHOOK_SECRET: " << key.error().message() << "\n";
        return 2;
    }
    const int port = argc > 1 ? std::atoi(argv[1]) : 8080;

    hookline::receiver_options options;
    options.max_body_size = 25 * 1024 * 1024; // GitHub caps payloads at 25 MB
    options.observer = [](const hookline::request_info& i) {
        std::clog << hookline::to_string(i.result) << " " << i.status << " " << i.event_type << " " << i.id
                  << (i.error ? " (" + i.error.message() + ")" : std::string()) << "\n";
    };
    hookline::github_receiver receiver(hookline::github_verifier(*key), options);

    receiver.on<push_event>("push", [](const push_event& p) {
        std::cout << p.repository << ": " << p.commits << " commit(s) pushed to " << p.ref << "\n";
    });
    receiver.on("ping", [](const hookline::webhook_event&) { std::cout << "ping from GitHub\n"; });
    receiver.on_any([](const hookline::webhook_event& e) { std::cout << "event " << e.type << " (" << e.id << ")\n"; });

    httplib::Server server;
    server.set_tcp_nodelay(true);
    hookline::mount(server, receiver, "/github");
    std::cout << "listening on http://0.0.0.0:" << port << "/github" << std::endl;
    if (!server.listen("0.0.0.0", port)) {
        std::cerr << "cannot listen on port " << port << "\n";
        return 1;
    }
}
