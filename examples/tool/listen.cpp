// `hookline listen`: a receiver on 127.0.0.1 for local development (like `stripe listen`). Prints
// each verified event and each rejected request with its reason until SIGINT or SIGTERM.
//   hookline listen --scheme S --secret K [--secret K...] [--port P] [--path /webhooks] [--json]
//                   [--tolerance SECONDS] [--public-url URL]
// The first line printed says where it listens (with --port 0 the OS picks the port):
//   listening on http://127.0.0.1:PORT/webhooks          ({"listening":..., "port":PORT} with --json)
#include "args.hpp"
#include "schemes.hpp"
#include "verbs.hpp"

#include <hookline/core/clock.hpp>
#include <hookline/receiving/beast_adapter.hpp>
#include <hookline/receiving/receiver.hpp>

#include <pthread.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hookline_cli {

inline std::string listen_help() {
    std::string schemes_text;
    for (const auto& s : schemes()) {
        if (!schemes_text.empty()) schemes_text.push_back('|');
        schemes_text.append(s.name);
    }
    return "Usage: hookline listen --scheme SCHEME --secret SECRET [--secret SECRET...] [--port P]\n"
           "                       [--path /webhooks] [--json] [--tolerance SECONDS] [--public-url URL]\n\n"
           "Runs a webhook receiver on 127.0.0.1 and prints each verified event and each rejected request\n"
           "with its reason, until interrupted (Ctrl-C). The first line says where it listens.\n\n"
           "Options:\n"
           "  --scheme SCHEME      " +
           schemes_text +
           " (default: standard)\n"
           "  --secret SECRET      a trusted key; repeat for several (rotation)\n"
           "  --port P             port to listen on; 0 lets the system choose (default: 8080)\n"
           "  --path PATH          path to receive on (default: /webhooks)\n"
           "  --json               print one JSON object a line instead of text\n"
           "  --tolerance SECONDS  accepted distance between the signed timestamp and now (default: 300)\n"
           "  --public-url URL     base URL senders use, for schemes that sign the URL (Twilio, Square)\n"
           "  --help               this text\n\n"
           "Exit status: 0 after an interrupt, 1 cannot listen, 2 usage error.\n";
}

namespace listen_detail {
/// Adapts a tool scheme entry to the library's verifier concept. Id and type come from the scheme's
/// headers, or from the JSON body's "id"/"type" when present (for schemes other than Standard Webhooks
/// read by the printer, so that bodies that are not JSON, such as form posts, are still shown).
struct cli_verifier {
    const scheme_entry* scheme = nullptr;
    std::shared_ptr<const scheme_input> base;
    std::string_view scheme_name;
    std::string_view body_id_field = "";
    std::string_view body_type_field = "";

    hookline::result<hookline::verified_message> verify(const hookline::inbound_message& m, std::int64_t now) const {
        scheme_input in = *base;
        in.headers = m.headers;
        in.body = std::string(m.body);
        in.url = std::string(m.url);
        in.now = now;
        try {
            return scheme->verify(in);
        } catch (const std::exception&) {
            return hookline::errc::invalid_secret;
        }
    }
};

inline sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}
} // namespace listen_detail

int cmd_listen(const std::vector<std::string_view>& argv) {
    using namespace listen_detail;
    std::vector<flag_spec> specs = {{"--scheme", "", true, false},     {"--secret", "", true, true},
                                    {"--port", "", true, false},       {"--path", "", true, false},
                                    {"--json", "", false, false},      {"--tolerance", "", true, false},
                                    {"--public-url", "", true, false}, {"--help", "-h", false, false}};
    parsed_args args(argv, specs);
    if (args.has("--help")) {
        std::cout << listen_help();
        return 0;
    }
    const scheme_entry& scheme = find_scheme(args.get("--scheme").value_or("standard"));
    auto base = std::make_shared<scheme_input>();
    base->secrets = args.all("--secret");
    if (base->secrets.empty()) throw usage_error("--secret is required");
    if (auto t = args.get("--tolerance")) {
        base->tolerance = std::chrono::seconds(parse_seconds("--tolerance", *t));
    }
    // Parse the secrets once up front: a bad one is a usage error now, not a 500 per request.
    {
        scheme_input probe = *base;
        probe.now = hookline::unix_now();
        (void)scheme.verify(probe);
    }
    const long long port_arg = args.has("--port") ? parse_seconds("--port", *args.get("--port")) : 8080;
    if (port_arg > 65535) throw usage_error("--port must be 0..65535");
    const std::string path = args.get("--path").value_or("/webhooks");
    if (path.empty() || path.front() != '/') throw usage_error("--path must start with '/'");
    const bool json = args.has("--json");

    std::mutex out_mutex;
    auto print = [&](const std::string& line) {
        std::lock_guard lock(out_mutex);
        std::cout << line << std::endl;
    };

    hookline::receiver_options options;
    options.content_type = ""; // show what arrives, whatever its media type
    options.public_base_url = args.get("--public-url").value_or("");
    options.observer = [&](const hookline::request_info& i) {
        if (i.result == hookline::outcome::handled || i.result == hookline::outcome::queued) return;
        const bool verified = i.result != hookline::outcome::rejected;
        std::string reason = i.error ? i.error.message() : std::string(hookline::to_string(i.result));
        if (json) {
            nlohmann::json j = {
                {"verified", verified}, {"status", i.status}, {"outcome", hookline::to_string(i.result)}};
            if (!verified || i.error) j["reason"] = reason;
            if (!i.id.empty()) j["id"] = i.id;
            if (!i.event_type.empty()) j["type"] = i.event_type;
            print(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        } else if (verified) {
            print(std::string(hookline::to_string(i.result)) + " " + std::to_string(i.status) +
                  " id=" + std::string(i.id));
        } else {
            print("rejected " + std::to_string(i.status) + " " + reason);
        }
    };
    using receiver_type = hookline::basic_receiver<cli_verifier>;
    // Standard Webhooks bodies are JSON with a "type": read it as the library's receiver does (a
    // non-JSON body is refused). Other schemes: shown whatever the body is.
    const std::string_view type_field = scheme.name == "standard" ? "type" : "";
    receiver_type receiver(cli_verifier{&scheme, base, scheme.name, "", type_field}, std::move(options));
    receiver.on_any([&](const hookline::webhook_event& e) {
        auto body = nlohmann::json::parse(e.body, nullptr, false);
        std::string type = e.type;
        std::string id = e.id;
        if (body.is_object()) {
            if (type.empty() && body.contains("type") && body["type"].is_string())
                type = body["type"].get<std::string>();
            if (id.starts_with("sha256:") && body.contains("id") && body["id"].is_string())
                id = body["id"].get<std::string>();
        }
        if (json) {
            nlohmann::json j = {{"verified", true},      {"status", 200}, {"outcome", "handled"},
                                {"scheme", scheme.name}, {"id", id},      {"type", type}};
            if (e.timestamp) j["timestamp"] = *e.timestamp;
            if (body.is_discarded())
                j["body"] = e.body;
            else
                j["payload"] = std::move(body);
            print(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        } else {
            print("event " + (type.empty() ? std::string("(no type)") : type) + " id=" + id + " (" +
                  std::to_string(e.body.size()) + " bytes)");
        }
    });

    // Block the stop signals in every thread; one thread waits for them and stops the server.
    sigset_t signals = stop_signals();
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    // The Boost.Beast server: a deadline per request and a connection cap, so that a slow client
    // cannot shut other senders out (issue #17); handlers run on its worker pool.
    hookline::beast_server server({.address = "127.0.0.1",
                                   .port = static_cast<std::uint16_t>(port_arg),
                                   .idle_timeout = std::chrono::seconds(2)});
    hookline::mount(server, receiver, path);
    if (auto started = server.start(); !started) {
        std::cerr << "hookline: cannot listen on 127.0.0.1:" << port_arg << "\n";
        return 1;
    }
    const int port = server.port();
    const std::string where = "http://127.0.0.1:" + std::to_string(port) + path;
    if (json)
        print(nlohmann::json({{"listening", where}, {"port", port}}).dump());
    else
        print("listening on " + where);

    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
    receiver.wait_idle();
    return 0;
}

} // namespace hookline_cli
