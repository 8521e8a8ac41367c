/// \file The SQLite store's ordered streams (`ordered_store`): settling a stream's position, promoting
/// the next one to head, holding a stream for an exhausted head, and `skip`. Each runs inside the
/// caller's write transaction on the store's connection with its statement cache (the caller holds the
/// store's mutex) and throws `SQLite::Exception`.
///
/// A stream's unsettled positions are those at or after its `head_seq` that are pending, in flight or
/// hold the stream (`holds_key`); `head_seq` is the lowest of them, or `next_seq` when there is none. It
/// only grows, so a replay (a settled position behind the head made pending again) stays out of the set.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/detail/sqlite_connection.hpp>
#include <hookline/stores/store.hpp>

#include <cstdint>
#include <string>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Makes the first unsettled position after `after` the head of stream (endpoint, key), claimable (due
/// at its own time) with `order_prev` = `last_delivered`; `next_seq` becomes the head when there is none.
inline void sqlite_promote(sqlite_statement_cache& statements, const std::string& endpoint, const std::string& key,
                           std::int64_t after, std::int64_t next_seq, std::int64_t last_delivered) {
    std::int64_t head = next_seq, id = 0;
    bool waiting = false;
    {
        auto q = statements.get("SELECT id, order_seq, waiting FROM hookline_deliveries WHERE endpoint_id = ?1 AND "
                                "order_key = ?2 AND order_seq != 0 AND order_seq > ?3 AND (status IN (0, 1) OR "
                                "holds_key != 0) ORDER BY order_seq LIMIT 1");
        q->bind(1, endpoint);
        q->bind(2, key);
        q->bind(3, after);
        if (q->executeStep()) {
            id = q->getColumn(0).getInt64();
            head = q->getColumn(1).getInt64();
            waiting = q->getColumn(2).getInt64() != 0;
        }
    }
    {
        auto u =
            statements.get("UPDATE hookline_order_streams SET head_seq = ?3 WHERE endpoint_id = ?1 AND order_key = ?2");
        u->bind(1, endpoint);
        u->bind(2, key);
        u->bind(3, head);
        u->exec();
    }
    if (!waiting) return;
    auto p = statements.get("UPDATE hookline_deliveries SET waiting = 0, order_prev = ?2, "
                            "due = CASE WHEN status = 0 THEN next_attempt_at ELSE due END WHERE id = ?1");
    p->bind(1, id);
    p->bind(2, last_delivered);
    p->exec();
}

/// Position `seq` of stream (endpoint, key) is settled: a delivered one raises the stream's last delivered
/// position; the head's settling promotes the next unsettled position.
inline void sqlite_settle(sqlite_statement_cache& statements, const std::string& endpoint, const std::string& key,
                          std::int64_t seq, bool delivered) {
    std::int64_t head = 0, next = 0, last = 0;
    {
        auto u = statements.get("UPDATE hookline_order_streams SET last_delivered = CASE WHEN ?3 != 0 THEN "
                                "max(last_delivered, ?4) ELSE last_delivered END WHERE endpoint_id = ?1 AND "
                                "order_key = ?2 RETURNING head_seq, next_seq, last_delivered");
        u->bind(1, endpoint);
        u->bind(2, key);
        u->bind(3, std::int64_t{delivered ? 1 : 0});
        u->bind(4, seq);
        if (!u->executeStep()) return; // no such stream (cannot happen: streams are never deleted)
        head = u->getColumn(0).getInt64();
        next = u->getColumn(1).getInt64();
        last = u->getColumn(2).getInt64();
    }
    if (seq == head) sqlite_promote(statements, endpoint, key, seq, next, last);
}

/// After an attempt finished ordered delivery `id` (status not pending): an exhausted head under `block`
/// holds its stream; anything else settles its position.
inline void sqlite_finish_ordered(sqlite_statement_cache& statements, std::int64_t id, const std::string& endpoint,
                                  const std::string& key, std::int64_t seq, bool block, delivery_status status) {
    if (status == delivery_status::exhausted && block) {
        std::int64_t head = 0;
        {
            auto h =
                statements.get("SELECT head_seq FROM hookline_order_streams WHERE endpoint_id = ?1 AND order_key = ?2");
            h->bind(1, endpoint);
            h->bind(2, key);
            if (h->executeStep()) head = h->getColumn(0).getInt64();
        }
        if (seq == head) {
            auto u = statements.get("UPDATE hookline_deliveries SET holds_key = 1 WHERE id = ?1");
            u->bind(1, id);
            u->exec();
            return;
        }
    }
    sqlite_settle(statements, endpoint, key, seq, status == delivery_status::delivered);
}

/// Gives up delivery `id` (pending, waiting or exhausted): `skipped`, and its stream moves on.
inline result<void> sqlite_skip(sqlite_statement_cache& statements, std::uint64_t id, std::int64_t now) {
    std::string endpoint, key;
    std::int64_t seq = 0;
    {
        auto q =
            statements.get("SELECT status, endpoint_id, order_key, order_seq FROM hookline_deliveries WHERE id = ?1");
        q->bind(1, static_cast<std::int64_t>(id));
        if (!q->executeStep()) return errc::message_not_found;
        const auto status = static_cast<delivery_status>(q->getColumn(0).getInt64());
        if (status == delivery_status::in_flight) return errc::delivery_in_flight;
        if (status != delivery_status::pending && status != delivery_status::exhausted)
            return errc::invalid_argument; // already settled
        endpoint = q->getColumn(1).getString();
        key = q->getColumn(2).getString();
        seq = q->getColumn(3).getInt64();
    }
    {
        auto u = statements.get("UPDATE hookline_deliveries SET status = 5, updated_at = ?2, due = NULL, "
                                "lease_until = 0, waiting = 0, holds_key = 0 WHERE id = ?1");
        u->bind(1, static_cast<std::int64_t>(id));
        u->bind(2, now);
        u->exec();
    }
    if (seq != 0) sqlite_settle(statements, endpoint, key, seq, false);
    return {};
}

} // namespace detail

HOOKLINE_END_NAMESPACE
