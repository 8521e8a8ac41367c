// Shared set-up of the two servers the receiver benchmark compares: identical cpp-httplib settings,
// so the only difference is what happens inside the POST handler.
#pragma once

#include <httplib.h>

#include <signal.h>
#include <sys/resource.h>

#ifdef HOOKLINE_BENCH_BEAST
#include <hookline/receiving/beast_adapter.hpp>
#endif

#include <iostream>
#include <string>

namespace bench {
/// Raises the soft RLIMIT_NOFILE to the hard limit (the slow-client driver opens 1,000+ connections).
inline void raise_nofile() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/// 127.0.0.1, TCP_NODELAY, enough threads for every wrk connection, keep-alive without a small cap.
inline void configure(httplib::Server& server) {
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(1000000);
    server.set_keep_alive_timeout(10);
    server.new_task_queue = [] { return new httplib::ThreadPool(64); };
}

/// Binds to an OS-chosen port, prints it on the first line, serves until killed.
inline int serve(httplib::Server& server) {
    const int port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) return 1;
    std::cout << port << std::endl;
    return server.listen_after_bind() ? 0 : 1;
}

#ifdef HOOKLINE_BENCH_BEAST
/// `rx` on the Boost.Beast adapter with `options` (the defaults unless the command line changes them), on
/// an OS-chosen port printed on the first line; serves until SIGTERM or SIGINT.
template <class Receiver>
int serve_beast(Receiver& rx, hookline::beast_server_options options = {}) {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr); // before the server's threads start: they inherit it
    hookline::beast_server server(std::move(options));
    hookline::mount(server, rx, "/webhooks");
    if (!server.start()) return 1;
    std::cout << server.port() << std::endl;
    int sig = 0;
    sigwait(&stop, &sig);
    const auto s = server.stats();
    std::cerr << "beast server: accepted " << s.connections_accepted << ", responses " << s.responses
              << ", cut at the request deadline " << s.closed_request_deadline << ", closed for capacity "
              << s.closed_for_capacity << "\n";
    server.stop();
    return 0;
}
#endif
} // namespace bench
