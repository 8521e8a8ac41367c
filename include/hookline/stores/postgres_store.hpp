/// \file `postgres_store`: the store for several sender processes (or machines) sharing one queue in
/// PostgreSQL, through libpq. Link `hookline::postgres`.
///
/// Deliveries are claimed with `FOR UPDATE SKIP LOCKED` and a lease: any number of sender processes
/// share one queue, each claimed delivery goes to one of them, and the deliveries of a process that died
/// are claimed again once their lease runs out. Every claim gives the delivery a larger fencing token
/// (`lease`): a process whose lease ran out cannot record over the new owner (`errc::lease_lost`),
/// and `prune` never deletes a message a concurrent `reschedule` makes pending. The schema lives in its own PostgreSQL
/// schema (default `hookline`), is created or migrated by `open` under an advisory lock, and is versioned.
/// `insert_message_in(PGconn&, ...)` enqueues through the application's own connection, inside its
/// transaction (the transactional outbox). See docs/stores-postgres.md.
///
/// Thread-safety: every member may be called from any thread. A `postgres_store` is a handle: copies
/// share one small pool of connections (guarded by a mutex; a connection is used by one call at a time).
///
/// Internals in `stores/detail/`: `postgres_connection.hpp` (libpq parameters and result sets),
/// `postgres_schema.hpp` (DDL and statements), `postgres_pool.hpp` (pool, migration, preparation),
/// `postgres_rows.hpp` (parameters, query conditions, row reading), `postgres_registry.hpp` (the registry).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/detail/postgres_connection.hpp>
#include <hookline/stores/detail/postgres_pool.hpp>
#include <hookline/stores/detail/postgres_registry.hpp>
#include <hookline/stores/detail/postgres_rows.hpp>
#include <hookline/stores/detail/postgres_schema.hpp>
#include <hookline/stores/store.hpp>

#include <libpq-fe.h>

#include <algorithm>
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

/// Options of `postgres_store::open`.
struct postgres_store_options {
    /// The PostgreSQL schema holding hookline's tables: lower-case letters, digits and `_`, starting with a
    /// letter or `_`, at most 63 characters. Several hookline queues can live in one database.
    std::string schema = "hookline";
    /// Connections kept open at most; calls beyond this wait for a free one.
    std::size_t pool_size = 4;
    /// Create or migrate the schema on open. When false, `open` only checks the schema version.
    bool migrate = true;
    /// Called when a statement fails, with the operation's name and the SQLSTATE (or "" when the
    /// connection failed). Never given SQL text, parameters, payloads or the conninfo. Must be thread-safe.
    std::function<void(const char* operation, const char* sqlstate)> on_error{};
};

/// The PostgreSQL store. Open with `postgres_store::open(conninfo, options)`.
class postgres_store {
public:
    /// Connects, creates or migrates the schema (under an advisory lock, so several processes may open at
    /// once) and returns a handle. Fails with `store_failure` (no connection, SQL error), `schema_mismatch`
    /// (the database holds a newer schema version) or `invalid_argument` (bad schema name or pool size).
    static result<postgres_store> open(const std::string& conninfo, postgres_store_options options = {}) {
        if (!detail::pg::valid_schema_name(options.schema) || options.pool_size == 0) return errc::invalid_argument;
        auto p = std::make_shared<detail::pg::pool>(
            conninfo,
            detail::pg::pool_settings{options.schema, options.pool_size, options.migrate, std::move(options.on_error)});
        auto c = p->connect();
        if (!c) return c.error();
        auto migrated = p->migrate(*c);
        if (!migrated) {
            PQfinish(*c);
            return migrated.error();
        }
        if (!p->prepare(*c)) {
            PQfinish(*c);
            return errc::store_failure;
        }
        {
            std::lock_guard lock(p->mutex);
            ++p->open; // the first pooled connection
        }
        p->put_back(*c);
        return postgres_store(std::move(p));
    }

    /// The schema this store uses.
    const std::string& schema() const noexcept { return pool_->sql.schema; }

    result<bool> insert_message(const stored_message& m, std::span<const std::string> endpoints, std::int64_t due) {
        auto ps = detail::pg::insert_params(m, endpoints, due);
        auto r = run("insert_message", "insert_message", ps);
        if (!r) return r.error();
        return r->i64(0, 0) > 0;
    }

    /// The transactional outbox: enqueues through the application's connection (usually inside its
    /// `BEGIN ... COMMIT`), so the message exists exactly when the application's transaction commits.
    /// The store's tables must be reachable from that connection (same database). A failure here aborts
    /// the application's transaction, as any failed statement does.
    result<bool> insert_message_in(PGconn& app_connection, const stored_message& m,
                                   std::span<const std::string> endpoints, std::int64_t due) {
        auto ps = detail::pg::insert_params(m, endpoints, due);
        ps.finish();
        detail::pg::result_set r(PQexecParams(&app_connection, pool_->sql.insert_message.c_str(), ps.count(),
                                              ps.types.data(), ps.values.data(), ps.lengths.data(), ps.formats.data(),
                                              1));
        if (!r.ok()) {
            pool_->report("insert_message_in", r.sqlstate());
            return errc::store_failure;
        }
        return r.i64(0, 0) > 0;
    }
    /// The same, for code that holds the connection as a pointer.
    result<bool> insert_message_in(PGconn* app_connection, const stored_message& m,
                                   std::span<const std::string> endpoints, std::int64_t due) {
        if (!app_connection) return errc::invalid_argument;
        return insert_message_in(*app_connection, m, endpoints, due);
    }

    result<std::vector<claimed_delivery>> claim_due(std::int64_t now, std::size_t limit,
                                                    std::span<const std::string> endpoints, std::int64_t lease_until) {
        std::vector<claimed_delivery> out;
        if (limit == 0 || endpoints.empty()) return out;
        detail::pg::params ps;
        const bool one = endpoints.size() == 1;
        ps.text(one ? endpoints[0] : detail::pg::text_array(endpoints))
            .integer(now)
            .integer(static_cast<std::int64_t>(limit))
            .integer(lease_until);
        auto r = run("claim_due", one ? "claim_one" : "claim", ps);
        if (!r) return r.error();
        std::vector<std::pair<std::int64_t, std::size_t>> order;
        for (int i = 0; i < r->rows(); ++i) {
            claimed_delivery c;
            auto& d = c.delivery;
            d.id = static_cast<std::uint64_t>(r->i64(i, 0));
            d.message_id = r->str(i, 1);
            d.endpoint_id = r->str(i, 2);
            d.status = delivery_status::in_flight;
            d.attempts = static_cast<int>(r->i64(i, 3));
            d.next_attempt_at = r->i64(i, 4);
            d.lease_until = r->i64(i, 5);
            d.updated_at = r->i64(i, 6);
            d.lease = static_cast<std::uint64_t>(r->i64(i, 18));
            detail::pg::read_order(*r, i, 19, d);
            d.holds_key = r->boolean(i, 22);
            d.last_attempt = detail::pg::last_attempt(*r, i, 7);
            auto msg = std::make_shared<stored_message>();
            msg->id = d.message_id;
            msg->event_type = r->str(i, 15);
            msg->payload = std::make_shared<const std::string>(r->str(i, 16));
            msg->created_at = r->i64(i, 17);
            c.message = std::move(msg);
            order.emplace_back(r->i64(i, 14), out.size());
            out.push_back(std::move(c));
        }
        // RETURNING has no order: earliest due first, then by id, as claimed.
        std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
            return a.first != b.first ? a.first < b.first : out[a.second].delivery.id < out[b.second].delivery.id;
        });
        std::vector<claimed_delivery> sorted;
        sorted.reserve(out.size());
        for (auto& o : order) sorted.push_back(std::move(out[o.second]));
        return sorted;
    }

    result<std::optional<std::int64_t>> next_due(std::span<const std::string> endpoints) {
        if (endpoints.empty()) return std::optional<std::int64_t>{};
        detail::pg::params ps;
        const bool one = endpoints.size() == 1;
        ps.text(one ? endpoints[0] : detail::pg::text_array(endpoints));
        auto r = run("next_due", one ? "next_due_one" : "next_due", ps);
        if (!r) return r.error();
        if (r->rows() == 0 || r->null(0, 0)) return std::optional<std::int64_t>{};
        return std::optional<std::int64_t>{r->i64(0, 0)};
    }

    /// The endpoints of the earliest `limit` due deliveries: one range scan of the `(due_at, endpoint_id)`
    /// index, whose cost is bounded by `limit` (query plan in docs/stores-postgres.md).
    result<due_endpoints_page> due_endpoints(std::int64_t now, std::size_t limit) {
        detail::due_page_builder page(limit);
        detail::pg::params ps;
        ps.integer(now).integer(
            static_cast<std::int64_t>(std::min<std::size_t>(page.rows_wanted(), static_cast<std::size_t>(INT64_MAX))));
        auto r = run("due_endpoints", "due_endpoints", ps);
        if (!r) return r.error();
        for (int i = 0; i < r->rows() && page.add(r->str(i, 0)); ++i) {
        }
        return page.take();
    }

    result<void> record_attempt(std::uint64_t id, std::uint64_t lease, const attempt_record& a, delivery_status status,
                                std::int64_t next_due) {
        detail::pg::params ps;
        ps.integer(static_cast<std::int64_t>(id))
            .integer(a.number)
            .integer(a.started_at)
            .integer(a.status)
            .text(detail::pg::category_name(a.error))
            .integer(a.error ? a.error.value() : 0)
            .integer(a.latency.count())
            .bytes(a.response_excerpt)
            .integer(static_cast<int>(status))
            .integer(next_due)
            .integer(static_cast<std::int64_t>(lease));
        auto r = run("record_attempt", "record_attempt", ps);
        if (!r) return r.error();
        if (r->i64(0, 0) > 0) return {};
        if (!r->boolean(0, 1)) return errc::message_not_found;
        if (r->i64(0, 2) == 0 || status == delivery_status::pending) return errc::lease_lost;
        // An ordered delivery that finished: its stream moves on, under the stream row's lock.
        return transaction<void>("record_attempt", [&](PGconn* c) -> result<void> {
            detail::pg::params lp;
            lp.integer(static_cast<std::int64_t>(id));
            auto head = exec_on("record_attempt", c, "order_lock", {}, lp);
            if (!head) return head.error();
            ps.integer(head->rows() > 0 ? head->i64(0, 0) : -1);
            auto u = exec_on("record_attempt", c, "record_settle", {}, ps);
            if (!u) return u.error();
            return fenced(*u);
        });
    }

    /// Gives up a pending (or waiting) or exhausted delivery: `skipped`, and its stream moves on;
    /// `delivery_in_flight` while its attempt is under way. Locks the stream, then the delivery.
    result<void> skip(std::uint64_t id, std::int64_t now) {
        return transaction<void>("skip", [&](PGconn* c) -> result<void> {
            detail::pg::params lp;
            lp.integer(static_cast<std::int64_t>(id));
            auto head = exec_on("skip", c, "order_lock", {}, lp);
            if (!head) return head.error();
            auto current = exec_on("skip", c, "skip_lock", {}, lp);
            if (!current) return current.error();
            if (current->rows() == 0) return errc::message_not_found;
            const auto st = static_cast<delivery_status>(current->i64(0, 0));
            if (st == delivery_status::in_flight) return errc::delivery_in_flight;
            if (st != delivery_status::pending && st != delivery_status::exhausted)
                return errc::invalid_argument; // already settled
            detail::pg::params ps;
            ps.integer(static_cast<std::int64_t>(id)).integer(now).integer(head->rows() > 0 ? head->i64(0, 0) : -1);
            auto r = exec_on("skip", c, "skip", {}, ps);
            if (!r) return r.error();
            return {};
        });
    }

    result<void> release(std::uint64_t id, std::uint64_t lease, std::int64_t due) {
        detail::pg::params ps;
        ps.integer(static_cast<std::int64_t>(id)).integer(due).integer(static_cast<std::int64_t>(lease));
        auto r = run("release", "release", ps);
        if (!r) return r.error();
        return fenced(*r);
    }

    /// Locks the messages of the matching deliveries (`FOR SHARE`, in one transaction with the update),
    /// so a concurrent `prune` skips them, or, when it holds one already, the update finds it gone; then
    /// the streams of the ordered ones (in key order, before their deliveries, as every writer does), so
    /// each waits again exactly when it is ahead of its stream's current head.
    result<std::size_t> reschedule(const delivery_query& q, std::int64_t due) {
        const std::string s = "\"" + pool_->sql.schema + "\".";
        const std::string limit = " ORDER BY d.id LIMIT " + detail::pg::sql_limit(q.limit);
        const std::string from =
            "FROM " + s + "deliveries d JOIN " + s + "messages m ON m.id = d.message_id WHERE d.status <> 1";
        detail::pg::params lock_ps;
        const std::string lock_sql = "SELECT 1 FROM " + s + "messages l WHERE l.id IN (SELECT d.message_id " + from +
                                     detail::pg::where(q, lock_ps, " AND ") + limit + ") ORDER BY l.id FOR SHARE OF l";
        detail::pg::params ids_ps;
        const std::string ids_sql = "SELECT coalesce(array_agg(x.id)::text, '{}'), coalesce(bool_or(x.order_seq <> 0), "
                                    "false) FROM (SELECT d.id, d.order_seq " +
                                    from + detail::pg::where(q, ids_ps, " AND ") + limit + ") x";
        const std::string streams_sql = "SELECT 1 FROM " + s +
                                        "order_streams st WHERE (st.endpoint_id, st.order_key) IN "
                                        "(SELECT endpoint_id, order_key FROM " +
                                        s +
                                        "deliveries WHERE id = ANY($1::bigint[]) AND order_seq <> 0) "
                                        "ORDER BY st.endpoint_id, st.order_key FOR UPDATE OF st";
        const std::string sql =
            "WITH t AS (SELECT d.id FROM " + s + "deliveries d JOIN " + s +
            "messages m ON m.id = d.message_id WHERE d.id = ANY($2::bigint[]) AND d.status <> 1 "
            "FOR UPDATE OF d FOR SHARE OF m), w AS (SELECT t.id, coalesce(d.order_seq > st.head_seq, false) AS waits "
            "FROM t JOIN " +
            s + "deliveries d ON d.id = t.id LEFT JOIN " + s +
            "order_streams st ON d.order_seq <> 0 AND st.endpoint_id = d.endpoint_id AND st.order_key = d.order_key), "
            "u AS (UPDATE " +
            s +
            "deliveries d SET status = 0, lease_until = 0, next_attempt_at = $1::bigint, due_at = CASE WHEN w.waits "
            "THEN NULL ELSE $1::bigint END, waiting = w.waits, holds_key = false FROM w WHERE d.id = w.id RETURNING 1) "
            "SELECT count(*) FROM u";
        return transaction<std::size_t>("reschedule", [&](PGconn* c) -> result<std::size_t> {
            if (!exec_on("reschedule", c, nullptr, lock_sql, lock_ps)) return errc::store_failure;
            auto ids = exec_on("reschedule", c, nullptr, ids_sql, ids_ps);
            if (!ids) return ids.error();
            detail::pg::params id_list;
            id_list.text(ids->str(0, 0));
            if (ids->boolean(0, 1) && !exec_on("reschedule", c, nullptr, streams_sql, id_list))
                return errc::store_failure;
            detail::pg::params ps;
            ps.integer(due).text(ids->str(0, 0));
            auto r = exec_on("reschedule", c, nullptr, sql, ps);
            if (!r) return r.error();
            return static_cast<std::size_t>(r->i64(0, 0));
        });
    }

    result<std::vector<delivery_record>> list_deliveries(const delivery_query& q) {
        detail::pg::params ps;
        const std::string s = "\"" + pool_->sql.schema + "\".";
        std::string w = detail::pg::where(q, ps, " WHERE ");
        std::string sql = "SELECT d.id, d.message_id, d.endpoint_id, d.attempts, d.next_attempt_at, d.lease_until, "
                          "d.updated_at, d.last_number, d.last_started_at, d.last_status, d.last_error_category, "
                          "d.last_error, d.last_latency_us, d.last_excerpt, d.status, d.lease, d.order_key, "
                          "d.order_seq, d.order_prev, d.waiting, d.holds_key FROM " +
                          s + "deliveries d" +
                          (q.created_since != 0 ? " JOIN " + s + "messages m ON m.id = d.message_id" : std::string()) +
                          w + (q.newest_first ? " ORDER BY d.id DESC LIMIT " : " ORDER BY d.id LIMIT ") +
                          detail::pg::sql_limit(q.limit);
        auto r = run_sql("list_deliveries", sql, ps);
        if (!r) return r.error();
        std::vector<delivery_record> out;
        out.reserve(static_cast<std::size_t>(r->rows()));
        for (int i = 0; i < r->rows(); ++i) {
            delivery_record d;
            d.id = static_cast<std::uint64_t>(r->i64(i, 0));
            d.message_id = r->str(i, 1);
            d.endpoint_id = r->str(i, 2);
            d.attempts = static_cast<int>(r->i64(i, 3));
            d.next_attempt_at = r->i64(i, 4);
            d.lease_until = r->i64(i, 5);
            d.updated_at = r->i64(i, 6);
            d.last_attempt = detail::pg::last_attempt(*r, i, 7);
            d.status = static_cast<delivery_status>(r->i64(i, 14));
            d.lease = static_cast<std::uint64_t>(r->i64(i, 15));
            detail::pg::read_order(*r, i, 16, d);
            d.waiting = r->boolean(i, 19);
            d.holds_key = r->boolean(i, 20);
            out.push_back(std::move(d));
        }
        return out;
    }

    result<std::vector<attempt_record>> list_attempts(std::uint64_t id) {
        detail::pg::params ps;
        ps.integer(static_cast<std::int64_t>(id));
        auto r = run("list_attempts", "list_attempts", ps);
        if (!r) return r.error();
        std::vector<attempt_record> out;
        for (int i = 0; i < r->rows(); ++i) {
            attempt_record a;
            a.number = static_cast<int>(r->i64(i, 0));
            a.started_at = r->i64(i, 1);
            a.status = static_cast<int>(r->i64(i, 2));
            a.error = detail::pg::decode_error(r->str(i, 3), static_cast<int>(r->i64(i, 4)));
            a.latency = std::chrono::microseconds(r->i64(i, 5));
            a.response_excerpt = r->str(i, 6);
            out.push_back(std::move(a));
        }
        return out;
    }

    result<std::optional<endpoint_state>> load_endpoint_state(const std::string& endpoint_id) {
        detail::pg::params ps;
        ps.text(endpoint_id);
        auto r = run("load_endpoint_state", "load_endpoint", ps);
        if (!r) return r.error();
        if (r->rows() == 0) return std::optional<endpoint_state>{};
        endpoint_state es;
        es.endpoint_id = endpoint_id;
        es.disabled = r->boolean(0, 0);
        es.disabled_reason = r->str(0, 1);
        es.failing_since = r->i64(0, 2);
        es.exhausted_count = static_cast<int>(r->i64(0, 3));
        return std::optional<endpoint_state>{std::move(es)};
    }

    result<void> save_endpoint_state(const endpoint_state& es) {
        detail::pg::params ps;
        ps.text(es.endpoint_id)
            .text(es.disabled ? "true" : "false")
            .text(es.disabled_reason)
            .integer(es.failing_since)
            .integer(es.exhausted_count);
        auto r = run("save_endpoint_state", "save_endpoint", ps);
        if (!r) return r.error();
        return {};
    }

    /// Atomic against `reschedule`: locks the finished messages (skipping those a reschedule holds), then
    /// deletes the ones still finished, in one transaction.
    result<std::size_t> prune(std::int64_t before) {
        return transaction<std::size_t>("prune", [&](PGconn* c) -> result<std::size_t> {
            detail::pg::params ps;
            ps.integer(before);
            auto locked = exec_on("prune", c, "prune_lock", {}, ps);
            if (!locked) return locked.error();
            detail::pg::params ids;
            ids.text(locked->str(0, 0));
            auto r = exec_on("prune", c, "prune_delete", {}, ids);
            if (!r) return r.error();
            return static_cast<std::size_t>(r->i64(0, 0));
        });
    }

    /// Deliveries pending (due now, or later) and in flight (`depth_store`), from the due index.
    result<queue_depth_counts> queue_depth(std::int64_t now) {
        detail::pg::params ps;
        ps.integer(now);
        auto r = detail::pg::registry_exec(
            *pool_, "queue_depth",
            "SELECT count(*) FILTER (WHERE status = 0 AND due_at <= $1::bigint), count(*) FILTER (WHERE status = 0 "
            "AND due_at > $1::bigint), count(*) FILTER (WHERE status = 1) FROM \"" +
                pool_->sql.schema + "\".deliveries WHERE due_at IS NOT NULL",
            ps);
        if (!r) return r.error();
        return queue_depth_counts{static_cast<std::uint64_t>(r->i64(0, 0)), static_cast<std::uint64_t>(r->i64(0, 1)),
                                  static_cast<std::uint64_t>(r->i64(0, 2))};
    }

    // --- the registry (`registry_store`, registry/registry_store.hpp) ---------------------------------

    result<void> registry_insert(const registry_row& row) { return detail::pg::registry_insert(*pool_, row); }
    result<void> registry_update(const registry_row& row) { return detail::pg::registry_update(*pool_, row); }
    result<std::optional<registry_row>> registry_get(const std::string& kind, const std::string& id) {
        return detail::pg::registry_get(*pool_, kind, id);
    }
    result<std::optional<registry_row>> registry_find(const std::string& kind, const std::string& tenant,
                                                      const std::string& uid) {
        return detail::pg::registry_find(*pool_, kind, tenant, uid);
    }
    result<std::vector<registry_row>> registry_list(const registry_query& q) {
        return detail::pg::registry_list(*pool_, q);
    }
    result<bool> registry_erase(const std::string& kind, const std::string& id) {
        return detail::pg::registry_erase(*pool_, kind, id);
    }
    result<std::size_t> registry_prune(const std::string& kind, std::int64_t before) {
        return detail::pg::registry_prune(*pool_, kind, before);
    }

private:
    explicit postgres_store(std::shared_ptr<detail::pg::pool> p) : pool_(std::move(p)) {}

    /// A prepared statement on a pooled connection; binary results.
    result<detail::pg::result_set> run(const char* op, const char* statement, detail::pg::params& ps) {
        ps.finish();
        auto c = pool_->take();
        if (!c) return c.error();
        detail::pg::result_set r(
            PQexecPrepared(*c, statement, ps.count(), ps.values.data(), ps.lengths.data(), ps.formats.data(), 1));
        return finish(op, *c, std::move(r));
    }

    /// A one-off statement (built from a query) on a pooled connection; binary results.
    result<detail::pg::result_set> run_sql(const char* op, const std::string& sql, detail::pg::params& ps) {
        ps.finish();
        auto c = pool_->take();
        if (!c) return c.error();
        detail::pg::result_set r(PQexecParams(*c, sql.c_str(), ps.count(), ps.types.data(), ps.values.data(),
                                              ps.lengths.data(), ps.formats.data(), 1));
        return finish(op, *c, std::move(r));
    }

    /// One statement on `c`, a connection the caller holds: the prepared `statement`, or `sql`.
    result<detail::pg::result_set> exec_on(const char* op, PGconn* c, const char* statement, const std::string& sql,
                                           detail::pg::params& ps) {
        ps.finish();
        detail::pg::result_set r(statement ? PQexecPrepared(c, statement, ps.count(), ps.values.data(),
                                                            ps.lengths.data(), ps.formats.data(), 1)
                                           : PQexecParams(c, sql.c_str(), ps.count(), ps.types.data(), ps.values.data(),
                                                          ps.lengths.data(), ps.formats.data(), 1));
        if (!r.get() || !r.ok()) {
            pool_->report(op, r.get() ? r.sqlstate() : "");
            return errc::store_failure;
        }
        return r;
    }

    /// `body(connection)` inside BEGIN ... COMMIT on one pooled connection; a failure rolls back (the
    /// pool rolls back a connection handed back inside a transaction).
    template <class T, class Body>
    result<T> transaction(const char* op, Body&& body) {
        auto c = pool_->take();
        if (!c) return c.error();
        detail::pg::params none;
        result<T> out = errc::store_failure;
        if (exec_on(op, *c, nullptr, "BEGIN", none)) {
            out = std::forward<Body>(body)(*c);
            if (out && !exec_on(op, *c, nullptr, "COMMIT", none)) out = errc::store_failure;
        }
        pool_->put_back(*c);
        return out;
    }

    /// The answer of a fenced update, (rows changed, row exists): `lease_lost` when the delivery exists
    /// but is not in flight under the caller's lease.
    static result<void> fenced(const detail::pg::result_set& r) {
        if (r.i64(0, 0) > 0) return {};
        return r.boolean(0, 1) ? errc::lease_lost : errc::message_not_found;
    }

    result<detail::pg::result_set> finish(const char* op, PGconn* c, detail::pg::result_set r) {
        const bool ok = r.get() && r.ok();
        if (!ok) pool_->report(op, r.get() ? r.sqlstate() : "");
        pool_->put_back(c);
        if (!ok) return errc::store_failure;
        return r;
    }

    std::shared_ptr<detail::pg::pool> pool_;
};

static_assert(due_index_store<postgres_store>);
static_assert(ordered_store<postgres_store>);
static_assert(outbox_store<postgres_store, PGconn>);
static_assert(outbox_store<postgres_store, PGconn*>);
static_assert(registry_store<postgres_store>);
static_assert(depth_store<postgres_store>);

HOOKLINE_END_NAMESPACE
