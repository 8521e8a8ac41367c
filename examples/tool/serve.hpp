// `hookline demo`: serving a cpp-httplib server on its own thread (`hookline listen` serves on
// hookline::beast_server instead).
#pragma once

#include <httplib.h>

#include <chrono>
#include <thread>

namespace hookline_cli {

/// Runs `server.listen_after_bind()` on a new thread and returns once the accept loop runs (bounded,
/// 10 s). cpp-httplib's `stop()` is lost when it comes before the loop started (an early Ctrl-C, an
/// early error path), and joining the thread would then hang.
inline std::thread serve_in_background(httplib::Server& server) {
    std::thread t([&server] { server.listen_after_bind(); });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server.is_running() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
    return t;
}

} // namespace hookline_cli
