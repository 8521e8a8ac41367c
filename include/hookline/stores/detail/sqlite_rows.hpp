/// \file The SQLite store's rows: reading deliveries and attempts from query results, the SQL of a
/// `delivery_query`, and writing a message with its deliveries.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/detail/sqlite_connection.hpp>
#include <hookline/stores/store.hpp>

#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

inline std::error_code sqlite_error_from_parts(std::int64_t code, const std::string& category) {
    const int v = static_cast<int>(code);
    if (v == 0) return {};
    if (category == "hookline") return {v, error_category()};
    if (category == "system") return {v, std::system_category()};
    if (category == "generic") return {v, std::generic_category()};
    return {v, error_category()};
}

/// A delivery's columns, in the order `sqlite_read_delivery` reads them (table alias `d`).
inline constexpr const char* sqlite_delivery_columns =
    "d.id, d.message_id, d.endpoint_id, d.status, d.attempts, d.next_attempt_at, d.lease_until, d.updated_at, "
    "d.lease, d.order_key, d.order_seq, d.order_prev, d.waiting, d.holds_key";
inline constexpr int sqlite_delivery_column_count = 14;

/// The columns of `sqlite_delivery_columns` from `c` on.
inline delivery_record sqlite_read_delivery(const SQLite::Statement& st, int c) {
    delivery_record d;
    d.id = static_cast<std::uint64_t>(st.getColumn(c).getInt64());
    d.message_id = st.getColumn(c + 1).getString();
    d.endpoint_id = st.getColumn(c + 2).getString();
    d.status = static_cast<delivery_status>(st.getColumn(c + 3).getInt64());
    d.attempts = static_cast<int>(st.getColumn(c + 4).getInt64());
    d.next_attempt_at = st.getColumn(c + 5).getInt64();
    d.lease_until = st.getColumn(c + 6).getInt64();
    d.updated_at = st.getColumn(c + 7).getInt64();
    d.lease = static_cast<std::uint64_t>(st.getColumn(c + 8).getInt64());
    d.sequence = static_cast<std::uint64_t>(st.getColumn(c + 10).getInt64());
    if (d.sequence != 0) d.ordering_key = st.getColumn(c + 9).getString();
    d.sequence_prev = static_cast<std::uint64_t>(st.getColumn(c + 11).getInt64());
    d.waiting = st.getColumn(c + 12).getInt64() != 0;
    d.holds_key = st.getColumn(c + 13).getInt64() != 0;
    return d;
}

/// Columns number, started_at, status, error_code, error_category, latency_us, response_excerpt from `c` on.
inline attempt_record sqlite_read_attempt(const SQLite::Statement& st, int c) {
    attempt_record a;
    a.number = static_cast<int>(st.getColumn(c).getInt64());
    a.started_at = st.getColumn(c + 1).getInt64();
    a.status = static_cast<int>(st.getColumn(c + 2).getInt64());
    a.error = sqlite_error_from_parts(st.getColumn(c + 3).getInt64(), st.getColumn(c + 4).getString());
    a.latency = std::chrono::microseconds(st.getColumn(c + 5).getInt64());
    a.response_excerpt = st.getColumn(c + 6).getString();
    return a;
}

/// The ids a query selects, as SQL with parameters ?10 to ?14 (bound by `sqlite_bind_query`). Only
/// the filters a query uses appear, so each shape is its own cached statement using its index.
inline std::string sqlite_select_ids(const delivery_query& q) {
    std::string sql = "SELECT d2.id FROM hookline_deliveries d2";
    if (q.created_since != 0) sql += " JOIN hookline_messages m2 ON m2.id = d2.message_id";
    sql += " WHERE 1";
    if (!q.message_id.empty()) sql += " AND d2.message_id = ?10";
    if (!q.endpoint_id.empty()) sql += " AND d2.endpoint_id = ?11";
    if (!q.statuses.empty()) sql += " AND ((1 << d2.status) & ?12) != 0";
    if (q.created_since != 0) sql += " AND m2.created_at >= ?13";
    sql += q.newest_first ? " ORDER BY d2.id DESC LIMIT ?14" : " ORDER BY d2.id LIMIT ?14";
    return sql;
}

inline void sqlite_bind_query(SQLite::Statement& st, const delivery_query& q) {
    if (!q.message_id.empty()) st.bind(10, q.message_id);
    if (!q.endpoint_id.empty()) st.bind(11, q.endpoint_id);
    if (!q.statuses.empty()) {
        std::int64_t mask = 0;
        for (auto s : q.statuses) mask |= std::int64_t{1} << static_cast<int>(s);
        st.bind(12, mask);
    }
    if (q.created_since != 0) st.bind(13, q.created_since);
    st.bind(14, sqlite_clamp_limit(q.limit));
}

inline constexpr const char* sqlite_insert_message_sql =
    "INSERT OR IGNORE INTO hookline_messages (id, event_type, payload, created_at) VALUES (?1, ?2, ?3, ?4)";
/// ?5 order_key, ?6 order_seq (0: unordered), ?7 order_prev, ?8 order_block, ?9 waiting (then not due).
inline constexpr const char* sqlite_insert_delivery_sql =
    "INSERT INTO hookline_deliveries (message_id, endpoint_id, status, next_attempt_at, due, updated_at, order_key, "
    "order_seq, order_prev, order_block, waiting) VALUES (?1, ?2, 0, ?3, CASE WHEN ?9 != 0 THEN NULL ELSE ?3 END, ?4, "
    "?5, ?6, ?7, ?8, ?9)";
/// The next position of stream (?1 endpoint, ?2 key), created at 1: (position, head, last delivered).
inline constexpr const char* sqlite_stream_next_sql =
    "INSERT INTO hookline_order_streams (endpoint_id, order_key, next_seq, head_seq, last_delivered) "
    "VALUES (?1, ?2, 2, 1, 0) ON CONFLICT (endpoint_id, order_key) DO UPDATE SET next_seq = next_seq + 1 "
    "RETURNING next_seq - 1, head_seq, last_delivered";

inline std::int64_t sqlite_column_int64(SQLite::Statement& st, int c) { return st.getColumn(c).getInt64(); }
inline std::int64_t sqlite_column_int64(sqlite_raw_statement& st, int c) { return st.column_int64(c); }

/// Inserts a message and its deliveries (inside a transaction the caller runs) with the statements
/// above, `SQLite::Statement`s or `sqlite_raw_statement`s; `stream` (`sqlite_stream_next_sql`) is used
/// only for `m.ordered` targets, and may be null when there are none. An ordered delivery takes its
/// stream's next position, and waits (not due) unless that position is the stream's head. False when the
/// id is already stored. Throws `SQLite::Exception`.
template <class Statement>
bool sqlite_insert_rows(Statement& msg, Statement& del, Statement* stream, const stored_message& m,
                        std::span<const std::string> endpoints, std::int64_t due) {
    const std::string_view payload = m.payload ? std::string_view(*m.payload) : std::string_view();
    msg.bind(1, m.id);
    msg.bind(2, m.event_type);
    msg.bindNoCopy(3, payload.empty() ? "" : payload.data(), static_cast<int>(payload.size()));
    msg.bind(4, m.created_at);
    if (msg.exec() == 0) return false;
    static const std::string no_key;
    for (const auto& ep : endpoints) {
        const ordered_target* o = ordered_target_for(m, ep);
        std::int64_t seq = 0, prev = 0, waiting = 0;
        if (o) {
            if (!stream) throw SQLite::Exception("ordered insert without its statement", SQLITE_MISUSE);
            stream->bind(1, ep);
            stream->bind(2, o->key);
            if (!stream->executeStep()) throw SQLite::Exception("no stream position", SQLITE_ERROR);
            seq = sqlite_column_int64(*stream, 0);
            waiting = seq != sqlite_column_int64(*stream, 1) ? 1 : 0; // behind the stream's head
            prev = waiting ? 0 : sqlite_column_int64(*stream, 2);
            stream->reset();
        }
        del.bind(1, m.id);
        del.bind(2, ep);
        del.bind(3, due);
        del.bind(4, m.created_at);
        del.bind(5, o ? o->key : no_key);
        del.bind(6, seq);
        del.bind(7, prev);
        del.bind(8, std::int64_t{o && o->block ? 1 : 0});
        del.bind(9, waiting);
        del.exec();
        del.reset();
    }
    return true;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
