// Builds against hookline::beast and runs: a receiver on the Boost.Beast server, on a port the system
// picks, started and stopped.
#include <hookline/hookline.hpp>
#include <hookline/receiving/beast_adapter.hpp>

int main() {
    auto key = hookline::secret::generate().value();
    hookline::standard_receiver receiver{hookline::standard_verifier(key)};
    hookline::beast_server server;
    hookline::mount(server, receiver, "/webhooks");
    if (!server.start()) return 1;
    const bool listening = server.port() != 0;
    server.stop();
    return listening ? 0 : 1;
}
