/// \file `sqlite_dedup_store`: a de-duplication store in a SQLite file, so handled ids survive
/// restarts. Not part of the umbrella header: include it yourself and link SQLite
/// (`find_package(SQLite3)` → `SQLite::SQLite3`, or the `hookline::sqlite` target).
///
/// Thread-safety: any number of threads may use one store (or its copies, which share one
/// connection) at once; calls are serialised on a mutex. Several processes may share one file: claims
/// run in `BEGIN IMMEDIATE` transactions.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/receiving/dedup_store.hpp>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

/// Options of a `sqlite_dedup_store`.
struct sqlite_dedup_options {
    /// The database file (created when missing). ":memory:" keeps it in memory (tests).
    std::string path;
    /// How long a handled id is remembered.
    std::chrono::seconds ttl{std::chrono::hours(24 * 7)};
    /// How long an in-progress claim blocks other deliveries of the same id (survives a crash mid-handler).
    std::chrono::seconds claim_timeout{300};
    /// Expired rows are deleted once every this many claims.
    std::size_t prune_every = 1000;
};

/// Remembers handled ids in table `hookline_dedup` of a SQLite database. Errors (disk full, locked
/// database beyond the 5 s busy timeout) are `errc::store_failure`, which a receiver answers with
/// 503 so the sender retries.
class sqlite_dedup_store {
public:
    /// Opens (or creates) the database and its table.
    static result<sqlite_dedup_store> open(sqlite_dedup_options options) {
        auto s = std::make_shared<state>();
        s->options = std::move(options);
        if (sqlite3_open_v2(s->options.path.c_str(), &s->db,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
            return errc::store_failure;
        sqlite3_busy_timeout(s->db, 5000);
        const char* schema = "PRAGMA journal_mode=WAL;"
                             "PRAGMA synchronous=NORMAL;"
                             "CREATE TABLE IF NOT EXISTS hookline_dedup ("
                             " key TEXT PRIMARY KEY NOT NULL, done INTEGER NOT NULL, expires INTEGER NOT NULL"
                             ") WITHOUT ROWID;";
        if (sqlite3_exec(s->db, schema, nullptr, nullptr, nullptr) != SQLITE_OK) return errc::store_failure;
        if (!s->prepare(s->select, "SELECT done, expires FROM hookline_dedup WHERE key = ?1") ||
            !s->prepare(s->upsert, "INSERT OR REPLACE INTO hookline_dedup (key, done, expires) VALUES (?1, ?2, ?3)") ||
            !s->prepare(s->remove, "DELETE FROM hookline_dedup WHERE key = ?1 AND done = 0") ||
            !s->prepare(s->prune, "DELETE FROM hookline_dedup WHERE expires <= ?1") ||
            !s->prepare(s->begin, "BEGIN IMMEDIATE") || !s->prepare(s->commit, "COMMIT") ||
            !s->prepare(s->rollback, "ROLLBACK"))
            return errc::store_failure;
        return sqlite_dedup_store(std::move(s));
    }

    /// Throwing form of `open`.
    explicit sqlite_dedup_store(sqlite_dedup_options options) : sqlite_dedup_store(open(std::move(options)).value()) {}

    result<claim_status> try_claim(std::string_view key, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        if (s.options.prune_every != 0 && ++s.claims % s.options.prune_every == 0) s.delete_expired(now);
        if (!s.step_done(s.begin)) return errc::store_failure;
        sqlite3_bind_text(s.select, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
        int rc = sqlite3_step(s.select);
        if (rc == SQLITE_ROW) {
            const bool done = sqlite3_column_int(s.select, 0) != 0;
            const std::int64_t expires = sqlite3_column_int64(s.select, 1);
            sqlite3_reset(s.select);
            if (expires > now) {
                s.step_done(s.commit);
                return done ? claim_status::done : claim_status::in_progress;
            }
        } else {
            sqlite3_reset(s.select);
            if (rc != SQLITE_DONE) {
                s.step_done(s.rollback);
                return errc::store_failure;
            }
        }
        if (!s.write(key, false, now + s.options.claim_timeout.count()) || !s.step_done(s.commit)) {
            s.step_done(s.rollback);
            return errc::store_failure;
        }
        return claim_status::acquired;
    }

    result<void> complete(std::string_view key, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        if (!state_->write(key, true, now + state_->options.ttl.count())) return errc::store_failure;
        return {};
    }

    result<void> release(std::string_view key) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        sqlite3_bind_text(s.remove, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
        if (!s.step_done(s.remove)) return errc::store_failure;
        return {};
    }

    /// Deletes expired rows now (otherwise done every `prune_every` claims).
    result<void> prune(std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        if (!state_->delete_expired(now)) return errc::store_failure;
        return {};
    }

private:
    struct state {
        sqlite_dedup_options options;
        sqlite3* db = nullptr;
        sqlite3_stmt* select = nullptr;
        sqlite3_stmt* upsert = nullptr;
        sqlite3_stmt* remove = nullptr;
        sqlite3_stmt* prune = nullptr;
        sqlite3_stmt* begin = nullptr;
        sqlite3_stmt* commit = nullptr;
        sqlite3_stmt* rollback = nullptr;
        std::mutex mutex;
        std::uint64_t claims = 0;

        state() = default;
        state(const state&) = delete;
        state& operator=(const state&) = delete;
        ~state() {
            for (auto* st : {select, upsert, remove, prune, begin, commit, rollback}) sqlite3_finalize(st);
            sqlite3_close(db);
        }
        bool prepare(sqlite3_stmt*& st, const char* sql) {
            return sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK;
        }
        /// Runs a statement that returns no rows, then resets it.
        static bool step_done(sqlite3_stmt* st) {
            const int rc = sqlite3_step(st);
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return rc == SQLITE_DONE;
        }
        bool write(std::string_view key, bool done, std::int64_t expires) {
            sqlite3_bind_text(upsert, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
            sqlite3_bind_int(upsert, 2, done ? 1 : 0);
            sqlite3_bind_int64(upsert, 3, expires);
            return step_done(upsert);
        }
        bool delete_expired(std::int64_t now) {
            sqlite3_bind_int64(prune, 1, now);
            return step_done(prune);
        }
    };

    explicit sqlite_dedup_store(std::shared_ptr<state> s) : state_(std::move(s)) {}
    std::shared_ptr<state> state_;
};

static_assert(dedup_store<sqlite_dedup_store>);

HOOKLINE_END_NAMESPACE
