// `hookline serve`: the delivery engine and the management API (Svix REST API) as one process, on the
// Boost.Beast server. serve.cpp parses the flags; serve_run.hpp runs it with one store type, compiled
// once per store (serve_memory.cpp, serve_sqlite.cpp, serve_postgres.cpp) so that no compile step
// builds two senders.
#pragma once

#include <cstdint>
#include <string>

namespace hookline_cli {

struct serve_input {
    std::string address = "127.0.0.1";
    std::uint16_t port = 8071;
    std::string store = "memory"; // memory | sqlite:FILE | postgres://... | postgresql://... | postgres:CONNINFO
    std::string pg_schema = "hookline";
    std::string token{};
    std::string secret_key{}; // 32 raw bytes, or empty
    bool allow_loopback = false;
    bool allow_private = false;
    std::size_t max_body = std::size_t{1024} * 1024;
};

int serve_memory(const serve_input& in);
int serve_sqlite(const serve_input& in);   // 3 when built without SQLite
int serve_postgres(const serve_input& in); // 3 when built without libpq

} // namespace hookline_cli
