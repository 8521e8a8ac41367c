// hookline send: what the command line (send.cpp) and the delivery (send_delivery.hpp, instantiated
// once per store in its own translation unit: send_memory.cpp, send_sqlite.cpp) share. One sender
// type per store serves every scheme (any_signer.hpp), and no compile step builds more than one sender.
#pragma once

#include "any_signer.hpp"
#include "args.hpp"

#include <hookline/core/secret.hpp>
#include <hookline/sending/sender_options.hpp>
#include <hookline/signing/schemes.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace hookline_cli {

inline std::string send_help() {
    return "Usage: hookline send URL --secret SECRET --type TYPE (--data JSON | --file FILE) [--raw] [--id ID]\n"
           "                     [--scheme SCHEME] [--retry-schedule SECONDS,SECONDS,...] [--timeout SECONDS]\n"
           "                     [--allow-private] [--store FILE.db]\n\n"
           "Signs one event and delivers it to URL with hookline's delivery engine, printing each attempt\n"
           "(status, latency, when the next one is due) as it happens. Exits 0 once a 2xx arrives; exits 1\n"
           "with the reason once it gives up (retries exhausted, 410 Gone, a refused address).\n\n"
           "The body: with --scheme standard (the default) the JSON of --data/--file is wrapped as the\n"
           "library's send does and Standard Webhooks recommends, {\"type\": TYPE, \"timestamp\": \"...Z\",\n"
           "\"data\": JSON}; --raw sends it as it is instead. The other schemes always send it as it is\n"
           "(their receivers expect the provider's own payload): github and shopify send TYPE in their\n"
           "event or topic header (X-GitHub-Event, X-Shopify-Topic); stripe, slack, square and twilio carry\n"
           "no type outside the body: put it in the payload you give (TYPE is then only shown in the output).\n\n"
           "Options:\n"
           "  --secret SECRET         signing key (repeat to sign with several); read as for 'hookline sign'\n"
           "  --type TYPE             event type (required)\n"
           "  --data JSON             the event data, given inline (see above for how it is sent)\n"
           "  --file FILE             the event data, read from FILE ('-' for standard input)\n"
           "  --raw                   send --data/--file as the whole body, unwrapped (the default for every\n"
           "                          scheme but standard); without it, standard needs the data to be JSON\n"
           "  --id ID                 message id (default: a random msg_... id), the same on every retry\n"
           "  --scheme SCHEME         " +
           std::string("standard (default), github, stripe, slack, shopify, square, twilio") +
           "\n"
           "  --retry-schedule LIST   seconds to wait before each retry, e.g. 0,5,30 (default: the Standard\n"
           "                          Webhooks schedule 5s,5m,30m,2h,5h,10h,14h,20h,24h); 'none' = no retry.\n"
           "                          429/502/503/504 and timeouts wait longer; Retry-After is honoured\n"
           "  --timeout SECONDS       whole-request timeout of each attempt (default: 15)\n"
           "  --allow-private         permit private, loopback and link-local destinations (refused by\n"
           "                          default as SSRF protection; cloud metadata addresses stay refused)\n"
           "  --store FILE.db         keep the event in an SQLite store (created if missing) instead of memory:\n"
           "                          it is on disk before delivery starts, and a later 'hookline send' with\n"
           "                          the same store and URL first delivers whatever an interrupted or killed\n"
           "                          run left pending. An --id the store already accepted is not sent again\n"
           "                          (reported as a duplicate, exit 0). With a store, the tool exits once\n"
           "                          nothing is pending for URL\n"
           "  --help                  this text\n\n"
           "Exit status: 0 delivered, 1 gave up, 2 usage error, 130 interrupted.\n";
}

namespace detail {

inline std::vector<std::chrono::milliseconds> parse_schedule(const std::string& text) {
    std::vector<std::chrono::milliseconds> out;
    if (text == "none") return out;
    std::stringstream ss(text);
    std::string item;
    while (std::getline(ss, item, ',')) out.push_back(std::chrono::seconds(parse_seconds("--retry-schedule", item)));
    if (out.empty()) throw usage_error("--retry-schedule takes seconds separated by commas, or 'none'");
    return out;
}

struct send_input {
    std::string url, type, body, id;
    std::vector<hookline::secret> secrets;
    std::optional<std::vector<std::chrono::milliseconds>> schedule;
    std::chrono::milliseconds timeout{15000};
    bool allow_private = false;
    /// When set, sent as `{"type", "timestamp", "data"}` (the library's JSON `send`) instead of `body`;
    /// parsed by send.cpp, so the delivery's translation units instantiate no JSON parser.
    std::optional<nlohmann::json> data;
    std::string store_path; ///< empty = memory
};

/// "attempt N: STATUS in LATENCY; next attempt in DELAY", as the tool prints each attempt.
std::string attempt_line(const hookline::attempt_report& r, bool durable);
/// Why the tool gives up after `r`, or none while the delivery goes on (or was delivered).
std::optional<std::string> give_up_reason(const hookline::attempt_report& r);

/// Sign and deliver `in` with a memory or SQLite store and the scheme `any_signer::choose` chose; the
/// exit status. Defined in send_memory.cpp and send_sqlite.cpp (one sender per translation unit).
int run_send_memory(const send_input& in);
int run_send_sqlite(const send_input& in);

/// Runs with `Signer` and the store --store asks for (memory when absent).
template <class Signer>
int run_send(const send_input& in) {
    any_signer::choose<Signer>();
    if (in.store_path.empty()) return run_send_memory(in);
#if HOOKLINE_CLI_SQLITE
    return run_send_sqlite(in);
#else
    throw usage_error("--store needs a hookline built with SQLite");
#endif
}

} // namespace detail

} // namespace hookline_cli
