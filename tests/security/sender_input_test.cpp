// Issue #17, "refuse what can never be delivered, at the door" (sender side): the rows of the issue's
// table, kept as regression tests. Before the fix each was accepted, and the undeliverable ones were
// then retried for days against the endpoint's health.
//
// What each row of the table gets now:
// - `send` with a message id, or a GitHub / Shopify event type, holding CR, LF or NUL:
//   `errc::invalid_message_id` / `errc::invalid_event_type`, nothing stored;
// - CR/LF in `sender_options.user_agent`: the constructor throws `errc::invalid_option` naming the field;
// - header values with `\x01`, `\x0b`, `\x7f`: refused by `add_endpoint`, `send` and both transports;
// - `add_endpoint` with a loopback or metadata URL under the default policy: `errc::address_refused`;
// - an attempt the transport refuses as invalid: failed at once, not retried, not counted.
#include "support/sender_doubles.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/signing/schemes.hpp>
#include <hookline/stores/memory_store.hpp>
#include <hookline/transports/curl_transport.hpp>
#include <hookline/transports/httplib_transport.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <system_error>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;
using test_support::fake_transport;
using test_support::manual_clock;
using test_support::signed_endpoint;

namespace {
sender_options quiet(const manual_clock& clock) {
    sender_options o;
    o.clock = clock;
    o.logger = nullptr;
    return o;
}

/// The characters of the table, and the rest of what a header value cannot hold.
const std::vector<std::string>& forbidden() {
    static const std::vector<std::string> all = {"\r",   "\n",  std::string(1, '\0'), "\r\n", "\x01", "\x0b",
                                                 "\x1f", "\x7f"};
    return all;
}

/// `send` refuses ids and types with a forbidden character, stores nothing, sends nothing; a clean
/// event still goes out, with its type in `type_header` when the scheme has one.
template <class Signer>
void check_send_refuses(const char* type_header) {
    fake_transport net;
    manual_clock clock;
    basic_sender<fake_transport, Signer, fixed_schedule, memory_store> sender(net, fixed_schedule{}, memory_store{},
                                                                              quiet(clock));
    REQUIRE(sender.add_endpoint("e", signed_endpoint("https://hooks.example/in")));
    for (const auto& bad : forbidden()) {
        CAPTURE(static_cast<int>(bad[0]));
        CHECK(sender.send(event{.type = "a.b", .payload = "{}", .id = "msg_1" + bad + "X-Injected: 1"}).error() ==
              errc::invalid_message_id);
        CHECK(sender.send(event{.type = "orders/create" + bad + "X-Injected: 1", .payload = "{}"}).error() ==
              errc::invalid_event_type);
    }
    auto stored = sender.deliveries({.limit = 100});
    REQUIRE(stored);
    CHECK(stored->empty());
    REQUIRE(sender.send(event{.type = "orders/create", .payload = "{}", .id = "msg_clean"}));
    REQUIRE(sender.drain(10s));
    auto seen = net.requests();
    REQUIRE(seen.size() == 1);
    if (type_header) CHECK(seen[0].headers.get(type_header) == "orders/create");
    for (const auto& h : seen[0].headers) CHECK(header_value_ok(h.value));
}
} // namespace

TEST_CASE("security: CR, LF and NUL in a message id are refused by send, before anything is stored", "[security]") {
    check_send_refuses<standard_signer>(nullptr);
}

TEST_CASE("security: CR, LF and NUL in a GitHub event type (X-GitHub-Event) are refused by send", "[security]") {
    check_send_refuses<github_signer>("X-GitHub-Event");
}

TEST_CASE("security: CR, LF and NUL in a Shopify topic (X-Shopify-Topic) are refused by send", "[security]") {
    check_send_refuses<shopify_signer>("X-Shopify-Topic");
}

TEST_CASE("security: CR/LF in sender_options.user_agent is refused when the sender is made", "[security]") {
    fake_transport net;
    manual_clock clock;
    for (std::string agent : {"hookline\r\nX-Injected: 1", "hookline\nX", "hookline\x01", "hookline\x7f"}) {
        auto o = quiet(clock);
        o.user_agent = agent;
        try {
            basic_sender<fake_transport, standard_signer, fixed_schedule, memory_store> sender(net, fixed_schedule{},
                                                                                               memory_store{}, o);
            FAIL("a sender was made");
        } catch (const std::system_error& e) {
            CHECK(e.code() == errc::invalid_option);
            CHECK(std::string(e.what()).find("sender_options.user_agent") != std::string::npos);
            CHECK(std::string(e.what()).find(agent) == std::string::npos); // the value is not echoed
        }
    }
    CHECK(net.requests().empty());
}

TEST_CASE("security: header values with \\x01, \\x0b, \\x7f never reach the wire", "[security]") {
    manual_clock clock;
    fake_transport net;
    basic_sender<fake_transport, standard_signer, fixed_schedule, memory_store> sender(net, fixed_schedule{},
                                                                                       memory_store{}, quiet(clock));
    const auto loopback = address_policy::with_allowed({"127.0.0.1/32"}).value();
    curl_transport curl({.addresses = loopback});
    httplib_transport httplib({.addresses = loopback});
    for (const char* bad : {"\x01", "\x0b", "\x7f"}) {
        CAPTURE(static_cast<int>(bad[0]));
        const std::string value = std::string("a") + bad + "b";
        // An endpoint's extra header: refused when it is added.
        auto c = signed_endpoint("https://hooks.example/in");
        c.headers.add("X-Tenant", value);
        CHECK(sender.add_endpoint("e", c).error() == errc::invalid_header_value);
        // Text that becomes a header value: refused by send.
        CHECK(sender.send(event{.type = "a.b", .payload = "{}", .id = value}).error() == errc::invalid_message_id);
        CHECK(sender.send(event{.type = value, .payload = "{}"}).error() == errc::invalid_event_type);
        // Either transport refuses such a request before connecting (port 9: nothing listens there).
        http_request r{.url = "http://127.0.0.1:9/in", .body = "{}"};
        r.headers.add("X-Tenant", value);
        CHECK(curl.send(r).error() == errc::invalid_argument);
        CHECK(httplib.send(r).error() == errc::invalid_argument);
    }
    CHECK(net.requests().empty());
}

TEST_CASE("security: add_endpoint refuses loopback and metadata addresses under the default policy", "[security]") {
    manual_clock clock;
    standard_sender sender(curl_transport{}, standard_schedule{}, memory_store{}, quiet(clock));
    for (const char* url : {"http://127.0.0.1:8080/hooks", "http://[::1]/hooks", "http://169.254.169.254/latest/",
                            "http://[fd00:ec2::254]/", "http://100.100.100.200/", "http://0.0.0.0/", "http://[::]/",
                            "http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/"}) {
        CAPTURE(url);
        CHECK(sender.add_endpoint("e", signed_endpoint(url)).error() == errc::address_refused);
    }
    // Decimal, hex, octal and short IPv4 forms are not URLs hookline accepts at all.
    for (const char* url : {"http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/",
                            "http://0xa9.0xfe.0xa9.0xfe/"}) {
        CAPTURE(url);
        CHECK(sender.add_endpoint("e", signed_endpoint(url)).error() == errc::invalid_url);
    }
    CHECK(sender.endpoint_ids().empty());
    // An allow-list that covers the metadata address's network still does not let it in.
    standard_sender allowing(curl_transport({.addresses = address_policy::with_allowed({"169.254.0.0/16"}).value()}),
                             standard_schedule{}, memory_store{}, quiet(clock));
    CHECK(allowing.add_endpoint("e", signed_endpoint("http://169.254.169.254/latest/")).error() ==
          errc::address_refused);
    REQUIRE(allowing.add_endpoint("link", signed_endpoint("http://169.254.10.10/hooks")));
    CHECK(allowing.update_endpoint("link", signed_endpoint("http://169.254.169.254/")).error() ==
          errc::address_refused);
}

TEST_CASE("security: an attempt refused as invalid is failed at once, not retried, not counted", "[security]") {
    fake_transport net;
    // What curl_transport and httplib_transport answer for a request they can never send.
    net.on("https://hooks.example/in",
           [](const test_support::seen_request&, int) -> result<http_response> { return errc::invalid_argument; });
    manual_clock clock;
    auto o = quiet(clock);
    o.disable_after_exhausted = 1;
    auto rec = std::make_shared<test_support::recorder>();
    auto reports = std::make_shared<std::vector<attempt_report>>();
    o.callbacks.on_attempt = [rec, reports](const attempt_report& r) { rec->update([&] { reports->push_back(r); }); };
    // The standard schedule: before the fix, 10 attempts over about 3 days.
    basic_sender<fake_transport, standard_signer, standard_schedule, memory_store> sender(net, standard_schedule{},
                                                                                          memory_store{}, o);
    REQUIRE(sender.add_endpoint("e", signed_endpoint("https://hooks.example/in")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}"}));
    REQUIRE(rec->wait([&] { return !reports->empty(); }));
    for (int day = 0; day < 4; ++day) { // a retry, if one were scheduled, would come due
        clock.advance(24h);
        sender.wake();
        REQUIRE(sender.drain(10s));
    }
    CHECK(net.count("https://hooks.example/in") == 1);
    const auto all = rec->read([&] { return *reports; });
    REQUIRE(all.size() == 1);
    CHECK(all[0].status == delivery_status::failed);
    CHECK(all[0].attempt.error == errc::invalid_argument);
    CHECK_FALSE(all[0].next_attempt_at);
    const auto info = sender.endpoint("e");
    REQUIRE(info);
    CHECK(info->state.failing_since == 0);
    CHECK(info->state.exhausted_count == 0);
    CHECK_FALSE(info->state.disabled);
}
