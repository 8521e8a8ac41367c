// The framework-agnostic receiver core: statuses for every kind of bad input, dispatch by event type,
// typed handlers, de-duplication, failure handling and the observer hook. No network.
#include <hookline/receiving/receiver.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace hookline;

namespace {
constexpr std::string_view key_text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::int64_t t0 = 1700000000;

secret key() { return secret::parse(key_text).value(); }

/// A signed POST as a sender would make it.
struct signed_request {
    header_map headers;
    std::string body;
    std::string method = "POST";
    std::string target = "/webhooks";

    signed_request(std::string b, std::string id = "msg_1", std::int64_t ts = t0) : body(std::move(b)) {
        headers = standard_signer(key()).sign({.id = id, .body = body, .timestamp = ts}).value();
        headers.add("Content-Type", "application/json");
    }
    request_view view() const { return {.method = method, .target = target, .headers = headers, .body = body}; }
};

std::string body_of(std::string_view type, std::string_view extra = "") {
    return std::string(R"({"type":")") + std::string(type) + R"(","data":{"amount":42})" + std::string(extra) + "}";
}

receiver_options fixed_clock(receiver_options o = {}) {
    o.clock = [] { return t0; };
    return o;
}

struct invoice {
    std::string type;
    int amount = 0;
};
void from_json(const nlohmann::json& j, invoice& i) {
    j.at("type").get_to(i.type);
    j.at("data").at("amount").get_to(i.amount);
}
} // namespace

TEST_CASE("receiver: a signed request is dispatched to the exact handler with 200", "[receiver]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    std::vector<std::string> seen;
    rx.on("invoice.paid", [&](const webhook_event& e) { seen.push_back("exact " + e.id + " " + e.type); });
    rx.on("invoice.*", [&](const webhook_event&) { seen.push_back("prefix"); });
    rx.on_any([&](const webhook_event&) { seen.push_back("any"); });
    signed_request req(body_of("invoice.paid"));
    auto res = rx.handle(req.view());
    CHECK(res.status == 200);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0] == "exact msg_1 invoice.paid");
}

TEST_CASE("receiver: prefix wildcards and the catch-all pick the most specific handler", "[receiver]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    std::string last;
    rx.on("invoice.*", [&](const webhook_event&) { last = "invoice.*"; });
    rx.on("invoice.line.*", [&](const webhook_event&) { last = "invoice.line.*"; });
    rx.on("*", [&](const webhook_event&) { last = "*"; });
    CHECK(rx.handle(signed_request(body_of("invoice.created"), "a").view()).status == 200);
    CHECK(last == "invoice.*");
    CHECK(rx.handle(signed_request(body_of("invoice.line.created"), "b").view()).status == 200);
    CHECK(last == "invoice.line.*");
    CHECK(rx.handle(signed_request(body_of("customer.created"), "c").view()).status == 200);
    CHECK(last == "*");
    CHECK(rx.handle(signed_request(R"({"data":1})", "d").view()).status == 200);
    CHECK(last == "*"); // no type at all: only the catch-all applies
}

TEST_CASE("receiver: an event without a handler is acknowledged as unhandled", "[receiver]") {
    std::vector<outcome> outcomes;
    auto opts = fixed_clock();
    opts.observer = [&](const request_info& i) { outcomes.push_back(i.result); };
    standard_receiver rx(standard_verifier(key()), opts);
    rx.on("invoice.paid", [](const webhook_event&) {});
    auto res = rx.handle(signed_request(body_of("customer.created")).view());
    CHECK(res.status == 200);
    REQUIRE(outcomes.size() == 1);
    CHECK(outcomes[0] == outcome::unhandled);
}

TEST_CASE("receiver: typed handlers get the body converted with from_json", "[receiver]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    invoice got;
    std::string id;
    rx.on<invoice>("invoice.paid", [&](const invoice& i) { got = i; });
    rx.on<invoice>("invoice.sent", [&](const invoice& i, const webhook_event& e) {
        got = i;
        id = e.id;
    });
    CHECK(rx.handle(signed_request(body_of("invoice.paid"), "x").view()).status == 200);
    CHECK(got.type == "invoice.paid");
    CHECK(got.amount == 42);
    CHECK(rx.handle(signed_request(body_of("invoice.sent"), "y").view()).status == 200);
    CHECK(got.type == "invoice.sent");
    CHECK(id == "y");
    // A payload that does not fit the struct is a failed handler: 500, so a fixed handler can retry.
    auto res = rx.handle(signed_request(R"({"type":"invoice.paid","data":{}})", "z").view());
    CHECK(res.status == 500);
}

TEST_CASE("receiver: a handled id is acknowledged again without dispatch", "[receiver][dedup]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    int calls = 0;
    rx.on_any([&](const webhook_event&) { ++calls; });
    signed_request req(body_of("invoice.paid"), "msg_dup");
    CHECK(rx.handle(req.view()).status == 200);
    auto again = rx.handle(req.view());
    CHECK(again.status == 200);
    CHECK(again.body == "200 duplicate");
    CHECK(calls == 1);
    // A new delivery attempt of the same message (new timestamp and signature) is still a duplicate.
    CHECK(rx.handle(signed_request(body_of("invoice.paid"), "msg_dup", t0 + 10).view()).status == 200);
    CHECK(calls == 1);
}

TEST_CASE("receiver: a failed handler leaves the id unhandled so the retry is dispatched", "[receiver][dedup]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    int calls = 0;
    rx.on_any([&](const webhook_event&) {
        if (++calls == 1) throw std::runtime_error("database down: password=hunter2");
    });
    signed_request req(body_of("invoice.paid"), "msg_retry");
    auto first = rx.handle(req.view());
    CHECK(first.status == 500);
    CHECK(first.body.find("hunter2") == std::string::npos); // exception text is not sent back
    CHECK(rx.handle(req.view()).status == 200);
    CHECK(calls == 2);
    CHECK(rx.handle(req.view()).status == 200);
    CHECK(calls == 2);
}

TEST_CASE("receiver: handlers may report failure with false or a result", "[receiver]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    rx.on("a", [](const webhook_event&) { return false; });
    rx.on("b", [](const webhook_event&) -> result<void> { return errc::store_failure; });
    rx.on("c", [](const webhook_event&) { return true; });
    CHECK(rx.handle(signed_request(body_of("a"), "1").view()).status == 500);
    CHECK(rx.handle(signed_request(body_of("b"), "2").view()).status == 500);
    CHECK(rx.handle(signed_request(body_of("c"), "3").view()).status == 200);
}

TEST_CASE("receiver: signature and timestamp failures answer 401", "[receiver][bad-input]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    int calls = 0;
    rx.on_any([&](const webhook_event&) { ++calls; });
    signed_request tampered(body_of("invoice.paid"));
    tampered.body = body_of("invoice.paid", R"(,"x":1)");
    auto res = rx.handle(tampered.view());
    CHECK(res.status == 401);
    CHECK(res.body == "401 no matching signature");
    // Replayed timestamps: an old signed request is refused even with a fresh id.
    auto old = rx.handle(signed_request(body_of("a"), "old", t0 - 301).view());
    CHECK(old.status == 401);
    CHECK(old.body == "401 timestamp too old");
    CHECK(rx.handle(signed_request(body_of("a"), "new", t0 + 301).view()).status == 401);
    CHECK(calls == 0);
}

TEST_CASE("receiver: missing duplicated and malformed headers answer 400", "[receiver][bad-input]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    rx.on_any([](const webhook_event&) {});
    signed_request missing(body_of("a"));
    missing.headers.erase("webhook-signature");
    CHECK(rx.handle(missing.view()).body == "400 missing header");
    signed_request dup_sig(body_of("a"));
    dup_sig.headers.add("webhook-signature", "v1,AAAA");
    CHECK(rx.handle(dup_sig.view()).body == "400 duplicate header");
    signed_request dup_id(body_of("a"));
    dup_id.headers.add("webhook-id", "msg_other");
    CHECK(rx.handle(dup_id.view()).status == 400);
    signed_request bad_ts(body_of("a"));
    bad_ts.headers.set("webhook-timestamp", "x12");
    CHECK(rx.handle(bad_ts.view()).body == "400 malformed header");
    signed_request huge(body_of("a"));
    huge.headers.set("webhook-signature", std::string(1 << 20, 'A'));
    CHECK(rx.handle(huge.view()).status == 400);
    signed_request many(body_of("a"));
    std::string sigs;
    for (int i = 0; i < 10000; ++i) sigs += "v1,AAAA ";
    many.headers.set("webhook-signature", sigs);
    CHECK(rx.handle(many.view()).status == 401); // only the first 16 are looked at
}

TEST_CASE("receiver: bodies that are not JSON or truncated or invalid UTF-8 answer 400", "[receiver][bad-input]") {
    standard_receiver rx(standard_verifier(key()), fixed_clock());
    int calls = 0;
    rx.on_any([&](const webhook_event&) { ++calls; });
    for (std::string body :
         {std::string("not json"), std::string(R"({"type":"a","data":)"), std::string(""),
          std::string("{\"type\":\"\xff\xfe\"}"), std::string(100000, '['), std::string(R"({"type":"a"} trailing)")}) {
        auto res = rx.handle(signed_request(body).view());
        CHECK(res.status == 400);
        CHECK(res.body == "400 malformed body");
    }
    CHECK(calls == 0);
}

TEST_CASE("receiver: wrong path method size and content type", "[receiver][bad-input]") {
    auto opts = fixed_clock();
    opts.path = "/webhooks";
    opts.max_body_size = 64;
    standard_receiver rx(standard_verifier(key()), opts);
    rx.on_any([](const webhook_event&) {});
    signed_request wrong_path(body_of("a"));
    wrong_path.target = "/other";
    CHECK(rx.handle(wrong_path.view()).status == 404);
    signed_request with_query(body_of("a"), "q");
    with_query.target = "/webhooks?source=test";
    CHECK(rx.handle(with_query.view()).status == 200);
    signed_request get(body_of("a"));
    get.method = "GET";
    auto res = rx.handle(get.view());
    CHECK(res.status == 405);
    CHECK(res.headers.get("Allow") == "POST");
    auto big = rx.handle(signed_request(body_of("a", R"(,"pad":")" + std::string(100, 'x') + "\"")).view());
    CHECK(big.status == 413);
    signed_request small(body_of("a"), "declared");
    auto view = small.view();
    view.content_length = 1 << 30; // declared too large: refused without looking at the body
    CHECK(rx.handle(view).status == 413);
    signed_request form(body_of("a"), "form");
    form.headers.set("Content-Type", "application/x-www-form-urlencoded");
    CHECK(rx.handle(form.view()).status == 415);
    signed_request no_ct(body_of("a"), "noct");
    no_ct.headers.erase("Content-Type");
    CHECK(rx.handle(no_ct.view()).status == 415);
    signed_request charset(body_of("a"), "charset");
    charset.headers.set("Content-Type", "Application/JSON; charset=utf-8");
    CHECK(rx.handle(charset.view()).status == 200);
}

TEST_CASE("receiver: the content type check can be turned off", "[receiver]") {
    auto opts = fixed_clock();
    opts.content_type = "";
    standard_receiver rx(standard_verifier(key()), opts);
    rx.on_any([](const webhook_event&) {});
    signed_request form(body_of("a"));
    form.headers.erase("Content-Type");
    CHECK(rx.handle(form.view()).status == 200);
}

TEST_CASE("receiver: the observer sees outcome scheme type id and errors", "[receiver]") {
    std::vector<std::tuple<outcome, int, std::string, std::string, std::string, std::string>> log;
    auto opts = fixed_clock();
    opts.observer = [&](const request_info& i) {
        log.emplace_back(i.result, i.status, std::string(i.scheme), std::string(i.event_type), std::string(i.id),
                         std::string(i.detail));
        CHECK(i.latency.count() >= 0);
    };
    standard_receiver rx(standard_verifier(key()), opts);
    rx.on("boom", [](const webhook_event&) { throw std::runtime_error("kaput"); });
    rx.on_any([](const webhook_event&) {});
    (void)rx.handle(signed_request(body_of("invoice.paid"), "m1").view());
    (void)rx.handle(signed_request(body_of("invoice.paid"), "m1").view());
    (void)rx.handle(signed_request(body_of("boom"), "m2").view());
    signed_request forged(body_of("x"), "m3");
    forged.headers.set("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    (void)rx.handle(forged.view());
    REQUIRE(log.size() == 4);
    CHECK(log[0] == std::tuple(outcome::handled, 200, std::string("standard"), std::string("invoice.paid"),
                               std::string("m1"), std::string()));
    CHECK(std::get<0>(log[1]) == outcome::duplicate);
    CHECK(std::get<0>(log[2]) == outcome::failed);
    CHECK(std::get<1>(log[2]) == 500);
    CHECK(std::get<5>(log[2]) == "kaput");
    CHECK(std::get<0>(log[3]) == outcome::rejected);
    CHECK(std::get<1>(log[3]) == 401);
}

namespace {
/// A verifier whose scheme carries id and type in headers and no fields in the body (like GitHub).
struct header_scheme_verifier {
    static constexpr std::string_view scheme_name = "test-headers";
    static constexpr std::string_view body_id_field = "";
    static constexpr std::string_view body_type_field = "";
    result<verified_message> verify(const inbound_message& m, std::int64_t) const {
        if (m.headers.get("X-Token") != "good") return errc::no_matching_signature;
        return verified_message{std::string(m.headers.get_or("X-Id", "")), std::string(m.headers.get_or("X-Event", "")),
                                std::nullopt};
    }
};
/// A verifier that names nested body fields (JSON pointers) and sees the URL.
struct pointer_verifier {
    static constexpr std::string_view body_id_field = "/meta/event_id";
    static constexpr std::string_view body_type_field = "/meta/kind";
    mutable std::string* url_seen = nullptr;
    result<verified_message> verify(const inbound_message& m, std::int64_t) const {
        if (url_seen) *url_seen = std::string(m.url);
        return verified_message{};
    }
};
} // namespace

TEST_CASE("receiver: id and type can come from scheme headers and the body need not be JSON", "[receiver]") {
    basic_receiver<header_scheme_verifier> rx(header_scheme_verifier{}, fixed_clock());
    std::string type, id;
    rx.on("push", [&](const webhook_event& e) {
        type = e.type;
        id = e.id;
    });
    int typed_calls = 0;
    rx.on<nlohmann::json>("issues", [&](const nlohmann::json&) { ++typed_calls; });
    header_map h{{"X-Token", "good"}, {"X-Id", "d-1"}, {"X-Event", "push"}};
    CHECK(rx.handle({.method = "POST", .target = "/", .headers = h, .body = "payload=not-json"}).status == 200);
    CHECK(type == "push");
    CHECK(id == "d-1");
    // A typed handler needs JSON: a non-JSON body is malformed for it.
    header_map h2{{"X-Token", "good"}, {"X-Id", "d-2"}, {"X-Event", "issues"}};
    CHECK(rx.handle({.method = "POST", .target = "/", .headers = h2, .body = "payload=x"}).status == 400);
    CHECK(rx.handle({.method = "POST", .target = "/", .headers = h2, .body = "{}"}).status == 200);
    CHECK(typed_calls == 1);
    header_map bad{{"X-Token", "bad"}};
    CHECK(rx.handle({.method = "POST", .target = "/", .headers = bad, .body = ""}).status == 401);
}

TEST_CASE("receiver: without any id the body hash de-duplicates", "[receiver][dedup]") {
    basic_receiver<header_scheme_verifier> rx(header_scheme_verifier{}, fixed_clock());
    std::vector<std::string> ids;
    rx.on_any([&](const webhook_event& e) { ids.push_back(e.id); });
    header_map h{{"X-Token", "good"}};
    CHECK(rx.handle({.method = "POST", .target = "/", .headers = h, .body = "one"}).status == 200);
    CHECK(rx.handle({.method = "POST", .target = "/", .headers = h, .body = "one"}).status == 200);
    CHECK(rx.handle({.method = "POST", .target = "/", .headers = h, .body = "two"}).status == 200);
    REQUIRE(ids.size() == 2);
    CHECK(ids[0].starts_with("sha256:"));
    CHECK(ids[0].size() == 7 + 64);
    CHECK(ids[0] != ids[1]);
}

TEST_CASE("receiver: body fields may be JSON pointers and the public URL is passed on", "[receiver]") {
    std::string url;
    pointer_verifier v;
    v.url_seen = &url;
    auto opts = fixed_clock();
    opts.public_base_url = "https://example.com";
    basic_receiver<pointer_verifier> rx(v, opts);
    std::string type, id;
    rx.on_any([&](const webhook_event& e) {
        type = e.type;
        id = e.id;
    });
    header_map h;
    CHECK(rx.handle({.method = "POST",
                     .target = "/hooks?a=1",
                     .headers = h,
                     .body = R"({"meta":{"event_id":17,"kind":"order.created"}})"})
              .status == 200);
    CHECK(id == "17");
    CHECK(type == "order.created");
    CHECK(url == "https://example.com/hooks?a=1");
}

TEST_CASE("receiver: de-duplication can be turned off with the null store", "[receiver][dedup]") {
    basic_receiver<standard_verifier, null_dedup_store> rx(standard_verifier(key()), fixed_clock());
    int calls = 0;
    rx.on_any([&](const webhook_event&) { ++calls; });
    signed_request req(body_of("a"));
    CHECK(rx.handle(req.view()).status == 200);
    CHECK(rx.handle(req.view()).status == 200);
    CHECK(calls == 2);
}

TEST_CASE("receiver: a delivery of an id that is being handled answers 409", "[receiver][dedup]") {
    memory_dedup_store store;
    standard_receiver rx(standard_verifier(key()), fixed_clock(), store);
    rx.on_any([](const webhook_event&) {});
    REQUIRE(store.try_claim("msg_busy", t0).value() == claim_status::acquired);
    auto res = rx.handle(signed_request(body_of("a"), "msg_busy").view());
    CHECK(res.status == 409);
    CHECK(res.headers.contains("Retry-After"));
}

TEST_CASE("receiver: status mapping of error codes", "[receiver]") {
    CHECK(http_status_for(errc::missing_header) == 400);
    CHECK(http_status_for(errc::duplicate_header) == 400);
    CHECK(http_status_for(errc::timestamp_too_new) == 401);
    CHECK(http_status_for(errc::body_hash_mismatch) == 401);
    CHECK(http_status_for(errc::payload_too_large) == 413);
    CHECK(http_status_for(errc::unsupported_media_type) == 415);
    CHECK(http_status_for(errc::queue_full) == 503);
    CHECK(http_status_for(errc::missing_url) == 500);
    CHECK(http_status_for(std::make_error_code(std::errc::io_error)) == 500);
}
