// The measured server: a hookline Standard Webhooks receiver (verify, parse, dispatch to an empty
// handler) mounted with the cpp-httplib adapter, or on the Boost.Beast server.
//   receiver_server SECRET [dedup] [--server=httplib|httplib-default|beast] [--io-threads=N]
//                   [--workers=N] [--inline]
//   receiver_server SECRET --sign BODY_FILE   (prints the headers signing BODY_FILE, id msg_bench)
// Without "dedup" the null store is used, since wrk repeats one signed request (with de-duplication
// on, every request after the first is a duplicate: verified and acknowledged, not dispatched).
// --server=httplib (the default): bench::configure's settings (64 threads, long keep-alive);
// httplib-default: a default httplib::Server as the README's receiver has (plus TCP_NODELAY);
// beast: the Boost.Beast adapter with its default options (built with hookline::beast only), or with
// --io-threads, --workers (the handler pool's threads) or --inline (handlers on the I/O thread).
#include "common.hpp"

#include <hookline/hookline.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

struct beast_flags {
    int io_threads = 0; // 0: the default
    int workers = 0;
    bool inline_handlers = false;
};

template <class Receiver>
int run(Receiver& rx, std::string_view server_kind, [[maybe_unused]] beast_flags flags) {
    rx.on_any([](const hookline::webhook_event&) {});
    bench::raise_nofile();
    if (server_kind == "beast") {
#ifdef HOOKLINE_BENCH_BEAST
        hookline::beast_server_options options;
        if (flags.io_threads > 0) options.io_threads = static_cast<std::size_t>(flags.io_threads);
        if (flags.workers > 0) options.workers.threads = static_cast<std::size_t>(flags.workers);
        options.inline_handlers = flags.inline_handlers;
        return bench::serve_beast(rx, std::move(options));
#else
        std::cerr << "built without hookline::beast\n";
        return 2;
#endif
    }
    httplib::Server server;
    if (server_kind == "httplib-default") {
        server.set_tcp_nodelay(true);
    } else {
        bench::configure(server);
    }
    hookline::mount(server, rx, "/webhooks");
    return bench::serve(server);
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    auto key = hookline::secret::parse(argv[1]);
    if (!key) return 2;
    if (argc > 3 && std::string_view(argv[2]) == "--sign") {
        std::ifstream f(argv[3], std::ios::binary);
        const std::string body{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
        auto h =
            hookline::standard_signer(*key).sign({.id = "msg_bench", .body = body, .timestamp = hookline::unix_now()});
        if (!h) return 1;
        for (const auto& field : *h) std::cout << field.name << ": " << field.value << "\n";
        return 0;
    }
    hookline::standard_verifier verifier(*key, {.tolerance = std::chrono::hours(1)});
    bool dedup = false;
    std::string_view server_kind = "httplib";
    beast_flags flags;
    auto number = [](std::string_view text) { return std::atoi(std::string(text).c_str()); };
    for (int i = 2; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "dedup") {
            dedup = true;
        } else if (a.starts_with("--server=")) {
            server_kind = a.substr(9);
        } else if (a.starts_with("--io-threads=")) {
            flags.io_threads = number(a.substr(13));
        } else if (a.starts_with("--workers=")) {
            flags.workers = number(a.substr(10));
        } else if (a == "--inline") {
            flags.inline_handlers = true;
        } else {
            return 2;
        }
    }
    if (dedup) {
        hookline::standard_receiver rx(verifier);
        return run(rx, server_kind, flags);
    }
    hookline::basic_receiver<hookline::standard_verifier, hookline::null_dedup_store> rx(verifier);
    return run(rx, server_kind, flags);
}
