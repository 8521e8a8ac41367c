// The baseline: a cpp-httplib server whose POST /webhooks handler only answers 200.
#include "common.hpp"

int main() {
    httplib::Server server;
    bench::configure(server);
    server.Post("/webhooks", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    return bench::serve(server);
}
