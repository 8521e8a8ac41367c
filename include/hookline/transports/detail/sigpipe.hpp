/// \file SIGPIPE in the calling thread: blocked for a call, blocked for good, or discarded when pending
/// (see `httplib_transport.hpp` for why).
///
/// Thread-safety: everything here acts on the calling thread's signal mask and pending signals only.
#pragma once

#include <hookline/core/config.hpp>

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <ctime>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Discards a SIGPIPE pending for this thread (only call where SIGPIPE is blocked).
inline void consume_pending_sigpipe() noexcept {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) != 1) return;
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, SIGPIPE);
    timespec zero{0, 0};
    while (sigtimedwait(&only, nullptr, &zero) < 0 && errno == EINTR) {
    }
}

/// Blocks SIGPIPE in this thread for its lifetime; a SIGPIPE raised meanwhile is consumed.
class sigpipe_blocker {
public:
    explicit sigpipe_blocker(bool active) : active_(active) {
        if (!active_) return;
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        sigset_t block;
        sigemptyset(&block);
        sigaddset(&block, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &block, &old_);
    }
    ~sigpipe_blocker() {
        if (!active_) return;
        if (!was_pending_) consume_pending_sigpipe();
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    sigpipe_blocker(const sigpipe_blocker&) = delete;
    sigpipe_blocker& operator=(const sigpipe_blocker&) = delete;

private:
    bool active_;
    bool was_pending_ = false;
    sigset_t old_{};
};

/// Marks SIGPIPE as blocked for good in the calling thread (a thread the library owns, such as a
/// sender's worker): blocks it once, and `httplib_transport` then skips its per-call signal-mask
/// calls in this thread. A SIGPIPE raised later in the thread stays pending and blocked, and is
/// discarded after a failed request. Idempotent.
inline thread_local bool sigpipe_blocked_for_thread = false;
inline void block_sigpipe_for_this_thread() noexcept {
    if (sigpipe_blocked_for_thread) return;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    sigpipe_blocked_for_thread = true;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
