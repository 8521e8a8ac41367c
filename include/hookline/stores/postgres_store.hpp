/// \file `postgres_store`: the store for several sender processes (or machines) sharing one queue in
/// PostgreSQL, through libpq. Link `hookline::postgres`.
///
/// Deliveries are claimed with `FOR UPDATE SKIP LOCKED` and a lease: any number of sender processes
/// share one queue, each claimed delivery goes to one of them, and the deliveries of a process that died
/// are claimed again once their lease runs out. The schema lives in its own PostgreSQL schema (default
/// `hookline`), is created or migrated by `open` under an advisory lock, and is versioned.
/// `insert_message_in(PGconn&, ...)` enqueues through the application's own connection, inside its
/// transaction (the transactional outbox). See docs/stores-postgres.md.
///
/// Thread-safety: every member may be called from any thread. A `postgres_store` is a handle: copies
/// share one small pool of connections (guarded by a mutex; a connection is used by one call at a time).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/store.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
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

namespace detail::pg {

inline constexpr int schema_version = 1;

inline bool valid_schema_name(std::string_view s) {
    if (s.empty() || s.size() > 63) return false;
    if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z'))) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

/// `{"a","b"}`: a text[] literal.
inline std::string text_array(std::span<const std::string> values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

/// Statement parameters: text, except bytea which is sent binary.
struct params {
    std::vector<std::string> storage;
    std::vector<int> formats;
    std::vector<int> lengths;
    std::vector<Oid> types;
    std::vector<const char*> values;

    params& text(std::string v) {
        storage.push_back(std::move(v));
        formats.push_back(0);
        types.push_back(0);
        return *this;
    }
    params& integer(std::int64_t v) { return text(std::to_string(v)); }
    params& bytes(std::string v) {
        storage.push_back(std::move(v));
        formats.push_back(1);
        types.push_back(17); // bytea
        return *this;
    }
    void finish() {
        values.clear();
        lengths.clear();
        for (auto& s : storage) {
            values.push_back(s.data());
            lengths.push_back(static_cast<int>(s.size()));
        }
    }
    int count() const { return static_cast<int>(storage.size()); }
};

/// A result in binary format; frees itself.
class result_set {
public:
    explicit result_set(PGresult* r = nullptr) : r_(r) {}
    result_set(result_set&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    result_set& operator=(result_set&& o) noexcept {
        std::swap(r_, o.r_);
        return *this;
    }
    result_set(const result_set&) = delete;
    result_set& operator=(const result_set&) = delete;
    ~result_set() {
        if (r_) PQclear(r_);
    }
    PGresult* get() const { return r_; }
    bool ok() const {
        auto s = PQresultStatus(r_);
        return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
    }
    const char* sqlstate() const {
        const char* s = r_ ? PQresultErrorField(r_, PG_DIAG_SQLSTATE) : nullptr;
        return s ? s : "";
    }
    int rows() const { return PQntuples(r_); }
    bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
    std::int64_t i64(int row, int col) const {
        if (null(row, col)) return 0;
        const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col));
        const int n = PQgetlength(r_, row, col);
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
        if (n < 8 && n > 0 && (p[0] & 0x80)) v |= ~std::uint64_t{0} << (8 * n); // sign-extend
        return static_cast<std::int64_t>(v);
    }
    bool boolean(int row, int col) const { return !null(row, col) && *PQgetvalue(r_, row, col) != 0; }
    std::string str(int row, int col) const {
        return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
    }

private:
    PGresult* r_;
};

inline std::error_code decode_error(const std::string& category, int value) {
    if (value == 0) return {};
    if (category == "hookline") return {value, hookline::error_category()};
    if (category == "system") return {value, std::system_category()};
    return {value, std::generic_category()};
}

inline const char* category_name(const std::error_code& ec) {
    if (!ec) return "";
    if (ec.category() == hookline::error_category()) return "hookline";
    if (ec.category() == std::system_category()) return "system";
    return "generic";
}

/// Every statement the store runs, with the schema name filled in.
struct statements {
    std::string insert_message, claim, claim_one, next_due, next_due_one, record_attempt, release, list_attempts,
        load_endpoint, save_endpoint, prune;
    std::string schema;

    explicit statements(const std::string& s) : schema(s) {
        const std::string q = "\"" + s + "\".";
        insert_message =
            "WITH m AS (INSERT INTO " + q +
            "messages (id, event_type, payload, created_at) "
            "VALUES ($1::text, $2::text, $3::bytea, $4::bigint) ON CONFLICT (id) DO NOTHING RETURNING id), "
            "d AS (INSERT INTO " +
            q +
            "deliveries (message_id, endpoint_id, status, next_attempt_at, due_at, updated_at) "
            "SELECT m.id, e.ep, 0, $5::bigint, $5::bigint, $4::bigint FROM m "
            "CROSS JOIN unnest($6::text[]) WITH ORDINALITY AS e(ep, n) ORDER BY e.n RETURNING 1) "
            "SELECT count(*) FROM m";
        claim = "WITH c AS (SELECT id, due_at FROM " + q +
                "deliveries WHERE endpoint_id = ANY($1::text[]) "
                "AND due_at <= $2::bigint ORDER BY due_at, id LIMIT $3::bigint FOR UPDATE SKIP LOCKED) "
                "UPDATE " +
                q +
                "deliveries d SET status = 1, lease_until = $4::bigint, due_at = $4::bigint, "
                "updated_at = $2::bigint FROM c, " +
                q +
                "messages m WHERE d.id = c.id AND m.id = d.message_id "
                "RETURNING d.id, d.message_id, d.endpoint_id, d.attempts, d.next_attempt_at, d.lease_until, "
                "d.updated_at, d.last_number, d.last_started_at, d.last_status, d.last_error_category, "
                "d.last_error, d.last_latency_us, d.last_excerpt, c.due_at, m.event_type, m.payload, m.created_at";
        // One endpoint (what a sender asks for): the index hands rows over in claim order.
        claim_one = claim;
        claim_one.replace(claim_one.find("endpoint_id = ANY($1::text[])"), 29, "endpoint_id = $1::text");
        next_due =
            "SELECT min(due_at) FROM " + q + "deliveries WHERE endpoint_id = ANY($1::text[]) AND due_at IS NOT NULL";
        next_due_one =
            "SELECT min(due_at) FROM " + q + "deliveries WHERE endpoint_id = $1::text AND due_at IS NOT NULL";
        record_attempt =
            "WITH u AS (UPDATE " + q +
            "deliveries SET attempts = GREATEST(attempts, $2::integer), "
            "last_number = $2::integer, last_started_at = $3::bigint, last_status = $4::integer, "
            "last_error_category = $5::text, last_error = $6::integer, last_latency_us = $7::bigint, "
            "last_excerpt = $8::bytea, status = $9::smallint, updated_at = $3::bigint, lease_until = 0, "
            "next_attempt_at = CASE WHEN $9::smallint = 0 THEN $10::bigint ELSE next_attempt_at END, "
            "due_at = CASE WHEN $9::smallint = 0 THEN $10::bigint ELSE NULL END "
            "WHERE id = $1::bigint RETURNING id), "
            "a AS (INSERT INTO " +
            q +
            "attempts (delivery_id, number, started_at, status, error_category, error, "
            "latency_us, excerpt) SELECT u.id, $2::integer, $3::bigint, $4::integer, $5::text, $6::integer, "
            "$7::bigint, $8::bytea FROM u RETURNING 1) "
            "SELECT count(*) FROM u";
        release = "WITH u AS (UPDATE " + q +
                  "deliveries SET status = 0, lease_until = 0, next_attempt_at = $2::bigint, "
                  "due_at = $2::bigint WHERE id = $1::bigint AND status = 1 RETURNING 1) "
                  "SELECT EXISTS (SELECT 1 FROM " +
                  q + "deliveries WHERE id = $1::bigint)";
        list_attempts = "SELECT number, started_at, status, error_category, error, latency_us, excerpt FROM " + q +
                        "attempts WHERE delivery_id = $1::bigint ORDER BY seq";
        load_endpoint = "SELECT disabled, disabled_reason, failing_since, exhausted_count FROM " + q +
                        "endpoint_state WHERE endpoint_id = $1::text";
        save_endpoint = "INSERT INTO " + q +
                        "endpoint_state (endpoint_id, disabled, disabled_reason, failing_since, "
                        "exhausted_count) VALUES ($1::text, $2::boolean, $3::text, $4::bigint, $5::integer) "
                        "ON CONFLICT (endpoint_id) DO UPDATE SET disabled = EXCLUDED.disabled, "
                        "disabled_reason = EXCLUDED.disabled_reason, failing_since = EXCLUDED.failing_since, "
                        "exhausted_count = EXCLUDED.exhausted_count";
        prune = "WITH doomed AS (SELECT m.id FROM " + q +
                "messages m WHERE m.created_at < $1::bigint AND NOT EXISTS "
                "(SELECT 1 FROM " +
                q +
                "deliveries d WHERE d.message_id = m.id AND d.status IN (0, 1)) "
                "FOR UPDATE OF m SKIP LOCKED), "
                "gone AS (DELETE FROM " +
                q +
                "messages WHERE id IN (SELECT id FROM doomed) RETURNING 1) "
                "SELECT count(*) FROM gone";
    }

    /// Version 1 of the schema.
    std::string schema_v1() const {
        const std::string q = "\"" + schema + "\".";
        return "CREATE TABLE " + q +
               "messages (id text PRIMARY KEY, event_type text NOT NULL, "
               "payload bytea NOT NULL, created_at bigint NOT NULL);"
               "CREATE INDEX ON " +
               q +
               "messages (created_at);"
               "CREATE TABLE " +
               q +
               "deliveries (id bigserial PRIMARY KEY, "
               "message_id text NOT NULL REFERENCES " +
               q +
               "messages (id) ON DELETE CASCADE, "
               "endpoint_id text NOT NULL, status smallint NOT NULL, attempts integer NOT NULL DEFAULT 0, "
               "next_attempt_at bigint NOT NULL, lease_until bigint NOT NULL DEFAULT 0, "
               "due_at bigint, updated_at bigint NOT NULL, last_number integer, last_started_at bigint, "
               "last_status integer, last_error_category text, last_error integer, last_latency_us bigint, "
               "last_excerpt bytea);"
               "COMMENT ON COLUMN " +
               q +
               "deliveries.due_at IS "
               "'next_attempt_at when pending, lease_until when in flight, NULL when finished';"
               "CREATE INDEX ON " +
               q +
               "deliveries (endpoint_id, due_at, id) WHERE due_at IS NOT NULL;"
               "CREATE INDEX ON " +
               q +
               "deliveries (message_id);"
               "CREATE TABLE " +
               q +
               "attempts (seq bigserial PRIMARY KEY, "
               "delivery_id bigint NOT NULL REFERENCES " +
               q +
               "deliveries (id) ON DELETE CASCADE, "
               "number integer NOT NULL, started_at bigint NOT NULL, status integer NOT NULL, "
               "error_category text NOT NULL, error integer NOT NULL, latency_us bigint NOT NULL, "
               "excerpt bytea NOT NULL);"
               "CREATE INDEX ON " +
               q +
               "attempts (delivery_id);"
               "CREATE TABLE " +
               q +
               "endpoint_state (endpoint_id text PRIMARY KEY, disabled boolean NOT NULL, "
               "disabled_reason text NOT NULL, failing_since bigint NOT NULL, exhausted_count integer NOT NULL);";
    }
};

} // namespace detail::pg

/// The PostgreSQL store. Open with `postgres_store::open(conninfo, options)`.
class postgres_store {
public:
    /// Connects, creates or migrates the schema (under an advisory lock, so several processes may open at
    /// once) and returns a handle. Fails with `store_failure` (no connection, SQL error), `schema_mismatch`
    /// (the database holds a newer schema version) or `invalid_argument` (bad schema name or pool size).
    static result<postgres_store> open(const std::string& conninfo, postgres_store_options options = {}) {
        if (!detail::pg::valid_schema_name(options.schema) || options.pool_size == 0) return errc::invalid_argument;
        auto p = std::make_shared<pool>(conninfo, std::move(options));
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
        auto ps = insert_params(m, endpoints, due);
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
        auto ps = insert_params(m, endpoints, due);
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
            d.last_attempt = last_attempt(*r, i, 7);
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

    result<void> record_attempt(std::uint64_t id, const attempt_record& a, delivery_status status,
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
            .integer(next_due);
        auto r = run("record_attempt", "record_attempt", ps);
        if (!r) return r.error();
        if (r->i64(0, 0) == 0) return errc::message_not_found;
        return {};
    }

    result<void> release(std::uint64_t id, std::int64_t due) {
        detail::pg::params ps;
        ps.integer(static_cast<std::int64_t>(id)).integer(due);
        auto r = run("release", "release", ps);
        if (!r) return r.error();
        if (!r->boolean(0, 0)) return errc::message_not_found;
        return {};
    }

    result<std::size_t> reschedule(const delivery_query& q, std::int64_t due) {
        detail::pg::params ps;
        ps.integer(due);
        const std::string s = "\"" + pool_->sql.schema + "\".";
        std::string sql = "WITH t AS (SELECT d.id FROM " + s + "deliveries d JOIN " + s +
                          "messages m ON m.id = d.message_id WHERE d.status <> 1" + where(q, ps, " AND ") +
                          " ORDER BY d.id LIMIT " + std::to_string(q.limit) +
                          " FOR UPDATE OF d), "
                          "u AS (UPDATE " +
                          s +
                          "deliveries SET status = 0, lease_until = 0, next_attempt_at = $1::bigint, "
                          "due_at = $1::bigint WHERE id IN (SELECT id FROM t) RETURNING 1) SELECT count(*) FROM u";
        auto r = run_sql("reschedule", sql, ps);
        if (!r) return r.error();
        return static_cast<std::size_t>(r->i64(0, 0));
    }

    result<std::vector<delivery_record>> list_deliveries(const delivery_query& q) {
        detail::pg::params ps;
        const std::string s = "\"" + pool_->sql.schema + "\".";
        std::string w = where(q, ps, " WHERE ");
        std::string sql = "SELECT d.id, d.message_id, d.endpoint_id, d.attempts, d.next_attempt_at, d.lease_until, "
                          "d.updated_at, d.last_number, d.last_started_at, d.last_status, d.last_error_category, "
                          "d.last_error, d.last_latency_us, d.last_excerpt, d.status FROM " +
                          s + "deliveries d" +
                          (q.created_since != 0 ? " JOIN " + s + "messages m ON m.id = d.message_id" : std::string()) +
                          w + " ORDER BY d.id LIMIT " + std::to_string(q.limit);
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
            d.last_attempt = last_attempt(*r, i, 7);
            d.status = static_cast<delivery_status>(r->i64(i, 14));
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

    result<std::size_t> prune(std::int64_t before) {
        detail::pg::params ps;
        ps.integer(before);
        auto r = run("prune", "prune", ps);
        if (!r) return r.error();
        return static_cast<std::size_t>(r->i64(0, 0));
    }

private:
    /// The connection pool and everything copies of the store share.
    struct pool {
        std::string conninfo;
        postgres_store_options options;
        detail::pg::statements sql;
        std::mutex mutex;
        std::condition_variable cv;
        std::vector<PGconn*> idle;
        std::size_t open = 0;

        pool(std::string ci, postgres_store_options o)
            : conninfo(std::move(ci)), options(std::move(o)), sql(options.schema) {}
        ~pool() {
            for (auto* c : idle) PQfinish(c);
        }
        pool(const pool&) = delete;
        pool& operator=(const pool&) = delete;

        void report(const char* op, const char* sqlstate) const {
            if (options.on_error) options.on_error(op, sqlstate);
        }

        result<PGconn*> connect() {
            PGconn* c = PQconnectdb(conninfo.c_str());
            if (!c || PQstatus(c) != CONNECTION_OK) {
                if (c) PQfinish(c);
                report("connect", "");
                return errc::store_failure;
            }
            PQsetNoticeProcessor(
                c, [](void*, const char*) {}, nullptr); // "already exists, skipping" and the like
            return c;
        }

        bool exec(PGconn* c, const char* op, const std::string& text) {
            detail::pg::result_set r(PQexec(c, text.c_str()));
            if (!r.ok()) report(op, r.sqlstate());
            return r.ok();
        }

        result<void> migrate(PGconn* c) {
            if (!exec(c, "migrate", "BEGIN")) return errc::store_failure;
            auto fail = [&](errc e) -> result<void> {
                exec(c, "migrate", "ROLLBACK");
                return e;
            };
            // One migrator per schema at a time, across processes.
            detail::pg::params lock;
            lock.text("hookline.migrate." + sql.schema);
            lock.finish();
            detail::pg::result_set r(PQexecParams(c, "SELECT pg_advisory_xact_lock(hashtext($1::text))", 1,
                                                  lock.types.data(), lock.values.data(), lock.lengths.data(),
                                                  lock.formats.data(), 1));
            if (!r.ok()) {
                report("migrate", r.sqlstate());
                return fail(errc::store_failure);
            }
            const std::string q = "\"" + sql.schema + "\"";
            if (options.migrate && !exec(c, "migrate",
                                         "CREATE SCHEMA IF NOT EXISTS " + q + "; CREATE TABLE IF NOT EXISTS " + q +
                                             ".schema_version (version integer NOT NULL)"))
                return fail(errc::store_failure);
            detail::pg::result_set v(PQexecParams(c, ("SELECT max(version) FROM " + q + ".schema_version").c_str(), 0,
                                                  nullptr, nullptr, nullptr, nullptr, 1));
            if (!v.ok()) {
                report("migrate", v.sqlstate());
                return fail(options.migrate ? errc::store_failure : errc::schema_mismatch);
            }
            const std::int64_t have = v.null(0, 0) ? 0 : v.i64(0, 0);
            if (have > detail::pg::schema_version) return fail(errc::schema_mismatch);
            if (have < detail::pg::schema_version) {
                if (!options.migrate) return fail(errc::schema_mismatch);
                // Future versions append their steps here: if (have < 2) ..., each in this transaction.
                if (have < 1 && !exec(c, "migrate", sql.schema_v1())) return fail(errc::store_failure);
                if (!exec(c, "migrate",
                          "DELETE FROM " + q + ".schema_version; INSERT INTO " + q + ".schema_version VALUES (" +
                              std::to_string(detail::pg::schema_version) + ")"))
                    return fail(errc::store_failure);
            }
            if (!exec(c, "migrate", "COMMIT")) return fail(errc::store_failure);
            return {};
        }

        bool prepare(PGconn* c) {
            const std::pair<const char*, const std::string*> all[] = {{"insert_message", &sql.insert_message},
                                                                      {"claim", &sql.claim},
                                                                      {"claim_one", &sql.claim_one},
                                                                      {"next_due_one", &sql.next_due_one},
                                                                      {"next_due", &sql.next_due},
                                                                      {"record_attempt", &sql.record_attempt},
                                                                      {"release", &sql.release},
                                                                      {"list_attempts", &sql.list_attempts},
                                                                      {"load_endpoint", &sql.load_endpoint},
                                                                      {"save_endpoint", &sql.save_endpoint},
                                                                      {"prune", &sql.prune}};
            for (const auto& [name, text] : all) {
                detail::pg::result_set r(PQprepare(c, name, text->c_str(), 0, nullptr));
                if (!r.ok()) {
                    report("prepare", r.sqlstate());
                    return false;
                }
            }
            return true;
        }

        result<PGconn*> take() {
            {
                std::unique_lock lock(mutex);
                cv.wait(lock, [&] { return !idle.empty() || open < options.pool_size; });
                if (!idle.empty()) {
                    PGconn* c = idle.back();
                    idle.pop_back();
                    return c;
                }
                ++open;
            }
            auto c = connect();
            if (c && !prepare(*c)) {
                PQfinish(*c);
                c = errc::store_failure;
            }
            if (!c) {
                std::lock_guard lock(mutex);
                --open;
                cv.notify_one();
            }
            return c;
        }

        /// Returns a connection to the pool, or closes it when it is broken or stuck in a transaction.
        void put_back(PGconn* c) {
            bool keep = PQstatus(c) == CONNECTION_OK;
            if (keep && PQtransactionStatus(c) != PQTRANS_IDLE) {
                detail::pg::result_set r(PQexec(c, "ROLLBACK"));
                keep = r.ok() && PQtransactionStatus(c) == PQTRANS_IDLE;
            }
            std::lock_guard lock(mutex);
            if (keep) {
                idle.push_back(c);
            } else {
                PQfinish(c);
                --open;
            }
            cv.notify_one();
        }
    };

    explicit postgres_store(std::shared_ptr<pool> p) : pool_(std::move(p)) {}

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

    result<detail::pg::result_set> finish(const char* op, PGconn* c, detail::pg::result_set r) {
        const bool ok = r.get() && r.ok();
        if (!ok) pool_->report(op, r.get() ? r.sqlstate() : "");
        pool_->put_back(c);
        if (!ok) return errc::store_failure;
        return r;
    }

    static detail::pg::params insert_params(const stored_message& m, std::span<const std::string> endpoints,
                                            std::int64_t due) {
        detail::pg::params ps;
        ps.text(m.id)
            .text(m.event_type)
            .bytes(m.payload ? *m.payload : std::string())
            .integer(m.created_at)
            .integer(due)
            .text(detail::pg::text_array(endpoints));
        return ps;
    }

    /// Appends the query's conditions (parameters numbered after those already in `ps`).
    static std::string where(const delivery_query& q, detail::pg::params& ps, const char* lead) {
        std::vector<std::string> conds;
        auto next = [&] { return "$" + std::to_string(ps.count()); };
        if (!q.message_id.empty()) {
            ps.text(q.message_id);
            conds.push_back("d.message_id = " + next() + "::text");
        }
        if (!q.endpoint_id.empty()) {
            ps.text(q.endpoint_id);
            conds.push_back("d.endpoint_id = " + next() + "::text");
        }
        if (!q.statuses.empty()) {
            std::string list = "{";
            for (std::size_t i = 0; i < q.statuses.size(); ++i)
                list += (i ? "," : "") + std::to_string(static_cast<int>(q.statuses[i]));
            ps.text(list + "}");
            conds.push_back("d.status = ANY(" + next() + "::smallint[])");
        }
        if (q.created_since != 0) {
            ps.integer(q.created_since);
            conds.push_back("m.created_at >= " + next() + "::bigint");
        }
        std::string out;
        for (std::size_t i = 0; i < conds.size(); ++i) out += (i ? " AND " : lead) + conds[i];
        return out;
    }

    static std::optional<attempt_record> last_attempt(const detail::pg::result_set& r, int row, int col) {
        if (r.null(row, col)) return std::nullopt;
        attempt_record a;
        a.number = static_cast<int>(r.i64(row, col));
        a.started_at = r.i64(row, col + 1);
        a.status = static_cast<int>(r.i64(row, col + 2));
        a.error = detail::pg::decode_error(r.str(row, col + 3), static_cast<int>(r.i64(row, col + 4)));
        a.latency = std::chrono::microseconds(r.i64(row, col + 5));
        a.response_excerpt = r.str(row, col + 6);
        return a;
    }

    std::shared_ptr<pool> pool_;
};

static_assert(store<postgres_store>);
static_assert(outbox_store<postgres_store, PGconn>);
static_assert(outbox_store<postgres_store, PGconn*>);

HOOKLINE_END_NAMESPACE
