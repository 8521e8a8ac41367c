// basic_management_api through `handle`: authorisation, refusals at the door (and that they change
// nothing), idempotency, endpoint changes reaching the sender, sync between two APIs on one store,
// metrics. The svix SDK suite (tests/interop/svix_api.mjs) covers the wire shapes end to end.
#include "support/sender_doubles.hpp"

#include <hookline/management/api.hpp>
#include <hookline/sending/sender.hpp>
#include <hookline/stores/memory_store.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

using namespace hookline;
using namespace std::chrono_literals;

namespace {

using sender_type = basic_sender<test_support::fake_transport, standard_signer, fixed_schedule, memory_store>;
using api_type = basic_management_api<sender_type>;

struct fixture {
    memory_store store{};
    test_support::fake_transport transport{};
    std::shared_ptr<std::vector<std::string>> log = std::make_shared<std::vector<std::string>>();
    sender_type sender{transport, fixed_schedule({}), store, sender_options{.workers = 2, .logger = nullptr}};
    api_type api{sender,
                 basic_registry<memory_store>::open(store).value(),
                 {.authoriser = token_authoriser{"t0k"},
                  .max_body_bytes = 1 << 20,
                  .logger = [log = log](log_level, std::string_view line) { log->emplace_back(line); }}};

    response call(std::string method, std::string target, std::string body = {}, header_map headers = {},
                  std::string token = "t0k") {
        if (!token.empty()) headers.add("Authorization", "Bearer " + token);
        return api.handle(
            {.method = method, .target = target, .headers = headers, .body = body, .content_length = body.size()});
    }
    nlohmann::json json(const response& r) { return nlohmann::json::parse(r.body); }
    std::string make_app(const std::string& name = "Acme") {
        return json(call("POST", "/api/v1/app", R"({"name":")" + name + R"("})"))["id"];
    }
};

} // namespace

TEST_CASE("management api: a token is required, and refusals say why in Svix's shape", "[management]") {
    fixture f;
    CHECK(f.call("GET", "/api/v1/health", {}, {}, "").status == 204); // health needs none
    auto r = f.call("GET", "/api/v1/app", {}, {}, "");
    CHECK(r.status == 401);
    CHECK(f.json(r)["code"] == "authentication_failed");
    CHECK(f.call("GET", "/api/v1/app", {}, {}, "wrong").status == 401);
    CHECK(f.call("GET", "/metrics", {}, {}, "").status == 401);
    CHECK(f.call("GET", "/api/v1/nothing").status == 404);
    CHECK(f.call("GET", "/elsewhere").status == 404);
    CHECK(f.call("GET", "/api/v1/app/%zz").status == 400);
    CHECK(f.call("POST", "/api/v1/app", "{not json").status == 400);
    auto bad = f.call("POST", "/api/v1/app", R"({"name":"x","uid":"has space"})");
    CHECK(bad.status == 422);
    CHECK(f.json(bad)["detail"][0]["loc"][1] == "uid");
    CHECK(f.call("POST", "/api/v1/app", R"({"name":7})").status == 422);
    CHECK(f.call("DELETE", "/api/v1/app").status == 405);
    // Over the body limit: 413 on the declared length, before anything is read.
    const header_map auth{{"Authorization", "Bearer t0k"}};
    auto big = f.api.handle(
        {.method = "POST", .target = "/api/v1/app", .headers = auth, .body = {}, .content_length = 2 << 20});
    CHECK(big.status == 413);
    CHECK(f.json(big)["code"] == "payload_too_large");
    CHECK(f.json(f.call("GET", "/api/v1/app"))["data"].empty()); // none of that created anything
}

TEST_CASE("management api: a custom authoriser decides per tenant (403 for another tenant's token)", "[management]") {
    fixture f;
    const std::string a = f.make_app("A"), b = f.make_app("B");
    sender_type sender{f.transport, fixed_schedule({}), f.store, sender_options{.workers = 1, .logger = nullptr}};
    api_type scoped{sender,
                    basic_registry<memory_store>::open(f.store).value(),
                    {.authoriser = [a](std::string_view token, std::string_view app) {
                        if (token != "tenant-a") return access::unauthenticated;
                        return app == a ? access::allow : access::forbidden; // not "": no general grant
                    }}};
    const header_map auth{{"Authorization", "Bearer tenant-a"}};
    auto call = [&](std::string target) { return scoped.handle({.method = "GET", .target = target, .headers = auth}); };
    CHECK(call("/api/v1/app/" + a).status == 200);
    CHECK(call("/api/v1/app/" + b).status == 403);
    CHECK(call("/api/v1/app/" + b + "/endpoint").status == 403);
    // Creating a tenant (PUT on an unknown application) needs the general grant, whatever the body says.
    CHECK(scoped.handle({.method = "PUT", .target = "/api/v1/app/new-one", .headers = auth, .body = R"({"name":"x"})"})
              .status == 403);
    // An idempotency key replays nothing to a token that may not make the call.
    header_map keyed = auth;
    keyed.add("Idempotency-Key", "k");
    const header_map admin{{"Authorization", "Bearer t0k"}, {"Idempotency-Key", "k"}};
    REQUIRE(f.api
                .handle({.method = "POST",
                         .target = "/api/v1/app/" + b + "/msg",
                         .headers = admin,
                         .body = R"({"eventType":"a","payload":{}})"})
                .status == 202);
    CHECK(scoped
              .handle({.method = "POST",
                       .target = "/api/v1/app/" + b + "/msg",
                       .headers = keyed,
                       .body = R"({"eventType":"a","payload":{}})"})
              .status == 403);
    sender.stop();
}

TEST_CASE("management api: endpoints reach the sender; a URL its policy refuses is a 422 and registers nothing",
          "[management]") {
    fixture f;
    const std::string app = f.make_app();
    REQUIRE(f.call("POST", "/api/v1/event-type", R"({"name":"invoice.paid","description":"d"})").status == 201);
    auto created = f.call("POST", "/api/v1/app/" + app + "/endpoint",
                          R"({"url":"https://a.example/h","eventTypes":["invoice.paid"],"uid":"main"})");
    REQUIRE(created.status == 201);
    const std::string ep = f.json(created)["id"];
    REQUIRE(f.sender.endpoint(ep));
    CHECK(f.sender.endpoint(ep)->config.tenant == app);
    // A filter naming an event type the catalogue lacks is refused.
    CHECK(f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/2","eventTypes":["nope"]})")
              .status == 422);
    // Refused after the sender took it (a taken uid, text the registry refuses): nothing is left behind.
    CHECK(f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/3","uid":"main"})").status ==
          409);
    CHECK(f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/4","description":"a\nb"})")
              .status == 422);
    CHECK(f.sender.endpoint_ids().size() == 1);
    // Numbers out of range, and bodies nested past 64 levels, are refused.
    CHECK(
        f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/5","throttleRate":4294967297})")
            .status == 422);
    CHECK(
        f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/5","version":1e300})").status ==
        422);
    const std::string deep =
        R"({"eventType":"a","payload":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
    CHECK(f.call("POST", "/api/v1/app/" + app + "/msg", deep).status == 400);
    // Rotation with a grace of 0 revokes the old secret at once.
    REQUIRE(f.call("POST", "/api/v1/app/" + app + "/endpoint/" + ep + "/secret/rotate", R"({"gracePeriodSeconds":0})")
                .status == 204);
    CHECK(f.sender.endpoint(ep)->config.secrets.size() == 1);
    REQUIRE(f.call("POST", "/api/v1/app/" + app + "/endpoint/" + ep + "/secret/rotate", "{}").status == 204);
    CHECK(f.sender.endpoint(ep)->config.secrets.size() == 2);
    // Headers the sender sets itself are refused, and the endpoint is left as it was.
    CHECK(f.call("PUT", "/api/v1/app/" + app + "/endpoint/" + ep + "/headers", R"({"headers":{"webhook-id":"x"}})")
              .status == 422);
    CHECK(f.sender.endpoint(ep)->config.headers.empty());
    // Disabling through PATCH disables it in the sender.
    REQUIRE(f.call("PATCH", "/api/v1/app/" + app + "/endpoint/" + ep, R"({"disabled":true})").status == 200);
    CHECK(f.sender.endpoint(ep)->state.disabled);
    CHECK(f.json(f.call("GET", "/api/v1/app/" + app + "/endpoint/" + ep))["disabledReason"] == "manual");
    REQUIRE(f.call("PATCH", "/api/v1/app/" + app + "/endpoint/main", R"({"disabled":false})").status == 200);
    CHECK_FALSE(f.sender.endpoint(ep)->state.disabled);
    // An endpoint the sender disables by itself (410 Gone) shows so, with the reason.
    auto gone = f.json(f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://gone.example/h"})"));
    f.transport.answer("https://gone.example/h", 410);
    REQUIRE(f.call("POST", "/api/v1/app/" + app + "/msg", R"({"eventType":"invoice.paid","payload":{}})").status ==
            202);
    CHECK(f.sender.drain(10s));
    auto shown = f.json(f.call("GET", "/api/v1/app/" + app + "/endpoint/" + std::string(gone["id"])));
    CHECK(shown["disabled"] == true);
    CHECK(shown["disabledReason"] == "gone");
    // Other changes leave it disabled: only the registry's own flag enables it again.
    REQUIRE(f.call("PATCH", "/api/v1/app/" + app + "/endpoint/" + std::string(gone["id"]), R"({"description":"d"})")
                .status == 200);
    CHECK(f.sender.endpoint(gone["id"])->state.disabled);
    // Deleting the application removes its endpoints from the sender.
    REQUIRE(f.call("DELETE", "/api/v1/app/" + app).status == 204);
    CHECK_FALSE(f.sender.endpoint(ep));

    // With the stock transport's address policy, a loopback URL is refused at once.
    using curl_sender = basic_sender<curl_transport, standard_signer, fixed_schedule, memory_store>;
    memory_store store;
    curl_sender guarded(curl_transport(), fixed_schedule({}), store, sender_options{.workers = 1, .logger = nullptr});
    basic_management_api<curl_sender> api(guarded, basic_registry<memory_store>::open(store).value(),
                                          {.authoriser = token_authoriser{"t"}});
    const header_map auth{{"Authorization", "Bearer t"}};
    auto post = [&](std::string target, std::string body) {
        return api.handle({.method = "POST", .target = target, .headers = auth, .body = body});
    };
    const std::string app2 = nlohmann::json::parse(post("/api/v1/app", R"({"name":"x"})").body)["id"];
    auto refused = post("/api/v1/app/" + app2 + "/endpoint", R"({"url":"http://127.0.0.1:9/hook"})");
    CHECK(refused.status == 422);
    CHECK(nlohmann::json::parse(refused.body)["detail"][0]["loc"][1] == "url");
    CHECK(guarded.endpoint_ids().empty());
    CHECK(api.registry().list_endpoints(app2, {}).value().data.empty());
    guarded.stop();
    f.sender.stop();
}

TEST_CASE("management api: an Idempotency-Key replays the first answer; messages go to the tenant's endpoints",
          "[management]") {
    fixture f;
    const std::string app = f.make_app();
    REQUIRE(f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/h"})").status == 201);
    const std::string other = f.make_app("Other");
    REQUIRE(f.call("POST", "/api/v1/app/" + other + "/endpoint", R"({"url":"https://b.example/h"})").status == 201);
    const std::string msg = R"({"eventType":"invoice.paid","payload":{"n":1},"eventId":"evt-1"})";
    header_map keyed{{"Idempotency-Key", "k1"}};
    auto first = f.call("POST", "/api/v1/app/" + app + "/msg", msg, keyed);
    REQUIRE(first.status == 202);
    auto again = f.call("POST", "/api/v1/app/" + app + "/msg", msg, keyed);
    CHECK(again.status == 202);
    CHECK(again.body == first.body); // the same message, not a second one
    // Without the key, the same eventId is a conflict.
    CHECK(f.call("POST", "/api/v1/app/" + app + "/msg", msg).status == 409);
    CHECK(f.sender.drain(10s));
    CHECK(f.transport.count("https://a.example/h") == 1);
    CHECK(f.transport.count("https://b.example/h") == 0);
    const std::string id = f.json(first)["id"];
    auto got = f.json(f.call("GET", "/api/v1/app/" + app + "/msg/evt-1?with_content=true"));
    CHECK(got["id"] == id);
    CHECK(got["payload"]["n"] == 1);
    CHECK(f.json(f.call("GET", "/api/v1/app/" + app + "/msg/evt-1?with_content=false"))["payload"].empty());
    CHECK(f.call("GET", "/api/v1/app/" + other + "/msg/" + id).status == 404); // not the other tenant's
    CHECK(f.call("POST", "/api/v1/app/" + app + "/msg", R"({"eventType":"x","payload":[1]})").status == 422);
    // The application's own code sends through the API object: delivered and listed alike.
    auto own = f.api.send(app, {.event_type = "invoice.sent", .payload = R"({"n":2})"}).value();
    CHECK(own.app_id == app);
    CHECK(f.api.send("nobody", {.event_type = "a", .payload = "{}"}).error() == errc::not_found);
    CHECK(f.api.send(app, {.event_type = "bad type", .payload = "{}"}).error() == errc::invalid_event_type);
    auto listed = f.json(f.call("GET", "/api/v1/app/" + app + "/msg"));
    REQUIRE(listed["data"].size() == 2);
    CHECK(listed["data"][0]["id"] == own.id); // newest first
    // Filters read on until the page is full; `before` and `after` bound the walk.
    for (int i = 0; i < 5; ++i)
        REQUIRE(
            f.call("POST", "/api/v1/app/" + app + "/msg",
                   R"({"eventType":"bulk","payload":{},"channels":[")" + std::string(i % 2 ? "odd" : "even") + R"("]})")
                .status == 202);
    auto odd = f.json(f.call("GET", "/api/v1/app/" + app + "/msg?channel=odd&limit=2"));
    CHECK(odd["data"].size() == 2);
    auto bulk = f.json(f.call("GET", "/api/v1/app/" + app + "/msg?event_types=bulk,none&limit=50"));
    CHECK(bulk["data"].size() == 5);
    CHECK(bulk["done"] == true);
    CHECK(f.json(f.call("GET", "/api/v1/app/" + app + "/msg?before=2000-01-01T00:00:00Z"))["data"].empty());
    CHECK(f.json(f.call("GET", "/api/v1/app/" + app + "/msg?after=2000-01-01T00:00:00Z"))["data"].size() == 7);
    CHECK(f.call("GET", "/api/v1/app/" + app + "/msg?after=2000-01-01T-1:00:00Z").status == 422);
    auto attempts = f.json(f.call("GET", "/api/v1/app/" + app + "/attempt/msg/" + id));
    REQUIRE(attempts["data"].size() == 1);
    CHECK(attempts["data"][0]["status"] == 0);
    CHECK(attempts["data"][0]["responseStatusCode"] == 200);
    f.sender.stop();
}

TEST_CASE("management api: sync applies another process's endpoint changes; metrics count what happened",
          "[management]") {
    fixture f; // process one
    sender_type sender2{f.transport, fixed_schedule({}), f.store, sender_options{.workers = 1, .logger = nullptr}};
    api_type api2{
        sender2, basic_registry<memory_store>::open(f.store).value(), {.authoriser = token_authoriser{"t0k"}}};
    REQUIRE(api2.load());
    const std::string app = f.make_app();
    auto created = f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/h"})");
    const std::string ep = f.json(created)["id"];
    CHECK_FALSE(sender2.endpoint(ep)); // not yet
    CHECK(api2.sync().value() == 1);
    REQUIRE(sender2.endpoint(ep));
    CHECK(api2.sync().value() == 0); // each change once
    REQUIRE(f.call("PATCH", "/api/v1/app/" + app + "/endpoint/" + ep, R"({"url":"https://a.example/v2"})").status ==
            200);
    CHECK(api2.sync().value() == 1);
    CHECK(sender2.endpoint(ep)->config.url == "https://a.example/v2");
    REQUIRE(f.call("DELETE", "/api/v1/app/" + app + "/endpoint/" + ep).status == 204);
    CHECK(api2.sync().value() == 1);
    CHECK_FALSE(sender2.endpoint(ep));
    CHECK(f.api.sync().value() == 0); // its own changes are applied already
    sender2.stop();
}

TEST_CASE("management api: a sync after a pause longer than changes are kept rereads the registry", "[management]") {
    test_support::manual_clock clock;
    memory_store store;
    test_support::fake_transport transport;
    auto make = [&](sender_type& s) {
        return api_type{s,
                        basic_registry<memory_store>::open(store, {.clock = clock}).value(),
                        {.authoriser = token_authoriser{"t"}, .logger = nullptr}};
    };
    sender_type s1{transport, fixed_schedule({}), store, sender_options{.workers = 1, .logger = nullptr}};
    sender_type s2{transport, fixed_schedule({}), store, sender_options{.workers = 1, .logger = nullptr}};
    auto a1 = make(s1), a2 = make(s2);
    const header_map auth{{"Authorization", "Bearer t"}};
    auto post = [&](api_type& api, std::string target, std::string body) {
        return nlohmann::json::parse(
            api.handle({.method = "POST", .target = target, .headers = auth, .body = body}).body);
    };
    const std::string app = post(a1, "/api/v1/app", R"({"name":"a"})")["id"];
    const std::string gone = post(a1, "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/1"})")["id"];
    REQUIRE(a2.sync()); // a2 has it
    REQUIRE(s2.endpoint(gone));
    clock.advance(std::chrono::hours(1)); // a2 sleeps; meanwhile one endpoint goes, one comes, and the rows expire
    REQUIRE(
        a1.handle({.method = "DELETE", .target = "/api/v1/app/" + app + "/endpoint/" + gone, .headers = auth}).status ==
        204);
    const std::string fresh = post(a1, "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/2"})")["id"];
    clock.advance(std::chrono::hours(1));
    REQUIRE(a1.sync()); // prunes the change rows
    REQUIRE(a2.sync());
    CHECK_FALSE(s2.endpoint(gone));
    CHECK(s2.endpoint(fresh));
    s1.stop();
    s2.stop();
}

TEST_CASE("management api: metrics count what happened", "[management]") {
    fixture f;
    const std::string app = f.make_app();

    REQUIRE(f.call("POST", "/api/v1/app/" + app + "/endpoint", R"({"url":"https://a.example/m"})").status == 201);
    f.transport.answer("https://a.example/m", 500);
    REQUIRE(f.call("POST", "/api/v1/app/" + app + "/msg", R"({"eventType":"a.b","payload":{}})").status == 202);
    CHECK(f.sender.drain(10s));
    auto text = f.call("GET", "/metrics").body;
    CHECK(text.find("# TYPE hookline_deliveries_total counter") != std::string::npos);
    CHECK(text.find("hookline_deliveries_total{outcome=\"exhausted\"} 1\n") != std::string::npos);
    CHECK(text.find("hookline_attempts_total 1\n") != std::string::npos);
    CHECK(text.find("hookline_attempt_duration_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
    CHECK(text.find("hookline_queue_depth{state=\"due\"} 0\n") != std::string::npos);
    CHECK(text.find("hookline_messages_accepted_total 1\n") != std::string::npos);
    CHECK(text.find("hookline_endpoints 1\n") != std::string::npos);
    f.sender.stop();
}
