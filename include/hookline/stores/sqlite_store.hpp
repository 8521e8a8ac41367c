/// \file `sqlite_store`: the durable store for one process, in one SQLite file (WAL mode).
///
/// An event `send` accepted is on disk when `send` returns (each insert commits, or several concurrent
/// inserts share one commit with `group_commit`; either way a caller returns only after its own commit).
/// Opening the store creates or migrates the schema, and makes every delivery that was in flight when
/// the previous process died pending and due at once (at-least-once: receivers de-duplicate by id).
/// The transactional outbox writes through the application's own connection (`insert_message_in`).
///
/// Needs SQLite 3.35 or newer (link `hookline::sqlite`); the umbrella header does not include it.
///
/// Thread-safety: every member may be called from any thread. Copies of a `sqlite_store` are handles to
/// one shared state: one SQLite connection guarded by a mutex (and, with `group_commit`, one committer
/// thread). The last copy to go closes the connection. Other processes may read the file at any time;
/// only one process should run a sender on it (opening it recovers in-flight deliveries).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/store.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
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
    /// Finished messages (every delivery delivered, exhausted or failed) older than this are pruned with
    /// their deliveries and attempts; 0 = keep everything.
    std::chrono::milliseconds retention = std::chrono::hours(24 * 7);
    /// How often the automatic pruning runs (at open, then at most this often, piggybacked on `next_due`).
    std::chrono::milliseconds prune_interval = std::chrono::hours(1);
    /// Make in-flight deliveries pending and due at open (the previous process died holding them).
    bool recover_in_flight = true;
    /// Unix milliseconds now, for retention and recovery; empty = the system clock.
    std::function<std::int64_t()> clock{};
};

namespace detail {

/// A prepared statement that is reset (not finalized) when the borrower is done with it.
class sqlite_stmt_use {
public:
    explicit sqlite_stmt_use(sqlite3_stmt* s) : s_(s) {}
    sqlite_stmt_use(const sqlite_stmt_use&) = delete;
    sqlite_stmt_use& operator=(const sqlite_stmt_use&) = delete;
    ~sqlite_stmt_use() {
        if (s_) {
            sqlite3_reset(s_);
            sqlite3_clear_bindings(s_);
        }
    }
    explicit operator bool() const noexcept { return s_ != nullptr; }
    sqlite3_stmt* get() const noexcept { return s_; }

    bool bind(int i, std::int64_t v) { return sqlite3_bind_int64(s_, i, v) == SQLITE_OK; }
    bool bind(int i, std::string_view v) {
        return sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT) == SQLITE_OK;
    }
    bool bind_blob(int i, std::string_view v) {
        return sqlite3_bind_blob(s_, i, v.empty() ? "" : v.data(), static_cast<int>(v.size()), SQLITE_STATIC) ==
               SQLITE_OK;
    }
    /// SQLITE_ROW, SQLITE_DONE or an error.
    int step() { return sqlite3_step(s_); }
    std::int64_t i64(int c) const { return sqlite3_column_int64(s_, c); }
    bool is_null(int c) const { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
    std::string text(int c) const {
        const void* p = sqlite3_column_blob(s_, c);
        int n = sqlite3_column_bytes(s_, c);
        return p ? std::string(static_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
    }

private:
    sqlite3_stmt* s_;
};

/// Runs statements without results; true on success.
inline bool sqlite_exec(sqlite3* db, const char* sql) {
    return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

inline std::error_code sqlite_error_from_parts(std::int64_t code, const std::string& category) {
    const int v = static_cast<int>(code);
    if (v == 0) return {};
    if (category == "hookline") return {v, error_category()};
    if (category == "system") return {v, std::system_category()};
    if (category == "generic") return {v, std::generic_category()};
    return {v, error_category()};
}

inline std::int64_t sqlite_clamp_limit(std::size_t n) {
    return n > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(n);
}

/// The schema, one migration per version: migrations[i] moves a database from version i to i + 1.
/// `status` holds `delivery_status` values (0 pending, 1 in flight, ...); `due` is the claim key: the
/// next attempt time when pending, the lease end when in flight, NULL when finished.
/// The version lives in `hookline_schema`, not in PRAGMA user_version, which belongs to the application
/// that shares its database file with the store (the transactional outbox).
inline const std::vector<const char*>& sqlite_migrations() {
    static const std::vector<const char*> m = {
        // 0 -> 1
        R"sql(
CREATE TABLE hookline_messages (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  event_type TEXT NOT NULL,
  payload BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX hookline_messages_created ON hookline_messages (created_at);
CREATE TABLE hookline_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL,
  endpoint_id TEXT NOT NULL,
  status INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER NOT NULL DEFAULT 0,
  due INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX hookline_deliveries_due ON hookline_deliveries (endpoint_id, due) WHERE due IS NOT NULL;
CREATE INDEX hookline_deliveries_message ON hookline_deliveries (message_id);
CREATE TABLE hookline_attempts (
  seq INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL,
  number INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  status INTEGER NOT NULL,
  error_code INTEGER NOT NULL,
  error_category TEXT NOT NULL,
  latency_us INTEGER NOT NULL,
  response_excerpt BLOB NOT NULL
);
CREATE INDEX hookline_attempts_delivery ON hookline_attempts (delivery_id);
CREATE TABLE hookline_endpoints (
  endpoint_id TEXT PRIMARY KEY,
  disabled INTEGER NOT NULL,
  disabled_reason TEXT NOT NULL,
  failing_since INTEGER NOT NULL,
  exhausted_count INTEGER NOT NULL
);
)sql",
    };
    return m;
}

} // namespace detail

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
    static constexpr int schema_version = 1;

    /// Opens (creating if needed) the database at `path`: WAL mode, the schema created or migrated,
    /// in-flight deliveries recovered, expired messages pruned.
    static result<sqlite_store> open(const std::string& path, sqlite_store_options options = {}) {
        auto st = std::make_shared<state>();
        st->options = std::move(options);
        if (st->options.group_commit_max_batch == 0) st->options.group_commit_max_batch = 1;
        sqlite3* db = nullptr;
        int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
        st->db = db;
        if (rc != SQLITE_OK) return errc::store_failure;
        sqlite3_extended_result_codes(db, 1);
        sqlite3_busy_timeout(db, static_cast<int>(st->options.busy_timeout.count()));
        if (!wal_mode(db)) return errc::store_failure;
        const char* sync = st->options.synchronous == sqlite_synchronous::full ? "PRAGMA synchronous=FULL"
                                                                               : "PRAGMA synchronous=NORMAL";
        if (!detail::sqlite_exec(db, sync)) return errc::store_failure;
        if (auto m = migrate(db); !m) return m.error();
        const std::int64_t now = st->now();
        if (st->options.recover_in_flight) {
            auto r = st->recover(now);
            if (!r) return r.error();
        }
        if (st->options.retention.count() > 0) {
            auto p = st->prune_locked(now - st->options.retention.count());
            if (!p) return p.error();
            st->last_prune = now;
        }
        if (st->options.durability == sqlite_durability::group_commit) st->start_committer();
        sqlite_store out;
        out.state_ = std::move(st);
        return out;
    }

    /// The version stored in the database at `db` (0 when hookline's schema is absent).
    static result<int> stored_schema_version(sqlite3* db) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='hookline_schema'",
                               -1, &raw, nullptr) != SQLITE_OK)
            return errc::store_failure;
        bool exists = sqlite3_step(raw) == SQLITE_ROW && sqlite3_column_int(raw, 0) > 0;
        sqlite3_finalize(raw);
        if (!exists) return 0;
        raw = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT max(version) FROM hookline_schema", -1, &raw, nullptr) != SQLITE_OK)
            return errc::store_failure;
        int v = sqlite3_step(raw) == SQLITE_ROW ? sqlite3_column_int(raw, 0) : 0;
        sqlite3_finalize(raw);
        return v;
    }

    // --- the store concept ---------------------------------------------------------------------

    result<bool> insert_message(const stored_message& m, std::span<const std::string> endpoints, std::int64_t due) {
        auto& s = *state_;
        if (s.options.durability == sqlite_durability::group_commit) return s.group_insert(m, endpoints, due);
        std::lock_guard lock(s.mutex);
        if (!s.begin()) return errc::store_failure;
        auto r = s.insert_rows(s.db, true, m, endpoints, due);
        if (!r) {
            s.rollback();
            return r;
        }
        if (!s.commit()) return errc::store_failure;
        return r;
    }

    /// The transactional outbox: inserts through the application's connection `tx.db`, inside the
    /// transaction the application has open on it (or as one transaction of its own when none is
    /// open). The database must be the store's (this store created the schema). Durability is the
    /// application's commit's. Call the sender's `wake()` after the commit.
    result<bool> insert_message_in(sqlite_tx& tx, const stored_message& m, std::span<const std::string> endpoints,
                                   std::int64_t due) {
        return insert_message_in(tx.db, m, endpoints, due);
    }

    /// The same through a bare `sqlite3*` (so `sender.send_in(db, e)` works with `sqlite3* db`).
    result<bool> insert_message_in(sqlite3* db, const stored_message& m, std::span<const std::string> endpoints,
                                   std::int64_t due) {
        if (!db) return errc::invalid_argument;
        if (!detail::sqlite_exec(db, "SAVEPOINT hookline_outbox")) return errc::store_failure;
        auto r = state_->insert_rows(db, false, m, endpoints, due);
        if (!r) {
            detail::sqlite_exec(db, "ROLLBACK TO hookline_outbox");
            detail::sqlite_exec(db, "RELEASE hookline_outbox");
            return r;
        }
        if (!detail::sqlite_exec(db, "RELEASE hookline_outbox")) return errc::store_failure;
        return r;
    }

    result<std::vector<claimed_delivery>> claim_due(std::int64_t now, std::size_t limit,
                                                    std::span<const std::string> endpoints, std::int64_t lease_until) {
        auto& s = *state_;
        std::vector<claimed_delivery> out;
        if (limit == 0 || endpoints.empty()) return out;
        std::lock_guard lock(s.mutex);
        if (!s.begin()) return errc::store_failure;
        // Candidates per endpoint (earliest due first), merged: the sender asks for one endpoint at a time.
        std::vector<std::pair<std::pair<std::int64_t, std::int64_t>, delivery_record>> cands;
        {
            auto q = s.stmt("SELECT d.id, d.message_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, "
                            "d.lease_until, d.updated_at, d.due FROM hookline_deliveries d "
                            "WHERE d.endpoint_id = ?1 AND d.due IS NOT NULL AND d.due <= ?2 "
                            "ORDER BY d.due, d.id LIMIT ?3");
            if (!q) return s.fail_tx();
            for (const auto& ep : endpoints) {
                q.bind(1, ep);
                q.bind(2, now);
                q.bind(3, detail::sqlite_clamp_limit(limit));
                int rc;
                while ((rc = q.step()) == SQLITE_ROW) {
                    delivery_record d = read_delivery(q, 0);
                    cands.push_back({{q.i64(8), q.i64(0)}, std::move(d)});
                }
                sqlite3_reset(q.get());
                if (rc != SQLITE_DONE) return s.fail_tx();
            }
        }
        std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        if (cands.size() > limit) cands.resize(limit);
        std::map<std::string, std::shared_ptr<const stored_message>> messages;
        auto upd = s.stmt("UPDATE hookline_deliveries SET status = ?1, lease_until = ?2, due = ?2, updated_at = ?3 "
                          "WHERE id = ?4");
        auto msg = s.stmt("SELECT id, event_type, payload, created_at FROM hookline_messages WHERE id = ?1");
        if (!upd || !msg) return s.fail_tx();
        for (auto& [key, d] : cands) {
            upd.bind(1, static_cast<std::int64_t>(delivery_status::in_flight));
            upd.bind(2, lease_until);
            upd.bind(3, now);
            upd.bind(4, static_cast<std::int64_t>(d.id));
            if (upd.step() != SQLITE_DONE) return s.fail_tx();
            sqlite3_reset(upd.get());
            d.status = delivery_status::in_flight;
            d.lease_until = lease_until;
            d.updated_at = now;
            auto& shared = messages[d.message_id];
            if (!shared) {
                msg.bind(1, d.message_id);
                if (msg.step() != SQLITE_ROW) return s.fail_tx();
                shared = std::make_shared<const stored_message>(stored_message{
                    msg.text(0), msg.text(1), std::make_shared<const std::string>(msg.text(2)), msg.i64(3)});
                sqlite3_reset(msg.get());
            }
            out.push_back({std::move(d), shared});
        }
        if (!out.empty()) {
            if (!s.attach_last_attempts(out)) return s.fail_tx();
        }
        if (!s.commit()) return errc::store_failure;
        return out;
    }

    result<std::optional<std::int64_t>> next_due(std::span<const std::string> endpoints) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        s.maybe_prune();
        std::optional<std::int64_t> best;
        auto q = s.stmt("SELECT min(due) FROM hookline_deliveries WHERE endpoint_id = ?1 AND due IS NOT NULL");
        if (!q) return errc::store_failure;
        for (const auto& ep : endpoints) {
            q.bind(1, ep);
            int rc = q.step();
            if (rc != SQLITE_ROW) return errc::store_failure;
            if (!q.is_null(0)) {
                std::int64_t t = q.i64(0);
                if (!best || t < *best) best = t;
            }
            sqlite3_reset(q.get());
        }
        return best;
    }

    result<void> record_attempt(std::uint64_t id, const attempt_record& a, delivery_status status,
                                std::int64_t next_due) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        if (!s.begin()) return errc::store_failure;
        {
            auto u =
                s.stmt("UPDATE hookline_deliveries SET attempts = max(attempts, ?1), status = ?2, updated_at = ?3, "
                       "lease_until = 0, next_attempt_at = CASE WHEN ?2 = 0 THEN ?4 ELSE next_attempt_at END, "
                       "due = CASE WHEN ?2 = 0 THEN ?4 ELSE NULL END WHERE id = ?5");
            if (!u) return s.fail_tx();
            u.bind(1, static_cast<std::int64_t>(a.number));
            u.bind(2, static_cast<std::int64_t>(status));
            u.bind(3, a.started_at);
            u.bind(4, next_due);
            u.bind(5, static_cast<std::int64_t>(id));
            if (u.step() != SQLITE_DONE) return s.fail_tx();
            if (sqlite3_changes(s.db) == 0) {
                s.rollback();
                return errc::message_not_found;
            }
        }
        {
            auto ins = s.stmt("INSERT INTO hookline_attempts (delivery_id, number, started_at, status, error_code, "
                              "error_category, latency_us, response_excerpt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
            if (!ins) return s.fail_tx();
            ins.bind(1, static_cast<std::int64_t>(id));
            ins.bind(2, static_cast<std::int64_t>(a.number));
            ins.bind(3, a.started_at);
            ins.bind(4, static_cast<std::int64_t>(a.status));
            ins.bind(5, static_cast<std::int64_t>(a.error.value()));
            ins.bind(6, std::string_view(a.error ? a.error.category().name() : ""));
            ins.bind(7, static_cast<std::int64_t>(a.latency.count()));
            ins.bind_blob(8, a.response_excerpt);
            if (ins.step() != SQLITE_DONE) return s.fail_tx();
        }
        if (!s.commit()) return errc::store_failure;
        return {};
    }

    result<void> release(std::uint64_t id, std::int64_t due) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        auto u = s.stmt("UPDATE hookline_deliveries SET status = 0, lease_until = 0, next_attempt_at = ?1, due = ?1 "
                        "WHERE id = ?2 AND status = 1");
        if (!u) return errc::store_failure;
        u.bind(1, due);
        u.bind(2, static_cast<std::int64_t>(id));
        if (u.step() != SQLITE_DONE) return errc::store_failure;
        if (sqlite3_changes(s.db) > 0) return {};
        auto e = s.stmt("SELECT 1 FROM hookline_deliveries WHERE id = ?1");
        if (!e) return errc::store_failure;
        e.bind(1, static_cast<std::int64_t>(id));
        int rc = e.step();
        if (rc == SQLITE_ROW) return {};
        if (rc == SQLITE_DONE) return errc::message_not_found;
        return errc::store_failure;
    }

    result<std::size_t> reschedule(const delivery_query& q, std::int64_t due) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        auto sql =
            "UPDATE hookline_deliveries SET status = 0, next_attempt_at = ?1, due = ?1 WHERE status != 1 AND id IN (" +
            select_ids(q) + ")";
        auto u = s.stmt(sql);
        if (!u) return errc::store_failure;
        u.bind(1, due);
        bind_query(u, q, 2);
        if (u.step() != SQLITE_DONE) return errc::store_failure;
        return static_cast<std::size_t>(sqlite3_changes(s.db));
    }

    result<std::vector<delivery_record>> list_deliveries(const delivery_query& q) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        auto sql = "SELECT d.id, d.message_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.lease_until, "
                   "d.updated_at FROM hookline_deliveries d WHERE d.id IN (" +
                   select_ids(q) + ") ORDER BY d.id";
        auto st = s.stmt(sql);
        if (!st) return errc::store_failure;
        bind_query(st, q, 1);
        std::vector<claimed_delivery> rows;
        int rc;
        while ((rc = st.step()) == SQLITE_ROW) rows.push_back({read_delivery(st, 0), nullptr});
        if (rc != SQLITE_DONE) return errc::store_failure;
        if (!rows.empty() && !s.attach_last_attempts(rows)) return errc::store_failure;
        std::vector<delivery_record> out;
        out.reserve(rows.size());
        for (auto& r : rows) out.push_back(std::move(r.delivery));
        return out;
    }

    result<std::vector<attempt_record>> list_attempts(std::uint64_t id) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        auto st = s.stmt("SELECT number, started_at, status, error_code, error_category, latency_us, response_excerpt "
                         "FROM hookline_attempts WHERE delivery_id = ?1 ORDER BY seq");
        if (!st) return errc::store_failure;
        st.bind(1, static_cast<std::int64_t>(id));
        std::vector<attempt_record> out;
        int rc;
        while ((rc = st.step()) == SQLITE_ROW) out.push_back(read_attempt(st, 0));
        if (rc != SQLITE_DONE) return errc::store_failure;
        return out;
    }

    result<std::optional<endpoint_state>> load_endpoint_state(const std::string& endpoint_id) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        auto st = s.stmt("SELECT disabled, disabled_reason, failing_since, exhausted_count FROM hookline_endpoints "
                         "WHERE endpoint_id = ?1");
        if (!st) return errc::store_failure;
        st.bind(1, endpoint_id);
        int rc = st.step();
        if (rc == SQLITE_DONE) return std::optional<endpoint_state>{};
        if (rc != SQLITE_ROW) return errc::store_failure;
        return std::optional<endpoint_state>{
            endpoint_state{endpoint_id, st.i64(0) != 0, st.text(1), st.i64(2), static_cast<int>(st.i64(3))}};
    }

    result<void> save_endpoint_state(const endpoint_state& es) {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        auto st = s.stmt("INSERT OR REPLACE INTO hookline_endpoints (endpoint_id, disabled, disabled_reason, "
                         "failing_since, exhausted_count) VALUES (?1, ?2, ?3, ?4, ?5)");
        if (!st) return errc::store_failure;
        st.bind(1, es.endpoint_id);
        st.bind(2, static_cast<std::int64_t>(es.disabled ? 1 : 0));
        st.bind(3, es.disabled_reason);
        st.bind(4, es.failing_since);
        st.bind(5, static_cast<std::int64_t>(es.exhausted_count));
        if (st.step() != SQLITE_DONE) return errc::store_failure;
        return {};
    }

    result<std::size_t> prune(std::int64_t before) {
        std::lock_guard lock(state_->mutex);
        return state_->prune_locked(before);
    }

    // --- beyond the concept --------------------------------------------------------------------

    /// Runs the retention now: prunes finished messages older than `options.retention` (0 when off).
    result<std::size_t> prune_expired() {
        auto& s = *state_;
        if (s.options.retention.count() <= 0) return std::size_t{0};
        std::lock_guard lock(s.mutex);
        const std::int64_t now = s.now();
        s.last_prune = now;
        return s.prune_locked(now - s.options.retention.count());
    }

    /// Number of messages held (for tests and metrics).
    result<std::size_t> message_count() {
        auto& s = *state_;
        std::lock_guard lock(s.mutex);
        auto st = s.stmt("SELECT count(*) FROM hookline_messages");
        if (!st || st.step() != SQLITE_ROW) return errc::store_failure;
        return static_cast<std::size_t>(st.i64(0));
    }

    const sqlite_store_options& options() const noexcept { return state_->options; }

private:
    sqlite_store() = default;

    struct group_request {
        const stored_message* message;
        std::span<const std::string> endpoints;
        std::int64_t due;
        result<bool> outcome = errc::store_failure;
        bool done = false;
    };

    struct state {
        sqlite_store_options options{};
        std::mutex mutex; // guards db and the statement cache
        sqlite3* db = nullptr;
        std::unordered_map<std::string, sqlite3_stmt*> statements;
        std::int64_t last_prune = 0;
        // group commit
        std::mutex queue_mutex;
        std::condition_variable queue_cv, done_cv;
        std::deque<group_request*> queue;
        bool stopping = false;
        std::thread committer;

        state() = default;
        state(const state&) = delete;
        state& operator=(const state&) = delete;
        ~state() {
            if (committer.joinable()) {
                {
                    std::lock_guard lock(queue_mutex);
                    stopping = true;
                }
                queue_cv.notify_all();
                committer.join();
            }
            for (auto& [sql, st] : statements) sqlite3_finalize(st);
            if (db) sqlite3_close_v2(db);
        }

        std::int64_t now() const {
            if (options.clock) return options.clock();
            return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        }

        /// A cached prepared statement on the store's connection (the caller holds `mutex`).
        detail::sqlite_stmt_use stmt(const std::string& sql) {
            auto it = statements.find(sql);
            if (it != statements.end()) return detail::sqlite_stmt_use(it->second);
            sqlite3_stmt* raw = nullptr;
            if (sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &raw,
                                   nullptr) != SQLITE_OK) {
                sqlite3_finalize(raw);
                return detail::sqlite_stmt_use(nullptr);
            }
            statements.emplace(sql, raw);
            return detail::sqlite_stmt_use(raw);
        }

        bool begin() { return detail::sqlite_exec(db, "BEGIN IMMEDIATE"); }
        bool commit() {
            if (detail::sqlite_exec(db, "COMMIT")) return true;
            rollback();
            return false;
        }
        void rollback() {
            if (!sqlite3_get_autocommit(db)) detail::sqlite_exec(db, "ROLLBACK");
        }
        std::error_code fail_tx() {
            rollback();
            return errc::store_failure;
        }

        /// Inserts a message and its deliveries through `conn` (inside a transaction the caller runs).
        /// On the store's connection (`cached`) statements come from the cache; on an application's
        /// connection they are prepared for this call.
        result<bool> insert_rows(sqlite3* conn, bool cached, const stored_message& m,
                                 std::span<const std::string> endpoints, std::int64_t due) {
            static const std::string msg_sql =
                "INSERT OR IGNORE INTO hookline_messages (id, event_type, payload, created_at) VALUES (?1, ?2, ?3, ?4)";
            static const std::string del_sql =
                "INSERT INTO hookline_deliveries (message_id, endpoint_id, status, next_attempt_at, due, updated_at) "
                "VALUES (?1, ?2, 0, ?3, ?3, ?4)";
            auto run = [&](detail::sqlite_stmt_use& ms, detail::sqlite_stmt_use& ds) -> result<bool> {
                if (!ms || !ds) return errc::store_failure;
                ms.bind(1, m.id);
                ms.bind(2, m.event_type);
                ms.bind_blob(3, m.payload ? std::string_view(*m.payload) : std::string_view());
                ms.bind(4, m.created_at);
                if (ms.step() != SQLITE_DONE) return errc::store_failure;
                if (sqlite3_changes(conn) == 0) return false;
                for (const auto& ep : endpoints) {
                    ds.bind(1, m.id);
                    ds.bind(2, ep);
                    ds.bind(3, due);
                    ds.bind(4, m.created_at);
                    if (ds.step() != SQLITE_DONE) return errc::store_failure;
                    sqlite3_reset(ds.get());
                }
                return true;
            };
            if (cached) {
                auto ms = stmt(msg_sql);
                auto ds = stmt(del_sql);
                return run(ms, ds);
            }
            sqlite3_stmt* a = nullptr;
            sqlite3_stmt* b = nullptr;
            sqlite3_prepare_v2(conn, msg_sql.c_str(), -1, &a, nullptr);
            sqlite3_prepare_v2(conn, del_sql.c_str(), -1, &b, nullptr);
            result<bool> r = errc::store_failure;
            {
                detail::sqlite_stmt_use ms(a), ds(b);
                r = run(ms, ds);
            }
            sqlite3_finalize(a);
            sqlite3_finalize(b);
            return r;
        }

        /// Fills `last_attempt` of each delivery from its latest attempt row.
        bool attach_last_attempts(std::vector<claimed_delivery>& rows) {
            auto st =
                stmt("SELECT number, started_at, status, error_code, error_category, latency_us, response_excerpt "
                     "FROM hookline_attempts WHERE delivery_id = ?1 ORDER BY seq DESC LIMIT 1");
            if (!st) return false;
            for (auto& r : rows) {
                if (r.delivery.attempts == 0) continue;
                st.bind(1, static_cast<std::int64_t>(r.delivery.id));
                int rc = st.step();
                if (rc == SQLITE_ROW)
                    r.delivery.last_attempt = read_attempt(st, 0);
                else if (rc != SQLITE_DONE)
                    return false;
                sqlite3_reset(st.get());
            }
            return true;
        }

        result<std::size_t> recover(std::int64_t now) {
            std::lock_guard lock(mutex);
            auto u = stmt("UPDATE hookline_deliveries SET status = 0, lease_until = 0, next_attempt_at = ?1, due = ?1 "
                          "WHERE status = 1");
            if (!u) return errc::store_failure;
            u.bind(1, now);
            if (u.step() != SQLITE_DONE) return errc::store_failure;
            return static_cast<std::size_t>(sqlite3_changes(db));
        }

        /// Prunes at most once per `prune_interval` (the caller holds `mutex`); failures wait for the next turn.
        void maybe_prune() {
            if (options.retention.count() <= 0) return;
            const std::int64_t t = now();
            if (t - last_prune < options.prune_interval.count()) return;
            last_prune = t;
            (void)prune_locked(t - options.retention.count());
        }

        result<std::size_t> prune_locked(std::int64_t before) {
            if (!begin()) return errc::store_failure;
            std::vector<std::string> ids;
            {
                auto sel =
                    stmt("SELECT m.id FROM hookline_messages m WHERE m.created_at < ?1 AND NOT EXISTS ("
                         "SELECT 1 FROM hookline_deliveries d WHERE d.message_id = m.id AND d.status IN (0, 1))");
                if (!sel) return fail_tx();
                sel.bind(1, before);
                int rc;
                while ((rc = sel.step()) == SQLITE_ROW) ids.push_back(sel.text(0));
                if (rc != SQLITE_DONE) return fail_tx();
            }
            auto da = stmt("DELETE FROM hookline_attempts WHERE delivery_id IN "
                           "(SELECT id FROM hookline_deliveries WHERE message_id = ?1)");
            auto dd = stmt("DELETE FROM hookline_deliveries WHERE message_id = ?1");
            auto dm = stmt("DELETE FROM hookline_messages WHERE id = ?1");
            if (!da || !dd || !dm) return fail_tx();
            for (const auto& id : ids) {
                for (auto* st : {&da, &dd, &dm}) {
                    st->bind(1, id);
                    if (st->step() != SQLITE_DONE) return fail_tx();
                    sqlite3_reset(st->get());
                }
            }
            if (!commit()) return errc::store_failure;
            return ids.size();
        }

        // --- group commit ---

        void start_committer() {
            committer = std::thread([this] { commit_loop(); });
        }

        result<bool> group_insert(const stored_message& m, std::span<const std::string> endpoints, std::int64_t due) {
            group_request req{&m, endpoints, due};
            std::unique_lock lock(queue_mutex);
            if (stopping) return errc::store_failure;
            queue.push_back(&req);
            queue_cv.notify_one();
            done_cv.wait(lock, [&] { return req.done; });
            return req.outcome;
        }

        void commit_loop() {
            std::unique_lock lock(queue_mutex);
            for (;;) {
                queue_cv.wait(lock, [&] { return stopping || !queue.empty(); });
                if (queue.empty()) return; // stopping, nothing left
                const std::size_t max = options.group_commit_max_batch;
                if (options.group_commit_delay.count() > 0 && queue.size() < max) {
                    auto until = std::chrono::steady_clock::now() + options.group_commit_delay;
                    queue_cv.wait_until(lock, until, [&] { return stopping || queue.size() >= max; });
                }
                std::vector<group_request*> batch;
                while (!queue.empty() && batch.size() < max) {
                    batch.push_back(queue.front());
                    queue.pop_front();
                }
                lock.unlock();
                commit_batch(batch);
                lock.lock();
                for (auto* r : batch) r->done = true;
                done_cv.notify_all();
            }
        }

        /// One transaction for the batch; each insert in its own savepoint, so one failing leaves the
        /// others in. A failed commit fails them all.
        void commit_batch(std::vector<group_request*>& batch) {
            std::lock_guard db_lock(mutex);
            if (!begin()) {
                for (auto* r : batch) r->outcome = errc::store_failure;
                return;
            }
            for (auto* r : batch) {
                if (!detail::sqlite_exec(db, "SAVEPOINT hookline_item")) {
                    r->outcome = errc::store_failure;
                    continue;
                }
                r->outcome = insert_rows(db, true, *r->message, r->endpoints, r->due);
                if (!r->outcome) detail::sqlite_exec(db, "ROLLBACK TO hookline_item");
                detail::sqlite_exec(db, "RELEASE hookline_item");
            }
            if (!commit())
                for (auto* r : batch) r->outcome = errc::store_failure;
        }
    };

    static bool wal_mode(sqlite3* db) {
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &raw, nullptr) != SQLITE_OK) return false;
        bool ok = false;
        if (sqlite3_step(raw) == SQLITE_ROW) {
            const unsigned char* mode = sqlite3_column_text(raw, 0);
            ok = mode && (std::strcmp(reinterpret_cast<const char*>(mode), "wal") == 0 ||
                          std::strcmp(reinterpret_cast<const char*>(mode), "memory") == 0);
        }
        sqlite3_finalize(raw);
        return ok;
    }

    /// Creates or upgrades the schema in one write transaction (two processes opening at once serialise).
    static result<void> migrate(sqlite3* db) {
        if (!detail::sqlite_exec(db, "BEGIN IMMEDIATE")) return errc::store_failure;
        auto fail = [&](errc e) -> result<void> {
            detail::sqlite_exec(db, "ROLLBACK");
            return e;
        };
        if (!detail::sqlite_exec(db, "CREATE TABLE IF NOT EXISTS hookline_schema (version INTEGER NOT NULL)"))
            return fail(errc::store_failure);
        auto v = stored_schema_version(db);
        if (!v) return fail(errc::store_failure);
        const auto& steps = detail::sqlite_migrations();
        if (*v > static_cast<int>(steps.size())) return fail(errc::schema_mismatch);
        for (int i = *v; i < static_cast<int>(steps.size()); ++i) {
            if (!detail::sqlite_exec(db, steps[static_cast<std::size_t>(i)])) return fail(errc::store_failure);
        }
        if (*v < static_cast<int>(steps.size())) {
            std::string set = "DELETE FROM hookline_schema; INSERT INTO hookline_schema (version) VALUES (" +
                              std::to_string(steps.size()) + ")";
            if (!detail::sqlite_exec(db, set.c_str())) return fail(errc::store_failure);
        }
        if (!detail::sqlite_exec(db, "COMMIT")) return fail(errc::store_failure);
        return {};
    }

    static delivery_record read_delivery(const detail::sqlite_stmt_use& st, int c) {
        delivery_record d;
        d.id = static_cast<std::uint64_t>(st.i64(c));
        d.message_id = st.text(c + 1);
        d.endpoint_id = st.text(c + 2);
        d.status = static_cast<delivery_status>(st.i64(c + 3));
        d.attempts = static_cast<int>(st.i64(c + 4));
        d.next_attempt_at = st.i64(c + 5);
        d.lease_until = st.i64(c + 6);
        d.updated_at = st.i64(c + 7);
        return d;
    }

    static attempt_record read_attempt(const detail::sqlite_stmt_use& st, int c) {
        attempt_record a;
        a.number = static_cast<int>(st.i64(c));
        a.started_at = st.i64(c + 1);
        a.status = static_cast<int>(st.i64(c + 2));
        a.error = detail::sqlite_error_from_parts(st.i64(c + 3), st.text(c + 4));
        a.latency = std::chrono::microseconds(st.i64(c + 5));
        a.response_excerpt = st.text(c + 6);
        return a;
    }

    /// The ids a query selects, as SQL with parameters from `first` on (bound by `bind_query`). Only
    /// the filters a query uses appear, so each shape is its own cached statement using its index.
    static std::string select_ids(const delivery_query& q) {
        std::string sql = "SELECT d2.id FROM hookline_deliveries d2";
        if (q.created_since != 0) sql += " JOIN hookline_messages m2 ON m2.id = d2.message_id";
        sql += " WHERE 1";
        if (!q.message_id.empty()) sql += " AND d2.message_id = ?10";
        if (!q.endpoint_id.empty()) sql += " AND d2.endpoint_id = ?11";
        if (!q.statuses.empty()) sql += " AND ((1 << d2.status) & ?12) != 0";
        if (q.created_since != 0) sql += " AND m2.created_at >= ?13";
        sql += " ORDER BY d2.id LIMIT ?14";
        return sql;
    }

    static void bind_query(detail::sqlite_stmt_use& st, const delivery_query& q, int) {
        if (!q.message_id.empty()) st.bind(10, q.message_id);
        if (!q.endpoint_id.empty()) st.bind(11, q.endpoint_id);
        if (!q.statuses.empty()) {
            std::int64_t mask = 0;
            for (auto s : q.statuses) mask |= std::int64_t{1} << static_cast<int>(s);
            st.bind(12, mask);
        }
        if (q.created_since != 0) st.bind(13, q.created_since);
        st.bind(14, detail::sqlite_clamp_limit(q.limit));
    }

    std::shared_ptr<state> state_;
};

static_assert(store<sqlite_store>);
static_assert(outbox_store<sqlite_store, sqlite_tx>);
static_assert(outbox_store<sqlite_store, sqlite3*>);

HOOKLINE_END_NAMESPACE
