// Handler-set responses (`webhook_event::reply`): body, content type and 2xx status from a handler in
// synchronous mode; ignored for failing handlers; impossible in asynchronous mode; Slack's
// `url_verification` challenge answered through a slack_receiver. No network.
#include "support/receiver_doubles.hpp"

#include <hookline/receiving/receiver.hpp>
#include <hookline/receiving/receivers.hpp>

#include <catch2/catch.hpp>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>

using namespace hookline;

namespace {
constexpr std::int64_t t0 = test_support::receiver_t0;
using signed_request = test_support::signed_event;
using test_support::fixed_clock;
const secret& key() { return test_support::receiver_key(); }

struct challenge_body {
    std::string challenge;
};
void from_json(const nlohmann::json& j, challenge_body& c) { j.at("challenge").get_to(c.challenge); }
} // namespace

TEST_CASE("reply: a handler sets the body and content type of the 200", "[receiver][reply]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    bool accepted = false;
    rx.on("order.created", [&](const webhook_event& e) {
        CHECK(e.accepts_reply());
        accepted = e.reply(R"({"order":"o_1"})", "application/json");
    });
    auto res = rx.handle(signed_request("order.created", "msg_1").view());
    CHECK(accepted);
    CHECK(res.status == 200);
    CHECK(res.body == R"({"order":"o_1"})");
    CHECK(res.headers.get("Content-Type") == "application/json");
    CHECK(res.headers.count("Content-Type") == 1);
}

TEST_CASE("reply: the default content type is plain text and the last reply wins", "[receiver][reply]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    rx.on_any([](const webhook_event& e) {
        CHECK(e.reply("first"));
        CHECK(e.reply("second"));
        REQUIRE(e.replied());
        CHECK(e.replied()->body == "second");
    });
    auto res = rx.handle(signed_request("a", "msg_1").view());
    CHECK(res.status == 200);
    CHECK(res.body == "second");
    CHECK(res.headers.get("Content-Type") == "text/plain; charset=utf-8");
}

TEST_CASE("reply: 201 and 202 carry a body and 204 carries none", "[receiver][reply]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    rx.on("created", [](const webhook_event& e) { CHECK(e.reply("made", "text/plain", 201)); });
    rx.on("accepted", [](const webhook_event& e) { CHECK(e.reply("later", "text/plain", 202)); });
    rx.on("empty", [](const webhook_event& e) { CHECK(e.reply("", "", 204)); });
    auto created = rx.handle(signed_request("created", "msg_1").view());
    CHECK(created.status == 201);
    CHECK(created.body == "made");
    auto accepted = rx.handle(signed_request("accepted", "msg_2").view());
    CHECK(accepted.status == 202);
    CHECK(accepted.body == "later");
    auto empty = rx.handle(signed_request("empty", "msg_3").view());
    CHECK(empty.status == 204);
    CHECK(empty.body.empty());
    CHECK_FALSE(empty.headers.contains("Content-Type"));
}

TEST_CASE("reply: unsafe or impossible replies are refused and the stock answer stays", "[receiver][reply]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    rx.on_any([](const webhook_event& e) {
        CHECK_FALSE(e.reply("x", "text/plain", 500));               // not a 2xx
        CHECK_FALSE(e.reply("x", "text/plain", 301));               // not a 2xx
        CHECK_FALSE(e.reply("x", "text/plain", 206));               // not one of 200/201/202/204
        CHECK_FALSE(e.reply("x", "", 204));                         // 204 has no body
        CHECK_FALSE(e.reply("x", ""));                              // no content type
        CHECK_FALSE(e.reply("x", "text/plain\r\nSet-Cookie: a=b")); // header splitting
        CHECK_FALSE(e.reply("x", "text/plain\n"));
        CHECK_FALSE(e.reply("x", "text/pl\xC3\xA4in")); // not ASCII
        CHECK_FALSE(e.reply(std::string(webhook_event::max_reply_size + 1, 'x')));
        CHECK_FALSE(e.replied());
    });
    auto res = rx.handle(signed_request("a", "msg_1").view());
    CHECK(res.status == 200);
    CHECK(res.body == "200 ok");
    CHECK(res.headers.get("Content-Type") == "text/plain; charset=utf-8");
}

TEST_CASE("reply: the largest allowed body is sent whole", "[receiver][reply]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    const std::string big(webhook_event::max_reply_size, 'b');
    rx.on_any([&](const webhook_event& e) { CHECK(e.reply(big)); });
    auto res = rx.handle(signed_request("a", "msg_1").view());
    CHECK(res.status == 200);
    CHECK(res.body == big);
}

TEST_CASE("reply: a failing handler's reply is discarded with 500", "[receiver][reply]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    rx.on("false", [](const webhook_event& e) {
        e.reply("should not be sent");
        return false;
    });
    rx.on("error", [](const webhook_event& e) -> result<void> {
        e.reply("should not be sent");
        return errc::handler_failed;
    });
    rx.on("throw", [](const webhook_event& e) {
        e.reply("should not be sent");
        throw std::runtime_error("boom");
    });
    for (const char* type : {"false", "error", "throw"}) {
        auto res = rx.handle(signed_request(type, std::string("msg_") + type).view());
        CHECK(res.status == 500);
        CHECK(res.body == "500 handler failed");
    }
}

TEST_CASE("reply: a duplicate delivery gets the stock 200 duplicate", "[receiver][reply]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    int calls = 0;
    rx.on_any([&](const webhook_event& e) {
        ++calls;
        e.reply("first answer");
    });
    signed_request req("a", "msg_1");
    auto first = rx.handle(req.view());
    CHECK(first.body == "first answer");
    auto again = rx.handle(req.view());
    CHECK(again.status == 200);
    CHECK(again.body == "200 duplicate");
    CHECK(calls == 1);
}

TEST_CASE("reply: typed handlers reply through the event", "[receiver][reply]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    rx.on<challenge_body>("ping", [](const challenge_body& b, const webhook_event& e) { e.reply(b.challenge); });
    auto res = rx.handle(signed_request("ping", "msg_1", R"(,"challenge":"c-123")").view());
    CHECK(res.status == 200);
    CHECK(res.body == "c-123");
}

TEST_CASE("reply: the observer sees the replied status", "[receiver][reply]") {
    int observed = 0;
    standard_receiver rx(standard_verifier(key()),
                         fixed_clock({.observer = [&](const request_info& i) { observed = i.status; }}));
    rx.on_any([](const webhook_event& e) { e.reply("", "", 204); });
    CHECK(rx.handle(signed_request("a", "msg_1").view()).status == 204);
    CHECK(observed == 204);
}

TEST_CASE("reply: impossible in asynchronous mode where 202 was already sent", "[receiver][reply]") {
    std::mutex m;
    std::condition_variable cv;
    bool ran = false, accepted = true, can = true;
    {
        receiver_options o = fixed_clock();
        o.asynchronous = true;
        standard_receiver rx(standard_verifier(key()), o);
        rx.on_any([&](const webhook_event& e) {
            std::lock_guard lock(m);
            can = e.accepts_reply();
            accepted = e.reply("too late");
            ran = true;
            cv.notify_all();
        });
        auto res = rx.handle(signed_request("a", "msg_1").view());
        CHECK(res.status == 202);
        CHECK(res.body == "202 accepted");
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return ran; }));
    }
    CHECK_FALSE(can);
    CHECK_FALSE(accepted);
}

TEST_CASE("reply: a webhook_event made by hand records its reply for handler tests", "[receiver][reply]") {
    header_map h{{"X-Test", "1"}};
    webhook_event e("id", "type", std::nullopt, "{}", h);
    CHECK(e.headers().get("x-test") == "1");
    CHECK(e.reply("ok"));
    REQUIRE(e.replied());
    CHECK(e.replied()->status == 200);
    CHECK(e.replied()->content_type == "text/plain; charset=utf-8");
    webhook_event no_reply("id", "type", std::nullopt, "{}", h, false);
    CHECK_FALSE(no_reply.reply("ok"));
}

TEST_CASE("reply: a Slack receiver answers the url_verification challenge", "[receiver][reply][slack]") {
    const secret slack_secret = secret::from_bytes("8f742231b10e8888abcd99yyyzzz85a5").value();
    slack_receiver rx(slack_verifier(slack_secret), fixed_clock());
    rx.on("url_verification",
          [](const webhook_event& e) { return e.reply(e.json().at("challenge").get<std::string>()); });
    rx.on("event_callback", [](const webhook_event&) {});
    const std::string body =
        R"({"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",)"
        R"("type":"url_verification"})";
    header_map h = slack_signer(slack_secret).sign({.id = "", .body = body, .timestamp = t0}).value();
    h.add("Content-Type", "application/json");
    auto res = rx.handle({.method = "POST", .target = "/slack/events", .headers = h, .body = body});
    CHECK(res.status == 200);
    CHECK(res.body == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    CHECK(res.headers.get("Content-Type") == "text/plain; charset=utf-8");

    // The same challenge with a bad signature is refused before any handler runs.
    header_map forged = h;
    forged.set("X-Slack-Signature", "v0=" + std::string(64, '0'));
    auto refused = rx.handle({.method = "POST", .target = "/slack/events", .headers = forged, .body = body});
    CHECK(refused.status == 401);
    CHECK(refused.body.find("3eZbrw") == std::string::npos);
}
