// The crash test's receiver: records the webhook-id of every request it gets (received log) and, the
// first time it sees an id, dispatches it (dispatched log) - the de-duplication by message id a receiver
// does. Writes the port it listens on to PORT_FILE. Runs until terminated. With a failure rate (percent),
// it answers that share of requests 500 at random, before dispatching (the sender must retry them).
//
//   crash_receiver PORT_FILE RECEIVED_LOG DISPATCHED_LOG [FAIL_PERCENT]
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <string>

int main(int argc, char** argv) {
    if (argc != 4 && argc != 5) {
        std::fprintf(stderr, "usage: crash_receiver PORT_FILE RECEIVED_LOG DISPATCHED_LOG [FAIL_PERCENT]\n");
        return 2;
    }
    const unsigned fail_percent = argc == 5 ? static_cast<unsigned>(std::atoi(argv[4])) : 0;
    std::mt19937 rng(std::random_device{}());
    std::mutex mutex;
    std::set<std::string> seen;
    // Each line is flushed before the response goes out (the receiver itself is never killed).
    std::ofstream received(argv[2], std::ios::app), dispatched(argv[3], std::ios::app);
    httplib::Server server;
    server.set_tcp_nodelay(true);
    server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.get_header_value("webhook-id");
        {
            std::lock_guard lock(mutex);
            received << id << std::endl;
            if (rng() % 100 < fail_percent) {
                res.status = 500;
                return;
            }
            if (seen.insert(id).second) dispatched << id << std::endl;
        }
        res.status = 200;
        res.set_content("ok", "text/plain");
    });
    int port = server.bind_to_any_port("127.0.0.1");
    if (port <= 0) return 1;
    {
        std::ofstream p(std::string(argv[1]) + ".tmp");
        p << port << "\n";
    }
    std::rename((std::string(argv[1]) + ".tmp").c_str(), argv[1]);
    return server.listen_after_bind() ? 0 : 1;
}
