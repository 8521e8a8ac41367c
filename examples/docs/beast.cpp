// Snippets of docs/receiver.md (the Boost.Beast server), built when Boost is found (hookline::beast;
// see docs.hpp). Compiled only: the program listens on port 8080.
// The snippets keep the guide's layout:
// clang-format off
// [snippet:beast-server]
#include <hookline/hookline.hpp>
#include <hookline/receiving/beast_adapter.hpp>   // link hookline::beast (Boost 1.81+ headers)

#include <csignal>
#include <cstdlib>
#include <iostream>
// [/snippet:beast-server]

#include "docs.hpp"

#include <chrono>

namespace docs::beast_program {
// [snippet:beast-server]
int main() {
    const char* text = std::getenv("WEBHOOK_SECRET");
    auto key = hookline::secret::parse(text ? text : "").value();
    hookline::standard_receiver receiver{hookline::standard_verifier(key)};
    receiver.on("invoice.*", [](const hookline::webhook_event& e) { std::cout << e.type << " " << e.id << "\n"; });

    hookline::beast_server server({
        .address = "0.0.0.0",                                   // default: 127.0.0.1 only
        .port = 8080,                                           // 0: the system picks, see server.port()
        .max_connections = 10'000,
        .request_deadline = std::chrono::seconds(10),           // head and body, however they trickle
        .idle_timeout = std::chrono::seconds(5),                // keep-alive connections between requests
        .workers = {.threads = 4, .queue_capacity = 1024},      // where handlers run; full queue: 503
    });
    hookline::mount(server, receiver, "/webhooks");             // also sets the body limit (413)

    sigset_t stop_signals;                                      // the server's threads inherit the mask
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    if (auto started = server.start(); !started) {
        std::cerr << "cannot listen: " << started.error().message() << "\n";
        return 1;
    }
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    server.stop();                                              // closes connections, joins its threads
    auto s = server.stats();                                    // what it refused, e.g. slow clients
    std::cout << s.closed_request_deadline << " requests cut at the deadline\n";
    return 0;
}
// [/snippet:beast-server]
} // namespace docs::beast_program
