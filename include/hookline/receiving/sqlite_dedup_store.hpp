/// \file `sqlite_dedup_store`: a de-duplication store in a SQLite file, so handled ids survive
/// restarts, on SQLiteCpp. Not part of the umbrella header: include it yourself and link the
/// `hookline::sqlite` target (SQLite 3 and SQLiteCpp).
///
/// Thread-safety: any number of threads may use one store (or its copies, which share one
/// connection) at once; calls are serialised on a mutex. Several processes may share one file: claims
/// run in `BEGIN IMMEDIATE` transactions. Unlike `sqlite_store` it takes no lock of its own: receivers
/// on one host sharing a de-duplication file is the point (tests/stores/sqlite_lock_test.cpp checks that).
///
/// Schema: tables `hookline_dedup` (ids) and `hookline_dedup_sequence` (the last `webhook-sequence`
/// per ordering key), both created when missing. The store keeps no schema version: the sequence
/// table was added beside the first one, so files of earlier versions open unchanged (the table is
/// created) and earlier versions ignore it. It never touches `hookline_schema` (the sender store's) or
/// PRAGMA user_version, so it may share a file with them.
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
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
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

/// Remembers handled ids in table `hookline_dedup` of a SQLite database, and (as a `sequence_store`)
/// the last sequence position per ordering key in `hookline_dedup_sequence`, forgotten `ttl` after its
/// last update. Errors (disk full, locked database beyond the 5 s busy timeout) are
/// `errc::store_failure`, which a receiver answers with 503 so the sender retries.
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

    /// The last sequence position recorded for ordering key `key`; nullopt when none.
    result<std::optional<std::uint64_t>> last_sequence(std::string_view key, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<std::optional<std::uint64_t>> {
            auto& q = state_->seq_select;
            q.tryReset();
            q.bind(1, std::string(key));
            q.bind(2, now);
            std::optional<std::uint64_t> last;
            if (q.executeStep()) last = static_cast<std::uint64_t>(q.getColumn(0).getInt64());
            q.reset();
            return last;
        });
    }

    /// Sets the last position of `key` to max(last, n) in one statement (atomic across processes too).
    /// `errc::invalid_argument` for `n` over 2^63 - 1.
    result<void> record_sequence(std::string_view key, std::uint64_t n, std::int64_t now) {
        if (n > max_position) return errc::invalid_argument;
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<void> {
            state_->write_sequence(key, n, now);
            return {};
        });
    }

    /// `complete(id_key, now)` and `record_sequence(key, n, now)` in one transaction.
    result<void> complete_with_sequence(std::string_view id_key, std::string_view key, std::uint64_t n,
                                        std::int64_t now) {
        if (n > max_position) return errc::invalid_argument;
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<void> {
            SQLite::Transaction tx(state_->db, SQLite::TransactionBehavior::IMMEDIATE);
            state_->write_sequence(key, n, now);
            state_->write(id_key, true, now + state_->options.ttl.count());
            tx.commit();
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
    static constexpr auto max_position = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

    /// The connection and its statements (throw `SQLite::Exception`; the public members catch it).
    struct state {
        sqlite_dedup_options options;
        SQLite::Database db;
        SQLite::Statement select, upsert, remove, prune;
        SQLite::Statement seq_select, seq_upsert, seq_prune;
        std::mutex mutex;
        std::uint64_t claims = 0;

        /// The table is created before the first statement is prepared (hence the comma in `select`'s initialiser).
        explicit state(sqlite_dedup_options o)
            : options(std::move(o)),
              db(options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, 5000),
              select((create_schema(db), db), "SELECT done, expires FROM hookline_dedup WHERE key = ?1"),
              upsert(db, "INSERT OR REPLACE INTO hookline_dedup (key, done, expires) VALUES (?1, ?2, ?3)"),
              remove(db, "DELETE FROM hookline_dedup WHERE key = ?1 AND done = 0"),
              prune(db, "DELETE FROM hookline_dedup WHERE expires <= ?1"),
              seq_select(db, "SELECT last_sequence FROM hookline_dedup_sequence WHERE key = ?1 AND expires > ?2"),
              // An expired row counts as absent: its position is replaced, not compared.
              seq_upsert(db, "INSERT INTO hookline_dedup_sequence (key, last_sequence, expires) VALUES (?1, ?2, ?3)"
                             " ON CONFLICT (key) DO UPDATE SET last_sequence = CASE WHEN expires > ?4"
                             " THEN max(last_sequence, excluded.last_sequence) ELSE excluded.last_sequence END,"
                             " expires = excluded.expires"),
              seq_prune(db, "DELETE FROM hookline_dedup_sequence WHERE expires <= ?1") {}

        static void create_schema(SQLite::Database& db) {
            db.exec("PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "CREATE TABLE IF NOT EXISTS hookline_dedup ("
                    " key TEXT PRIMARY KEY NOT NULL, done INTEGER NOT NULL, expires INTEGER NOT NULL"
                    ") WITHOUT ROWID;"
                    "CREATE TABLE IF NOT EXISTS hookline_dedup_sequence ("
                    " key TEXT PRIMARY KEY NOT NULL, last_sequence INTEGER NOT NULL, expires INTEGER NOT NULL"
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
        void write_sequence(std::string_view key, std::uint64_t n, std::int64_t now) {
            seq_upsert.tryReset();
            seq_upsert.bind(1, std::string(key));
            seq_upsert.bind(2, static_cast<std::int64_t>(n));
            seq_upsert.bind(3, now + options.ttl.count());
            seq_upsert.bind(4, now);
            seq_upsert.exec();
            seq_upsert.reset();
        }
        void delete_expired(std::int64_t now) {
            for (SQLite::Statement* s : {&prune, &seq_prune}) {
                s->tryReset();
                s->bind(1, now);
                s->exec();
                s->reset();
            }
        }
    };

    explicit sqlite_dedup_store(std::shared_ptr<state> s) : state_(std::move(s)) {}
    std::shared_ptr<state> state_;
};

static_assert(atomic_sequence_store<sqlite_dedup_store>);

HOOKLINE_END_NAMESPACE
