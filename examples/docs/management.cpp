// Snippets of docs/registry.md and docs/management-api.md (see docs.hpp). `run_management` drives the
// registry and the management API through `handle` (no server, no delivery: nothing is sent); the
// server programs are compiled only. The Boost.Beast one is built when Boost is found
// (HOOKLINE_DOCS_BEAST, set by examples/CMakeLists.txt with hookline::beast).
// The snippets keep the guide's layout:
// clang-format off
// [snippet:embed]
#include <hookline/management/api.hpp>
#include <hookline/management/httplib_adapter.hpp>   // mount_management (cpp-httplib)
#include <hookline/sending/sender.hpp>
// [/snippet:embed]
#include <hookline/core/digest.hpp>
#include <hookline/core/encoding.hpp>
#if HOOKLINE_DOCS_BEAST
#include <hookline/serving/beast_server.hpp>
#endif

#include "docs.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace docs::management {

using registry_type = hookline::basic_registry<hookline::memory_store>;

// [snippet:embed]
int main() {
    const char* token = std::getenv("HOOKLINE_TOKEN");
    hookline::memory_store store;   // sqlite_store or postgres_store: the registry survives restarts
    hookline::standard_sender sender(hookline::curl_transport{}, hookline::standard_schedule{}, store);
    auto registry = hookline::basic_registry<hookline::memory_store>::open(store).value();
    hookline::basic_management_api<hookline::standard_sender> api(sender, std::move(registry), {
        .authoriser = hookline::token_authoriser{token ? token : ""},   // empty token: every call 401
    });
    api.load().value();   // the registered endpoints, back in the sender: before serving

    httplib::Server server;
    hookline::mount_management(server, api);   // <prefix>/api/v1/... and <prefix>/metrics

    server.listen("127.0.0.1", 8071);
    return 0;
}
// [/snippet:embed]

#if HOOKLINE_DOCS_BEAST
void beast(hookline::basic_management_api<hookline::standard_sender>& api) {
    // [snippet:beast]
    hookline::beast_server server({
        .address = "0.0.0.0",
        .port = 8071,
        .max_body_bytes = api.options().max_body_bytes,          // larger bodies: 413, not read
        .workers = {.threads = 4, .queue_capacity = 4096},
    });
    server.set_handler([&api](const hookline::request_view& r) { return api.handle(r); });   // every path
    server.start().value();
    // ... server.stop() before api and the sender go
    // [/snippet:beast]
    server.stop();
}
#endif

hookline::management_options per_tenant(std::string admin_token, std::map<std::string, std::string> tenant_tokens) {
    // [snippet:authoriser]
    // admin_token: every call. tenant_tokens: SHA-256 (hex) of a token -> the application id it may act on.
    hookline::management_options options{
        .authoriser = [admin = std::move(admin_token), tokens = std::move(tenant_tokens)](
                          std::string_view token, std::string_view app_id) {
            if (!admin.empty() && hookline::constant_time_equal(token, admin)) return hookline::access::allow;
            auto it = tokens.find(hookline::hex_encode(hookline::sha256(token).view()));
            if (it == tokens.end()) return hookline::access::unauthenticated;   // 401
            // app_id is "" for the catalogue and the application list: a tenant token may not use them.
            return it->second == app_id ? hookline::access::allow : hookline::access::forbidden;   // 403
        },
    };
    // [/snippet:authoriser]
    return options;
}

void send_from_code(hookline::basic_management_api<hookline::standard_sender>& api) {
    // [snippet:api-send]
    // From the application's own code: as POST /api/v1/app/acme/msg, delivered to acme's endpoints
    // and listed by the API (api.send takes the application's id or uid).
    auto m = api.send("acme", {.event_type = "invoice.paid", .payload = R"({"invoice":"in_42"})"});
    if (!m) std::cerr << "not sent: " << m.error().message() << "\n";   // not_found: no such application
    // m->id: "msg_…"
    // [/snippet:api-send]
}

void sync_loop(hookline::basic_management_api<hookline::standard_sender>& api) {
    // [snippet:sync]
    // Several processes on one PostgreSQL store: each follows the others' endpoint changes.
    std::jthread syncing([&api](std::stop_token stop) {
        while (!stop.stop_requested()) {
            if (auto n = api.sync(); !n) std::cerr << "sync: " << n.error().message() << "\n";
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
    });
    // [/snippet:sync]
}

void registry_and_sender(const std::string& sealing_key) {
    // [snippet:registry]
    hookline::memory_store store;   // or sqlite_store / postgres_store: one database for queue and registry
    auto registry = hookline::basic_registry<hookline::memory_store>::open(store, {
        .secret_key = sealing_key,                             // 32 raw bytes; "" keeps secrets unsealed
        .rotation_grace = std::chrono::hours(24),              // a rotated-out key keeps signing this long
    }).value();

    auto app = registry.create_application({.uid = "acme", .name = "Acme Corp"}).value();
    registry.create_event_type({.name = "invoice.paid", .description = "An invoice was paid"}).value();
    auto ep = registry.create_endpoint({
        .app_id = app.id,
        .url = "https://acme.example/webhooks",
        .filter_types = {"invoice.paid"},
    }).value();                                                // a fresh whsec_ secret: ep.secrets[0].key

    hookline::standard_sender sender(hookline::curl_transport{}, hookline::standard_schedule{}, store);
    sender.add_endpoint(ep.id, hookline::to_endpoint_config(ep)).value();   // its tenant is app.id
    // [/snippet:registry]

    // [snippet:tenant-send]
    // Reaches app.id's endpoints only (here: ep). Without .tenant it would reach none of them.
    sender.send({.type = "invoice.paid", .payload = R"({"invoice":"in_42"})", .tenant = app.id}).value();
    // [/snippet:tenant-send]

    // [snippet:rotate]
    // A fresh key signs from now on; the old one signs beside it for rotation_grace, then is dropped.
    auto rotated = registry.rotate_secret(app.id, ep.id).value();
    sender.update_endpoint(ep.id, hookline::to_endpoint_config(rotated)).value();
    // rotated.secrets: {new key, expires_at 0}, {old key, expires_at now + 24 h}
    // [/snippet:rotate]
}

template <class Sender>
void resume(Sender& sender, registry_type& registry) {
    // [snippet:load]
    // At start, before sending: every registered endpoint (500 per store read), added or updated.
    std::size_t refused = 0;
    auto loaded = hookline::load_registered_endpoints(sender, registry, &refused).value();
    // loaded: how many the sender took; refused: URLs its address policy forbids (still registered)
    // [/snippet:load]
    (void)loaded;
}

template void resume(hookline::standard_sender&, registry_type&);

} // namespace docs::management

namespace docs {

bool run_management() {
    using namespace management;
    const std::string key_a = hookline::random_bytes(32).value(), key_b = hookline::random_bytes(32).value();
    hookline::memory_store store;
    // [snippet:wrong-key]
    auto first = hookline::basic_registry<hookline::memory_store>::open(store, {.secret_key = key_a});
    // ... endpoints registered, secrets sealed under key_a ...
    auto other = hookline::basic_registry<hookline::memory_store>::open(store, {.secret_key = key_b});
    // other.error() == hookline::errc::wrong_store_key: refused at open, before any secret is read
    // [/snippet:wrong-key]
    if (!first || other || other.error() != hookline::errc::wrong_store_key) return false;
    if (hookline::basic_registry<hookline::memory_store>::open(store).has_value()) return false; // sealed: no key refused

    hookline::standard_sender sender(hookline::curl_transport{}, hookline::standard_schedule{}, store,
                                     hookline::sender_options{.workers = 1, .logger = nullptr});
    hookline::basic_management_api<hookline::standard_sender> api(
        sender, std::move(*first), {.authoriser = hookline::token_authoriser{"t0k"}, .logger = nullptr});
    auto call = [&](std::string method, std::string target, std::string body = {}) {
        hookline::header_map headers;
        headers.add("Authorization", "Bearer t0k");
        return api.handle({.method = method, .target = target, .headers = headers, .body = body,
                           .content_length = body.size()});
    };
    auto json = [](const hookline::response& r) { return nlohmann::json::parse(r.body, nullptr, false); };

    if (call("POST", "/api/v1/app", R"({"name":"Acme Corp","uid":"acme"})").status != 201) return false;
    if (call("POST", "/api/v1/event-type", R"({"name":"invoice.paid","description":"An invoice was paid"})").status != 201)
        return false;
    // An event type outside the catalogue is refused; one in it is accepted, and the sender has the endpoint.
    if (call("POST", "/api/v1/app/acme/endpoint", R"({"url":"https://acme.example/hooks","eventTypes":["invoice.void"]})")
            .status != 422)
        return false;
    const auto made = call("POST", "/api/v1/app/acme/endpoint",
                           R"({"url":"https://acme.example/hooks","uid":"main","eventTypes":["invoice.paid"]})");
    if (made.status != 201) return false;
    const std::string ep = json(made).value("id", "");
    auto live = sender.endpoint(ep);
    if (!live || live->config.tenant.empty() || live->config.url != "https://acme.example/hooks") return false;
    const auto secret = json(call("GET", "/api/v1/app/acme/endpoint/main/secret")).value("key", "");
    if (!secret.starts_with("whsec_")) return false;
    if (call("POST", "/api/v1/app/acme/endpoint/main/secret/rotate", "{}").status != 204) return false;
    if (sender.endpoint(ep)->config.secrets.size() != 2) return false; // the new key and the old one, in grace
    // The wrong token, and a request for an application that does not exist.
    hookline::header_map wrong;
    wrong.add("Authorization", "Bearer nope");
    if (api.handle({.method = "GET", .target = "/api/v1/app", .headers = wrong, .body = {}}).status != 401) return false;
    if (call("GET", "/api/v1/app/nobody").status != 404) return false;

    // A second API on the same store (another process) resumes with the endpoint.
    hookline::standard_sender restarted(hookline::curl_transport{}, hookline::standard_schedule{}, store,
                                        hookline::sender_options{.workers = 1, .logger = nullptr});
    auto again = registry_type::open(store, {.secret_key = key_a}).value();
    resume(restarted, again);
    return restarted.endpoint(ep).has_value() && restarted.endpoint(ep)->config.secrets.size() == 2;
}

} // namespace docs
