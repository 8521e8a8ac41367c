// The measured server: a hookline Standard Webhooks receiver (verify, parse, dispatch to an empty
// handler) mounted with the cpp-httplib adapter.
//   receiver_server SECRET [dedup]
//   receiver_server SECRET --sign BODY_FILE   (prints the headers signing BODY_FILE, id msg_bench)
// Without "dedup" the null store is used, since wrk repeats one signed request (with de-duplication
// on, every request after the first is a duplicate: verified and acknowledged, not dispatched).
#include "common.hpp"

#include <hookline/hookline.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <string_view>

template <class Receiver>
int run(Receiver& rx) {
    rx.on_any([](const hookline::webhook_event&) {});
    httplib::Server server;
    bench::configure(server);
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
    if (argc > 2 && std::string_view(argv[2]) == "dedup") {
        hookline::standard_receiver rx(verifier);
        return run(rx);
    }
    hookline::basic_receiver<hookline::standard_verifier, hookline::null_dedup_store> rx(verifier);
    return run(rx);
}
