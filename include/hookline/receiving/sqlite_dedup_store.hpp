/// \file `sqlite_dedup_store`: a de-duplication store in a SQLite file, so handled ids survive
/// restarts, on SQLiteCpp. Not part of the umbrella header: include it yourself and link the
/// `hookline::sqlite` target (SQLite 3 and SQLiteCpp).
///
/// Thread-safety: any number of threads may use one store (or its copies, which share one
/// connection) at once; calls are serialised on a mutex. Several processes may share one file: claims
/// run in `BEGIN IMMEDIATE` transactions. Unlike `sqlite_store` it takes no lock of its own: receivers
/// on one host sharing a de-duplication file is the point (tests/stores/sqlite_lock_test.cpp checks that).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/receiving/dedup_store.hpp>
#include <hookline/stores/detail/sqlite_connection.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

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
        return detail::sqlite_guard([&]() -> result<sqlite_dedup_store> {
            return sqlite_dedup_store(std::make_shared<state>(std::move(options)));
        });
    }

    /// Throwing form of `open`.
    explicit sqlite_dedup_store(sqlite_dedup_options options) : sqlite_dedup_store(open(std::move(options)).value()) {}

    result<claim_status> try_claim(std::string_view key, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        if (s.options.prune_every != 0 && ++s.claims % s.options.prune_every == 0)
            (void)detail::sqlite_guard([&]() -> result<void> {
                s.delete_expired(now);
                return {};
            });
        return detail::sqlite_guard([&]() -> result<claim_status> {
            SQLite::Transaction tx(s.db, SQLite::TransactionBehavior::IMMEDIATE);
            s.select.tryReset();
            s.select.bind(1, std::string(key));
            if (s.select.executeStep()) {
                const bool done = s.select.getColumn(0).getInt() != 0;
                const std::int64_t expires = s.select.getColumn(1).getInt64();
                s.select.reset();
                if (expires > now) {
                    tx.commit();
                    return done ? claim_status::done : claim_status::in_progress;
                }
            }
            s.select.reset();
            s.write(key, false, now + s.options.claim_timeout.count());
            tx.commit();
            return claim_status::acquired;
        });
    }

    result<void> complete(std::string_view key, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<void> {
            state_->write(key, true, now + state_->options.ttl.count());
            return {};
        });
    }

    result<void> release(std::string_view key) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<void> {
            auto& r = state_->remove;
            r.tryReset();
            r.bind(1, std::string(key));
            r.exec();
            r.reset();
            return {};
        });
    }

    /// Deletes expired rows now (otherwise done every `prune_every` claims).
    result<void> prune(std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<void> {
            state_->delete_expired(now);
            return {};
        });
    }

private:
    /// The connection and its statements (throw `SQLite::Exception`; the public members catch it).
    struct state {
        sqlite_dedup_options options;
        SQLite::Database db;
        SQLite::Statement select, upsert, remove, prune;
        std::mutex mutex;
        std::uint64_t claims = 0;

        /// The table is created before the first statement is prepared (hence the comma in `select`'s initialiser).
        explicit state(sqlite_dedup_options o)
            : options(std::move(o)),
              db(options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, 5000),
              select((create_schema(db), db), "SELECT done, expires FROM hookline_dedup WHERE key = ?1"),
              upsert(db, "INSERT OR REPLACE INTO hookline_dedup (key, done, expires) VALUES (?1, ?2, ?3)"),
              remove(db, "DELETE FROM hookline_dedup WHERE key = ?1 AND done = 0"),
              prune(db, "DELETE FROM hookline_dedup WHERE expires <= ?1") {}

        static void create_schema(SQLite::Database& db) {
            db.exec("PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "CREATE TABLE IF NOT EXISTS hookline_dedup ("
                    " key TEXT PRIMARY KEY NOT NULL, done INTEGER NOT NULL, expires INTEGER NOT NULL"
                    ") WITHOUT ROWID;");
        }
        void write(std::string_view key, bool done, std::int64_t expires) {
            upsert.tryReset();
            upsert.bind(1, std::string(key));
            upsert.bind(2, done ? 1 : 0);
            upsert.bind(3, expires);
            upsert.exec();
            upsert.reset();
        }
        void delete_expired(std::int64_t now) {
            prune.tryReset();
            prune.bind(1, now);
            prune.exec();
            prune.reset();
        }
    };

    explicit sqlite_dedup_store(std::shared_ptr<state> s) : state_(std::move(s)) {}
    std::shared_ptr<state> state_;
};

static_assert(dedup_store<sqlite_dedup_store>);

HOOKLINE_END_NAMESPACE
