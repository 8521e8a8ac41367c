/// \file The inside of `beast_server` (hookline/serving/beast_server.hpp), part 2: starting and
/// stopping, the accept loop with its connection cap (the state and the sessions are in
/// beast_session.hpp), and `beast_server`'s members.
///
/// Thread-safety: see beast_session.hpp; the accept loop runs on the acceptor's strand.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/worker_pool.hpp>
#include <hookline/serving/beast_server.hpp>
#include <hookline/serving/detail/beast_session.hpp>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <system_error>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

inline result<void> beast_core::start() {
    if (started_ || !handler) return errc::invalid_argument;
    boost_error ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) return errc::invalid_argument;
    limits = {.max_header_bytes = options.max_header_bytes, .max_body_bytes = options.max_body_bytes};
    const std::size_t n = options.io_threads == 0 ? 1 : options.io_threads;
    ioc_ = std::make_unique<asio::io_context>(static_cast<int>(n));
    acceptor_ = std::make_unique<asio_tcp::acceptor>(asio::make_strand(*ioc_));
    const asio_tcp::endpoint where(address, options.port);
    auto fail = [&](const boost_error& e) -> result<void> {
        acceptor_.reset();
        ioc_.reset();
        return std::error_code(e);
    };
    if (acceptor_->open(where.protocol(), ec); ec) return fail(ec);
    if (acceptor_->set_option(asio::socket_base::reuse_address(true), ec); ec) return fail(ec);
    if (acceptor_->bind(where, ec); ec) return fail(ec);
    if (acceptor_->listen(asio::socket_base::max_listen_connections, ec); ec) return fail(ec);
    const auto local = acceptor_->local_endpoint(ec);
    if (ec) return fail(ec);
    port = local.port();
    retry_timer_ = std::make_unique<asio::steady_timer>(acceptor_->get_executor());
    if (!options.inline_handlers) pool = std::make_unique<worker_pool>(options.workers);
    started_ = true;
    work_.emplace(ioc_->get_executor());
    asio::post(acceptor_->get_executor(), [this] { schedule_next(); });
    threads_.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        threads_.emplace_back([this] {
            for (;;) {
                try {
                    ioc_->run();
                    return;
                } catch (...) { // a handler threw (out of memory): keep serving
                }
            }
        });
    return {};
}

inline void beast_core::stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    stopping = true;
    work_.reset();
    ioc_->stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    // Handlers already queued run; the responses they post stay in the stopped io_context.
    if (pool) pool->stop();
    retry_timer_.reset();
    acceptor_.reset();
    ioc_.reset(); // destroys the pending operations, and with them the sessions and their sockets
    pool.reset();
}

inline beast_server_stats beast_core::snapshot() const noexcept {
    constexpr auto r = std::memory_order_relaxed;
    return {.connections_accepted = stats.accepted.load(r),
            .connections_open = open.load(r),
            .responses = stats.responses.load(r),
            .closed_request_deadline = stats.request_deadline.load(r),
            .closed_idle_timeout = stats.idle_timeout.load(r),
            .closed_write_timeout = stats.write_timeout.load(r),
            .closed_for_capacity = stats.for_capacity.load(r),
            .accept_paused = stats.accept_paused.load(r),
            .refused_header_too_large = stats.header_too_large.load(r),
            .refused_body_too_large = stats.body_too_large.load(r),
            .refused_bad_request = stats.bad_request.load(r),
            .refused_busy = stats.busy.load(r),
            .accept_errors = stats.accept_errors.load(r)};
}

inline void beast_core::session_ended() noexcept {
    open.fetch_sub(1);
    if (stopping.load() || !paused.load()) return;
    try {
        asio::post(acceptor_->get_executor(), [this] { schedule_next(); });
    } catch (...) {
    }
}

inline void beast_core::session_idle() {
    if (paused.load() && !stopping.load()) asio::post(acceptor_->get_executor(), [this] { schedule_next(); });
}

// The accept loop (acceptor strand). Below the cap: accept. At the cap: wait until a connection is
// pending (without accepting it), then close the oldest idle connection to make room, or, with none
// idle, leave it waiting until a session ends or becomes idle (both post here while `paused`).
inline void beast_core::schedule_next() {
    if (stopping.load() || accepting_) return;
    auto below_cap = [&] {
        if (open.load() >= std::max<std::size_t>(options.max_connections, 1)) return false;
        paused = false;
        pending_ = evicting_ = pause_counted_ = waiting_ = false;
        ++wait_gen_; // a wait still under way is for the connection about to be accepted: ignored
        do_accept();
        return true;
    };
    if (below_cap()) return;
    paused = true; // published before looking again: a session ending now sees it and posts here
    if (below_cap()) return;
    if (!pending_) {
        if (!waiting_) {
            waiting_ = true;
            acceptor_->async_wait(asio_tcp::acceptor::wait_read, [this, gen = wait_gen_](const boost_error& ec) {
                if (gen != wait_gen_) return;
                waiting_ = false;
                if (ec || stopping.load()) return;
                pending_ = true;
                schedule_next();
            });
        }
        return;
    }
    if (evicting_) return; // one closing already: wait for it to end
    if (evict_oldest_idle()) {
        evicting_ = true;
    } else if (!pause_counted_) {
        pause_counted_ = true;
        count(stats.accept_paused);
    }
}

inline void beast_core::do_accept() {
    accepting_ = true;
    acceptor_->async_accept(asio::make_strand(*ioc_), [this](const boost_error& ec, asio_tcp::socket socket) {
        on_accept(ec, std::move(socket));
    });
}

inline void beast_core::on_accept(const boost_error& ec, asio_tcp::socket socket) {
    accepting_ = false;
    if (stopping.load()) return;
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        count(stats.accept_errors);
        accepting_ = true; // out of descriptors, say: try again shortly rather than spin
        retry_timer_->expires_after(std::chrono::milliseconds(100));
        retry_timer_->async_wait([this](const boost_error& e) {
            accepting_ = false;
            if (!e) schedule_next();
        });
        return;
    }
    boost_error ignored;
    if (options.tcp_nodelay) socket.set_option(asio_tcp::no_delay(true), ignored);
    open.fetch_add(1);
    count(stats.accepted);
    auto session = std::make_shared<beast_session>(*this, std::move(socket));
    asio::post(session->executor(), [session] { session->start(); });
    schedule_next();
}

inline bool beast_core::evict_oldest_idle() {
    std::shared_ptr<beast_session> victim;
    {
        std::lock_guard lock(idle_mutex);
        for (auto it = idle.begin(); it != idle.end(); ++it) {
            victim = it->lock(); // an expired entry belongs to a session being destroyed: it erases it
            if (!victim) continue;
            victim->evicted_ = true;
            victim->idle_pos_.reset();
            idle.erase(it);
            break;
        }
    }
    if (!victim) return false;
    count(stats.for_capacity);
    asio::post(victim->executor(), [victim] { victim->evict(); });
    return true;
}

} // namespace detail

inline beast_server::beast_server(beast_server_options options)
    : core_(std::make_unique<detail::beast_core>(nullptr, std::move(options))) {}
inline beast_server::beast_server(beast_server&&) noexcept = default;
inline beast_server& beast_server::operator=(beast_server&&) noexcept = default;
inline beast_server::~beast_server() = default;

inline void beast_server::set_handler(handler_type handler) { core_->handler = std::move(handler); }
inline beast_server_options& beast_server::options() noexcept { return core_->options; }
inline const beast_server_options& beast_server::options() const noexcept { return core_->options; }
inline result<void> beast_server::start() { return core_->start(); }
inline void beast_server::stop() {
    if (core_) core_->stop();
}
inline std::uint16_t beast_server::port() const noexcept { return core_ ? core_->port : 0; }
inline beast_server_stats beast_server::stats() const noexcept {
    return core_ ? core_->snapshot() : beast_server_stats{};
}

HOOKLINE_END_NAMESPACE
