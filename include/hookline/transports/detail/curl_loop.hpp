/// \file The I/O loop under `curl_transport`: one libcurl multi handle driven by epoll
/// (`curl_multi_socket_action`), one thread, any number of transfers; its connection cache is the
/// keep-alive pool. Requests are prepared on the caller's thread and handed over through a queue and
/// an eventfd.
///
/// Thread-safety: `submit`, `take_easy` and `give_easy` may be called from any thread; everything else
/// runs on the loop's thread.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/transports/address_policy.hpp>
#include <hookline/transports/async_transport.hpp>
#include <hookline/transports/detail/sigpipe.hpp>
#include <hookline/transports/transport.hpp>

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

inline void curl_global_init_once() {
    static const CURLcode once = curl_global_init(CURL_GLOBAL_DEFAULT);
    (void)once;
}

/// One request on its way: its easy handle, what it sends and what has come back.
struct curl_transfer {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    curl_slist* resolve = nullptr;
    completion_handler done{};
    http_response response{};
    std::size_t cap = 0;         ///< response body bytes kept
    bool fail_on_large = false;  ///< a longer body is an error rather than a truncation
    bool truncated = false;      ///< the body was longer than `cap`
    bool refused = false;        ///< the address policy refused an address it resolved to
    bool check_addresses = true; ///< false through a proxy (the socket goes to the proxy)
    bool aborted = false;        ///< the loop stopped before it completed
    const address_policy* policy = nullptr;
    std::chrono::steady_clock::time_point started{};

    curl_transfer() = default;
    curl_transfer(const curl_transfer&) = delete;
    curl_transfer& operator=(const curl_transfer&) = delete;
    ~curl_transfer() {
        if (headers) curl_slist_free_all(headers);
        if (resolve) curl_slist_free_all(resolve);
    }

    static std::size_t on_body(char* p, std::size_t size, std::size_t n, void* self) {
        auto& t = *static_cast<curl_transfer*>(self);
        const std::size_t len = size * n;
        const std::size_t room = t.cap - std::min(t.cap, t.response.body_excerpt.size());
        t.response.body_excerpt.append(p, std::min(room, len));
        if (len > room) {
            t.truncated = true;
            return 0; // ends the transfer: the rest is not read
        }
        return len;
    }

    static std::size_t on_header(char* p, std::size_t size, std::size_t n, void* self) {
        auto& t = *static_cast<curl_transfer*>(self);
        std::string_view line(p, size * n);
        if (line.starts_with("HTTP/")) {
            t.response.headers = {}; // a new response (after an interim 1xx, or a proxy's CONNECT answer)
            return line.size();
        }
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return size * n;
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
        while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
        t.response.headers.add(std::string(line.substr(0, colon)), std::string(value));
        return size * n;
    }

    /// Every socket is opened here, with the address already resolved: the policy sees the address
    /// actually connected to, so a DNS answer that changes between checks has nothing to exploit.
    static curl_socket_t on_open_socket(void* self, curlsocktype, curl_sockaddr* a) {
        auto& t = *static_cast<curl_transfer*>(self);
        if (t.check_addresses && !t.policy->check(&a->addr)) {
            t.refused = true;
            return CURL_SOCKET_BAD;
        }
        return ::socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
    }
};

/// How a libcurl result reads as a hookline error.
inline errc curl_error(CURLcode code) noexcept {
    switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL: return errc::invalid_url;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return errc::dns_failure;
    case CURLE_OPERATION_TIMEDOUT: return errc::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED: return errc::tls_failure;
    case CURLE_BAD_FUNCTION_ARGUMENT: return errc::invalid_argument; // a request that can never be made
    default: return errc::connection_failed; // CURLE_OUT_OF_MEMORY too: transient, worth another attempt
    }
}

/// One multi handle, one epoll set, one thread.
class curl_loop {
public:
    struct limits {
        long max_idle_connections = 0; // 0: libcurl's sizing
        long max_connections_per_host = 0;
    };

    explicit curl_loop(limits l) {
        curl_global_init_once();
        multi_ = curl_multi_init();
        epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
        wake_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (!multi_ || epoll_ < 0 || wake_ < 0) throw std::system_error(errno, std::generic_category(), "curl_loop");
        curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &curl_loop::on_socket);
        curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
        curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &curl_loop::on_timer);
        curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
        if (l.max_idle_connections != 0) curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, l.max_idle_connections);
        curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, l.max_connections_per_host);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = wake_;
        ::epoll_ctl(epoll_, EPOLL_CTL_ADD, wake_, &ev);
        thread_ = std::thread([this] { run(); });
    }
    curl_loop(const curl_loop&) = delete;
    curl_loop& operator=(const curl_loop&) = delete;

    /// Completes every transfer still running with `errc::stopped`, then closes everything.
    ~curl_loop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        signal();
        thread_.join();
        for (CURL* e : free_easy_) curl_easy_cleanup(e);
        curl_multi_cleanup(multi_);
        ::close(wake_);
        ::close(epoll_);
    }

    /// An easy handle to prepare a request on (reset, connection cache shared through the multi).
    CURL* take_easy() {
        {
            std::lock_guard lock(mutex_);
            if (!free_easy_.empty()) {
                CURL* e = free_easy_.back();
                free_easy_.pop_back();
                curl_easy_reset(e);
                return e;
            }
        }
        return curl_easy_init();
    }

    /// Hands a prepared transfer to the loop; false (the transfer untouched) when it is stopping.
    bool submit(std::unique_ptr<curl_transfer>& t) {
        bool first = false;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return false;
            first = incoming_.empty();
            incoming_.push_back(std::move(t));
        }
        // Only the first of a batch wakes the loop: it takes everything waiting in one go (`adopt`).
        if (first) signal();
        return true;
    }

    /// Transfers running or waiting to start (read from any thread; approximate).
    std::size_t in_flight() const {
        std::lock_guard lock(mutex_);
        return running_ + incoming_.size();
    }

private:
    void signal() const noexcept {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wake_, &one, sizeof one);
    }

    static int on_socket(CURL*, curl_socket_t s, int what, void* self, void* assigned) {
        auto& loop = *static_cast<curl_loop*>(self);
        if (what == CURL_POLL_REMOVE) {
            ::epoll_ctl(loop.epoll_, EPOLL_CTL_DEL, s, nullptr);
            return 0;
        }
        epoll_event ev{};
        ev.data.fd = s;
        ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
        if (assigned) {
            ::epoll_ctl(loop.epoll_, EPOLL_CTL_MOD, s, &ev);
        } else {
            ::epoll_ctl(loop.epoll_, EPOLL_CTL_ADD, s, &ev);
            curl_multi_assign(loop.multi_, s, &loop); // any non-null marker: "registered"
        }
        return 0;
    }

    static int on_timer(CURLM*, long timeout_ms, void* self) {
        auto& loop = *static_cast<curl_loop*>(self);
        if (timeout_ms < 0) {
            loop.deadline_.reset();
        } else {
            loop.deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
        }
        return 0;
    }

    void run() {
        block_sigpipe_for_this_thread();
        std::vector<epoll_event> events(512);
        int still = 0;
        for (;;) {
            int wait = -1;
            if (deadline_) {
                auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline_ - std::chrono::steady_clock::now());
                wait = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60'000));
            }
            const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), wait);
            if (n < 0 && errno != EINTR) break;
            bool woken = false;
            for (int i = 0; i < n; ++i) {
                const int fd = events[static_cast<std::size_t>(i)].data.fd;
                const auto ev = events[static_cast<std::size_t>(i)].events;
                if (fd == wake_) {
                    woken = true;
                    continue;
                }
                int flags = 0;
                if (ev & EPOLLIN) flags |= CURL_CSELECT_IN;
                if (ev & EPOLLOUT) flags |= CURL_CSELECT_OUT;
                if (ev & (EPOLLERR | EPOLLHUP)) flags |= CURL_CSELECT_ERR;
                curl_multi_socket_action(multi_, fd, flags, &still);
            }
            if (woken && !adopt()) break;
            if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
                deadline_.reset();
                curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &still);
            }
            finish_done();
        }
        shut_down();
    }

    /// Starts what was submitted; false when stopping.
    bool adopt() {
        std::uint64_t count = 0;
        [[maybe_unused]] auto r = ::read(wake_, &count, sizeof count);
        std::vector<std::unique_ptr<curl_transfer>> batch;
        {
            std::lock_guard lock(mutex_);
            if (stopping_) return false;
            batch.swap(incoming_);
            running_ += batch.size();
        }
        for (auto& t : batch) {
            curl_transfer* raw = t.release();
            active_.insert(raw);
            if (curl_multi_add_handle(multi_, raw->easy) != CURLM_OK) complete(raw, CURLE_FAILED_INIT);
        }
        return true;
    }

    void finish_done() {
        int left = 0;
        while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
            if (m->msg != CURLMSG_DONE) continue;
            curl_transfer* t = nullptr;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &t);
            const CURLcode code = m->data.result;
            curl_multi_remove_handle(multi_, m->easy_handle);
            complete(t, code);
        }
    }

    void complete(curl_transfer* raw, CURLcode code) {
        std::unique_ptr<curl_transfer> t(raw);
        active_.erase(raw);
        result<http_response> out = errc::connection_failed;
        if (t->aborted) {
            out = errc::stopped;
        } else if (t->refused) {
            out = errc::address_refused;
        } else if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && t->truncated && !t->fail_on_large)) {
            long status = 0;
            curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
            t->response.status = static_cast<int>(status);
            t->response.body_truncated = t->truncated;
            t->response.latency =
                std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t->started);
            out = std::move(t->response);
        } else if (code == CURLE_WRITE_ERROR && t->truncated) {
            out = errc::response_too_large;
        } else {
            out = curl_error(code);
        }
        give_easy(t->easy);
        t->easy = nullptr;
        completion_handler done = std::move(t->done);
        t.reset();
        {
            std::lock_guard lock(mutex_);
            --running_;
        }
        try {
            done(std::move(out));
        } catch (...) {
        }
    }

    void give_easy(CURL* e) {
        std::lock_guard lock(mutex_);
        free_easy_.push_back(e);
    }

    void shut_down() {
        std::vector<std::unique_ptr<curl_transfer>> queued;
        {
            std::lock_guard lock(mutex_);
            queued.swap(incoming_);
            running_ += queued.size();
        }
        for (auto& t : queued) active_.insert(t.release());
        while (!active_.empty()) {
            curl_transfer* t = *active_.begin();
            curl_multi_remove_handle(multi_, t->easy);
            t->aborted = true;
            complete(t, CURLE_ABORTED_BY_CALLBACK);
        }
    }

    CURLM* multi_ = nullptr;
    int epoll_ = -1;
    int wake_ = -1;
    std::optional<std::chrono::steady_clock::time_point> deadline_{}; // libcurl's timer (loop thread only)
    std::unordered_set<curl_transfer*> active_{};                     // loop thread only
    mutable std::mutex mutex_{};
    std::vector<std::unique_ptr<curl_transfer>> incoming_{};
    std::vector<CURL*> free_easy_{};
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::thread thread_{};
};

} // namespace detail

HOOKLINE_END_NAMESPACE
