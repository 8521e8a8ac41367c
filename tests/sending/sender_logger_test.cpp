// The sender's logger: one line per delivery that ends undelivered (refused, non-retryable, 410,
// retries exhausted), none for successes, and never a secret, a signature, a body or a URL's path or query.
#include "support/sender_doubles.hpp"

#include <hookline/core/logger.hpp>
#include <hookline/sending/sender.hpp>
#include <hookline/stores/memory_store.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace hookline;
using namespace std::chrono_literals;
using test_support::fake_transport;
using test_support::manual_clock;
using test_support::recorder;
using test_support::signed_endpoint;

namespace {
using test_sender = basic_sender<fake_transport, standard_signer, fixed_schedule, memory_store>;

/// The base64 of `sender_key()`, which no line may hold.
constexpr const char* key_base64 = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A logger that keeps its lines for the test, and the number of attempts the transport saw.
struct capture {
    std::shared_ptr<recorder> rec = std::make_shared<recorder>();
    std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
    std::shared_ptr<std::vector<attempt_report>> attempts = std::make_shared<std::vector<attempt_report>>();

    hookline::logger logger() const {
        auto self = *this;
        return [self](log_level level, std::string_view line) {
            CHECK(level == log_level::warning);
            self.rec->update([&] { self.lines->emplace_back(line); });
        };
    }
    std::function<void(const attempt_report&)> on_attempt() const {
        auto self = *this;
        return [self](const attempt_report& r) { self.rec->update([&] { self.attempts->push_back(r); }); };
    }
    bool wait_lines(std::size_t n) {
        return rec->wait([&] { return lines->size() >= n; });
    }
    bool wait_attempts(std::size_t n) {
        return rec->wait([&] { return attempts->size() >= n; });
    }
    std::vector<std::string> all() const {
        return rec->read([&] { return *lines; });
    }
};
/// No line holds the key, nor the signature of any request the transport saw.
void check_no_secrets(const std::vector<std::string>& lines, const fake_transport& net) {
    for (const auto& l : lines) CHECK(l.find(key_base64) == std::string::npos);
    for (const auto& r : net.requests()) {
        auto sig = r.headers.get("webhook-signature");
        REQUIRE(sig);
        for (const auto& l : lines) CHECK(l.find(std::string(sig->substr(3))) == std::string::npos);
    }
}
} // namespace

TEST_CASE("sender logger: the default writes to stderr; nullptr silences it", "[sender][logger]") {
    CHECK(static_cast<bool>(sender_options{}.logger));
    sender_options quiet{.logger = nullptr};
    CHECK_FALSE(static_cast<bool>(quiet.logger));
}

TEST_CASE("sender logger: a refused destination is logged once, a success never", "[sender][logger]") {
    fake_transport net;
    net.on("http://127.0.0.1:8080/hooks/secret-path?token=query-secret",
           [](const test_support::seen_request&, int) -> result<http_response> { return errc::address_refused; });
    manual_clock clock;
    capture cap;
    // No callbacks at all: the logger is the only one told.
    test_sender sender(net, fixed_schedule{{1s, 1s}}, memory_store{}, {.clock = clock, .logger = cap.logger()});
    REQUIRE(
        sender.add_endpoint("local", signed_endpoint("http://127.0.0.1:8080/hooks/secret-path?token=query-secret")));
    REQUIRE(sender.add_endpoint("fine", signed_endpoint("https://ok.example/hooks")));
    const std::string body = R"({"card":"4242-body-only"})";
    REQUIRE(sender.send(event{.type = "invoice.paid", .payload = body, .id = "msg_refused"}));
    REQUIRE(cap.wait_lines(1));
    // The delivery to "fine" may still be running: wait for it before counting.
    REQUIRE(net.events->wait([&] { return net.count("https://ok.example/hooks") == 1; }));
    REQUIRE(sender.send(event{.type = "invoice.paid", .payload = "{}", .id = "msg_second"}));
    REQUIRE(cap.wait_lines(2));
    REQUIRE(net.events->wait([&] { return net.count("https://ok.example/hooks") == 2; }));
    sender.stop(); // waits for the attempt in flight: every line it could log is in

    const auto lines = cap.all();
    REQUIRE(lines.size() == 2); // one per refused delivery; the successful ones said nothing
    const std::string& line = lines[0];
    CHECK(line.find("endpoint=local") != std::string::npos);
    CHECK(line.find("message=msg_refused") != std::string::npos);
    CHECK(line.find("type=invoice.paid") != std::string::npos);
    CHECK(line.find("attempts=1") != std::string::npos);
    CHECK(line.find(make_error_code(errc::address_refused).message()) != std::string::npos);
    CHECK(line.find("destination=http://127.0.0.1:8080") != std::string::npos);
    CHECK(line.find('\n') == std::string::npos);
    for (const auto& l : lines) {
        CHECK(l.find("secret-path") == std::string::npos);
        CHECK(l.find("query-secret") == std::string::npos);
        CHECK(l.find("4242-body-only") == std::string::npos);
    }
    check_no_secrets(lines, net); // nor the signature the refused request carried
}

TEST_CASE("sender logger: retries exhausted are logged once, after the last attempt", "[sender][logger]") {
    fake_transport net;
    net.answer("https://down.example/hooks", 503);
    manual_clock clock;
    capture cap;
    sender_options o{.clock = clock, .logger = cap.logger()};
    o.callbacks.on_attempt = cap.on_attempt(); // callbacks set: the logger is still told
    test_sender sender(net, fixed_schedule{{1s}}, memory_store{}, o);
    REQUIRE(sender.add_endpoint("down", signed_endpoint("https://down.example/hooks")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}", .id = "msg_x"}));
    REQUIRE(cap.wait_attempts(1));
    CHECK(cap.all().empty()); // a retry is coming: nothing to say yet
    clock.advance(1s);
    sender.wake();
    REQUIRE(cap.wait_lines(1));
    REQUIRE(cap.wait_attempts(2));
    sender.stop();
    const auto lines = cap.all();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("attempts=2") != std::string::npos);
    CHECK(lines[0].find("reason=HTTP 503") != std::string::npos);
    CHECK(lines[0].find("message=msg_x") != std::string::npos);
    CHECK(lines[0].find("destination=https://down.example:443") != std::string::npos);
    check_no_secrets(lines, net);
}

TEST_CASE("sender logger: 410 Gone is logged once, with the endpoint disabled", "[sender][logger]") {
    fake_transport net;
    net.answer("https://gone.example/hooks", 410);
    manual_clock clock;
    capture cap;
    test_sender sender(net, fixed_schedule{{1s, 1s}}, memory_store{}, {.clock = clock, .logger = cap.logger()});
    REQUIRE(sender.add_endpoint("gone", signed_endpoint("https://gone.example/hooks")));
    REQUIRE(sender.send(event{.type = "a.b", .payload = "{}", .id = "msg_gone"}));
    REQUIRE(cap.wait_lines(1));
    sender.stop();
    const auto lines = cap.all();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("410") != std::string::npos);
    CHECK(lines[0].find("endpoint disabled (gone)") != std::string::npos);
    check_no_secrets(lines, net);
}

TEST_CASE("sender logger: a line cannot be split by what an event carries", "[sender][logger]") {
    const std::string line = detail::undelivered_line({.message_id = "msg_1\nforged line",
                                                       .endpoint_id = "ep\r1",
                                                       .event_type = "a.b",
                                                       .url = "https://x.example/p?q=1",
                                                       .attempts = 1,
                                                       .error = errc::timeout});
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.find("msg_1?forged line") != std::string::npos);
    CHECK(line.find("p?q=1") == std::string::npos);
}

TEST_CASE("sender logger: a request refused as invalid is logged once, as failed and not retried", "[sender][logger]") {
    fake_transport net;
    net.on("https://ok.example/hooks",
           [](const test_support::seen_request&, int) -> result<http_response> { return errc::invalid_argument; });
    manual_clock clock;
    capture cap;
    sender_options o{.clock = clock, .logger = cap.logger()};
    o.callbacks.on_attempt = cap.on_attempt();
    test_sender sender(net, fixed_schedule{{1s, 1s}}, memory_store{}, o);
    REQUIRE(sender.add_endpoint("e", signed_endpoint("https://ok.example/hooks")));
    REQUIRE(sender.send(event{.type = "invoice.paid", .payload = "{}", .id = "msg_invalid"}));
    REQUIRE(cap.wait_lines(1));
    sender.stop();
    const auto lines = cap.all();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].starts_with("delivery failed (refused as invalid, not retried): endpoint=e message=msg_invalid"));
    CHECK(lines[0].find("reason=" + make_error_code(errc::invalid_argument).message()) != std::string::npos);
    CHECK(cap.rec->read([&] { return cap.attempts->size(); }) == 1);
    CHECK(net.count("https://ok.example/hooks") == 1);
}
