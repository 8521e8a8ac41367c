// The baseline: a cpp-httplib server whose POST /webhooks handler only answers 200.
//   bare_server            the body is read by cpp-httplib into req.body (the usual handler)
//   bare_server reader     the body is read through a ContentReader (the path the adapter uses)
#include "common.hpp"

#include <string>
#include <string_view>

int main(int argc, char** argv) {
    httplib::Server server;
    bench::configure(server);
    if (argc > 1 && std::string_view(argv[1]) == "reader") {
        server.Post("/webhooks",
                    [](const httplib::Request&, httplib::Response& res, const httplib::ContentReader& reader) {
                        std::string body;
                        reader([&](const char* data, std::size_t n) {
                            body.append(data, n);
                            return true;
                        });
                        res.set_content("ok", "text/plain");
                    });
    } else {
        server.Post("/webhooks",
                    [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });
    }
    return bench::serve(server);
}
