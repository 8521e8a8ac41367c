// Shared set-up of the two servers the receiver benchmark compares: identical cpp-httplib settings,
// so the only difference is what happens inside the POST handler.
#pragma once

#include <httplib.h>

#include <iostream>
#include <string>

namespace bench {
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
} // namespace bench
