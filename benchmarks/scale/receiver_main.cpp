// scale_receiver: the scale driver's receiver on its own (benchmarks/scale/receiver.hpp), for wrk,
// curl or another sender. Prints "ports fast=P slow=P never=P tarpit=P", then reads the receiver's
// control commands from stdin and answers on stdout (stats, reset, delay MS, wait C V MS, quit).
//   scale_receiver [--delay MS]      the slow endpoints' delay (default 3000)
#include "receiver.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    scale::raise_nofile_limit();
    scale::receiver_config config;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--delay") == 0 && i + 1 < argc) {
            config.slow_delay = std::chrono::milliseconds(std::atoll(argv[++i]));
        } else {
            std::fprintf(stderr, "usage: scale_receiver [--delay MS]\n");
            return 2;
        }
    }
    try {
        scale::receiver r(config);
        std::printf("%s\n", r.ports_line().c_str());
        std::fflush(stdout);
        r.run(0, 1);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scale_receiver: %s\n", e.what());
        return 1;
    }
    return 0;
}
