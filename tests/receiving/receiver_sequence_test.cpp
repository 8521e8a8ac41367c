// The receiver's ordered-delivery check (`receiver_options::check_sequence`): in-order, ahead of a
// missing position (409 + Retry-After, handled once retried in order), stale positions (acknowledged,
// not dispatched), skipped positions, first sighting, malformed headers, unsigned requests, the check
// off by default, the refusals at construction, and the memory store's sequence table. No network.
#include <hookline/receiving/receiver.hpp>

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace hookline;

namespace {
constexpr std::string_view key_text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::int64_t t0 = 1700000000;

secret key() { return secret::parse(key_text).value(); }

/// A signed POST as an ordering sender makes it: the sequence headers sit beside the signed ones.
struct ordered_request {
    header_map headers;
    std::string body;

    ordered_request(const std::string& id, std::optional<std::uint64_t> n, std::optional<std::uint64_t> previous = {},
                    std::optional<std::string> ordering_key = "order_1", std::int64_t ts = t0)
        : body(R"({"type":"order.updated","data":{}})") {
        headers = standard_signer(key()).sign({.id = id, .body = body, .timestamp = ts}).value();
        headers.add("Content-Type", "application/json");
        if (ordering_key) headers.add("webhook-ordering-key", *ordering_key);
        if (n) headers.add("webhook-sequence", std::to_string(*n));
        if (previous) headers.add("webhook-sequence-previous", std::to_string(*previous));
    }
    request_view view() const { return {.method = "POST", .target = "/webhooks", .headers = headers, .body = body}; }
};

/// A receiver with the check on, a fixed clock, and its handler calls, outcomes and log lines recorded.
struct fixture {
    std::vector<std::string> handled; // message ids, in handling order
    std::vector<outcome> outcomes;
    std::vector<std::string> warnings;
    bool fail_next = false;
    standard_receiver rx;

    explicit fixture(bool check = true) : rx(standard_verifier(key()), options(check)) {
        rx.on_any([this](const webhook_event& e) {
            if (fail_next) {
                fail_next = false;
                return false;
            }
            handled.push_back(e.id);
            return true;
        });
    }
    receiver_options options(bool check) {
        receiver_options o;
        o.clock = [] { return t0; };
        o.check_sequence = check;
        o.observer = [this](const request_info& i) { outcomes.push_back(i.result); };
        o.logger = [this](log_level level, std::string_view line) {
            if (level == log_level::warning) warnings.emplace_back(line);
        };
        return o;
    }
    response send(const ordered_request& r) { return rx.handle(r.view()); }
    std::optional<std::uint64_t> last(std::string_view ordering_key = "order_1") {
        return rx.store().last_sequence(ordering_key, t0).value();
    }
};

/// A de-duplication store without sequences (as a custom store written before ordered delivery).
struct ids_only_store {
    result<claim_status> try_claim(std::string_view, std::int64_t) { return claim_status::acquired; }
    result<void> complete(std::string_view, std::int64_t) { return {}; }
    result<void> release(std::string_view) { return {}; }
};
static_assert(dedup_store<ids_only_store> && !sequence_store<ids_only_store>);
} // namespace

TEST_CASE("sequence: deliveries in order are handled and their positions recorded", "[receiver][sequence]") {
    fixture f;
    CHECK(f.send({"msg_1", 1, 0}).status == 200);
    CHECK(f.last() == 1u);
    CHECK(f.send({"msg_2", 2, 1}).status == 200);
    CHECK(f.send({"msg_3", 3, 2}).status == 200);
    CHECK(f.handled == std::vector<std::string>{"msg_1", "msg_2", "msg_3"});
    CHECK(f.last() == 3u);
    CHECK(f.warnings.empty());
}

TEST_CASE("sequence: a delivery ahead of a missing one gets 409 + Retry-After and is handled once retried in order",
          "[receiver][sequence]") {
    fixture f;
    REQUIRE(f.send({"msg_1", 1, 0}).status == 200);
    ordered_request third("msg_3", 3, 2);
    auto early = f.send(third);
    CHECK(early.status == 409);
    CHECK(early.headers.get("Retry-After") == "1");
    CHECK(f.outcomes.back() == outcome::out_of_order);
    CHECK(f.handled == std::vector<std::string>{"msg_1"});
    CHECK(f.last() == 1u);
    // Its id was not recorded as processed: the retry is judged again, not taken for a duplicate.
    CHECK(f.send(third).status == 409);
    REQUIRE(f.send({"msg_2", 2, 1}).status == 200);
    auto retried = f.send(third);
    CHECK(retried.status == 200);
    CHECK(retried.body == "200 ok");
    CHECK(f.handled == std::vector<std::string>{"msg_1", "msg_2", "msg_3"});
    CHECK(f.last() == 3u);
}

TEST_CASE("sequence: a missing webhook-sequence-previous means the position before", "[receiver][sequence]") {
    fixture f;
    REQUIRE(f.send({"msg_1", 1, 0}).status == 200);
    CHECK(f.send({"msg_3", 3}).status == 409); // previous taken as 2
    CHECK(f.send({"msg_2", 2}).status == 200);
    CHECK(f.send({"msg_3", 3}).status == 200);
}

TEST_CASE("sequence: a stale or repeated position is acknowledged without calling the handler",
          "[receiver][sequence]") {
    fixture f;
    REQUIRE(f.send({"msg_1", 1, 0}).status == 200);
    REQUIRE(f.send({"msg_2", 2, 1}).status == 200);
    REQUIRE(f.send({"msg_3", 3, 2}).status == 200);
    f.handled.clear();
    // An older position under a new id (the de-dup by id cannot catch it) would roll the state back.
    auto stale = f.send({"msg_2_again", 2, 1});
    CHECK(stale.status == 200);
    CHECK(stale.body == "200 stale sequence");
    CHECK(f.outcomes.back() == outcome::stale);
    CHECK(to_string(outcome::stale) == "stale");
    auto repeated = f.send({"msg_3_again", 3, 2});
    CHECK(repeated.status == 200);
    CHECK(f.handled.empty());
    CHECK(f.last() == 3u);
    REQUIRE(f.warnings.size() == 2);
    for (const auto& part : {"msg_2_again", "\"order_1\"", "sequence 2", "last processed 3"})
        CHECK(f.warnings[0].find(part) != std::string::npos);
    // A stale delivery is not retried by the sender (2xx): its id counts as processed.
    CHECK(f.send({"msg_2_again", 2, 1}).body == "200 duplicate");
    // The de-duplication by id still applies to handled positions too.
    CHECK(f.send({"msg_3", 3, 2}).body == "200 duplicate");
}

TEST_CASE("sequence: positions the sender skipped do not hold the key back", "[receiver][sequence]") {
    fixture f;
    REQUIRE(f.send({"msg_1", 1, 0}).status == 200);
    // 2 and 3 were exhausted and skipped by the sender: 4's previous is still 1.
    CHECK(f.send({"msg_4", 4, 1}).status == 200);
    CHECK(f.last() == 4u);
    CHECK(f.send({"msg_5", 5, 4}).status == 200);
    CHECK(f.handled == std::vector<std::string>{"msg_1", "msg_4", "msg_5"});
    // A skipped position that turns up later is stale.
    CHECK(f.send({"msg_2", 2, 1}).body == "200 stale sequence");
}

TEST_CASE("sequence: the first position seen for a key is accepted, keys are independent", "[receiver][sequence]") {
    fixture f;
    CHECK(f.send({"msg_a7", 7, 6, "order_a"}).status == 200); // tracking starts here
    CHECK(f.last("order_a") == 7u);
    CHECK(f.send({"msg_b1", 1, 0, "order_b"}).status == 200);
    CHECK(f.send({"msg_b3", 3, 2, "order_b"}).status == 409);
    CHECK(f.send({"msg_a8", 8, 7, "order_a"}).status == 200); // order_b's gap does not hold order_a
    // Without webhook-ordering-key: the default key "".
    CHECK(f.send({"msg_d5", 5, 4, std::nullopt}).status == 200);
    CHECK(f.last("") == 5u);
    CHECK(f.send({"msg_d4", 4, 3, std::nullopt}).body == "200 stale sequence");
    CHECK(f.last("order_b") == 1u);
}

TEST_CASE("sequence: a failed handler records nothing, so the retry is handled", "[receiver][sequence]") {
    fixture f;
    REQUIRE(f.send({"msg_1", 1, 0}).status == 200);
    f.fail_next = true;
    CHECK(f.send({"msg_2", 2, 1}).status == 500);
    CHECK(f.last() == 1u);
    CHECK(f.send({"msg_3", 3, 2}).status == 409);
    CHECK(f.send({"msg_2", 2, 1}).status == 200);
    CHECK(f.send({"msg_3", 3, 2}).status == 200);
    CHECK(f.handled == std::vector<std::string>{"msg_1", "msg_2", "msg_3"});
}

TEST_CASE("sequence: an event without a handler still moves its key on", "[receiver][sequence]") {
    receiver_options o;
    o.clock = [] { return t0; };
    o.check_sequence = true;
    standard_receiver rx(standard_verifier(key()), o);
    rx.on("invoice.paid", [](const webhook_event&) {});
    REQUIRE(rx.handle(ordered_request("msg_1", 1, 0).view()).body == "200 no handler");
    CHECK(rx.store().last_sequence("order_1", t0).value() == 1u);
    CHECK(rx.handle(ordered_request("msg_2", 2, 1).view()).body == "200 no handler"); // not 409
}

TEST_CASE("sequence: malformed sequence headers answer 400 and change nothing", "[receiver][sequence][bad-input]") {
    fixture f;
    REQUIRE(f.send({"msg_1", 1, 0}).status == 200);
    auto with = [](std::string_view name, std::string value) {
        ordered_request r("msg_bad", 2, 1);
        r.headers.set(name, std::move(value));
        return r;
    };
    for (const char* bad :
         {"", "x", "-1", "+2", "0", " 2", "2 ", "1.5", "0x2", "9223372036854775808", "99999999999999999999999"}) {
        INFO("webhook-sequence: '" << bad << "'");
        auto res = f.send(with("webhook-sequence", bad));
        CHECK(res.status == 400);
        CHECK(res.body == "400 malformed header");
    }
    for (const char* bad : {"", "x", "-1", "2", "3", "18446744073709551615"}) { // previous must be below 2
        INFO("webhook-sequence-previous: '" << bad << "'");
        CHECK(f.send(with("webhook-sequence-previous", bad)).body == "400 malformed header");
    }
    CHECK(f.send(with("webhook-ordering-key", std::string(257, 'k'))).status == 400);
    auto ctl = f.send(with("webhook-ordering-key", "order\x01"));
    CHECK(ctl.status == 400);
    CHECK(ctl.body == "400 " + make_error_code(errc::invalid_ordering_key).message());
    CHECK(f.send(with("webhook-ordering-key", std::string(256, 'k'))).status == 200); // the limit itself is fine
    ordered_request twice("msg_twice", 2, 1);
    twice.headers.add("webhook-sequence", "3");
    CHECK(f.send(twice).body == "400 duplicate header");
    CHECK(f.outcomes.back() == outcome::rejected);
    CHECK(f.handled == std::vector<std::string>{"msg_1", "msg_bad"});
    CHECK(f.last() == 1u);
    // The largest position accepted.
    CHECK(f.send({"msg_max", 9223372036854775807u, 1}).status == 200);
    CHECK(f.last() == 9223372036854775807u);
}

TEST_CASE("sequence: an unsigned or badly signed request never moves the state", "[receiver][sequence][bad-input]") {
    fixture f;
    REQUIRE(f.send({"msg_1", 1, 0}).status == 200);
    ordered_request forged("msg_9", 9, 1);
    forged.body = R"({"type":"order.updated","data":{"forged":true}})";
    CHECK(f.send(forged).status == 401);
    ordered_request unsigned_req("msg_9", 9, 1);
    unsigned_req.headers.erase("webhook-signature");
    CHECK(f.send(unsigned_req).status == 400); // missing signature header
    ordered_request expired("msg_9", 9, 1, "order_1", t0 - 3600);
    CHECK(f.send(expired).status == 401);
    // A malformed position behind a bad signature is a signature failure: nothing is read before it.
    ordered_request forged_malformed("msg_9", 9, 1);
    forged_malformed.headers.set("webhook-sequence", "junk");
    forged_malformed.headers.set("webhook-signature", "v1,AAAA");
    CHECK(f.send(forged_malformed).status == 401);
    CHECK(f.last() == 1u);
    CHECK(f.last("other") == std::nullopt);
    ordered_request forged_new_key("msg_9", 1, 0, "other");
    forged_new_key.headers.set("webhook-signature", "v1,AAAA");
    CHECK(f.send(forged_new_key).status == 401);
    CHECK(f.last("other") == std::nullopt);
    CHECK(f.handled == std::vector<std::string>{"msg_1"});
    // The genuine delivery of 2 is then handled as if nothing had happened.
    CHECK(f.send({"msg_2", 2, 1}).status == 200);
    CHECK(f.last() == 2u);
}

TEST_CASE("sequence: the check is off by default and the headers are then ignored", "[receiver][sequence]") {
    CHECK_FALSE(receiver_options{}.check_sequence);
    fixture f(false);
    CHECK(f.send({"msg_3", 3, 2}).status == 200); // would be accepted as first seen anyway
    CHECK(f.send({"msg_9", 9, 8}).status == 200); // ahead: no 409
    CHECK(f.send({"msg_1", 1, 0}).status == 200); // stale: still dispatched
    CHECK(f.send({"msg_x", std::nullopt, 0, std::string(300, 'k')}).status == 200);
    ordered_request junk("msg_junk", 1);
    junk.headers.set("webhook-sequence", "junk");
    CHECK(f.send(junk).status == 200);
    CHECK(f.handled.size() == 5);
    CHECK(f.last() == std::nullopt);
    CHECK(f.warnings.empty());
}

TEST_CASE("sequence: deliveries without webhook-sequence are handled as before", "[receiver][sequence]") {
    fixture f;
    REQUIRE(f.send({"msg_1", 5, 4}).status == 200);
    CHECK(f.send({"msg_plain", std::nullopt, 2}).status == 200); // a stray previous alone means nothing
    CHECK(f.send({"msg_plain", std::nullopt}).body == "200 duplicate");
    CHECK(f.last() == 5u);
}

TEST_CASE("sequence: the check is refused at construction where it cannot work", "[receiver][sequence]") {
    receiver_options on;
    on.check_sequence = true;
    auto invalid_option = [](const hookline::error& e) { return e.code() == make_error_code(errc::invalid_option); };
    using null_receiver = basic_receiver<standard_verifier, null_dedup_store>;
    using custom_receiver = basic_receiver<standard_verifier, ids_only_store>;
    CHECK_THROWS_MATCHES(null_receiver(standard_verifier(key()), on), hookline::error,
                         Catch::Predicate<hookline::error>(invalid_option));
    CHECK_THROWS_MATCHES(custom_receiver(standard_verifier(key()), on), hookline::error,
                         Catch::Predicate<hookline::error>(invalid_option));
    CHECK_NOTHROW(custom_receiver(standard_verifier(key()))); // a store without sequences still compiles and works
    receiver_options async = on;
    async.asynchronous = true;
    CHECK_THROWS_MATCHES(standard_receiver(standard_verifier(key()), async), hookline::error,
                         Catch::Predicate<hookline::error>(invalid_option));
    receiver_options negative = on;
    negative.sequence_retry_after = std::chrono::seconds(-1);
    CHECK_THROWS_AS(standard_receiver(standard_verifier(key()), negative), hookline::error);
}

TEST_CASE("sequence: receiver snippet of docs/receiver.md", "[receiver][sequence][docs]") {
    const secret key = ::key();
    std::vector<std::string> applied;
    auto apply_order_event = [&](const webhook_event& e) { applied.push_back(e.id); };
    // [snippet:check-sequence]
    hookline::standard_receiver receiver(hookline::standard_verifier(key),
                                         {.check_sequence = true, .sequence_retry_after = std::chrono::seconds(2)});
    receiver.on("order.*", [&](const hookline::webhook_event& e) { apply_order_event(e); });
    // [/snippet:check-sequence]
    const std::int64_t now = unix_now(); // the snippet uses the system clock
    CHECK(receiver.handle(ordered_request("msg_1", 1, 0, "order_1", now).view()).status == 200);
    auto ahead = receiver.handle(ordered_request("msg_3", 3, 2, "order_1", now).view());
    CHECK(ahead.status == 409);
    CHECK(ahead.headers.get("Retry-After") == "2");
    CHECK(applied == std::vector<std::string>{"msg_1"});
}

TEST_CASE("memory store: sequences keep the maximum, also under concurrent records", "[dedup][sequence]") {
    memory_dedup_store s;
    CHECK(s.last_sequence("k", 100).value() == std::nullopt);
    REQUIRE(s.record_sequence("k", 5, 100));
    REQUIRE(s.record_sequence("k", 3, 100)); // lower: kept at 5
    CHECK(s.last_sequence("k", 100).value() == 5u);
    REQUIRE(s.complete_with_sequence("msg_7", "k", 7, 100));
    CHECK(s.last_sequence("k", 100).value() == 7u);
    CHECK(s.try_claim("msg_7", 100).value() == claim_status::done);

    memory_dedup_store shared;
    std::vector<std::thread> threads;
    for (std::uint64_t t = 0; t < 4; ++t)
        threads.emplace_back([shared, t]() mutable {
            for (std::uint64_t i = 0; i < 500; ++i) {
                const std::uint64_t n = (i * 4 + t) % 1999 + 1; // every thread writes high and low values
                (void)shared.record_sequence("k", n, 100);
                (void)shared.record_sequence("k" + std::to_string(i % 7), n, 100);
            }
        });
    for (auto& t : threads) t.join();
    CHECK(shared.last_sequence("k", 100).value() == 1999u);
}

TEST_CASE("memory store: a key's position is forgotten after the TTL and within the size bound", "[dedup][sequence]") {
    memory_dedup_store s({.ttl = std::chrono::seconds(60), .max_entries = 2});
    REQUIRE(s.record_sequence("a", 4, 100));
    CHECK(s.last_sequence("a", 159).value() == 4u);
    CHECK(s.last_sequence("a", 160).value() == std::nullopt);
    REQUIRE(s.record_sequence("a", 2, 160)); // forgotten: replaced, not compared
    CHECK(s.last_sequence("a", 160).value() == 2u);
    REQUIRE(s.record_sequence("b", 1, 161));
    REQUIRE(s.record_sequence("a", 3, 162)); // "a" becomes the most recently updated
    REQUIRE(s.record_sequence("c", 1, 163)); // the bound evicts "b"
    CHECK(s.last_sequence("a", 163).value() == 3u);
    CHECK(s.last_sequence("b", 163).value() == std::nullopt);
    CHECK(s.last_sequence("c", 163).value() == 1u);
}
