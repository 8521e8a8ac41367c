/// \file The SQLite store's statement plumbing on SQLiteCpp: the exception guard that turns SQLiteCpp's
/// errors into `errc::store_failure`, the per-connection cache of prepared statements, and the small
/// statement type for a bare `sqlite3*` (the application's connection, which SQLiteCpp cannot adopt).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Runs `f` and maps a `SQLite::Exception` to `errc::store_failure`. The exception's text (which can
/// quote SQL or data) is dropped on purpose.
template <class F>
auto sqlite_guard(F&& f) -> decltype(f()) {
    try {
        return std::forward<F>(f)();
    } catch (const SQLite::Exception&) {
        return errc::store_failure;
    }
}

/// A cached statement borrowed for one use: reset before and after, so a use that threw leaves it
/// reusable and no finished query keeps a read snapshot open.
class sqlite_statement_use {
public:
    explicit sqlite_statement_use(SQLite::Statement& s) : s_(&s) { release(); }
    sqlite_statement_use(const sqlite_statement_use&) = delete;
    sqlite_statement_use& operator=(const sqlite_statement_use&) = delete;
    ~sqlite_statement_use() { release(); }

    SQLite::Statement* operator->() const noexcept { return s_; }
    SQLite::Statement& operator*() const noexcept { return *s_; }

private:
    void release() noexcept {
        s_->tryReset();
        try {
            s_->clearBindings(); // drops pointers bound without a copy
        } catch (const SQLite::Exception&) {
        }
    }
    SQLite::Statement* s_;
};

/// Prepared statements of one connection, by SQL text. Not thread-safe: the owner serialises.
class sqlite_statement_cache {
public:
    explicit sqlite_statement_cache(SQLite::Database& db) : db_(&db) {}

    /// The statement for `sql`, prepared on first use (throws `SQLite::Exception` when it does not prepare).
    sqlite_statement_use get(const std::string& sql) {
        auto it = statements_.find(sql);
        if (it == statements_.end())
            it = statements_.emplace(sql, std::make_unique<SQLite::Statement>(*db_, sql)).first;
        return sqlite_statement_use(*it->second);
    }

    void clear() noexcept { statements_.clear(); }

private:
    SQLite::Database* db_;
    std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

/// A statement on a bare `sqlite3*` with the part of `SQLite::Statement`'s interface the store uses;
/// errors throw `SQLite::Exception` like SQLiteCpp's.
class sqlite_raw_statement {
public:
    sqlite_raw_statement(sqlite3* db, const char* sql) : db_(db) {
        if (const int rc = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); rc != SQLITE_OK) {
            sqlite3_finalize(s_);
            throw SQLite::Exception(db, rc);
        }
    }
    sqlite_raw_statement(const sqlite_raw_statement&) = delete;
    sqlite_raw_statement& operator=(const sqlite_raw_statement&) = delete;
    ~sqlite_raw_statement() { sqlite3_finalize(s_); }

    void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(s_, i, v)); }
    void bind(int i, const std::string& v) {
        check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    }
    void bindNoCopy(int i, const void* p, int n) { check(sqlite3_bind_blob(s_, i, p, n, SQLITE_STATIC)); }
    /// Steps a statement that returns no row; the number of rows it changed.
    int exec() {
        const int rc = sqlite3_step(s_);
        sqlite3_reset(s_);
        if (rc != SQLITE_DONE) throw SQLite::Exception(db_, rc);
        return sqlite3_changes(db_);
    }
    void reset() noexcept { sqlite3_reset(s_); }
    /// Steps once: true when a row is there (read it with `column_int64`).
    bool executeStep() {
        const int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc != SQLITE_DONE) throw SQLite::Exception(db_, rc);
        return false;
    }
    std::int64_t column_int64(int c) const { return sqlite3_column_int64(s_, c); }

private:
    void check(int rc) const {
        if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
    }
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
};

/// Runs statements without results on a bare connection (throws `SQLite::Exception`).
inline void sqlite_exec(sqlite3* db, const char* sql) {
    if (const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr); rc != SQLITE_OK)
        throw SQLite::Exception(db, rc);
}

inline std::int64_t sqlite_clamp_limit(std::size_t n) {
    return n > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(n);
}

} // namespace detail

HOOKLINE_END_NAMESPACE
