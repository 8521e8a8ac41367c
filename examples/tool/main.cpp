// hookline: sign and verify webhooks from the command line.
//   hookline sign   --scheme S --secret K [--id ID] [--timestamp UNIX] [--url URL] [--type TYPE] [BODY_FILE]
//   hookline verify --scheme S --secret K [--secret K...] -H "Name: value"... [--tolerance S] [--now UNIX] [BODY_FILE]
// Each verb's --help lists the schemes and what their --secret is (see schemes.hpp).
#include "args.hpp"
#include "schemes.hpp"
#include "verbs.hpp"

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/headers.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace hookline_cli {
namespace {

std::string scheme_list() {
    std::string out;
    for (const auto& s : schemes()) {
        if (!out.empty()) out += '|';
        out.append(s.name);
    }
    return out;
}

/// The names of the schemes with `trait`, as "a, b and c".
std::string schemes_with(unsigned trait) {
    std::vector<std::string_view> names;
    for (const auto& s : schemes())
        if (s.traits & trait) names.push_back(s.name);
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out.append(i + 1 == names.size() ? " and " : ", ");
        out.append(names[i]);
    }
    return out;
}

/// The "Schemes:" section of sign's and verify's --help: each scheme with what its --secret is.
std::string schemes_help(bool sign) {
    std::string out = "Schemes: --scheme NAME, and what --secret is for it\n";
    constexpr std::size_t indent = 16, width = 100;
    for (const auto& s : schemes()) {
        std::string line = "  ";
        line.append(s.name);
        line.resize(std::max(line.size() + 1, indent), ' ');
        std::string_view words = s.secret_help;
        while (!words.empty()) { // wrap at `width` columns, continuing under the text
            std::size_t end = words.find(' ');
            std::string_view word = words.substr(0, end);
            words = end == std::string_view::npos ? std::string_view{} : words.substr(end + 1);
            if (line.size() > indent && line.size() + 1 + word.size() > width) {
                out.append(line).push_back('\n');
                line.assign(indent, ' ');
            }
            if (line.size() > indent && line.back() != ' ') line.push_back(' ');
            line.append(word);
        }
        out.append(line).push_back('\n');
    }
    out += "\n--url is required by " + schemes_with(needs_url) + " (the URL they sign).\n";
    if (sign) out += "--type is sent by " + schemes_with(uses_type) + " (as the event type or topic header).\n";
    out += "--token-header and --token-prefix apply to shared_token only.\n";
    return out;
}

const char* const main_help = R"(hookline - sign, verify, send and receive webhooks

Usage: hookline <verb> [options]

Verbs:
  sign      print the headers that sign a body
  verify    check a received request's signature headers against a body
  send      sign one event and deliver it to a URL, retrying as the library does
  demo      run a sender and receivers on 127.0.0.1 and show every event arrive once
  listen    run a receiver on 127.0.0.1 and print each event and rejection (local development)
  serve     run the delivery engine with a Svix-compatible management API (a webhook service)

Run 'hookline <verb> --help' for a verb's options. 'hookline --version' prints the version.
)";

std::string sign_help() {
    return "Usage: hookline sign --scheme SCHEME --secret SECRET [--secret SECRET...] [--id ID]\n"
           "                     [--timestamp UNIX] [--url URL] [--type TYPE] [-H \"Name: value\"...]\n"
           "                     [--token-header NAME] [--token-prefix PREFIX] [BODY_FILE]\n\n"
           "Prints the headers to send with BODY_FILE (standard input when absent or '-'), one\n"
           "'Name: value' a line.\n\n"
           "Options:\n"
           "  --scheme SCHEME        " +
           scheme_list() +
           " (default: standard)\n"
           "  --secret SECRET        signing key (see Schemes below); repeat to sign with several keys\n"
           "                         (rotation) where the scheme's header holds several signatures\n"
           "  --id ID                message id (default: a random msg_... id)\n"
           "  --timestamp UNIX       signing time in Unix seconds (default: now)\n"
           "                         (signed by " +
           schemes_with(has_timestamp) +
           "; ignored by the others)\n"
           "  --url URL              the URL the request is sent to, for schemes that sign it\n"
           "  --type TYPE            event type, for schemes that send it in a header\n"
           "  --token-header NAME    shared_token: the header carrying the token (default: Authorization)\n"
           "  --token-prefix PREFIX  shared_token: text before the token (default: 'Bearer '; '' for none)\n"
           "  -H \"Name: value\"       a request header the scheme may look at (e.g. Content-Type)\n"
           "  --help                 this text\n\n" +
           schemes_help(true) +
           "\nExit status: 0 printed, 2 usage error (including an invalid secret or a missing --url).\n";
}

std::string verify_help() {
    return "Usage: hookline verify --scheme SCHEME --secret SECRET [--secret SECRET...] -H \"Name: value\"...\n"
           "                       [--tolerance SECONDS] [--now UNIX] [--url URL]\n"
           "                       [--token-header NAME] [--token-prefix PREFIX] [BODY_FILE]\n\n"
           "Checks the signature headers given with -H against BODY_FILE (standard input when absent or\n"
           "'-'). Prints 'ok' and exits 0 when valid; otherwise prints the failed check on one line\n"
           "(missing header, malformed header, duplicate header, no matching signature, timestamp too\n"
           "old, timestamp too new, ...) and exits 1.\n\n"
           "Options:\n"
           "  --scheme SCHEME        " +
           scheme_list() +
           " (default: standard)\n"
           "  --secret SECRET        a trusted key (see Schemes below); repeat for several (rotation)\n"
           "  -H \"Name: value\"       a received header; repeat for each\n"
           "  --tolerance SECONDS    accepted distance between the signed timestamp and now (default: 300)\n"
           "  --now UNIX             the current time in Unix seconds (default: the system clock)\n"
           "  --url URL              the public URL the request was sent to, for schemes that sign it\n"
           "  --token-header NAME    shared_token: the header carrying the token (default: Authorization)\n"
           "  --token-prefix PREFIX  shared_token: text before the token (default: 'Bearer '; '' for none)\n"
           "  --help                 this text\n\n"
           "--tolerance and --now apply to the schemes that sign a timestamp: " +
           schemes_with(has_timestamp) +
           ".\nThe other schemes sign no timestamp: for them both are accepted and ignored.\n\n" + schemes_help(false) +
           "\nExit status: 0 valid, 1 invalid, 2 usage error (including an invalid secret or a missing --url).\n";
}

std::string read_body(const std::vector<std::string>& positionals) {
    if (positionals.size() > 1) throw usage_error("expected at most one BODY_FILE");
    if (positionals.empty() || positionals[0] == "-") {
        std::ostringstream ss;
        ss << std::cin.rdbuf();
        return ss.str();
    }
    std::ifstream f(positionals[0], std::ios::binary);
    if (!f) throw usage_error("cannot read " + positionals[0]);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

hookline::header_map parse_headers(const std::vector<std::string>& raw) {
    hookline::header_map h;
    for (const auto& line : raw) {
        auto colon = line.find(':');
        if (colon == std::string::npos || colon == 0) throw usage_error("-H takes \"Name: value\"");
        h.add(std::string(hookline::detail::trim(std::string_view(line).substr(0, colon))),
              std::string(hookline::detail::trim(std::string_view(line).substr(colon + 1))));
    }
    return h;
}

long long parse_unix(std::string_view flag, const std::string& text) { return parse_seconds(flag, text); }

std::string random_id() {
    auto bytes = hookline::random_bytes(12).value();
    return "msg_" + hookline::hex_encode(bytes);
}

std::vector<flag_spec> common_flags() {
    return {{"--scheme", "", true, false},  {"--secret", "", true, true},        {"--url", "", true, false},
            {"--header", "-H", true, true}, {"--token-header", "", true, false}, {"--token-prefix", "", true, false},
            {"--help", "-h", false, false}};
}

/// The inputs every verb shares: secrets, URL, headers and token placement (the body is read last).
scheme_input common_input(const parsed_args& args, const scheme_entry& scheme) {
    scheme_input in;
    in.secrets = args.all("--secret");
    if (in.secrets.empty()) throw usage_error("--secret is required");
    in.url = args.get("--url").value_or("");
    if ((scheme.traits & needs_url) && in.url.empty())
        throw usage_error("--scheme " + std::string(scheme.name) + " needs --url");
    in.token_header = args.get("--token-header").value_or(in.token_header);
    in.token_prefix = args.get("--token-prefix").value_or(in.token_prefix);
    in.headers = parse_headers(args.all("--header"));
    return in;
}

int cmd_sign(const std::vector<std::string_view>& argv) {
    auto specs = common_flags();
    specs.push_back({"--id", "", true, false});
    specs.push_back({"--timestamp", "", true, false});
    specs.push_back({"--type", "", true, false});
    parsed_args args(argv, specs);
    if (args.has("--help")) {
        std::cout << sign_help();
        return 0;
    }
    const auto& scheme = find_scheme(args.get("--scheme").value_or("standard"));
    scheme_input in = common_input(args, scheme);
    in.id = args.get("--id").value_or(random_id());
    in.timestamp = args.has("--timestamp") ? parse_unix("--timestamp", *args.get("--timestamp")) : hookline::unix_now();
    in.event_type = args.get("--type").value_or("");
    in.body = read_body(args.positionals());
    auto headers = scheme.sign(in);
    if (!headers) throw usage_error("cannot sign: " + headers.error().message());
    for (const auto& h : *headers) std::cout << h.name << ": " << h.value << "\n";
    return 0;
}

int cmd_verify(const std::vector<std::string_view>& argv) {
    auto specs = common_flags();
    specs.push_back({"--tolerance", "", true, false});
    specs.push_back({"--now", "", true, false});
    parsed_args args(argv, specs);
    if (args.has("--help")) {
        std::cout << verify_help();
        return 0;
    }
    const auto& scheme = find_scheme(args.get("--scheme").value_or("standard"));
    scheme_input in = common_input(args, scheme);
    if (auto t = args.get("--tolerance")) in.tolerance = std::chrono::seconds(parse_seconds("--tolerance", *t));
    in.now = args.has("--now") ? parse_unix("--now", *args.get("--now")) : hookline::unix_now();
    in.body = read_body(args.positionals());
    auto verified = scheme.verify(in);
    if (!verified) {
        std::cout << verified.error().message() << "\n";
        return 1;
    }
    std::cout << "ok\n";
    return 0;
}

} // namespace
} // namespace hookline_cli

int main(int argc, char** argv) {
    using namespace hookline_cli;
    std::vector<std::string_view> args(argv + 1, argv + argc);
    try {
        if (args.empty()) {
            std::cerr << main_help;
            return 2;
        }
        std::string_view verb = args.front();
        std::vector<std::string_view> rest(args.begin() + 1, args.end());
        if (verb == "--help" || verb == "-h" || verb == "help") {
            std::cout << main_help;
            return 0;
        }
        if (verb == "--version") {
            std::cout << "hookline " << hookline::version_string << "\n";
            return 0;
        }
        if (verb == "sign") return cmd_sign(rest);
        if (verb == "verify") return cmd_verify(rest);
        if (verb == "send") return cmd_send(rest);
        if (verb == "demo") return cmd_demo(rest);
        if (verb == "listen") return cmd_listen(rest);
        if (verb == "serve") return cmd_serve(rest);
        throw usage_error("unknown verb '" + std::string(verb) + "' (run 'hookline --help')");
    } catch (const usage_error& e) {
        std::cerr << "hookline: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "hookline: " << e.what() << "\n";
        return 1;
    }
}
