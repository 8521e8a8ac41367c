// Checks every receiver adapter passes the same way, over a cpp-httplib client against a server with a
// `standard_receiver` on `receiver_key()` mounted at /webhooks.
#pragma once

#include "support/signed_http.hpp"

#include <hookline/receiving/receiver.hpp>

#include <catch2/catch.hpp>
#include <httplib.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace test_support {

inline const std::string invoice_body = R"({"type":"invoice.paid","data":{}})";

/// The event types a receiver dispatched, recorded from its handler threads.
class type_log {
public:
    template <class Receiver>
    explicit type_log(Receiver& rx) {
        rx.on_any([this](const hookline::webhook_event& e) {
            std::lock_guard lock(m_);
            types_.push_back(e.type);
        });
    }
    std::vector<std::string> types() {
        std::lock_guard lock(m_);
        return types_;
    }

private:
    std::mutex m_;
    std::vector<std::string> types_;
};

/// The responses `check_statuses` leaves for adapter-specific checks.
struct status_replies {
    httplib::Result ok;
    httplib::Result not_found;
};

/// The statuses every adapter answers alike: 200 for a signed POST, "200 duplicate" when it is posted
/// again (to `dup_target`), 401 forged, 415 for another Content-Type, 405 with Allow for GET, 404 elsewhere.
inline status_replies check_statuses(httplib::Client& c, const std::string& dup_target = "/webhooks") {
    const auto& body = invoice_body;
    auto ok = c.Post("/webhooks", signed_headers("msg_a", body), body, "application/json");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    auto dup = c.Post(dup_target, signed_headers("msg_a", body), body, "application/json");
    REQUIRE(dup);
    CHECK(dup->status == 200);
    CHECK(dup->body == "200 duplicate");
    auto forged = c.Post("/webhooks", signed_headers("msg_b", body), body + " ", "application/json");
    REQUIRE(forged);
    CHECK(forged->status == 401);
    CHECK(forged->body == "401 no matching signature");
    auto wrong_type = c.Post("/webhooks", signed_headers("msg_c", body), body, "text/plain");
    REQUIRE(wrong_type);
    CHECK(wrong_type->status == 415);
    auto get = c.Get("/webhooks");
    REQUIRE(get);
    CHECK(get->status == 405);
    CHECK(get->get_header_value("Allow") == "POST");
    auto other = c.Post("/elsewhere", body, "application/json");
    REQUIRE(other);
    CHECK(other->status == 404);
    return {std::move(ok), std::move(other)};
}

/// Handlers for `check_replies`: "ping" replies with JSON, "quiet" with an empty 204.
template <class Receiver>
void add_reply_handlers(Receiver& rx) {
    rx.on("ping", [](const hookline::webhook_event& e) { e.reply(R"({"pong":true})", "application/json"); });
    rx.on("quiet", [](const hookline::webhook_event& e) { e.reply("", "", 204); });
}

/// A handler's reply reaches the client with its Content-Type; a 204 with no body and no Content-Type.
inline void check_replies(httplib::Client& c) {
    const std::string ping = R"({"type":"ping"})";
    auto res = c.Post("/webhooks", signed_headers("msg_ping", ping), ping, "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == R"({"pong":true})");
    CHECK(res->get_header_value("Content-Type") == "application/json");
    const std::string quiet = R"({"type":"quiet"})";
    auto none = c.Post("/webhooks", signed_headers("msg_quiet", quiet), quiet, "application/json");
    REQUIRE(none);
    CHECK(none->status == 204);
    CHECK(none->body.empty());
    CHECK_FALSE(none->has_header("Content-Type"));
}

/// Posts 25 signed events from each of 4 threads, each on a client from `make_client`; how many got 202.
inline int post_from_clients(const std::function<httplib::Client()>& make_client) {
    std::atomic<int> accepted{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
        clients.emplace_back([&, t] {
            auto c = make_client();
            for (int i = 0; i < 25; ++i) {
                const std::string body = R"({"type":"t"})";
                auto res = c.Post("/webhooks", signed_headers("m" + std::to_string(t) + "_" + std::to_string(i), body),
                                  body, "application/json");
                if (res && res->status == 202) ++accepted;
            }
        });
    for (auto& t : clients) t.join();
    return accepted;
}

} // namespace test_support
