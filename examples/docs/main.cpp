// Runs the docs' snippets that need no network and no server (see docs.hpp); exits 0 when each
// behaved as its guide says.
#include "docs.hpp"

#include <cstdio>
#include <exception>

int main() {
    struct check {
        const char* name;
        bool (*run)();
    };
    const check checks[] = {
        {"management", docs::run_management},
        {"receiving", docs::run_receiving},
        {"schemes", docs::run_schemes},
        {"standard_webhooks", docs::run_standard_webhooks},
        {"transport_and_retries", docs::run_transport_and_retries},
    };
    int failed = 0;
    for (const auto& c : checks) {
        bool ok = false;
        try {
            ok = c.run();
        } catch (const std::exception& e) {
            std::printf("%s: exception: %s\n", c.name, e.what());
        }
        std::printf("%s: %s\n", c.name, ok ? "ok" : "FAILED");
        failed += ok ? 0 : 1;
    }
    return failed == 0 ? 0 : 1;
}
