/// \file The inside of `beast_server` (hookline/serving/beast_server.hpp), part 1: the shared state
/// (`beast_core`, whose accept loop with its connection cap is in beast_core.hpp), and one
/// `beast_session` per connection, a state machine on its own strand:
/// request (head, then body, under one deadline) -> handling (worker pool or inline) -> writing ->
/// idle (keep-alive, `idle_timeout`) -> request ...
///
/// Thread-safety: a session's members are touched on its strand only, except `idle_pos_`/`evicted_`
/// (under `beast_core::idle_mutex`) and, while its handler runs on a worker, its request (read there
/// while the strand leaves it alone). The accept loop runs on the acceptor's strand.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/worker_pool.hpp>
#include <hookline/receiving/request.hpp>
#include <hookline/serving/beast_server_options.hpp>
#include <hookline/serving/detail/beast_http.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

namespace asio = boost::asio;
using asio_tcp = boost::asio::ip::tcp;
using boost_error = boost::system::error_code;

class beast_session;

/// What `beast_server::handler_type` is.
using handler_function = std::function<response(const request_view&)>;

/// The server's shared state: options, handler, counters, the idle list and the accept loop.
class beast_core {
public:
    beast_core(handler_function h, beast_server_options o) : options(std::move(o)), handler(std::move(h)) {}
    beast_core(const beast_core&) = delete;
    beast_core& operator=(const beast_core&) = delete;
    ~beast_core() { stop(); }

    result<void> start();
    void stop();
    beast_server_stats snapshot() const noexcept;

    /// A session ended (its destructor).
    void session_ended() noexcept;
    /// A session joined the idle list.
    void session_idle();

    struct counters {
        std::atomic<std::uint64_t> accepted{0}, responses{0}, request_deadline{0}, idle_timeout{0}, write_timeout{0},
            for_capacity{0}, accept_paused{0}, header_too_large{0}, body_too_large{0}, bad_request{0}, busy{0},
            accept_errors{0};
    };
    static void count(std::atomic<std::uint64_t>& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }

    beast_server_options options;
    handler_function handler;
    beast_request_limits limits{};
    counters stats;
    std::atomic<std::size_t> open{0};
    std::atomic<bool> paused{false};
    std::atomic<bool> stopping{false};
    std::unique_ptr<worker_pool> pool;
    std::uint16_t port = 0;

    /// Idle keep-alive sessions, the oldest first.
    std::mutex idle_mutex;
    std::list<std::weak_ptr<beast_session>> idle;

private:
    void schedule_next();
    void do_accept();
    void on_accept(const boost_error& ec, asio_tcp::socket socket);
    bool evict_oldest_idle();

    std::unique_ptr<asio::io_context> ioc_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
    std::unique_ptr<asio_tcp::acceptor> acceptor_;
    std::unique_ptr<asio::steady_timer> retry_timer_;
    std::vector<std::thread> threads_;
    // Acceptor strand only: an accept or a wait for a pending connection under way, a connection known
    // to be pending, an idle one closing to make room for it, the pause counted in the stats.
    bool accepting_ = false;
    bool waiting_ = false;
    bool pending_ = false;
    bool evicting_ = false;
    bool pause_counted_ = false;
    std::uint64_t wait_gen_ = 0;
    bool started_ = false;
    bool stopped_ = false;
};

/// One connection.
class beast_session : public std::enable_shared_from_this<beast_session> {
public:
    beast_session(beast_core& core, asio_tcp::socket socket)
        : core_(core), socket_(std::move(socket)), timer_(socket_.get_executor()),
          buffer_(core.limits.max_header_bytes + std::size_t{64} * 1024) {}
    beast_session(const beast_session&) = delete;
    beast_session& operator=(const beast_session&) = delete;
    ~beast_session() {
        leave_idle();
        core_.session_ended();
    }

    asio::any_io_executor executor() { return socket_.get_executor(); }

    void start() {
        arm(phase::request, core_.options.request_deadline);
        read_head();
    }

    /// Closes this idle connection to make room (posted by the accept loop after taking it off the list).
    void evict() { close(); }

private:
    friend class beast_core;
    enum class phase { request, handling, writing, idle, draining };

    void arm(phase p, std::chrono::milliseconds limit) {
        phase_ = p;
        const std::uint64_t gen = ++timer_gen_;
        timer_.expires_after(limit);
        timer_.async_wait([self = shared_from_this(), gen](const boost_error& ec) {
            if (!ec && gen == self->timer_gen_) self->on_timeout();
        });
    }
    void disarm() {
        ++timer_gen_;
        timer_.cancel();
    }

    void on_timeout() {
        if (closed_) return;
        switch (phase_) {
        case phase::request: beast_core::count(core_.stats.request_deadline); break;
        case phase::idle: beast_core::count(core_.stats.idle_timeout); break;
        case phase::writing: beast_core::count(core_.stats.write_timeout); break;
        case phase::handling:
        case phase::draining: break;
        }
        close();
    }

    void read_head() {
        parser_.emplace();
        prepare_parser(*parser_, core_.limits);
        beast_http::async_read_header(
            socket_, buffer_, *parser_,
            [self = shared_from_this()](const boost_error& ec, std::size_t) { self->on_head(ec); });
    }

    void on_head(const boost_error& ec) {
        if (closed_) return;
        if (ec) return on_read_error(ec);
        if (!accept_body(*parser_, core_.limits)) {
            beast_core::count(core_.stats.body_too_large);
            return dispatch(too_large_length(*parser_, core_.limits));
        }
        if (parser_->is_done()) return dispatch(std::nullopt);
        if (expects_continue(parser_->get())) {
            static constexpr char continue_text[] = "HTTP/1.1 100 Continue\r\n\r\n";
            asio::async_write(socket_, asio::buffer(continue_text, sizeof continue_text - 1),
                              [self = shared_from_this()](const boost_error& e, std::size_t) {
                                  if (self->closed_) return;
                                  if (e) return self->close();
                                  self->read_body();
                              });
            return;
        }
        read_body();
    }

    void read_body() {
        beast_http::async_read(socket_, buffer_, *parser_,
                               [self = shared_from_this()](const boost_error& ec, std::size_t) {
                                   if (self->closed_) return;
                                   if (ec == beast_http::error::body_limit) {
                                       beast_core::count(self->core_.stats.body_too_large);
                                       return self->dispatch(too_large_length(*self->parser_, self->core_.limits));
                                   }
                                   if (ec) return self->on_read_error(ec);
                                   self->dispatch(std::nullopt);
                               });
    }

    void on_read_error(const boost_error& ec) {
        if (ec == beast_http::error::header_limit || ec == beast_http::error::buffer_overflow) {
            beast_core::count(core_.stats.header_too_large);
            return reply_and_close(server_response(431, "431 request header fields too large"));
        }
        if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message ||
            ec.category() != beast_http::make_error_code(beast_http::error::bad_target).category())
            return close(); // the client went away, or a socket error
        beast_core::count(core_.stats.bad_request);
        reply_and_close(server_response(400, "400 bad request"));
    }

    /// The request is in (its body unread when `too_large` is set): hand it to the handler.
    void dispatch(std::optional<std::uint64_t> too_large) {
        disarm();
        phase_ = phase::handling;
        keep_alive_ = !too_large && parser_->get().keep_alive();
        if (!core_.pool) return respond(call_handler(core_.handler, parser_->get(), too_large));
        auto self = shared_from_this();
        const bool queued = core_.pool->try_submit([self, too_large] {
            response r = call_handler(self->core_.handler, self->parser_->get(), too_large);
            asio::post(self->executor(), [self, r = std::move(r)]() mutable { self->respond(std::move(r)); });
        });
        if (queued) return;
        beast_core::count(core_.stats.busy);
        response r = plain_response(503, "503 busy");
        r.headers.add("Retry-After", std::to_string(core_.options.retry_after.count()));
        respond(std::move(r));
    }

    void respond(response r) {
        if (closed_) return;
        response_.emplace(to_beast_response(std::move(r), parser_->get().version(), keep_alive_));
        write();
    }

    void reply_and_close(beast_response res) {
        keep_alive_ = false;
        response_.emplace(std::move(res));
        write();
    }

    void write() {
        arm(phase::writing, core_.options.write_timeout);
        beast_http::async_write(socket_, *response_, [self = shared_from_this()](const boost_error& ec, std::size_t) {
            if (self->closed_) return;
            if (ec) return self->close();
            beast_core::count(self->core_.stats.responses);
            if (!self->keep_alive_) return self->drain_and_close();
            self->wait_next();
        });
    }

    /// Keep-alive: the next request, or silence for at most `idle_timeout`.
    void wait_next() {
        parser_.reset();
        response_.reset();
        if (buffer_.size() > 0) { // pipelined: the next request has begun
            arm(phase::request, core_.options.request_deadline);
            return read_head();
        }
        enter_idle();
        arm(phase::idle, core_.options.idle_timeout);
        socket_.async_read_some(buffer_.prepare(1024),
                                [self = shared_from_this()](const boost_error& ec, std::size_t n) {
                                    if (self->closed_) return;
                                    const bool kept = self->leave_idle();
                                    if (!kept || ec) return self->close(); // evicted, or the client left
                                    self->buffer_.commit(n);
                                    self->arm(phase::request, self->core_.options.request_deadline);
                                    self->read_head();
                                });
    }

    /// After the last response: no more sending, then read and discard what the client still sends
    /// (an unread body) for a short while, so that closing does not reset the connection before the
    /// client read the response.
    void drain_and_close() {
        boost_error ignored;
        socket_.shutdown(asio_tcp::socket::shutdown_send, ignored);
        arm(phase::draining, std::min<std::chrono::milliseconds>(core_.options.write_timeout, std::chrono::seconds(1)));
        drain();
    }
    void drain() {
        socket_.async_read_some(asio::buffer(scratch_),
                                [self = shared_from_this()](const boost_error& ec, std::size_t n) {
                                    if (self->closed_) return;
                                    self->drained_ += n;
                                    if (ec || self->drained_ > std::size_t{1024} * 1024) return self->close();
                                    self->drain();
                                });
    }

    void enter_idle() {
        {
            std::lock_guard lock(core_.idle_mutex);
            idle_pos_ = core_.idle.insert(core_.idle.end(), weak_from_this());
        }
        core_.session_idle();
    }
    /// Off the idle list; false when the accept loop took it off first (evicted).
    bool leave_idle() {
        std::lock_guard lock(core_.idle_mutex);
        if (evicted_) return false;
        if (idle_pos_) core_.idle.erase(*idle_pos_);
        idle_pos_.reset();
        return true;
    }

    void close() {
        if (closed_) return;
        closed_ = true;
        disarm();
        (void)leave_idle();
        boost_error ignored;
        socket_.shutdown(asio_tcp::socket::shutdown_both, ignored);
        socket_.close(ignored);
    }

    beast_core& core_;
    asio_tcp::socket socket_;
    asio::steady_timer timer_;
    boost::beast::flat_buffer buffer_;
    std::optional<beast_request_parser> parser_;
    std::optional<beast_response> response_;
    std::uint64_t timer_gen_ = 0;
    phase phase_ = phase::request;
    bool keep_alive_ = false;
    bool closed_ = false;
    std::size_t drained_ = 0;
    std::array<char, 4096> scratch_{};
    // Under core_.idle_mutex:
    std::optional<std::list<std::weak_ptr<beast_session>>::iterator> idle_pos_;
    bool evicted_ = false;
};

} // namespace detail

HOOKLINE_END_NAMESPACE
