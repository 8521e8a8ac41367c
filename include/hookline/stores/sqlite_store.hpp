/// \file `sqlite_store`: the durable store for one process, in one SQLite file (WAL mode).
///
/// An event `send` accepted is on disk when `send` returns (each insert commits, or several concurrent
/// inserts share one commit with `group_commit`; either way a caller returns only after its own commit).
/// Opening the store creates or migrates the schema, and makes every delivery that was in flight when
/// the previous process died pending and due at once (at-least-once: receivers de-duplicate by id).
/// The transactional outbox writes through the application's own connection (`insert_message_in`).
///
/// Needs SQLite 3.35 or newer and SQLiteCpp 3.2 (link `hookline::sqlite`); the umbrella header does not
/// include it. Internals: `stores/detail/sqlite_schema.hpp` (DDL, migrations), `sqlite_connection.hpp`
/// (statement cache, SQLiteCpp's exceptions to `errc`), `sqlite_rows.hpp` (row mapping),
/// `sqlite_queue.hpp` (claim, recovery, pruning), `sqlite_order.hpp` (ordered streams, `skip`),
/// `sqlite_committer.hpp` (group commit), `sqlite_lock.hpp` (the one-sender-per-file lock).
///
/// Thread-safety: every member may be called from any thread. Copies of a `sqlite_store` are handles to
/// one shared state: one SQLite connection guarded by a mutex (and, with `group_commit`, one committer
/// thread). The last copy to go closes the connection and releases the file's lock.
///
/// One sender per file, enforced: `open` takes an exclusive lock on `<file>-hookline.lock` (beside the
/// database) and keeps it for the store's lifetime, because opening recovers in-flight deliveries and a
/// second sender would redo the first one's work. A second `open` of the same file, from another process
/// or from this one, fails with `errc::store_in_use`; share one store through its copies instead. The
/// kernel drops the lock when the process dies, however it dies. Other processes may read the file, and
/// the application's connections write through the outbox, at any time: they take no such lock.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/detail/sqlite_committer.hpp>
#include <hookline/stores/detail/sqlite_connection.hpp>
#include <hookline/stores/detail/sqlite_lock.hpp>
#include <hookline/stores/detail/sqlite_order.hpp>
#include <hookline/stores/detail/sqlite_queue.hpp>
#include <hookline/stores/detail/sqlite_registry.hpp>
#include <hookline/stores/detail/sqlite_rows.hpp>
#include <hookline/stores/detail/sqlite_schema.hpp>
#include <hookline/stores/store.hpp>

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Savepoint.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// When an insert is durable.
enum class sqlite_durability {
    commit_each,  ///< every insert is its own transaction (one fsync per `send`)
    group_commit, ///< concurrent inserts share one transaction; each caller returns after that commit
};

/// `PRAGMA synchronous` in WAL mode.
enum class sqlite_synchronous {
    full,   ///< fsync on every commit: survives power loss (default)
    normal, ///< no fsync on commit: survives a process crash, may lose the last commits on power loss
};

/// Options of `sqlite_store::open`.
struct sqlite_store_options {
    sqlite_durability durability = sqlite_durability::commit_each;
    /// With `group_commit`: how long the committer waits for more inserts to join a batch that is not
    /// full yet. 0 (default) = commit at once: inserts arriving while a commit runs share the next one,
    /// which already batches as many as there are concurrent senders. A delay only pays off when far more
    /// inserts arrive per delay than one commit gathers (see benchmarks/README.md).
    std::chrono::microseconds group_commit_delay{0};
    std::size_t group_commit_max_batch = 256; ///< inserts per transaction at most
    sqlite_synchronous synchronous = sqlite_synchronous::full;
    std::chrono::milliseconds busy_timeout{5000}; ///< how long to wait for another connection's lock
    /// Finished messages (every delivery delivered, exhausted, failed or skipped, none holding its ordered
    /// stream) older than this are pruned with their deliveries and attempts; 0 = keep everything.
    std::chrono::milliseconds retention = std::chrono::hours(24 * 7);
    /// How often the automatic pruning runs (at open, then at most this often, piggybacked on `next_due`).
    std::chrono::milliseconds prune_interval = std::chrono::hours(1);
    /// Make in-flight deliveries pending and due at open (the previous process died holding them).
    bool recover_in_flight = true;
    /// Unix milliseconds now, for retention and recovery; empty = the system clock.
    std::function<std::int64_t()> clock{};
};

/// The transactional outbox's handle on the application's SQLite connection: `sender.send_in(tx, e)`
/// writes through `tx.db` inside whatever transaction the application has open on it.
struct sqlite_tx {
    sqlite3* db = nullptr;
};

/// The SQLite store. See the file comment for durability, recovery and thread-safety. A moved-from
/// handle is empty: only assigning to it or destroying it is allowed.
class sqlite_store {
public:
    /// The schema version this build writes; a database with a newer one is refused (`schema_mismatch`).
    static constexpr int schema_version = 5;

    /// Opens (creating if needed) the database at `path`: the file's lock taken, WAL mode, the schema
    /// created or migrated, in-flight deliveries recovered, expired messages pruned. `errc::store_in_use`
    /// when another sender (another process, or another store in this one) has the file open.
    static result<sqlite_store> open(const std::string& path, sqlite_store_options options = {}) {
        return detail::sqlite_guard([&]() -> result<sqlite_store> {
            auto st = std::make_shared<state>(path, std::move(options));
            auto& db = *st->db;
            // SQLite's own name for the file: absolute, symbolic links resolved, "" when in memory.
            const char* file = sqlite3_db_filename(db.getHandle(), "main");
            if (auto locked = st->lock.acquire(file ? file : ""); !locked) return locked.error();
            if (!detail::sqlite_wal_mode(db)) return errc::store_failure;
            db.exec(st->options.synchronous == sqlite_synchronous::full ? "PRAGMA synchronous=FULL"
                                                                        : "PRAGMA synchronous=NORMAL");
            if (auto m = detail::sqlite_migrate(db); !m) return m.error();
            const std::int64_t now = st->now();
            if (st->options.recover_in_flight) {
                std::lock_guard lock(st->mutex);
                st->recover(now);
            }
            if (st->options.retention.count() > 0) {
                st->prune_locked(now - st->options.retention.count());
                st->last_prune = now;
            }
            if (st->options.durability == sqlite_durability::group_commit) st->start_committer();
            sqlite_store out;
            out.state_ = std::move(st);
            return out;
        });
    }

    /// The version stored in the database at `db` (0 when hookline's schema is absent).
    static result<int> stored_schema_version(sqlite3* db) {
        return detail::sqlite_guard([&]() -> result<int> { return detail::sqlite_stored_schema_version(db); });
    }
    static result<int> stored_schema_version(SQLite::Database& db) { return stored_schema_version(db.getHandle()); }

    // --- the store concept ---------------------------------------------------------------------

    result<bool> insert_message(const stored_message& m, std::span<const std::string> endpoints, std::int64_t due) {
        auto& s = *state_;
        if (s.committer) return s.committer->submit(m, endpoints, due);
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<bool> {
            SQLite::Transaction tx(*s.db, SQLite::TransactionBehavior::IMMEDIATE);
            const bool inserted = s.insert_rows(m, endpoints, due);
            tx.commit();
            return inserted;
        });
    }

    /// The transactional outbox: inserts through the application's connection `tx.db`, inside the
    /// transaction the application has open on it (or as one transaction of its own when none is
    /// open). The database must be the store's (this store created the schema). Durability is the
    /// application's commit's. Call the sender's `wake()` after the commit.
    result<bool> insert_message_in(sqlite_tx& tx, const stored_message& m, std::span<const std::string> endpoints,
                                   std::int64_t due) {
        return insert_message_in(tx.db, m, endpoints, due);
    }

    /// The same through the application's SQLiteCpp connection.
    result<bool> insert_message_in(SQLite::Database& db, const stored_message& m,
                                   std::span<const std::string> endpoints, std::int64_t due) {
        return insert_message_in(db.getHandle(), m, endpoints, due);
    }

    /// The same through a bare `sqlite3*` (so `sender.send_in(db, e)` works with `sqlite3* db`).
    result<bool> insert_message_in(sqlite3* db, const stored_message& m, std::span<const std::string> endpoints,
                                   std::int64_t due) {
        if (!db) return errc::invalid_argument;
        return detail::sqlite_guard([&]() -> result<bool> {
            detail::sqlite_exec(db, "SAVEPOINT hookline_outbox");
            try {
                detail::sqlite_raw_statement msg(db, detail::sqlite_insert_message_sql);
                detail::sqlite_raw_statement del(db, detail::sqlite_insert_delivery_sql);
                std::optional<detail::sqlite_raw_statement> stream;
                if (!m.ordered.empty()) stream.emplace(db, detail::sqlite_stream_next_sql);
                const bool inserted =
                    detail::sqlite_insert_rows(msg, del, stream ? &*stream : nullptr, m, endpoints, due);
                detail::sqlite_exec(db, "RELEASE hookline_outbox");
                return inserted;
            } catch (const SQLite::Exception&) {
                sqlite3_exec(db, "ROLLBACK TO hookline_outbox; RELEASE hookline_outbox", nullptr, nullptr, nullptr);
                throw;
            }
        });
    }

    result<std::vector<claimed_delivery>> claim_due(std::int64_t now, std::size_t limit,
                                                    std::span<const std::string> endpoints, std::int64_t lease_until) {
        auto& s = *state_;
        if (limit == 0 || endpoints.empty()) return std::vector<claimed_delivery>{};
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<std::vector<claimed_delivery>> {
            SQLite::Transaction tx(*s.db, SQLite::TransactionBehavior::IMMEDIATE);
            auto out = detail::sqlite_claim(s.statements, now, limit, endpoints, lease_until);
            if (out) tx.commit();
            return out;
        });
    }

    result<std::optional<std::int64_t>> next_due(std::span<const std::string> endpoints) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        s.maybe_prune();
        return detail::sqlite_guard([&]() -> result<std::optional<std::int64_t>> {
            std::optional<std::int64_t> best;
            auto q = s.stmt("SELECT min(due) FROM hookline_deliveries WHERE endpoint_id = ?1 AND due IS NOT NULL");
            for (const auto& ep : endpoints) {
                q->bind(1, ep);
                if (!q->executeStep()) return errc::store_failure;
                if (!q->getColumn(0).isNull()) {
                    const std::int64_t t = q->getColumn(0).getInt64();
                    if (!best || t < *best) best = t;
                }
                q->reset();
            }
            return best;
        });
    }

    /// The endpoints of the earliest `limit` due deliveries: one range scan of the `(due, endpoint_id)`
    /// index, whose cost is bounded by `limit` (query plan in docs/stores.md).
    result<due_endpoints_page> due_endpoints(std::int64_t now, std::size_t limit) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        s.maybe_prune();
        return detail::sqlite_guard([&]() -> result<due_endpoints_page> {
            auto q = s.stmt("SELECT endpoint_id FROM hookline_deliveries WHERE due IS NOT NULL AND due <= ?1 "
                            "ORDER BY due LIMIT ?2");
            q->bind(1, now);
            detail::due_page_builder page(limit);
            q->bind(2, detail::sqlite_clamp_limit(page.rows_wanted()));
            while (q->executeStep() && page.add(q->getColumn(0).getString())) {
            }
            q->reset();
            return page.take();
        });
    }

    result<void> record_attempt(std::uint64_t id, std::uint64_t lease, const attempt_record& a, delivery_status status,
                                std::int64_t next_due) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<void> {
            SQLite::Transaction tx(*s.db, SQLite::TransactionBehavior::IMMEDIATE);
            auto r = detail::sqlite_record_attempt(s.statements, id, lease, a, status, next_due);
            if (r) tx.commit(); // else nothing changed: rolled back
            return r;
        });
    }

    result<void> release(std::uint64_t id, std::uint64_t lease, std::int64_t due) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard(
            [&]() -> result<void> { return detail::sqlite_release(s.statements, id, lease, due); });
    }

    result<std::size_t> reschedule(const delivery_query& q, std::int64_t due) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<std::size_t> {
            // An ordered delivery ahead of its stream's head waits again (not due); at the head, or behind
            // it (a replay), it is due. Streams do not change: one statement, atomic.
            const std::string waits =
                "(order_seq != 0 AND order_seq > (SELECT s.head_seq FROM hookline_order_streams s "
                "WHERE s.endpoint_id = hookline_deliveries.endpoint_id AND s.order_key = "
                "hookline_deliveries.order_key))";
            auto u = s.stmt(
                "UPDATE hookline_deliveries SET status = 0, next_attempt_at = ?1, holds_key = 0, waiting = " + waits +
                ", due = CASE WHEN " + waits + " THEN NULL ELSE ?1 END WHERE status != 1 AND id IN (" +
                detail::sqlite_select_ids(q) + ")");
            u->bind(1, due);
            detail::sqlite_bind_query(*u, q);
            return static_cast<std::size_t>(u->exec());
        });
    }

    /// Gives up a pending (or waiting) or exhausted delivery: `skipped`, and its stream moves on;
    /// `delivery_in_flight` while its attempt is under way.
    result<void> skip(std::uint64_t id, std::int64_t now) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<void> {
            SQLite::Transaction tx(*s.db, SQLite::TransactionBehavior::IMMEDIATE);
            auto r = detail::sqlite_skip(s.statements, id, now);
            if (r) tx.commit();
            return r;
        });
    }

    result<std::vector<delivery_record>> list_deliveries(const delivery_query& q) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<std::vector<delivery_record>> {
            std::vector<claimed_delivery> rows;
            {
                auto st = s.stmt(std::string("SELECT ") + detail::sqlite_delivery_columns +
                                 " FROM hookline_deliveries d WHERE d.id IN (" + detail::sqlite_select_ids(q) +
                                 (q.newest_first ? ") ORDER BY d.id DESC" : ") ORDER BY d.id"));
                detail::sqlite_bind_query(*st, q);
                while (st->executeStep()) rows.push_back({detail::sqlite_read_delivery(*st, 0), nullptr});
            }
            if (!rows.empty()) detail::sqlite_attach_last_attempts(s.statements, rows);
            std::vector<delivery_record> out;
            out.reserve(rows.size());
            for (auto& r : rows) out.push_back(std::move(r.delivery));
            return out;
        });
    }

    result<std::vector<attempt_record>> list_attempts(std::uint64_t id) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<std::vector<attempt_record>> {
            auto st = s.stmt("SELECT number, started_at, status, error_code, error_category, latency_us, "
                             "response_excerpt FROM hookline_attempts WHERE delivery_id = ?1 ORDER BY seq");
            st->bind(1, static_cast<std::int64_t>(id));
            std::vector<attempt_record> out;
            while (st->executeStep()) out.push_back(detail::sqlite_read_attempt(*st, 0));
            return out;
        });
    }

    result<std::optional<endpoint_state>> load_endpoint_state(const std::string& endpoint_id) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<std::optional<endpoint_state>> {
            auto st = s.stmt("SELECT disabled, disabled_reason, failing_since, exhausted_count FROM hookline_endpoints "
                             "WHERE endpoint_id = ?1");
            st->bind(1, endpoint_id);
            if (!st->executeStep()) return std::optional<endpoint_state>{};
            return std::optional<endpoint_state>{
                endpoint_state{endpoint_id, st->getColumn(0).getInt64() != 0, st->getColumn(1).getString(),
                               st->getColumn(2).getInt64(), static_cast<int>(st->getColumn(3).getInt64())}};
        });
    }

    result<void> save_endpoint_state(const endpoint_state& es) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<void> {
            auto st = s.stmt("INSERT OR REPLACE INTO hookline_endpoints (endpoint_id, disabled, disabled_reason, "
                             "failing_since, exhausted_count) VALUES (?1, ?2, ?3, ?4, ?5)");
            st->bind(1, es.endpoint_id);
            st->bind(2, static_cast<std::int64_t>(es.disabled ? 1 : 0));
            st->bind(3, es.disabled_reason);
            st->bind(4, es.failing_since);
            st->bind(5, static_cast<std::int64_t>(es.exhausted_count));
            st->exec();
            return {};
        });
    }

    /// Atomic against `reschedule`: both are one write transaction each (SQLite has one writer).
    result<std::size_t> prune(std::int64_t before) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<std::size_t> { return state_->prune_locked(before); });
    }

    // --- the registry (`registry_store`, registry/registry_store.hpp) ---------------------------------

    result<void> registry_insert(const registry_row& row) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_registry_insert(state_->statements, row);
    }
    result<void> registry_update(const registry_row& row) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_registry_update(state_->statements, row);
    }
    result<std::optional<registry_row>> registry_get(const std::string& kind, const std::string& id) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<std::optional<registry_row>> {
            return detail::sqlite_registry_get(state_->statements, kind, id);
        });
    }
    result<std::optional<registry_row>> registry_find(const std::string& kind, const std::string& tenant,
                                                      const std::string& uid) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<std::optional<registry_row>> {
            return detail::sqlite_registry_find(state_->statements, kind, tenant, uid);
        });
    }
    result<std::vector<registry_row>> registry_list(const registry_query& q) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard(
            [&]() -> result<std::vector<registry_row>> { return detail::sqlite_registry_list(state_->statements, q); });
    }
    result<bool> registry_erase(const std::string& kind, const std::string& id) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard(
            [&]() -> result<bool> { return detail::sqlite_registry_erase(state_->statements, kind, id); });
    }
    result<std::size_t> registry_prune(const std::string& kind, std::int64_t before) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard(
            [&]() -> result<std::size_t> { return detail::sqlite_registry_prune(state_->statements, kind, before); });
    }

    // --- beyond the concept --------------------------------------------------------------------

    /// Deliveries pending (due now, or later) and in flight (`depth_store`), from the due index.
    result<queue_depth_counts> queue_depth(std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        return detail::sqlite_guard([&]() -> result<queue_depth_counts> {
            auto q = state_->stmt("SELECT count(*) FILTER (WHERE status = 0 AND due <= ?1), "
                                  "count(*) FILTER (WHERE status = 0 AND due > ?1), count(*) FILTER (WHERE status = 1) "
                                  "FROM hookline_deliveries WHERE due IS NOT NULL");
            q->bind(1, now);
            if (!q->executeStep()) return errc::store_failure;
            return queue_depth_counts{static_cast<std::uint64_t>(q->getColumn(0).getInt64()),
                                      static_cast<std::uint64_t>(q->getColumn(1).getInt64()),
                                      static_cast<std::uint64_t>(q->getColumn(2).getInt64())};
        });
    }

    /// Runs the retention now: prunes finished messages older than `options.retention` (0 when off).
    result<std::size_t> prune_expired() {
        auto& s = *state_;
        if (s.options.retention.count() <= 0) return std::size_t{0};
        std::lock_guard lock(s.mutex);
        const std::int64_t now = s.now();
        s.last_prune = now;
        return detail::sqlite_guard(
            [&]() -> result<std::size_t> { return s.prune_locked(now - s.options.retention.count()); });
    }

    /// Number of messages held (for tests and metrics).
    result<std::size_t> message_count() {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        return detail::sqlite_guard([&]() -> result<std::size_t> {
            auto st = s.stmt("SELECT count(*) FROM hookline_messages");
            if (!st->executeStep()) return errc::store_failure;
            return static_cast<std::size_t>(st->getColumn(0).getInt64());
        });
    }

    const sqlite_store_options& options() const noexcept { return state_->options; }

private:
    sqlite_store() = default;

    /// The connection, its statements and the committer, shared by a store's copies. Members that
    /// touch `db` throw `SQLite::Exception`; the public members catch it.
    struct state {
        sqlite_store_options options;
        detail::sqlite_file_lock lock; // released last, once the connection is closed
        std::mutex mutex;              // guards db and the statement cache
        std::unique_ptr<SQLite::Database> db;
        detail::sqlite_statement_cache statements;
        std::int64_t last_prune = 0;
        std::unique_ptr<detail::sqlite_group_committer> committer; // last: stops before the rest goes

        state(const std::string& path, sqlite_store_options o)
            : options(std::move(o)),
              db(std::make_unique<SQLite::Database>(path,
                                                    SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
                                                    static_cast<int>(options.busy_timeout.count()))),
              statements(*db) {
            sqlite3_extended_result_codes(db->getHandle(), 1);
        }
        state(const state&) = delete;
        state& operator=(const state&) = delete;
        ~state() {
            committer.reset();
            statements.clear(); // before the connection closes
        }

        std::int64_t now() const {
            if (options.clock) return options.clock();
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        }

        /// A cached prepared statement on the store's connection (the caller holds `mutex`).
        detail::sqlite_statement_use stmt(const std::string& sql) { return statements.get(sql); }

        bool insert_rows(const stored_message& m, std::span<const std::string> endpoints, std::int64_t due) {
            auto msg = stmt(detail::sqlite_insert_message_sql);
            auto del = stmt(detail::sqlite_insert_delivery_sql);
            auto stream = stmt(detail::sqlite_stream_next_sql);
            return detail::sqlite_insert_rows(*msg, *del, &*stream, m, endpoints, due);
        }

        /// Prunes at most once per `prune_interval` (the caller holds `mutex`); failures wait for the next turn.
        void maybe_prune() {
            if (options.retention.count() <= 0) return;
            const std::int64_t t = now();
            if (t - last_prune < options.prune_interval.count()) return;
            last_prune = t;
            (void)detail::sqlite_guard(
                [&]() -> result<std::size_t> { return prune_locked(t - options.retention.count()); });
        }

        std::size_t recover(std::int64_t now) { return detail::sqlite_recover(statements, now); }
        std::size_t prune_locked(std::int64_t before) { return detail::sqlite_prune(*db, statements, before); }

        void start_committer() {
            committer = std::make_unique<detail::sqlite_group_committer>(
                [this](std::span<detail::sqlite_group_request* const> batch) { commit_batch(batch); },
                options.group_commit_max_batch, options.group_commit_delay);
        }

        /// One transaction for the batch; each insert in its own savepoint, so one failing leaves the
        /// others in. A failed commit fails them all.
        void commit_batch(std::span<detail::sqlite_group_request* const> batch) {
            std::lock_guard db_lock(mutex);
            try {
                SQLite::Transaction tx(*db, SQLite::TransactionBehavior::IMMEDIATE);
                for (auto* r : batch) {
                    r->outcome = detail::sqlite_guard([&]() -> result<bool> {
                        db->exec("SAVEPOINT hookline_item");
                        try {
                            const bool inserted = insert_rows(*r->message, r->endpoints, r->due);
                            db->exec("RELEASE hookline_item");
                            return inserted;
                        } catch (const SQLite::Exception&) {
                            (void)db->tryExec("ROLLBACK TO hookline_item; RELEASE hookline_item");
                            throw;
                        }
                    });
                }
                tx.commit();
            } catch (const SQLite::Exception&) {
                for (auto* r : batch) r->outcome = errc::store_failure;
            }
        }
    };

    std::shared_ptr<state> state_;
};

static_assert(due_index_store<sqlite_store>);
static_assert(ordered_store<sqlite_store>);
static_assert(registry_store<sqlite_store>);
static_assert(depth_store<sqlite_store>);
static_assert(outbox_store<sqlite_store, sqlite_tx>);
static_assert(outbox_store<sqlite_store, sqlite3*>);
static_assert(outbox_store<sqlite_store, SQLite::Database>);

HOOKLINE_END_NAMESPACE
