// hookline send: the command line (the delivery itself is in send_delivery.hpp).
#include "send.hpp"

#include "args.hpp"
#include "schemes.hpp"
#include "verbs.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookline_cli {

namespace detail {

static std::string describe_delay(std::int64_t ms) {
    std::ostringstream os;
    if (ms < 1000)
        os << ms << " ms";
    else if (ms < 120000)
        os << ms / 1000 << " s";
    else if (ms < 7200000)
        os << ms / 60000 << " min";
    else
        os << ms / 3600000 << " h";
    return os.str();
}

std::string attempt_line(const hookline::attempt_report& r, bool durable) {
    using namespace hookline;
    std::ostringstream line;
    line << "attempt " << r.attempt.number << ": ";
    if (r.attempt.status != 0)
        line << r.attempt.status;
    else
        line << r.attempt.error.message();
    char latency[32];
    std::snprintf(latency, sizeof latency, "%.1f ms", static_cast<double>(r.attempt.latency.count()) / 1000.0);
    line << " in " << latency;
    if (r.next_attempt_at) {
        const auto now =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        line << "; next attempt in " << describe_delay(std::max<std::int64_t>(0, *r.next_attempt_at - now));
    }
    if (durable) line << " (" << r.message_id << ")";
    return line.str();
}

std::optional<std::string> give_up_reason(const hookline::attempt_report& r) {
    using namespace hookline;
    std::optional<std::string> why;
    if (r.status == delivery_status::failed)
        why = r.attempt.status == 410 ? std::string("gave up: the endpoint answered 410 Gone")
                                      : "gave up: refused as invalid (" + r.attempt.error.message() + ")";
    if (r.status == delivery_status::exhausted) {
        if (r.attempt.error == errc::address_refused)
            why = "gave up: destination address refused (private or loopback; see --allow-private)";
        else if (r.attempt.error == errc::invalid_url)
            why = "gave up: invalid URL";
        else
            why = "gave up: retries exhausted (last: " +
                  (r.attempt.status ? std::to_string(r.attempt.status) : r.attempt.error.message()) + ")";
    }
    return why;
}

} // namespace detail

int cmd_send(const std::vector<std::string_view>& argv) {
    std::vector<flag_spec> specs = {
        {"--secret", "", true, true},          {"--type", "", true, false},    {"--data", "", true, false},
        {"--file", "", true, false},           {"--id", "", true, false},      {"--scheme", "", true, false},
        {"--retry-schedule", "", true, false}, {"--timeout", "", true, false}, {"--allow-private", "", false, false},
        {"--store", "", true, false},          {"--raw", "", false, false},    {"--help", "-h", false, false}};
    parsed_args args(argv, specs);
    if (args.has("--help")) {
        std::cout << send_help();
        return 0;
    }
    detail::send_input in;
    if (args.positionals().size() != 1) throw usage_error("expected exactly one URL");
    in.url = args.positionals()[0];
    in.type = args.get("--type").value_or("");
    if (in.type.empty()) throw usage_error("--type is required");
    if (args.has("--data") == args.has("--file")) throw usage_error("give exactly one of --data and --file");
    if (auto d = args.get("--data")) {
        in.body = *d;
    } else {
        auto f = *args.get("--file");
        if (f == "-") {
            in.body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        } else {
            std::ifstream file(f, std::ios::binary);
            if (!file) throw usage_error("cannot read " + f);
            in.body.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
        }
    }
    in.id = args.get("--id").value_or("");
    if (auto s = args.get("--retry-schedule")) in.schedule = detail::parse_schedule(*s);
    if (auto t = args.get("--timeout")) {
        auto secs = parse_seconds("--timeout", *t);
        if (secs == 0) throw usage_error("--timeout must be at least 1 second");
        in.timeout = std::chrono::seconds(secs);
    }
    in.allow_private = args.has("--allow-private");
    in.store_path = args.get("--store").value_or("");
    const std::string scheme = args.get("--scheme").value_or("standard");
    scheme_input si;
    si.secrets = args.all("--secret");
    if (si.secrets.empty()) throw usage_error("--secret is required");
    if (scheme == "standard") {
        if (!args.has("--raw")) {
            auto data = nlohmann::json::parse(in.body, nullptr, false);
            if (data.is_discarded())
                throw usage_error("the event data is not JSON (give --raw to send the body as it is)");
            in.data = std::move(data);
        }
        in.secrets = standard_secrets(si);
        return detail::run_send<hookline::standard_signer>(in);
    }
    in.secrets = plain_secrets(si);
    if (scheme == "stripe") return detail::run_send<hookline::stripe_signer>(in);
    if (scheme == "shopify") return detail::run_send<hookline::shopify_signer>(in);
    if (scheme == "square") return detail::run_send<hookline::square_signer>(in);
    if (scheme == "twilio") return detail::run_send<hookline::twilio_signer>(in);
    if (scheme == "github") return detail::run_send<hookline::github_signer>(in);
    if (scheme == "slack") return detail::run_send<hookline::slack_signer>(in);
    throw usage_error("unknown scheme '" + scheme + "' for send");
}

} // namespace hookline_cli
