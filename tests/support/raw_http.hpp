// A raw TCP client on 127.0.0.1 for server tests: sends any bytes (a partial head, a trickle, two
// pipelined requests), reads responses and waits for the server to close, every wait bounded.
#pragma once

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace test_support {

struct raw_response {
    int status = 0;
    std::string head;
    std::string body;
};

class raw_connection {
public:
    explicit raw_connection(int port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd_ >= 0);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    raw_connection(const raw_connection&) = delete;
    raw_connection& operator=(const raw_connection&) = delete;
    ~raw_connection() {
        if (fd_ >= 0) ::close(fd_);
    }

    /// Sends all of `bytes`; false when the connection is gone.
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// True when the server closed the connection (end of stream or reset) within `limit`; bytes it
    /// sent before are appended to `received`.
    bool wait_closed(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        const auto until = std::chrono::steady_clock::now() + limit;
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
            char chunk[4096];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
            if (n < 0) return false;
            received.append(chunk, static_cast<std::size_t>(n));
        }
    }

    /// True when readable (data or close) within `limit`.
    bool readable(std::chrono::milliseconds limit) {
        pollfd p{fd_, POLLIN, 0};
        return ::poll(&p, 1, static_cast<int>(limit.count())) > 0;
    }

    /// The next response (head and Content-Length body) within `limit`; nullopt on close or time out.
    std::optional<raw_response> read_response(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        const auto until = std::chrono::steady_clock::now() + limit;
        for (;;) {
            if (auto r = take_response()) return r;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return std::nullopt;
            char chunk[4096];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) return std::nullopt;
            received.append(chunk, static_cast<std::size_t>(n));
        }
    }

    std::string received; ///< bytes read and not yet taken as a response

private:
    std::optional<raw_response> take_response() {
        const auto end = received.find("\r\n\r\n");
        if (end == std::string::npos) return std::nullopt;
        raw_response r;
        r.head = received.substr(0, end + 4);
        if (r.head.size() < 12) return std::nullopt;
        r.status = std::atoi(r.head.c_str() + 9);
        std::size_t length = 0;
        std::string lower = r.head;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (const auto cl = lower.find("\r\ncontent-length:"); cl != std::string::npos)
            length = static_cast<std::size_t>(std::strtoull(lower.c_str() + cl + 17, nullptr, 10));
        if (r.status / 100 == 1) length = 0;
        if (received.size() < end + 4 + length) return std::nullopt;
        r.body = received.substr(end + 4, length);
        received.erase(0, end + 4 + length);
        return r;
    }

    int fd_ = -1;
};

} // namespace test_support
