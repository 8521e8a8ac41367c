// The README's "receiver in 20 lines", kept compiling by the build; README.md quotes the marked region
// (ctest docs.snippets checks the quote). Not run by the tests: it listens on port 8080 until killed.
// The quoted code keeps the README's layout:
// clang-format off
// [snippet:receiver]
#include <hookline/hookline.hpp>
#include <hookline/receiving/beast_adapter.hpp>   // link hookline::beast (Boost.Beast)
#include <unistd.h>

struct invoice { std::string id; long amount; };
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(invoice, id, amount)

int main() {
    const char* text = std::getenv("WEBHOOK_SECRET");
    auto key = hookline::secret::parse(text ? text : "").value();   // throws when unset or malformed
    hookline::standard_receiver receiver{hookline::standard_verifier(key)};
    receiver.on<invoice>("invoice.paid", [](const invoice& inv) { /* fulfil the order */ (void)inv; });
    receiver.on("user.*", [](const hookline::webhook_event& e) { /* e.id, e.type, e.json() */ (void)e; });

    hookline::beast_server server({.address = "0.0.0.0", .port = 8080});   // slow clients cannot starve it
    hookline::mount(server, receiver, "/webhooks");   // 401 bad signature, 2xx duplicates, 5xx retry...
    server.start().value();   // serves on its own threads
    pause();                  // until the process is killed
}
// [/snippet:receiver]
