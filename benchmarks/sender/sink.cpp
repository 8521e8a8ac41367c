// bench_sink: the receiving end of the sender benchmarks. A bare cpp-httplib server on 127.0.0.1 that
// answers every POST with 204; when a body carries "sent_us":N (Unix microseconds) it records the
// delay from then to the handler. GET /stats returns {"count","p50_us","p99_us"} and resets.
// Prints its port on the first line of standard output.
//   bench_sink              plain HTTP
//   bench_sink CERT KEY     HTTPS with that certificate and key (PEM files)
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {
long long now_us() {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}
} // namespace

int main(int argc, char** argv) {
    std::unique_ptr<httplib::Server> owned =
        argc > 2 ? std::make_unique<httplib::SSLServer>(argv[1], argv[2]) : std::make_unique<httplib::Server>();
    if (!owned->is_valid()) {
        std::fprintf(stderr, "bench_sink: cannot load the certificate or key\n");
        return 2;
    }
    httplib::Server& server = *owned;
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(1000000);
    std::mutex mutex;
    std::vector<long long> delays;
    long long count = 0;
    server.Post(R"(/.*)", [&](const httplib::Request& req, httplib::Response& res) {
        const long long arrived = now_us();
        long long sent = -1;
        auto at = req.body.find("\"sent_us\":");
        if (at != std::string::npos) sent = std::atoll(req.body.c_str() + at + 10);
        {
            std::lock_guard lock(mutex);
            ++count;
            if (sent > 0) delays.push_back(arrived - sent);
        }
        res.status = 204;
    });
    server.Get("/stats", [&](const httplib::Request&, httplib::Response& res) {
        std::lock_guard lock(mutex);
        std::sort(delays.begin(), delays.end());
        auto pct = [&](double p) {
            return delays.empty() ? 0LL
                                  : delays[std::min(delays.size() - 1, static_cast<std::size_t>(p * delays.size()))];
        };
        res.set_content("{\"count\":" + std::to_string(count) + ",\"p50_us\":" + std::to_string(pct(0.50)) +
                            ",\"p99_us\":" + std::to_string(pct(0.99)) + "}",
                        "application/json");
        delays.clear();
        count = 0;
    });
    const int port = server.bind_to_any_port("127.0.0.1");
    std::printf("%d\n", port);
    std::fflush(stdout);
    server.listen_after_bind();
}
