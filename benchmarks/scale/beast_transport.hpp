// beast_transport: a BENCHMARK-ONLY asynchronous transport on Boost.Beast + Boost.Asio, written to
// measure the second candidate for the delivery engine against curl_transport with the same
// scale driver (benchmarks/scale/scale_bench.cpp built with SCALE_ENGINE_BEAST -> scale_bench_beast;
// the comparison is docs/transports-comparison.md). It is not part of the library and not a
// transport to ship.
//
// It models hookline's `async_transport` concept: `start(request, done)` returns at once, `done` runs
// exactly once and always on the transport's I/O thread (errors found inside `start` are posted
// there too), the request's body is a view the caller keeps alive until then, and requests still
// pending when the last copy of the transport goes away complete with `errc::stopped`. Errors are
// hookline's `errc` values.
//
// Scope: only what the scale driver needs, each with the stock Asio/Beast tool for it:
//   - plain HTTP/1.1 over TCP; `https` URLs are refused with errc::invalid_url (no TLS, no ALPN/HTTP/2,
//     no proxy, no client certificates);
//   - one io_context run by one I/O thread; `start` builds the Beast request on the caller's thread
//     and posts it there;
//   - a keep-alive connection pool per origin (host:port): the most recently used idle connection is
//     reused (checked with a zero-timeout poll first, as libcurl does), idle connections older than
//     `idle_timeout` are closed, and at most `max_idle_connections` are kept (0: four times the
//     requests in flight, libcurl's default sizing), the least recently used closed first. A request
//     that fails on a reused connection before any response byte arrives is retried once on a new one;
//   - the request's total timeout (or `total_timeout`) as one deadline on the beast::tcp_stream
//     (`expires_at`), which covers connect (also bounded by `connect_timeout`), write and read;
//   - a bounded response body (http::response_parser::body_limit). Simplification: a longer body ends
//     the read and the connection; with `fail_on_large_response` false the response comes back with
//     `body_truncated` and whatever body bytes Beast had stored (none when a Content-Length above the
//     limit was announced: Beast refuses it before reading the body), not the first `cap` bytes;
//   - the address policy (SSRF) checked on the resolved addresses before connecting: the whole host is
//     refused when any address is (as `check_all`), and again per address in async_connect's connect
//     condition, just before each connect. Names resolve through `resolver` when set (the scale
//     driver maps every e<n>.scale.test to 127.0.0.1 that way; it runs on the I/O thread, so it must
//     be quick), otherwise through Asio's asynchronous resolver (not bounded by the deadline); a
//     reused connection is not resolved again;
//   - no 1xx handling, no redirects, no request/response trailers, no Expect: 100-continue.
#pragma once

#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/transports/address_policy.hpp>
#include <hookline/transports/async_transport.hpp>
#include <hookline/transports/transport.hpp>

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/span_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace scale {

/// Options of `beast_transport`; names and defaults follow `hookline::curl_transport_options`.
struct beast_transport_options {
    std::chrono::milliseconds total_timeout = std::chrono::seconds(15); ///< for requests without a timeout
    std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
    std::size_t max_response_body = std::size_t{64} * 1024;
    bool fail_on_large_response = false;
    hookline::address_policy addresses{};
    std::string user_agent = "hookline-bench-beast";
    std::size_t max_idle_connections = 0; ///< 0: four times the requests in flight
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
    /// Simulated DNS, called on the I/O thread; empty: Asio's asynchronous resolver.
    std::function<hookline::result<std::vector<hookline::ip_address>>(const std::string& host)> resolver{};
};

namespace beast_detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

inline net::ip::address to_asio(const hookline::ip_address& a) {
    if (!a.v6) {
        net::ip::address_v4::bytes_type b{};
        std::copy_n(a.bytes.begin(), b.size(), b.begin());
        return net::ip::address_v4(b);
    }
    net::ip::address_v6::bytes_type b{};
    std::copy_n(a.bytes.begin(), b.size(), b.begin());
    return net::ip::address_v6(b);
}

inline hookline::ip_address from_asio(const net::ip::address& a) {
    hookline::ip_address out;
    if (a.is_v4()) {
        const auto b = a.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), out.bytes.begin());
    } else {
        const auto b = a.to_v6().to_bytes();
        std::copy(b.begin(), b.end(), out.bytes.begin());
        out.v6 = true;
    }
    return out;
}

using hookline::detail::iequals;

/// One keep-alive connection to an origin.
struct connection {
    connection(net::io_context& ioc, std::string o) : stream(ioc), origin(std::move(o)) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer{};
    std::string origin;
    clock_type::time_point idle_since{};

    void close() noexcept {
        beast::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream.close();
    }

    /// An idle connection is usable when nothing is readable on it: readable means the peer closed
    /// it (or sent bytes nobody asked for). One poll with a zero timeout, as libcurl checks.
    bool idle_and_open() {
        if (!stream.socket().is_open()) return false;
        pollfd p{stream.socket().native_handle(), POLLIN, 0};
        return ::poll(&p, 1, 0) == 0;
    }
};

/// Idle connections by origin, the least recently used first (I/O thread only).
class connection_pool {
public:
    /// The most recently used idle connection to `origin` that is still open and young enough.
    std::shared_ptr<connection> take(const std::string& origin, clock_type::time_point now,
                                     std::chrono::milliseconds idle_timeout) {
        auto it = by_origin_.find(origin);
        if (it == by_origin_.end()) return nullptr;
        std::shared_ptr<connection> found;
        auto& stack = it->second;
        while (!stack.empty() && !found) {
            auto pos = stack.back();
            stack.pop_back();
            auto c = std::move(*pos);
            lru_.erase(pos);
            if (now - c->idle_since <= idle_timeout && c->idle_and_open())
                found = std::move(c);
            else
                c->close();
        }
        if (stack.empty()) by_origin_.erase(it);
        return found;
    }

    /// Keeps `c` for reuse, closing the least recently used idle connections beyond `cap`.
    void put(std::shared_ptr<connection> c, clock_type::time_point now, std::size_t cap) {
        while (!lru_.empty() && lru_.size() >= cap) evict_oldest();
        if (cap == 0) return c->close();
        c->idle_since = now;
        c->stream.expires_never();
        auto& stack = by_origin_[c->origin];
        stack.push_back(lru_.insert(lru_.end(), std::move(c)));
    }

    void close_all() {
        for (auto& c : lru_) c->close();
        lru_.clear();
        by_origin_.clear();
    }

    std::size_t size() const noexcept { return lru_.size(); }

private:
    using list_type = std::list<std::shared_ptr<connection>>;

    void evict_oldest() {
        auto oldest = lru_.begin();
        auto it = by_origin_.find((*oldest)->origin);
        if (it != by_origin_.end()) {
            std::erase(it->second, oldest);
            if (it->second.empty()) by_origin_.erase(it);
        }
        (*oldest)->close();
        lru_.erase(oldest);
    }

    list_type lru_{};
    std::unordered_map<std::string, std::vector<list_type::iterator>> by_origin_{};
};

class exchange;

/// What every copy of a transport shares: the io_context, its thread, the pool.
struct state {
    explicit state(beast_transport_options o) : options(std::move(o)), work(net::make_work_guard(ioc)) {
        thread = std::thread([this] { ioc.run(); });
    }
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    /// Completes what is pending with errc::stopped (on the I/O thread), closes every connection and
    /// joins the thread. Everything posted before this ran first, so no request is left behind.
    ~state() {
        net::post(ioc, [this] { shut_down(); });
        thread.join();
    }

    void shut_down();

    beast_transport_options options;
    net::io_context ioc{1};
    net::executor_work_guard<net::io_context::executor_type> work;
    connection_pool pool{};                 // I/O thread only
    std::unordered_set<exchange*> active{}; // I/O thread only: started and not completed
    bool stopping = false;                  // I/O thread only
    std::atomic<std::size_t> started{0}, completed{0};
    std::thread thread{};
};

/// One request: built on the caller's thread, then driven on the I/O thread by its handlers, each of
/// which holds the exchange alive.
class exchange : public std::enable_shared_from_this<exchange> {
public:
    exchange(state& s, hookline::completion_handler done)
        : s_(s), done_(std::move(done)), started_(clock_type::now()) {}
    exchange(const exchange&) = delete;
    exchange& operator=(const exchange&) = delete;
    ~exchange() {
        if (done_) { // not reached: every exchange is completed by its handlers or by shut_down
            try {
                done_(hookline::errc::stopped);
            } catch (...) {
            }
        }
    }

    /// Parses and checks the request and builds the HTTP/1.1 message (the caller's thread). An error
    /// is kept for `run`, so that it too is reported on the I/O thread.
    void prepare(const hookline::http_request& r) {
        auto url = hookline::parse_url(r.url);
        if (!url) return fail_early(url.error());
        if (url->scheme != "http") return fail_early(hookline::errc::invalid_url); // benchmark scope: no TLS
        if (!hookline::header_name_ok(r.method)) return fail_early(hookline::errc::invalid_argument);
        for (const auto& h : r.headers)
            if (!hookline::header_name_ok(h.name) || !hookline::header_value_ok(h.value))
                return fail_early(hookline::errc::invalid_argument);
        host_ = url->host;
        port_ = url->port;
        host_is_ip_ = url->host_is_ip;
        origin_ = url->authority();
        timeout_ = r.timeout.count() > 0 ? r.timeout : s_.options.total_timeout;
        head_ = r.method == "HEAD";

        const auto verb = http::string_to_verb(r.method);
        if (verb == http::verb::unknown)
            req_.method_string(r.method);
        else
            req_.method(verb);
        req_.target(url->target);
        req_.version(11);
        req_.set(http::field::host, port_ == 80 ? origin_.substr(0, origin_.rfind(':')) : origin_);
        bool has_agent = false;
        for (const auto& h : r.headers) {
            if (iequals(h.name, "host") || iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding"))
                continue; // the transport's
            has_agent = has_agent || iequals(h.name, "user-agent");
            req_.insert(h.name, h.value);
        }
        if (!has_agent && !s_.options.user_agent.empty()) req_.set(http::field::user_agent, s_.options.user_agent);
        req_.body() = body_type::value_type(r.body.data(), r.body.size()); // a view: the caller keeps it
        if (!head_ && !(verb == http::verb::get && r.body.empty())) req_.content_length(r.body.size());
    }

    /// Starts the exchange (the I/O thread).
    void run() {
        s_.active.insert(this);
        registered_ = true;
        if (error_) return finish(*error_);
        if (s_.stopping) return finish(hookline::errc::stopped);
        deadline_ = started_ + timeout_;
        if (auto c = s_.pool.take(origin_, clock_type::now(), s_.options.idle_timeout)) {
            conn_ = std::move(c);
            reused_ = true;
            return send();
        }
        open();
    }

    /// Completes the exchange with `r` (once; later calls do nothing) and hands the connection back
    /// to the pool when the response left it reusable.
    void finish(hookline::result<hookline::http_response> r) {
        if (finished_) return;
        finished_ = true;
        if (registered_) s_.active.erase(this);
        if (conn_) {
            if (keep_ && !s_.stopping) {
                const std::size_t cap =
                    s_.options.max_idle_connections != 0 ? s_.options.max_idle_connections : 4 * (s_.active.size() + 1);
                s_.pool.put(std::move(conn_), clock_type::now(), cap);
            } else {
                conn_->close(); // also cancels an operation still pending on it (its handler then does nothing)
            }
            conn_.reset();
        }
        ++s_.completed;
        auto done = std::move(done_);
        done_ = nullptr;
        try {
            done(std::move(r));
        } catch (...) {
        }
    }

private:
    using body_type = http::span_body<const char>;

    void fail_early(std::error_code e) { error_ = e; }

    /// Resolves (unless reconnecting to a literal), checks and connects.
    void open() {
        reused_ = false;
        if (host_is_ip_) {
            auto ip = hookline::ip_address::parse(host_);
            if (!ip) return finish(hookline::errc::invalid_url);
            return connect({*ip});
        }
        if (s_.options.resolver) {
            auto found = s_.options.resolver(host_);
            if (!found) return finish(found.error());
            return connect(*found);
        }
        resolver_.emplace(s_.ioc);
        resolver_->async_resolve(
            host_, std::to_string(port_),
            [self = shared_from_this()](const beast::error_code& ec, const tcp::resolver::results_type& results) {
                if (self->finished_) return;
                if (ec) return self->finish(hookline::errc::dns_failure);
                std::vector<hookline::ip_address> found;
                for (const auto& e : results) {
                    auto a = from_asio(e.endpoint().address());
                    if (std::find(found.begin(), found.end(), a) == found.end()) found.push_back(a);
                }
                self->connect(found);
            });
    }

    /// The address policy on every resolved address (the host is refused as a whole when any is),
    /// then on each address again just before it is connected to.
    void connect(const std::vector<hookline::ip_address>& found) {
        if (auto ok = hookline::check_all(found, s_.options.addresses); !ok) return finish(ok.error());
        endpoints_.clear();
        for (const auto& a : found) endpoints_.emplace_back(to_asio(a), port_);
        conn_ = std::make_shared<connection>(s_.ioc, origin_);
        const auto now = clock_type::now();
        conn_->stream.expires_at(std::min(deadline_, now + s_.options.connect_timeout));
        auto vet = [this](const beast::error_code&, const tcp::endpoint& ep) {
            const bool ok = s_.options.addresses.check(from_asio(ep.address())).has_value();
            refused_ = refused_ || !ok;
            return ok;
        };
        conn_->stream.async_connect(
            endpoints_, vet,
            [self = shared_from_this()](const beast::error_code& ec, const tcp::endpoint&) { self->on_connect(ec); });
    }

    void on_connect(const beast::error_code& ec) {
        if (finished_) return;
        if (ec == beast::error::timeout) return finish(hookline::errc::timeout);
        if (ec) return finish(refused_ ? hookline::errc::address_refused : hookline::errc::connection_failed);
        beast::error_code ignored;
        conn_->stream.socket().set_option(tcp::no_delay(true), ignored);
        send();
    }

    void send() {
        conn_->stream.expires_at(deadline_); // one deadline for the write and the read
        http::async_write(conn_->stream, req_, [self = shared_from_this()](const beast::error_code& ec, std::size_t) {
            self->on_write(ec);
        });
    }

    void on_write(const beast::error_code& ec) {
        if (finished_) return;
        if (ec) return failed(ec, false);
        parser_.emplace();
        parser_->body_limit(s_.options.max_response_body);
        if (head_) parser_->skip(true);
        http::async_read(conn_->stream, conn_->buffer, *parser_,
                         [self = shared_from_this()](const beast::error_code& e, std::size_t) { self->on_read(e); });
    }

    void on_read(const beast::error_code& ec) {
        if (finished_) return;
        if (ec == http::error::body_limit) {
            if (s_.options.fail_on_large_response) return finish(hookline::errc::response_too_large);
            return finish(response(true));
        }
        if (ec) return failed(ec, parser_->got_some());
        keep_ = parser_->get().keep_alive() && conn_->buffer.size() == 0;
        finish(response(false));
    }

    /// An I/O error: a timeout, or a connection that failed. A reused connection that failed before
    /// any byte of the response came back was probably closed by the server meanwhile: once, the
    /// request is sent again on a new connection.
    void failed(const beast::error_code& ec, bool got_some) {
        if (ec == beast::error::timeout) return finish(hookline::errc::timeout);
        if (reused_ && !retried_ && !got_some && clock_type::now() < deadline_) {
            retried_ = true;
            conn_->close();
            conn_.reset();
            return open();
        }
        finish(hookline::errc::connection_failed);
    }

    hookline::http_response response(bool truncated) {
        auto& m = parser_->get();
        hookline::http_response out;
        out.status = static_cast<int>(m.result_int());
        for (const auto& f : m) {
            const auto name = f.name_string();
            const auto value = f.value();
            out.headers.add(std::string(name.data(), name.size()), std::string(value.data(), value.size()));
        }
        out.body_excerpt = std::move(m.body());
        if (out.body_excerpt.size() > s_.options.max_response_body) {
            out.body_excerpt.resize(s_.options.max_response_body);
            truncated = true;
        }
        out.body_truncated = truncated;
        out.latency = std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - started_);
        return out;
    }

    state& s_;
    hookline::completion_handler done_;
    clock_type::time_point started_;
    clock_type::time_point deadline_{};
    std::optional<std::error_code> error_{};
    std::string host_{}, origin_{};
    std::uint16_t port_ = 0;
    bool host_is_ip_ = false, head_ = false;
    std::chrono::milliseconds timeout_{0};
    http::request<body_type> req_{};
    std::optional<http::response_parser<http::string_body>> parser_{};
    std::optional<tcp::resolver> resolver_{};
    std::vector<tcp::endpoint> endpoints_{};
    std::shared_ptr<connection> conn_{};
    bool registered_ = false, finished_ = false, reused_ = false, retried_ = false, keep_ = false, refused_ = false;
};

inline void state::shut_down() {
    stopping = true;
    const std::vector<exchange*> pending(active.begin(), active.end());
    for (auto* ex : pending) ex->finish(hookline::errc::stopped);
    pool.close_all();
    ioc.stop(); // handlers of the cancelled operations are destroyed with the io_context
}

} // namespace beast_detail

/// The benchmark's Beast transport; see the comment at the top of this file.
///
/// Thread-safety: `start` may be called from any number of threads at once. Copies share the
/// io_context, its thread and the connections; the last copy to go away completes what is pending
/// with `errc::stopped` and joins the thread. Completions run on the I/O thread.
class beast_transport {
public:
    explicit beast_transport(beast_transport_options options = {})
        : state_(std::make_shared<beast_detail::state>(std::move(options))) {}

    /// Starts `request`; `done` runs on the I/O thread when it completes (also when it is refused at once).
    void start(const hookline::http_request& request, hookline::completion_handler done) {
        auto ex = std::make_shared<beast_detail::exchange>(*state_, std::move(done));
        ex->prepare(request);
        ++state_->started;
        beast_detail::net::post(state_->ioc, [ex] { ex->run(); });
    }

    /// Requests started and not yet completed (approximate).
    std::size_t in_flight() const { return state_->started.load() - state_->completed.load(); }

    const beast_transport_options& options() const noexcept { return state_->options; }

private:
    std::shared_ptr<beast_detail::state> state_;
};

static_assert(hookline::async_transport<beast_transport>);

} // namespace scale
