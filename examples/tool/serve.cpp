// `hookline serve`: parses the flags, reads the token and the sealing key, and runs the service on
// the store named by --store (serve_run.hpp).
#include "args.hpp"
#include "serve_cmd.hpp"
#include "verbs.hpp"

#include <hookline/core/encoding.hpp>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace hookline_cli {

inline const char* const serve_help =
    R"(Usage: hookline serve [--listen HOST:PORT] [--store STORE] [--token TOKEN] [--secret-key-file FILE]
                      [--allow-loopback] [--allow-private] [--max-body BYTES]

Runs the delivery engine with a management API that speaks the Svix REST API (/api/v1/...): register
applications and endpoints, send messages, read attempts, with curl or the official Svix SDKs
(serverUrl = http://HOST:PORT). Prometheus metrics at GET /metrics. Stops on SIGTERM or Ctrl-C: no new
requests, deliveries in flight get 10 s, the rest are handed back to the store for the next start.
The first line printed says where it listens.

Options:
  --listen HOST:PORT      address to listen on (default: 127.0.0.1:8071; port 0 lets the system choose)
  --store STORE           memory (default: nothing survives a restart), sqlite:FILE (one process per
                          file), or PostgreSQL: a URL postgres://... or postgresql://..., or
                          postgres:CONNINFO with libpq's "key=value ..." form (several serve processes
                          on one database share the work)
  --pg-schema NAME        the PostgreSQL schema holding hookline's tables (default: hookline)
  --token TOKEN           the bearer token every API call must carry (default: $HOOKLINE_TOKEN; one of
                          the two is required)
  --secret-key-file FILE  32 bytes (raw, or 64 hex digits) that seal endpoint secrets in the store
                          (AES-256-GCM); a store sealed with one key refuses to open with another
  --allow-loopback        permit deliveries to 127.0.0.0/8 and ::1 (local testing; refused by default)
  --allow-private         permit deliveries to private and link-local networks (refused by default)
  --max-body BYTES        largest API request body; larger ones get 413 (default: 1048576)
  --help                  this text

Exit status: 0 after SIGTERM or Ctrl-C, 1 cannot open the store or listen, 2 usage error, 3 store
type not built in.
)";

namespace {

std::string read_key_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw usage_error("--secret-key-file: cannot read " + path);
    std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (text.size() == 32) return text;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    if (text.size() == 64)
        if (auto raw = hookline::hex_decode(text); raw && raw->size() == 32) return *raw;
    throw usage_error("--secret-key-file must hold 32 bytes, raw or as 64 hex digits");
}

} // namespace

int cmd_serve(const std::vector<std::string_view>& argv) {
    std::vector<flag_spec> specs = {{"--listen", "", true, false},          {"--store", "", true, false},
                                    {"--token", "", true, false},           {"--secret-key-file", "", true, false},
                                    {"--allow-loopback", "", false, false}, {"--allow-private", "", false, false},
                                    {"--max-body", "", true, false},        {"--pg-schema", "", true, false},
                                    {"--help", "-h", false, false}};
    parsed_args args(argv, specs);
    if (args.has("--help")) {
        std::cout << serve_help;
        return 0;
    }
    if (!args.positionals().empty()) throw usage_error("serve takes no positional arguments");
    serve_input in;
    if (auto l = args.get("--listen")) {
        const auto colon = l->rfind(':');
        if (colon == std::string::npos || colon == 0) throw usage_error("--listen must be HOST:PORT");
        in.address = l->substr(0, colon);
        if (in.address.size() > 2 && in.address.front() == '[' && in.address.back() == ']')
            in.address = in.address.substr(1, in.address.size() - 2);
        const long long port = parse_seconds("--listen port", l->substr(colon + 1));
        if (port > 65535) throw usage_error("--listen port must be 0..65535");
        in.port = static_cast<std::uint16_t>(port);
    }
    in.store = args.get("--store").value_or("memory");
    if (auto t = args.get("--token"))
        in.token = *t;
    else if (const char* env = std::getenv("HOOKLINE_TOKEN"))
        in.token = env;
    if (in.token.empty()) throw usage_error("a token is required: --token TOKEN or HOOKLINE_TOKEN");
    if (auto k = args.get("--secret-key-file")) in.secret_key = read_key_file(*k);
    in.allow_loopback = args.has("--allow-loopback");
    in.allow_private = args.has("--allow-private");
    if (auto b = args.get("--max-body")) {
        const long long n = parse_seconds("--max-body", *b);
        if (n < 1024) throw usage_error("--max-body must be at least 1024");
        in.max_body = static_cast<std::size_t>(n);
    }
    in.pg_schema = args.get("--pg-schema").value_or("hookline");
    if (args.has("--pg-schema") && !in.store.starts_with("postgres"))
        throw usage_error("--pg-schema needs a PostgreSQL --store");
    if (in.store == "memory") return serve_memory(in);
    if (in.store.starts_with("sqlite:")) {
        if (in.store.size() == 7) throw usage_error("--store sqlite: needs a file name");
        return serve_sqlite(in);
    }
    if (in.store.starts_with("postgres:")) return serve_postgres(in);
    if (in.store.starts_with("postgresql://")) return serve_postgres(in);
    throw usage_error("--store must be memory, sqlite:FILE, postgres://URL or postgres:CONNINFO");
}

} // namespace hookline_cli
