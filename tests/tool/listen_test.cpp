// End-to-end test of `hookline listen`: starts it with --port 0, reads the port from its first line,
// posts a signed and a forged request, checks the printed lines (text and --json), then stops it with
// SIGTERM and expects a clean exit. Every wait is bounded. Usage: test_tool_listen PATH_TO_HOOKLINE
#include <hookline/hookline.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

namespace {
constexpr const char* secret_text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
int failures = 0;

void check(bool ok, const std::string& what) {
    if (!ok) {
        ++failures;
        std::cerr << "FAILED: " << what << "\n";
    }
}

struct child {
    pid_t pid = -1;
    int out = -1;
    std::string buffer;

    /// The next line of output, or nullopt after `timeout_ms` or at end of output.
    std::optional<std::string> line(int timeout_ms = 10000) {
        for (;;) {
            if (auto nl = buffer.find('\n'); nl != std::string::npos) {
                std::string l = buffer.substr(0, nl);
                buffer.erase(0, nl + 1);
                return l;
            }
            pollfd p{out, POLLIN, 0};
            if (poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
            char chunk[4096];
            ssize_t n = read(out, chunk, sizeof chunk);
            if (n <= 0) return std::nullopt;
            buffer.append(chunk, static_cast<std::size_t>(n));
        }
    }

    /// SIGTERM, then the exit status once the output closed (bounded); -1 if it did not exit.
    int stop() {
        kill(pid, SIGTERM);
        while (line(10000)) {
        }
        for (int i = 0; i < 100; ++i) {
            int status = 0;
            if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
            pollfd none{-1, 0, 0};
            poll(&none, 0, 100); // bounded wait for the exit after the output closed
        }
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return -1;
    }
};

child start(const std::string& exe, bool json) {
    int fds[2];
    if (pipe(fds) != 0) std::exit(2);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        std::vector<const char*> argv = {exe.c_str(), "listen",    "--scheme", "standard",
                                         "--secret",  secret_text, "--port",   "0"};
        if (json) argv.push_back("--json");
        argv.push_back(nullptr);
        execv(exe.c_str(), const_cast<char* const*>(argv.data()));
        _exit(127);
    }
    close(fds[1]);
    return child{pid, fds[0], {}};
}

int port_of(const std::string& first, bool json) {
    if (json) return nlohmann::json::parse(first, nullptr, false).value("port", 0);
    auto colon = first.rfind(':');
    return colon == std::string::npos ? 0 : std::atoi(first.c_str() + colon + 1);
}

void run(const std::string& exe, bool json) {
    const std::string mode = json ? "--json: " : "text: ";
    child c = start(exe, json);
    auto first = c.line();
    check(first.has_value(), mode + "printed where it listens");
    const int port = first ? port_of(*first, json) : 0;
    check(port > 0, mode + "first line names the port: " + first.value_or(""));
    if (port > 0) {
        httplib::Client client("127.0.0.1", port);
        client.set_tcp_nodelay(true);
        const std::string body = R"({"type":"invoice.paid","data":{"n":1}})";
        auto key = hookline::secret::parse(secret_text).value();
        auto signed_headers = hookline::standard_signer(key)
                                  .sign({.id = "msg_ok", .body = body, .timestamp = hookline::unix_now()})
                                  .value();
        httplib::Headers h;
        for (const auto& f : signed_headers) h.emplace(f.name, f.value);
        auto ok = client.Post("/webhooks", h, body, "application/json");
        check(ok && ok->status == 200, mode + "signed request answered 200");
        auto forged = client.Post("/webhooks", h, body + " ", "application/json");
        check(forged && forged->status == 401, mode + "forged request answered 401");
        auto l1 = c.line().value_or("");
        auto l2 = c.line().value_or("");
        if (json) {
            auto j1 = nlohmann::json::parse(l1, nullptr, false);
            auto j2 = nlohmann::json::parse(l2, nullptr, false);
            check(j1.is_object() && j1.value("verified", false) && j1.value("type", "") == "invoice.paid" &&
                      j1.value("id", "") == "msg_ok" && j1["payload"]["data"]["n"] == 1,
                  mode + "event line: " + l1);
            check(j2.is_object() && !j2.value("verified", true) && j2.value("status", 0) == 401 &&
                      j2.value("reason", "") == "no matching signature",
                  mode + "rejection line: " + l2);
        } else {
            check(l1 == "event invoice.paid id=msg_ok (" + std::to_string(body.size()) + " bytes)",
                  mode + "event line: " + l1);
            check(l2 == "rejected 401 no matching signature", mode + "rejection line: " + l2);
        }
    }
    check(c.stop() == 0, mode + "exits 0 on SIGTERM");
    close(c.out);
}
} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: test_tool_listen PATH_TO_HOOKLINE\n";
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    run(argv[1], false);
    run(argv[1], true);
    if (failures == 0) std::cout << "all listen checks passed\n";
    return failures == 0 ? 0 : 1;
}
