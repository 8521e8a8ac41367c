/// \file The PostgreSQL store's registry rows (`registry_store`): the `registry` table (schema version 5).
/// One-off parameterised statements on a pooled connection; keys are text (COLLATE "C"), `body` bytea.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/registry/registry_store.hpp>
#include <hookline/stores/detail/postgres_connection.hpp>
#include <hookline/stores/detail/postgres_pool.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::pg {

inline constexpr const char* registry_columns = "kind, id, tenant, uid, body, created_at, updated_at";

/// `"schema".registry`.
inline std::string registry_table(const pool& p) { return "\"" + p.sql.schema + "\".registry"; }

/// Runs `sql` on a pooled connection, binary results. A unique violation (SQLSTATE 23505) is the
/// answer `already_exists`, not reported; any other failure is reported and is `store_failure`.
inline result<result_set> registry_exec(pool& p, const char* op, const std::string& sql, params& ps) {
    ps.finish();
    auto c = p.take();
    if (!c) return c.error();
    result_set r(PQexecParams(*c, sql.c_str(), ps.count(), ps.types.data(), ps.values.data(), ps.lengths.data(),
                              ps.formats.data(), 1));
    p.put_back(*c);
    if (r.get() && r.ok()) return r;
    const std::string_view state = r.get() ? r.sqlstate() : "";
    if (state == "23505") return errc::already_exists;
    p.report(op, r.get() ? r.sqlstate() : "");
    return errc::store_failure;
}

inline registry_row registry_read(const result_set& r, int row) {
    registry_row out;
    out.kind = r.str(row, 0);
    out.id = r.str(row, 1);
    out.tenant = r.str(row, 2);
    out.uid = r.str(row, 3);
    out.body = r.str(row, 4);
    out.created_at = r.i64(row, 5);
    out.updated_at = r.i64(row, 6);
    return out;
}

inline result<std::optional<registry_row>> registry_one(result<result_set> r) {
    if (!r) return r.error();
    if (r->rows() == 0) return std::optional<registry_row>{};
    return std::optional<registry_row>{registry_read(*r, 0)};
}

/// A taken id or uid (any unique index) inserts nothing: `already_exists`, without a failed statement.
inline result<void> registry_insert(pool& p, const registry_row& row) {
    params ps;
    ps.text(row.kind)
        .text(row.id)
        .text(row.tenant)
        .text(row.uid)
        .bytes(row.body)
        .integer(row.created_at)
        .integer(row.updated_at);
    auto r = registry_exec(p, "registry_insert",
                           "INSERT INTO " + registry_table(p) + " (" + registry_columns +
                               ") VALUES ($1::text, $2::text, $3::text, $4::text, $5::bytea, $6::bigint, $7::bigint) "
                               "ON CONFLICT DO NOTHING RETURNING 1",
                           ps);
    if (!r) return r.error();
    if (r->rows() == 0) return errc::already_exists;
    return {};
}

/// Keeps `created_at`; a taken uid is a unique violation (`already_exists`) and changes nothing.
inline result<void> registry_update(pool& p, const registry_row& row) {
    params ps;
    ps.text(row.kind).text(row.id).text(row.tenant).text(row.uid).bytes(row.body).integer(row.updated_at);
    auto r = registry_exec(p, "registry_update",
                           "UPDATE " + registry_table(p) +
                               " SET tenant = $3::text, uid = $4::text, body = $5::bytea, updated_at = $6::bigint "
                               "WHERE kind = $1::text AND id = $2::text RETURNING 1",
                           ps);
    if (!r) return r.error();
    if (r->rows() == 0) return errc::not_found;
    return {};
}

inline result<std::optional<registry_row>> registry_get(pool& p, const std::string& kind, const std::string& id) {
    params ps;
    ps.text(kind).text(id);
    return registry_one(registry_exec(p, "registry_get",
                                      std::string("SELECT ") + registry_columns + " FROM " + registry_table(p) +
                                          " WHERE kind = $1::text AND id = $2::text",
                                      ps));
}

/// `uid <> ''` repeated so the planner may use the partial unique index.
inline result<std::optional<registry_row>> registry_find(pool& p, const std::string& kind, const std::string& tenant,
                                                         const std::string& uid) {
    if (uid.empty()) return std::optional<registry_row>{};
    params ps;
    ps.text(kind).text(tenant).text(uid);
    return registry_one(registry_exec(p, "registry_find",
                                      std::string("SELECT ") + registry_columns + " FROM " + registry_table(p) +
                                          " WHERE kind = $1::text AND tenant = $2::text AND uid = $3::text "
                                          "AND uid <> ''",
                                      ps));
}

/// A range scan of the primary key, or of the (kind, tenant, id) index for one tenant.
inline result<std::vector<registry_row>> registry_list(pool& p, const registry_query& q) {
    std::vector<registry_row> out;
    if (q.limit == 0) return out;
    params ps;
    auto next = [&] { return "$" + std::to_string(ps.count()); };
    ps.text(q.kind);
    std::string sql =
        std::string("SELECT ") + registry_columns + " FROM " + registry_table(p) + " WHERE kind = $1::text";
    if (q.tenant) {
        ps.text(*q.tenant);
        sql += " AND tenant = " + next() + "::text";
    }
    if (!q.after.empty()) {
        ps.text(q.after);
        sql += (q.descending ? " AND id < " : " AND id > ") + next() + "::text";
    }
    ps.integer(static_cast<std::int64_t>(
        std::min<std::size_t>(q.limit, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
    sql += (q.descending ? " ORDER BY id DESC LIMIT " : " ORDER BY id LIMIT ") + next() + "::bigint";
    auto r = registry_exec(p, "registry_list", sql, ps);
    if (!r) return r.error();
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) out.push_back(registry_read(*r, i));
    return out;
}

inline result<bool> registry_erase(pool& p, const std::string& kind, const std::string& id) {
    params ps;
    ps.text(kind).text(id);
    auto r =
        registry_exec(p, "registry_erase",
                      "DELETE FROM " + registry_table(p) + " WHERE kind = $1::text AND id = $2::text RETURNING 1", ps);
    if (!r) return r.error();
    return r->rows() > 0;
}

inline result<std::size_t> registry_prune(pool& p, const std::string& kind, std::int64_t before) {
    params ps;
    ps.text(kind).integer(before);
    auto r = registry_exec(p, "registry_prune",
                           "WITH gone AS (DELETE FROM " + registry_table(p) +
                               " WHERE kind = $1::text AND created_at < $2::bigint RETURNING 1) "
                               "SELECT count(*) FROM gone",
                           ps);
    if (!r) return r.error();
    return static_cast<std::size_t>(r->i64(0, 0));
}

} // namespace detail::pg

HOOKLINE_END_NAMESPACE
