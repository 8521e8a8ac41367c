/// \file The SQLite store's registry rows (`registry_store`): the `hookline_registry` table.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/registry/registry_store.hpp>
#include <hookline/stores/detail/sqlite_connection.hpp>

#include <sqlite3.h>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <optional>
#include <string>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

inline constexpr const char* sqlite_registry_columns = "kind, id, tenant, uid, body, created_at, updated_at";

inline registry_row sqlite_registry_read(SQLite::Statement& q) {
    registry_row r;
    r.kind = q.getColumn(0).getString();
    r.id = q.getColumn(1).getString();
    r.tenant = q.getColumn(2).getString();
    r.uid = q.getColumn(3).getString();
    r.body = q.getColumn(4).getString();
    r.created_at = q.getColumn(5).getInt64();
    r.updated_at = q.getColumn(6).getInt64();
    return r;
}

/// Runs a write that may break a uniqueness rule: `already_exists` then, else as `sqlite_guard`.
template <class F>
result<void> sqlite_unique_write(F&& f) {
    try {
        return std::forward<F>(f)();
    } catch (const SQLite::Exception& e) {
        if ((e.getExtendedErrorCode() & 0xff) == SQLITE_CONSTRAINT) return errc::already_exists;
        return errc::store_failure;
    }
}

inline result<void> sqlite_registry_insert(sqlite_statement_cache& c, const registry_row& r) {
    return sqlite_unique_write([&]() -> result<void> {
        auto q = c.get("INSERT INTO hookline_registry (kind, id, tenant, uid, body, created_at, updated_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)");
        q->bind(1, r.kind);
        q->bind(2, r.id);
        q->bind(3, r.tenant);
        q->bind(4, r.uid);
        q->bindNoCopy(5, r.body.data(), static_cast<int>(r.body.size()));
        q->bind(6, r.created_at);
        q->bind(7, r.updated_at);
        q->exec();
        return {};
    });
}

inline result<void> sqlite_registry_update(sqlite_statement_cache& c, const registry_row& r) {
    return sqlite_unique_write([&]() -> result<void> {
        auto q = c.get(
            "UPDATE hookline_registry SET tenant = ?, uid = ?, body = ?, updated_at = ? WHERE kind = ? AND id = ?");
        q->bind(1, r.tenant);
        q->bind(2, r.uid);
        q->bindNoCopy(3, r.body.data(), static_cast<int>(r.body.size()));
        q->bind(4, r.updated_at);
        q->bind(5, r.kind);
        q->bind(6, r.id);
        if (q->exec() == 0) return errc::not_found;
        return {};
    });
}

inline std::optional<registry_row> sqlite_registry_get(sqlite_statement_cache& c, const std::string& kind,
                                                       const std::string& id) {
    auto q =
        c.get(std::string("SELECT ") + sqlite_registry_columns + " FROM hookline_registry WHERE kind = ? AND id = ?");
    q->bind(1, kind);
    q->bind(2, id);
    if (!q->executeStep()) return std::nullopt;
    return sqlite_registry_read(*q);
}

inline std::optional<registry_row> sqlite_registry_find(sqlite_statement_cache& c, const std::string& kind,
                                                        const std::string& tenant, const std::string& uid) {
    if (uid.empty()) return std::nullopt;
    auto q = c.get(std::string("SELECT ") + sqlite_registry_columns +
                   " FROM hookline_registry WHERE kind = ? AND tenant = ? AND uid = ? AND uid != ''");
    q->bind(1, kind);
    q->bind(2, tenant);
    q->bind(3, uid);
    if (!q->executeStep()) return std::nullopt;
    return sqlite_registry_read(*q);
}

inline std::vector<registry_row> sqlite_registry_list(sqlite_statement_cache& c, const registry_query& r) {
    std::string sql = std::string("SELECT ") + sqlite_registry_columns + " FROM hookline_registry WHERE kind = ?1";
    if (r.tenant) sql += " AND tenant = ?2";
    if (!r.after.empty()) sql += r.descending ? " AND id < ?3" : " AND id > ?3";
    sql += r.descending ? " ORDER BY id DESC LIMIT ?4" : " ORDER BY id LIMIT ?4";
    auto q = c.get(sql);
    q->bind(1, r.kind);
    if (r.tenant) q->bind(2, *r.tenant);
    if (!r.after.empty()) q->bind(3, r.after);
    q->bind(4, sqlite_clamp_limit(r.limit));
    std::vector<registry_row> out;
    while (q->executeStep()) out.push_back(sqlite_registry_read(*q));
    return out;
}

inline bool sqlite_registry_erase(sqlite_statement_cache& c, const std::string& kind, const std::string& id) {
    auto q = c.get("DELETE FROM hookline_registry WHERE kind = ? AND id = ?");
    q->bind(1, kind);
    q->bind(2, id);
    return q->exec() > 0;
}

inline std::size_t sqlite_registry_prune(sqlite_statement_cache& c, const std::string& kind, std::int64_t before) {
    auto q = c.get("DELETE FROM hookline_registry WHERE kind = ? AND created_at < ?");
    q->bind(1, kind);
    q->bind(2, before);
    return static_cast<std::size_t>(q->exec());
}

} // namespace detail

HOOKLINE_END_NAMESPACE
