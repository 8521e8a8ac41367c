/// \file The SQLite store's schema: its migrations, the stored version and the migration step run at open.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/detail/sqlite_connection.hpp>

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <string>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// The schema, one migration per version: migrations[i] moves a database from version i to i + 1.
/// `status` holds `delivery_status` values (0 pending, 1 in flight, ..., 5 skipped); `due` is the claim
/// key: the next attempt time when pending, the lease end when in flight, NULL when finished or waiting
/// (so neither due index holds a waiting delivery); `lease` is the fencing token, incremented by every
/// claim. An ordered delivery has its stream (`endpoint_id`, `order_key`) and position `order_seq` (0:
/// unordered); `hookline_order_streams` holds each stream's next position, its head (the lowest
/// unsettled position, or `next_seq` when none) and its last delivered position.
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
        // 1 -> 2: the fencing token of a delivery's latest claim (see `delivery_record::lease`)
        "ALTER TABLE hookline_deliveries ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;",
        // 2 -> 3: which endpoints have work due, without the endpoint list (`due_endpoints`)
        "CREATE INDEX hookline_deliveries_due_any ON hookline_deliveries (due, endpoint_id) WHERE due IS NOT NULL;",
        // 3 -> 4: ordered delivery (`ordered_store`): each ordered delivery's stream and position, the streams
        R"sql(
ALTER TABLE hookline_deliveries ADD COLUMN order_key TEXT NOT NULL DEFAULT '';
ALTER TABLE hookline_deliveries ADD COLUMN order_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hookline_deliveries ADD COLUMN order_prev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hookline_deliveries ADD COLUMN order_block INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hookline_deliveries ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE hookline_deliveries ADD COLUMN holds_key INTEGER NOT NULL DEFAULT 0;
CREATE INDEX hookline_deliveries_order ON hookline_deliveries (endpoint_id, order_key, order_seq) WHERE order_seq != 0;
CREATE TABLE hookline_order_streams (
  endpoint_id TEXT NOT NULL,
  order_key TEXT NOT NULL,
  next_seq INTEGER NOT NULL,
  head_seq INTEGER NOT NULL,
  last_delivered INTEGER NOT NULL,
  PRIMARY KEY (endpoint_id, order_key)
) WITHOUT ROWID;
)sql",
        // 4 -> 5: the registry (`registry_store`): applications, endpoints, event types, the API's message index
        R"sql(
CREATE TABLE hookline_registry (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  tenant TEXT NOT NULL,
  uid TEXT NOT NULL,
  body BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX hookline_registry_tenant ON hookline_registry (kind, tenant, id);
CREATE UNIQUE INDEX hookline_registry_uid ON hookline_registry (kind, tenant, uid) WHERE uid != '';
CREATE INDEX hookline_registry_created ON hookline_registry (kind, created_at);
)sql",
    };
    return m;
}

/// The version stored in the database (0 when hookline's schema is absent); throws `SQLite::Exception`.
inline int sqlite_stored_schema_version(sqlite3* db) {
    sqlite_raw_statement exists(db, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='hookline_schema'");
    if (!exists.executeStep() || exists.column_int64(0) == 0) return 0;
    sqlite_raw_statement version(db, "SELECT max(version) FROM hookline_schema");
    return version.executeStep() ? static_cast<int>(version.column_int64(0)) : 0;
}

/// Switches the connection to WAL (an in-memory database keeps "memory"); false when refused.
inline bool sqlite_wal_mode(SQLite::Database& db) {
    SQLite::Statement q(db, "PRAGMA journal_mode=WAL");
    if (!q.executeStep()) return false;
    const std::string mode = q.getColumn(0).getString();
    return mode == "wal" || mode == "memory";
}

/// Creates or upgrades the schema in one write transaction (two processes opening at once serialise);
/// `schema_mismatch` for a database newer than this build. Throws `SQLite::Exception`.
inline result<void> sqlite_migrate(SQLite::Database& db) {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    db.exec("CREATE TABLE IF NOT EXISTS hookline_schema (version INTEGER NOT NULL)");
    const int stored = sqlite_stored_schema_version(db.getHandle());
    const auto& steps = sqlite_migrations();
    const int latest = static_cast<int>(steps.size());
    if (stored > latest) return errc::schema_mismatch; // tx rolls back
    for (int i = stored; i < latest; ++i) db.exec(steps[static_cast<std::size_t>(i)]);
    if (stored < latest)
        db.exec("DELETE FROM hookline_schema; INSERT INTO hookline_schema (version) VALUES (" + std::to_string(latest) +
                ")");
    tx.commit();
    return {};
}

} // namespace detail

HOOKLINE_END_NAMESPACE
