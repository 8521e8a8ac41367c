/// \file The transport's hard total timeout: a watchdog thread that interrupts requests past their
/// deadline, and the slot through which it interrupts a client's socket.
///
/// Thread-safety: `deadline_watchdog::add`/`remove` and `exchange_slot::interrupt` may be called
/// from any thread.
#pragma once

#include <hookline/core/config.hpp>

#include <httplib.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

struct exchange;

/// Where the transport leaves the `exchange` for an `exchange_client`'s next `send`, and how the
/// deadline watchdog interrupts the client's socket: through a duplicate of its descriptor, taken when
/// cpp-httplib creates the socket. `shutdown` on the duplicate ends a blocked connect, TLS handshake,
/// read or write at once, without the client's socket mutex (which cpp-httplib holds while it
/// connects and shakes hands) and without the risk of hitting a reused descriptor number (the
/// duplicate stays open until the next socket replaces it).
class exchange_slot {
public:
    exchange* pending = nullptr;

    exchange_slot() = default;
    exchange_slot(const exchange_slot&) = delete;
    exchange_slot& operator=(const exchange_slot&) = delete;
    virtual ~exchange_slot() {
        if (watch_fd_ >= 0) ::close(watch_fd_);
    }

    /// Carries `x` on the client's kept connection, if it has one (see `exchange_client`); false when
    /// it has none, and the request must go through cpp-httplib's `send`, which connects.
    virtual bool exchange_on_kept(exchange& x) = 0;

    /// cpp-httplib made a new socket.
    void watch(socket_t sock) noexcept {
        const int dup = ::fcntl(sock, F_DUPFD_CLOEXEC, 0);
        std::lock_guard lock(watch_mutex_);
        if (watch_fd_ >= 0) ::close(watch_fd_);
        watch_fd_ = dup;
    }
    /// Shuts the current socket down (any thread).
    void interrupt() noexcept {
        std::lock_guard lock(watch_mutex_);
        if (watch_fd_ >= 0) ::shutdown(watch_fd_, SHUT_RDWR);
    }

private:
    std::mutex watch_mutex_;
    int watch_fd_ = -1;
};

/// One thread that shuts down the connection of any request still running past its deadline
/// (`exchange_slot::interrupt`, or `ClientImpl::stop` for a client without a slot; both are safe while
/// another thread uses the client). cpp-httplib 0.11.4 only has per-operation timeouts; this makes
/// the total timeout hard, e.g. against a server that drips one header line, or one byte of its TLS
/// handshake, just inside each read timeout.
///
/// Cost per request: two short critical sections and no allocation (a `ticket` lives on the caller's
/// stack, linked into an intrusive list). The watchdog thread is woken only when a new deadline is
/// earlier than the time it already plans to look again; after the last request ends it keeps that
/// plan for `idle_linger` before sleeping until woken, so a steady stream of requests never wakes it.
class deadline_watchdog {
public:
    using clock = std::chrono::steady_clock;
    static constexpr std::chrono::milliseconds idle_linger{1000};

    /// One watched request; must stay alive (and unmoved) between `add` and `remove`.
    struct ticket {
        clock::time_point deadline{};
        httplib::ClientImpl* client = nullptr;
        exchange_slot* slot = nullptr; ///< when set, interrupted through it instead of `client->stop()`
        bool firing = false;
        bool fired = false;
        ticket* prev = nullptr;
        ticket* next = nullptr;
    };

    deadline_watchdog() = default;
    deadline_watchdog(const deadline_watchdog&) = delete;
    deadline_watchdog& operator=(const deadline_watchdog&) = delete;
    ~deadline_watchdog() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

    /// Watches `t.client` until `t.deadline`, then until `remove(t)`.
    void add(ticket& t) {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
        t.prev = nullptr;
        t.next = head_;
        if (head_) head_->prev = &t;
        head_ = &t;
        if (t.deadline < next_wake_) { // otherwise the watchdog looks early enough anyway
            next_wake_ = t.deadline;
            wake_cv_.notify_one();
        }
    }

    /// Stops watching; returns whether the deadline fired. After it returns the watchdog no longer
    /// touches the client.
    bool remove(ticket& t) {
        std::unique_lock lock(mutex_);
        if (t.firing) fired_cv_.wait(lock, [&] { return !t.firing; });
        if (t.prev)
            t.prev->next = t.next;
        else
            head_ = t.next;
        if (t.next) t.next->prev = t.prev;
        t.prev = t.next = nullptr;
        return t.fired;
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        bool lingering = false;
        while (!stopping_) {
            ticket* earliest = nullptr;
            for (ticket* t = head_; t; t = t->next)
                if (!t->firing && (!earliest || t->deadline < earliest->deadline)) earliest = t;
            const auto now = clock::now();
            if (!earliest) {
                if (lingering) { // quiet for idle_linger: sleep until a request comes
                    lingering = false;
                    next_wake_ = clock::time_point::max();
                    wake_cv_.wait(lock);
                } else {
                    lingering = true;
                    next_wake_ = now + idle_linger;
                    wake_cv_.wait_until(lock, next_wake_);
                }
                continue;
            }
            lingering = false;
            if (now < earliest->deadline) {
                next_wake_ = earliest->deadline;
                wake_cv_.wait_until(lock, next_wake_);
                continue;
            }
            next_wake_ = clock::time_point::min();
            earliest->firing = true;
            auto* client = earliest->client;
            auto* slot = earliest->slot;
            lock.unlock();
            if (slot)
                slot->interrupt();
            else
                client->stop(); // may wait while the client connects or shakes hands
            lock.lock();
            earliest->firing = false; // remove() waits for this: the ticket is still alive
            earliest->fired = true;
            // Fire again shortly in case the stop landed before the connection existed.
            earliest->deadline = clock::now() + std::chrono::milliseconds(50);
            fired_cv_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_cv_;  // the watchdog thread waits here
    std::condition_variable fired_cv_; // remove() waits here while its ticket fires
    ticket* head_ = nullptr;
    clock::time_point next_wake_ = clock::time_point::min(); // when the watchdog will look next
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace detail

HOOKLINE_END_NAMESPACE
