/// \file The SQLite store's "one sender per file" lock: an exclusive `flock` on a side file,
/// `<database>-hookline.lock`, held for the store's lifetime.
///
/// Why a side file: SQLite's own locks on the database are POSIX advisory locks, which belong to the
/// process and which the kernel drops when *any* descriptor of the file is closed in that process, so
/// opening and closing the database file ourselves would silently release the locks of every SQLite
/// connection to it in this process (the application's outbox connection among them). `flock` on another
/// file never touches them. `flock` belongs to the open file description: a second open of the lock file
/// conflicts even inside one process, a process that dies (even by SIGKILL) loses it with its descriptors,
/// and `O_CLOEXEC` keeps it out of programs the application executes.
///
/// Thread-safety: a `sqlite_file_lock` is owned by one store state; it is not shared.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// An exclusive lock on `<database>-hookline.lock`, released when the object goes (or the process dies).
class sqlite_file_lock {
public:
    sqlite_file_lock() = default;
    sqlite_file_lock(const sqlite_file_lock&) = delete;
    sqlite_file_lock& operator=(const sqlite_file_lock&) = delete;
    sqlite_file_lock(sqlite_file_lock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    sqlite_file_lock& operator=(sqlite_file_lock&& o) noexcept {
        if (this != &o) {
            release();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~sqlite_file_lock() { release(); }

    /// The lock file of the database file `database` (as SQLite names it: absolute, links resolved).
    static std::string path_for(std::string_view database) { return std::string(database) + "-hookline.lock"; }

    /// Takes the lock of `database` without waiting: `errc::store_in_use` when another process (or another
    /// store in this one) holds it, `errc::store_failure` when the lock file cannot be opened (a symbolic
    /// link there is refused). An empty name (an in-memory or temporary database) needs no lock.
    result<void> acquire(std::string_view database) {
        if (database.empty()) return {};
        const std::string path = path_for(database);
        int fd = -1;
        do {
            fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        } while (fd < 0 && errno == EINTR);
        if (fd < 0) return errc::store_failure;
        int rc = 0;
        do {
            rc = ::flock(fd, LOCK_EX | LOCK_NB);
        } while (rc != 0 && errno == EINTR);
        if (rc != 0) {
            const bool held = errno == EWOULDBLOCK;
            ::close(fd);
            return held ? errc::store_in_use : errc::store_failure;
        }
        release();
        fd_ = fd;
        // The holder's pid, for whoever looks at the file; the lock, not this text, is what counts.
        const std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
        return {};
    }

    bool held() const noexcept { return fd_ >= 0; }

private:
    /// Closing the descriptor drops the lock; the file stays (removing it would let a late opener lock
    /// an unlinked file while a newcomer locks a fresh one).
    void release() noexcept {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    int fd_ = -1;
};

} // namespace detail

HOOKLINE_END_NAMESPACE
