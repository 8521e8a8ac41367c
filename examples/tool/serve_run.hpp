// `hookline serve` with one store type: the sender, the registry and the management API on a
// beast_server; `sync` every second (other processes' endpoint changes), graceful stop on SIGTERM or
// SIGINT (the server stops taking requests, in-flight deliveries get up to 10 s, the rest are handed
// back to the store).
#pragma once

#include "serve_cmd.hpp"

#include <hookline/management/api.hpp>
#include <hookline/sending/sender.hpp>
#include <hookline/serving/beast_server.hpp>

#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

namespace hookline_cli {

template <class Store>
int serve_with(const serve_input& in, Store store) {
    using namespace hookline;
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    curl_transport_options topts;
    std::vector<std::string> allowed;
    if (in.allow_loopback) allowed.insert(allowed.end(), {"127.0.0.0/8", "::1/128"});
    if (in.allow_private)
        allowed.insert(allowed.end(), {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                       "169.254.0.0/16", "fc00::/7", "fe80::/10"});
    if (!allowed.empty()) topts.addresses = address_policy::with_allowed(allowed).value();
    using sender_type = basic_sender<curl_transport, standard_signer, standard_schedule, Store>;
    sender_type sender(curl_transport(topts), standard_schedule(), store, sender_options{});
    auto registry = basic_registry<Store>::open(store, {.secret_key = in.secret_key});
    if (!registry) {
        std::cerr << "hookline serve: cannot open the registry: " << registry.error().message() << "\n";
        return 1;
    }
    basic_management_api<sender_type> api(sender, std::move(*registry),
                                          {.authoriser = token_authoriser{in.token}, .max_body_bytes = in.max_body});
    auto loaded = api.load();
    if (!loaded) {
        std::cerr << "hookline serve: cannot load the endpoints: " << loaded.error().message() << "\n";
        return 1;
    }
    beast_server server({.address = in.address,
                         .port = in.port,
                         .max_body_bytes = in.max_body,
                         .workers = {.threads = 4, .queue_capacity = 4096}});
    server.set_handler([&](const request_view& r) { return api.handle(r); });
    if (auto started = server.start(); !started) {
        std::cerr << "hookline serve: cannot listen on " << in.address << ":" << in.port << ": "
                  << started.error().message() << "\n";
        return 1;
    }
    const std::string host = in.address.find(':') != std::string::npos ? "[" + in.address + "]" : in.address;
    std::cout << "listening on http://" << host << ":" << server.port() << " (store "
              << in.store.substr(0, in.store.find(':')) << ", " << *loaded << " endpoints loaded)" << std::endl;

    std::mutex m;
    std::condition_variable cv;
    bool stopping = false;
    // Every second: other processes' endpoint changes. Every hour: messages finished more than 7 days
    // ago leave the queue (the SQLite store also does so itself; the memory and PostgreSQL ones rely on this).
    std::thread syncing([&] {
        std::unique_lock lock(m);
        auto next_prune = std::chrono::steady_clock::now();
        while (!cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; })) {
            lock.unlock();
            if (auto s = api.sync(); !s) std::cerr << "hookline serve: sync failed: " << s.error().message() << "\n";
            if (std::chrono::steady_clock::now() >= next_prune) {
                next_prune += std::chrono::hours(1);
                const auto week = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24 * 7));
                if (auto p = sender.store().prune(api.registry().now() - week.count()); !p)
                    std::cerr << "hookline serve: pruning failed: " << p.error().message() << "\n";
            }
            lock.lock();
        }
    });
    int sig = 0;
    sigwait(&signals, &sig);
    {
        std::lock_guard lock(m);
        stopping = true;
    }
    cv.notify_all();
    syncing.join();
    server.stop();
    const auto report = sender.stop(std::chrono::seconds(10));
    std::cout << "stopped: " << report.finished << " attempts finished, " << report.handed_back
              << " deliveries handed back to the store" << std::endl;
    return 0;
}

} // namespace hookline_cli
