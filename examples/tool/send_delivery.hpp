// hookline send: signs and delivers one event with the library's delivery engine, printing each
// attempt as it happens. Included only by send_memory.cpp and send_sqlite.cpp, each instantiating
// one sender (with any_signer, whichever scheme the run uses).
#pragma once

#include "args.hpp"
#include "send.hpp"

#include <hookline/sending/sender.hpp>
#include <hookline/stores/memory_store.hpp>
#include <hookline/transports/curl_transport.hpp>

#include <nlohmann/json.hpp>

#include <pthread.h>

#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace hookline_cli {

namespace detail {

/// Waits for SIGINT/SIGTERM on its own thread (the signals are blocked in every thread created after it).
class interrupt_watch {
public:
    interrupt_watch() {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        sigaddset(&set_, SIGUSR2); // sent by the destructor to end the watch
        pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    }
    template <class F>
    void start(F on_signal) {
        thread_ = std::thread([this, on_signal] {
            int sig = 0;
            sigwait(&set_, &sig);
            if (sig != SIGUSR2) on_signal();
        });
    }
    ~interrupt_watch() {
        if (thread_.joinable()) {
            pthread_kill(thread_.native_handle(), SIGUSR2);
            thread_.join();
        }
    }
    interrupt_watch(const interrupt_watch&) = delete;
    interrupt_watch& operator=(const interrupt_watch&) = delete;

private:
    sigset_t set_{};
    std::thread thread_;
};

template <class Store>
int deliver(const send_input& in, Store store) {
    using namespace hookline;
    interrupt_watch watch;
    curl_transport_options topts;
    if (in.allow_private) {
        topts.addresses =
            address_policy::with_allowed({"127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                          "100.64.0.0/10", "169.254.0.0/16", "::1/128", "fc00::/7", "fe80::/10"})
                .value();
    }
    fixed_schedule schedule{in.schedule ? *in.schedule : standard_schedule::delays()};

    const bool durable = !in.store_path.empty();
    const std::string endpoint_id = durable ? in.url : "cli"; // stable: re-adding it resumes its deliveries
    std::mutex mutex;
    std::condition_variable cv;
    std::optional<int> exit_code;
    std::string reason;
    std::optional<std::string> gave_up; // with a store: the first delivery that gave up
    // With a store: true once nothing is pending or in flight for the endpoint.
    auto drained = [&]() {
        auto open_ones = store.list_deliveries({.endpoint_id = endpoint_id,
                                                .statuses = {delivery_status::pending, delivery_status::in_flight},
                                                .limit = 1});
        return open_ones && open_ones->empty();
    };
    bool sent = false;
    bool attempted = false; // with a store: this run made an attempt // with a store: finishing waits until this run's
                            // event is in the store
    std::function<void()> maybe_finish;
    auto finish = [&](int code, std::string why) {
        {
            std::lock_guard lock(mutex);
            if (exit_code) return;
            exit_code = code;
            reason = std::move(why);
        }
        cv.notify_all();
    };

    maybe_finish = [&] {
        std::optional<std::string> failure;
        {
            std::lock_guard lock(mutex);
            if (!sent) return;
            failure = gave_up;
        }
        if (!drained()) return;
        if (failure)
            finish(1, *failure);
        else
            finish(0, attempted ? "delivered" : "nothing left to deliver");
    };

    sender_options o;
    o.workers = 1;
    o.timeout = in.timeout;
    o.logger = nullptr; // the tool reports each attempt and why it gave up itself
    o.callbacks.on_attempt = [&](const attempt_report& r) {
        std::cout << attempt_line(r, durable) << std::endl;
        const std::optional<std::string> why = give_up_reason(r);
        if (!durable) {
            if (r.status == delivery_status::delivered) finish(0, "delivered");
            if (why) finish(1, *why);
            return;
        }
        {
            std::lock_guard lock(mutex);
            attempted = true;
            if (why && !gave_up) gave_up = r.message_id + " " + *why;
        }
        if (r.status != delivery_status::pending) maybe_finish();
    };
    basic_sender<curl_transport, any_signer, fixed_schedule, Store> sender(curl_transport(topts), schedule, store,
                                                                           std::move(o));
    watch.start([&] { finish(130, "interrupted"); });
    endpoint_config cfg;
    cfg.url = in.url;
    for (const auto& s : in.secrets) cfg.secrets.push_back({s, 0});
    cfg.max_concurrency = 1;
    if (durable) {
        // Pending work a previous run left for this URL is resumed by adding the endpoint.
        auto left = store.list_deliveries({.endpoint_id = endpoint_id,
                                           .statuses = {delivery_status::pending, delivery_status::in_flight},
                                           .limit = static_cast<std::size_t>(-1)});
        if (left && !left->empty())
            std::cout << "resuming " << left->size() << " pending deliver" << (left->size() == 1 ? "y" : "ies")
                      << " from " << in.store_path << std::endl;
    }
    if (auto r = sender.add_endpoint(endpoint_id, cfg); !r) {
        if (r.error() == errc::address_refused) { // an IP literal the policy refuses: nothing is sent
            std::cerr << "hookline: gave up: destination address refused (private or loopback; see --allow-private)"
                      << std::endl;
            return 1;
        }
        if (r.error() == errc::invalid_url) throw usage_error("invalid URL");
        throw usage_error("cannot use --secret: " + r.error().message());
    }
    if (durable) (void)sender.enable_endpoint(endpoint_id); // sending to it again is an explicit request
    auto receipt = in.data ? sender.send(in.type, *in.data, in.id)
                           : sender.send(event{.type = in.type, .payload = in.body, .id = in.id});
    if (!receipt) {
        if (receipt.error() == errc::store_failure) {
            std::cerr << "hookline: cannot store the event in " << in.store_path << std::endl;
            return 1;
        }
        throw usage_error("cannot send: " + receipt.error().message());
    }
    if (receipt->duplicate) {
        std::string was = "accepted";
        if (auto d = store.list_deliveries({.message_id = receipt->message_id, .endpoint_id = endpoint_id});
            d && !d->empty())
            was = to_string(d->front().status);
        std::cout << "duplicate: " << receipt->message_id << " was already accepted by this store (" << was
                  << "); not sent again" << std::endl;
    } else {
        std::cout << "sending " << receipt->message_id << " (" << in.type << ") to " << in.url << std::endl;
    }
    if (durable) {
        {
            std::lock_guard lock(mutex);
            sent = true;
        }
        maybe_finish(); // everything may have finished already (or nothing was pending)
    }
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return exit_code.has_value(); });
    lock.unlock();
    sender.stop(std::chrono::milliseconds(0));
    if (*exit_code == 0)
        std::cout << reason << std::endl;
    else
        std::cerr << "hookline: " << reason << std::endl;
    return *exit_code;
}

} // namespace detail

} // namespace hookline_cli
