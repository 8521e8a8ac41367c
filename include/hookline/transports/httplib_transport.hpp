/// \file `httplib_transport`: the stock `transport`, on cpp-httplib, with SSRF protection, a total
/// timeout, a capped response body, TLS verification and a keep-alive connection pool. cpp-httplib
/// connects (proxy and TLS handshake included); the request and response bytes are hookline's own
/// (`http1.hpp`), see `detail::exchange_client`.
///
/// Thread-safety: `send` is const and safe to call from any number of threads at once. Copies share
/// one connection pool and one deadline watchdog; the last copy to go away closes them (no `send`
/// may still be running then).
///
/// Its parts: `httplib_transport_options.hpp` (the options), `detail/exchange_client.hpp` (the client
/// that carries requests on kept connections), `detail/deadline_watchdog.hpp` (the hard total
/// timeout), `detail/sigpipe.hpp`; this header has the connection pool and the class.
///
/// SIGPIPE: cpp-httplib 0.11.4 writes with `send(..., 0)` (no MSG_NOSIGNAL), and everything over TLS goes
/// through OpenSSL, so a write to a connection the peer has reset raises SIGPIPE, whose default action kills the
/// process. By default (`sigpipe_handling::block_in_send`) `send` blocks SIGPIPE in the calling thread for the duration
/// of the call and discards a SIGPIPE it caused (the libpq technique); nothing process-wide changes. In a thread that
/// called `detail::block_sigpipe_for_this_thread()` (a sender's worker threads do) SIGPIPE stays blocked for good,
/// `send` makes no signal-mask calls, and a pending SIGPIPE is discarded after a failed request. `ignore_process_wide`
/// sets SIGPIPE to SIG_IGN once at construction; `leave_alone` does nothing (choose it when your program already
/// ignores SIGPIPE).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/transports/address_policy.hpp>
#include <hookline/transports/detail/deadline_watchdog.hpp>
#include <hookline/transports/detail/exchange_client.hpp>
#include <hookline/transports/detail/http1.hpp>
#include <hookline/transports/detail/sigpipe.hpp>
#include <hookline/transports/httplib_transport_options.hpp>
#include <hookline/transports/transport.hpp>

#include <httplib.h>
#include <openssl/err.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// A pooled connection: cpp-httplib's client, and where to leave it an exchange (null when the
/// transport lets cpp-httplib do the exchange).
struct connection {
    std::unique_ptr<httplib::ClientImpl> client;
    exchange_slot* slot = nullptr;
    explicit operator bool() const noexcept { return client != nullptr; }
};

struct httplib_transport_state {
    using clock = std::chrono::steady_clock;
    explicit httplib_transport_state(httplib_transport_options o) : options(std::move(o)) {}

    struct pooled {
        connection conn;
        clock::time_point idle_since;
    };

    httplib_transport_options options;
    deadline_watchdog watchdog;
    std::mutex pool_mutex;
    std::unordered_map<std::string, std::vector<pooled>> idle;
    std::size_t idle_total = 0;

    /// The most recently used idle connection of `key` that has not idled too long, or none.
    connection acquire(const std::string& key) {
        std::vector<pooled> expired; // closed outside the lock
        connection found;
        {
            std::lock_guard lock(pool_mutex);
            auto it = idle.find(key);
            if (it == idle.end()) return {};
            auto& v = it->second;
            auto now = clock::now();
            while (!v.empty()) {
                pooled p = std::move(v.back());
                v.pop_back();
                --idle_total;
                if (now - p.idle_since < options.idle_timeout) {
                    found = std::move(p.conn);
                    break;
                }
                expired.push_back(std::move(p));
            }
            if (v.empty()) idle.erase(it);
        }
        return found;
    }

    /// Keeps `c` for reuse unless the origin or the whole pool is full.
    void release(const std::string& key, connection c) {
        std::vector<pooled> dropped; // closed outside the lock
        std::lock_guard lock(pool_mutex);
        auto now = clock::now();
        auto& v = idle[key];
        // Oldest first: drop the ones that idled too long.
        auto keep = std::find_if(v.begin(), v.end(),
                                 [&](const pooled& p) { return now - p.idle_since < options.idle_timeout; });
        for (auto i = v.begin(); i != keep; ++i) dropped.push_back(std::move(*i));
        idle_total -= static_cast<std::size_t>(keep - v.begin());
        v.erase(v.begin(), keep);
        if (v.size() < options.max_idle_per_origin && idle_total < options.max_idle_total) {
            v.push_back({std::move(c), now});
            ++idle_total;
        } else {
            dropped.push_back({std::move(c), now});
        }
        if (v.empty()) idle.erase(key);
    }
};

inline connection make_client(const httplib_transport_options& o, const parsed_url& url, const std::string& pinned_ip) {
    connection made;
    if (url.scheme == "https") {
        std::unique_ptr<httplib::SSLClient> ssl;
        if constexpr (own_exchange_supported) {
            auto own = std::make_unique<tls_client>(url.host, url.port, o.client_cert_file, o.client_key_file);
            made.slot = own.get();
            ssl = std::move(own);
        } else {
            ssl = std::make_unique<httplib::SSLClient>(url.host, url.port, o.client_cert_file, o.client_key_file);
        }
        if (!ssl->is_valid()) return {};
        made.client = std::move(ssl);
        made.client->enable_server_certificate_verification(o.verify_tls);
        if (!o.ca_file.empty() || !o.ca_dir.empty()) made.client->set_ca_cert_path(o.ca_file, o.ca_dir);
    } else if constexpr (own_exchange_supported) {
        auto own = std::make_unique<plain_client>(url.host, url.port);
        made.slot = own.get();
        made.client = std::move(own);
    } else {
        made.client = std::make_unique<httplib::ClientImpl>(url.host, url.port);
    }
    auto& c = made.client;
    if (!pinned_ip.empty()) c->set_hostname_addr_map({{url.host, pinned_ip}});
    if (!o.proxy_host.empty()) c->set_proxy(o.proxy_host, o.proxy_port);
    c->set_tcp_nodelay(true);
    c->set_keep_alive(true);
    c->set_follow_location(false);
    c->set_decompress(false); // no Accept-Encoding is sent; never inflate what a receiver sends
    c->set_url_encode(false); // the target was validated by parse_url: send it byte for byte
    return made;
}

} // namespace detail

/// The stock transport. Per request: parse the URL strictly, resolve the host once, refuse it unless
/// every address passes `options.addresses`, connect to a checked address (pinned, so there is no
/// second DNS lookup), send, and read at most `max_response_body` bytes of the response, all within
/// the total timeout. Redirects are not followed (a 3xx is returned as a response). Connections are
/// kept alive and reused per origin.
class httplib_transport {
public:
    explicit httplib_transport(httplib_transport_options options = {})
        : state_(std::make_shared<detail::httplib_transport_state>(std::move(options))) {
        if (state_->options.sigpipe == sigpipe_handling::ignore_process_wide) ::signal(SIGPIPE, SIG_IGN);
    }

    const httplib_transport_options& options() const noexcept { return state_->options; }

    /// Sends `request`; see the `transport` concept for the errors.
    result<http_response> send(const http_request& request) const {
        using clock = std::chrono::steady_clock;
        const auto start = clock::now();
        const auto& o = state_->options;
        const auto timeout = request.timeout.count() > 0 ? request.timeout : o.total_timeout;
        const auto deadline = start + timeout;

        auto url = parse_url(request.url);
        if (!url) return url.error();
        if (!header_name_ok(request.method)) return errc::invalid_argument;
        if (!header_value_ok(o.user_agent)) return errc::invalid_argument;
        for (const auto& h : request.headers)
            if (!header_name_ok(h.name) || !header_value_ok(h.value)) return errc::invalid_argument;

        // An IP literal needs no lookup (and is checked like any resolved address).
        result<std::vector<ip_address>> addresses = errc::dns_failure;
        if (o.resolver)
            addresses = o.resolver(url->host);
        else if (auto literal = url->host_is_ip ? ip_address::parse(url->host) : std::nullopt)
            addresses = std::vector<ip_address>{*literal};
        else
            addresses = resolve(url->host);
        if (!addresses) return addresses.error();
        if (auto checked = check_all(*addresses, o.addresses); !checked) return checked.error();
        if (clock::now() >= deadline) return errc::timeout;

        // In a thread that keeps SIGPIPE blocked for good (a sender's worker) no mask change is needed.
        const bool blocked_for_thread = detail::sigpipe_blocked_for_thread;
        detail::sigpipe_blocker sigpipe(o.sigpipe == sigpipe_handling::block_in_send && !blocked_for_thread);
        const bool consume_on_failure = blocked_for_thread && o.sigpipe == sigpipe_handling::block_in_send;
        std::error_code last = make_error_code(errc::connection_failed);
        // Try the checked addresses in resolver order while the connection itself is refused.
        const bool via_proxy = !o.proxy_host.empty();
        for (const auto& address : *addresses) {
            std::string ip = via_proxy ? std::string() : address.to_string();
            auto attempt = send_to(*url, ip, request, start, deadline);
            // A failed write may have left a SIGPIPE pending in this thread: discard it.
            if (!attempt && consume_on_failure) detail::consume_pending_sigpipe();
            if (attempt || attempt.error() != errc::connection_failed || !connect_failed_ || via_proxy) return attempt;
            last = attempt.error();
            if (clock::now() >= deadline) return errc::timeout;
        }
        return last;
    }

private:
    // Set by send_to when the failure happened while connecting (try the next address). Thread-local
    // because send is const and concurrent.
    static inline thread_local bool connect_failed_ = false;

    /// One try on `ip`; `fresh`: on a new connection, not a kept one.
    result<http_response> send_to(const parsed_url& url, const std::string& ip, const http_request& request,
                                  std::chrono::steady_clock::time_point start,
                                  std::chrono::steady_clock::time_point deadline, bool fresh = false) const {
        using namespace std::chrono;
        using clock = steady_clock;
        const auto& o = state_->options;
        connect_failed_ = false;
        const std::string key = pool_key(url, ip);
        auto conn = fresh ? detail::connection{} : state_->acquire(key);
        if (!conn) conn = detail::make_client(o, url, ip);
        if (!conn) return errc::tls_failure; // client certificate or key could not be loaded
        httplib::ClientImpl& client = *conn.client;

        auto remaining = duration_cast<microseconds>(deadline - clock::now());
        if (remaining.count() <= 0) return errc::timeout;
        // cpp-httplib polls with millisecond resolution (rounding down): add a little slack so a
        // per-operation timeout never ends just before the deadline; the watchdog cuts at the deadline.
        auto slack = duration_cast<microseconds>(milliseconds(20));
        auto connect = std::min(duration_cast<microseconds>(o.connect_timeout), remaining + slack);
        client.set_connection_timeout(connect);
        client.set_read_timeout(remaining + slack);
        client.set_write_timeout(remaining + slack);

        http_response out;
        httplib::Request req;
        std::string wire;
        detail::exchange x;
        bool truncated = false;
        bool late = false;
        if (conn.slot)
            prepare_exchange(url, request, deadline, out, wire, x);
        else
            prepare_httplib_request(url, request, deadline, out, req, truncated, late);

        httplib::Response res;
        httplib::Error err = httplib::Error::Success;
        detail::deadline_watchdog::ticket watch{.deadline = deadline, .client = &client, .slot = conn.slot};
        state_->watchdog.add(watch);
        bool ok = false;
        if (!conn.slot || !conn.slot->exchange_on_kept(x)) {
            if (conn.slot) conn.slot->pending = &x;
            ok = client.send(req, res, err);
            if (conn.slot) conn.slot->pending = nullptr;
        }
        bool fired = state_->watchdog.remove(watch);
        if (x.stale && !fired) { // nothing was sent on the kept connection: once more on a new one
            conn = {};
            return send_to(url, ip, request, start, deadline, true);
        }
        out.latency = duration_cast<microseconds>(clock::now() - start);

        bool reusable = true;
        if (x.ran) { // hookline's exchange ran on the connection cpp-httplib made
            ok = x.result.complete;
            reusable = x.result.keep_alive;
            truncated = x.result.truncated;
            late = x.result.late;
        } else if (ok) {
            out.status = res.status;
        }
        if (ok && !late) {
            if (!fired && reusable) state_->release(key, std::move(conn));
            return out;
        }
        // Failed or aborted: never reuse this connection.
        conn = {};
        if (truncated && out.status != 0) {
            if (o.fail_on_large_response) return errc::response_too_large;
            out.body_truncated = true;
            return out;
        }
        if (fired || late || clock::now() >= deadline) return errc::timeout;
        if (x.ran) return errc::connection_failed; // reset, closed early, or not an HTTP/1.x response
        switch (err) {
        case httplib::Error::ConnectionTimeout: return errc::timeout;
        case httplib::Error::SSLConnection:
        case httplib::Error::SSLLoadingCerts:
        case httplib::Error::SSLServerVerification: return errc::tls_failure;
        case httplib::Error::Connection: connect_failed_ = true; return errc::connection_failed;
        default: return errc::connection_failed;
        }
    }

    /// Appends "host:port" (IPv6 literals in brackets); without ":port" for the scheme's default port
    /// when `omit_default_port` (the Host field).
    static void append_authority(std::string& out, const parsed_url& url, bool omit_default_port) {
        const bool ipv6 = url.host.find(':') != std::string::npos;
        if (ipv6) out.push_back('[');
        out.append(url.host);
        if (ipv6) out.push_back(']');
        if (omit_default_port && url.port == (url.scheme == "https" ? 443 : 80)) return;
        char port[8];
        const auto end = std::to_chars(port, port + sizeof port, url.port).ptr;
        out.append(":").append(port, static_cast<std::size_t>(end - port));
    }

    /// "scheme://host:port@address", built in one allocation.
    static std::string pool_key(const parsed_url& url, const std::string& ip) {
        std::string key;
        key.reserve(url.scheme.size() + url.host.size() + ip.size() + 16);
        key.append(url.scheme).append("://");
        append_authority(key, url, false);
        key.append("@").append(ip);
        return key;
    }

    /// The request as hookline writes it (`exchange_client`): head and small body in one buffer.
    void prepare_exchange(const parsed_url& url, const http_request& request,
                          std::chrono::steady_clock::time_point deadline, http_response& out, std::string& wire,
                          detail::exchange& x) const {
        const auto& o = state_->options;
        std::string host;
        append_authority(host, url, true);
        // Through an HTTP proxy a plain request names its absolute URL; HTTPS went through CONNECT.
        const bool absolute = url.scheme == "http" && !o.proxy_host.empty();
        const std::string target_storage = absolute ? "http://" + url.authority() + url.target : std::string();
        const std::string_view target = absolute ? std::string_view(target_storage) : std::string_view(url.target);
        std::optional<std::size_t> length;
        if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH")
            length = request.body.size();
        const bool gather = request.body.size() <= max_gathered_body;
        std::size_t guess = 128 + request.method.size() + target.size() + host.size() + o.user_agent.size();
        for (const auto& h : request.headers) guess += h.name.size() + h.value.size() + 4;
        wire.reserve(guess + (gather ? request.body.size() : 0));
        detail::http1::append_request_head(wire, request.method, target, host, request.headers, o.user_agent, length);
        if (gather)
            wire.append(request.body);
        else
            x.body_after = request.body;
        x.wire = wire;
        x.head_request = request.method == "HEAD";
        x.max_body = o.max_response_body;
        x.deadline = deadline;
        x.out = &out;
    }

    /// The request as cpp-httplib writes it (other cpp-httplib versions, HOOKLINE_HTTPLIB_OWN_STREAMS).
    void prepare_httplib_request(const parsed_url& url, const http_request& request,
                                 std::chrono::steady_clock::time_point deadline, http_response& out,
                                 httplib::Request& req, bool& truncated, bool& late) const {
        const auto& o = state_->options;
        req.method = request.method;
        req.path = url.target;
        bool has_agent = false;
        for (const auto& h : request.headers) {
            // Framing is the transport's: a caller's Host, Content-Length or Transfer-Encoding could
            // desynchronise the request from what is actually sent.
            if (iequals(h.name, "host") || iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding"))
                continue;
            has_agent = has_agent || iequals(h.name, "user-agent");
            req.headers.emplace(h.name, h.value);
        }
        if (!has_agent && !o.user_agent.empty()) req.headers.emplace("User-Agent", o.user_agent);
        // The body goes out through a provider: no copy into the request.
        if (!request.body.empty()) {
            req.content_length_ = request.body.size();
            req.content_provider_ = [&request](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                return sink.write(request.body.data() + offset, length);
            };
        }
        req.response_handler = [&out](const httplib::Response& res) {
            out.status = res.status;
            for (const auto& [k, v] : res.headers) out.headers.add(k, v);
            return true;
        };
        req.content_receiver = [&out, &truncated, &late, &o, deadline](const char* data, std::size_t n, std::uint64_t,
                                                                       std::uint64_t) {
            if (std::chrono::steady_clock::now() >= deadline) {
                late = true;
                return false;
            }
            std::size_t room = o.max_response_body - out.body_excerpt.size();
            out.body_excerpt.append(data, std::min(n, room));
            if (n > room) {
                truncated = true;
                return false;
            }
            return true;
        };
    }

    /// Bodies up to this size leave in the same write as the request head.
    static constexpr std::size_t max_gathered_body = std::size_t{64} * 1024;

    static bool iequals(std::string_view a, std::string_view b) noexcept { return detail::iequals(a, b); }

    std::shared_ptr<detail::httplib_transport_state> state_;
};

static_assert(transport<httplib_transport>);
static_assert(transport<const httplib_transport>);

HOOKLINE_END_NAMESPACE
