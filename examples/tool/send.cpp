// hookline send: the command line (the delivery itself is in send_delivery.hpp).
#include "send.hpp"

#include "args.hpp"
#include "schemes.hpp"
#include "verbs.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace hookline_cli {

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
        in.wrap = !args.has("--raw");
        if (in.wrap && !nlohmann::json::accept(in.body))
            throw usage_error("the event data is not JSON (give --raw to send the body as it is)");
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
