// The embedded management API as a test program for the svix SDK suite (tests/interop/svix_api.mjs):
// a sender on a memory store, the API mounted on a cpp-httplib server on
// 127.0.0.1 (a port the OS picks), loopback destinations allowed. Prints `listening on http://...`,
// stops on SIGTERM. The token comes from HOOKLINE_TOKEN.
#include <hookline/hookline.hpp>
#include <hookline/management/api.hpp>
#include <hookline/management/httplib_adapter.hpp>

#include <httplib.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

template <class Store>
int run(Store store, const char* token) {
    using namespace hookline;
    curl_transport_options topts;
    topts.addresses = address_policy::with_allowed({"127.0.0.0/8", "::1/128"}).value();
    using sender_type = basic_sender<curl_transport, standard_signer, standard_schedule, Store>;
    sender_type sender(curl_transport(topts), standard_schedule(), store, sender_options{});
    auto registry = basic_registry<Store>::open(store).value();
    basic_management_api<sender_type> api(sender, std::move(registry), {.authoriser = token_authoriser{token}});
    if (!api.load()) return 1;
    httplib::Server server;
    server.set_tcp_nodelay(true);
    mount_management(server, api);
    const int port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) return 1;
    std::printf("listening on http://127.0.0.1:%d\n", port);
    std::fflush(stdout);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    std::thread serving([&] { server.listen_after_bind(); });
    int sig = 0;
    sigwait(&set, &sig);
    server.stop();
    serving.join();
    sender.stop(std::chrono::seconds(5));
    return 0;
}

} // namespace

int main() {
    const char* token = std::getenv("HOOKLINE_TOKEN");
    if (!token || !*token) {
        std::fprintf(stderr, "svix_server: HOOKLINE_TOKEN is not set\n");
        return 2;
    }
    return run(hookline::memory_store{}, token);
}
