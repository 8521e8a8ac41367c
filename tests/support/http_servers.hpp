// Servers on 127.0.0.1 for transport tests: a cpp-httplib server that counts connections, a raw TCP
// server for behaviour cpp-httplib cannot produce, and a throwaway self-signed certificate.
#pragma once

#include "support/listen.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>

namespace test_support {
using namespace std::chrono_literals;

/// A latch the test releases at teardown; waits on it are bounded.
struct gate {
    std::mutex m;
    std::condition_variable cv;
    bool open = false;
    void release() {
        {
            std::lock_guard lock(m);
            open = true;
        }
        cv.notify_all();
    }
    /// True when released within `limit`.
    bool wait(std::chrono::milliseconds limit) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, limit, [&] { return open; });
    }
};

/// A cpp-httplib server on 127.0.0.1 with an OS-chosen port; counts connections by remote port.
struct test_server {
    std::unique_ptr<httplib::Server> svr;
    std::thread thread;
    int port = -1;
    gate release;
    std::mutex m;
    std::set<int> remote_ports;
    std::atomic<int> requests{0};

    explicit test_server(std::unique_ptr<httplib::Server> s = std::make_unique<httplib::Server>()) : svr(std::move(s)) {
        svr->set_tcp_nodelay(true);
        svr->set_keep_alive_max_count(1000);
        svr->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
            std::lock_guard lock(m);
            remote_ports.insert(req.remote_port);
            ++requests;
            return httplib::Server::HandlerResponse::Unhandled;
        });
    }
    void start() {
        port = svr->bind_to_any_port("127.0.0.1");
        REQUIRE(port > 0);
        thread = test_support::listen_in_background(*svr);
        REQUIRE(svr->is_running());
    }
    ~test_server() {
        release.release();
        svr->stop();
        if (thread.joinable()) thread.join();
    }
    std::string url(const std::string& path, const std::string& host = "127.0.0.1") const {
        std::string scheme = dynamic_cast<httplib::SSLServer*>(svr.get()) ? "https" : "http";
        return scheme + "://" + host + ":" + std::to_string(port) + path;
    }
    std::size_t connections() {
        std::lock_guard lock(m);
        return remote_ports.size();
    }
};

/// A raw TCP server on 127.0.0.1 that hands each accepted connection (at most `max_connections`)
/// to `on_connection`; for behaviour cpp-httplib's server cannot produce.
struct raw_server {
    int fd = -1;
    int port = -1;
    std::thread thread;
    gate release;

    explicit raw_server(const std::function<void(int, gate&)>& on_connection, int max_connections = 1) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd, 8) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
        thread = std::thread([this, on_connection, max_connections] {
            for (int i = 0; i < max_connections; ++i) {
                pollfd p{fd, POLLIN, 0};
                if (::poll(&p, 1, 10000) <= 0 || release.wait(0ms)) return;
                int c = ::accept(fd, nullptr, nullptr);
                if (c < 0) return;
                on_connection(c, release);
                ::close(c);
            }
        });
    }
    ~raw_server() {
        release.release();
        ::shutdown(fd, SHUT_RDWR);
        thread.join();
        ::close(fd);
    }
    std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port) + path; }
};

/// Reads until the end of the request headers (bounded); what it read, or nothing if the connection
/// ended (or stayed silent for 10 s) first.
inline std::optional<std::string> read_request_head(int c) {
    std::string got;
    char buf[1024];
    while (got.find("\r\n\r\n") == std::string::npos && got.size() < 65536) {
        pollfd p{c, POLLIN, 0};
        if (::poll(&p, 1, 10000) <= 0) return std::nullopt;
        auto n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) return std::nullopt;
        got.append(buf, static_cast<std::size_t>(n));
    }
    return got;
}

inline bool send_all(int c, std::string_view s) {
    return ::send(c, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
}

/// A throwaway self-signed certificate (CA:TRUE, SAN 127.0.0.1 and localhost) and its key.
struct self_signed {
    static inline int counter = 0;
    EVP_PKEY* key = nullptr;
    X509* cert = nullptr;
    std::filesystem::path ca_file;  // the certificate, PEM
    std::filesystem::path key_file; // its key, PEM

    explicit self_signed(const char* san = "IP:127.0.0.1,DNS:localhost") {
        key = EVP_EC_gen("P-256");
        REQUIRE(key);
        cert = X509_new();
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
        X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
        X509_set_pubkey(cert, key);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("hookline test"),
                                   -1, -1, 0);
        X509_set_issuer_name(cert, name);
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
        for (auto [nid, value] :
             {std::pair{NID_subject_alt_name, san}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
            X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
            REQUIRE(ext);
            X509_add_ext(cert, ext, -1);
            X509_EXTENSION_free(ext);
        }
        REQUIRE(X509_sign(cert, key, EVP_sha256()) > 0);
        ca_file = std::filesystem::temp_directory_path() /
                  ("hookline-test-ca-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".pem");
        BIO* out = BIO_new_file(ca_file.c_str(), "w");
        REQUIRE(out);
        PEM_write_bio_X509(out, cert);
        BIO_free(out);
        key_file = ca_file;
        key_file.replace_extension(".key");
        BIO* k = BIO_new_file(key_file.c_str(), "w");
        REQUIRE(k);
        PEM_write_bio_PrivateKey(k, key, nullptr, nullptr, 0, nullptr, nullptr);
        BIO_free(k);
    }
    ~self_signed() {
        std::error_code ec;
        std::filesystem::remove(ca_file, ec);
        std::filesystem::remove(key_file, ec);
        X509_free(cert);
        EVP_PKEY_free(key);
    }
};

} // namespace test_support
