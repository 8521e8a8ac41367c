/// \file The SQLite store's queue queries: claiming due deliveries, recovering in-flight ones at open,
/// pruning finished messages. Each runs on the store's connection with its statement cache (the caller
/// holds the store's mutex) and throws `SQLite::Exception`.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/stores/detail/sqlite_connection.hpp>
#include <hookline/stores/detail/sqlite_order.hpp>
#include <hookline/stores/detail/sqlite_rows.hpp>
#include <hookline/stores/store.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Fills `last_attempt` of each delivery from its latest attempt row.
inline void sqlite_attach_last_attempts(sqlite_statement_cache& statements, std::vector<claimed_delivery>& rows) {
    auto st =
        statements.get("SELECT number, started_at, status, error_code, error_category, latency_us, "
                       "response_excerpt FROM hookline_attempts WHERE delivery_id = ?1 ORDER BY seq DESC LIMIT 1");
    for (auto& r : rows) {
        if (r.delivery.attempts == 0) continue;
        st->bind(1, static_cast<std::int64_t>(r.delivery.id));
        if (st->executeStep()) r.delivery.last_attempt = sqlite_read_attempt(*st, 0);
        st->reset();
    }
}

/// One endpoint's (?1) deliveries due at or before ?2, earliest first, at most ?3: a range of the
/// `hookline_deliveries_due` index. A waiting delivery has no `due`, so the index holds only claimable
/// ones however long a stream's queue is (plan in docs/stores.md).
inline std::string sqlite_claim_sql() {
    return std::string("SELECT ") + sqlite_delivery_columns +
           ", d.due FROM hookline_deliveries d WHERE d.endpoint_id = ?1 AND d.due IS NOT NULL AND d.due <= ?2 "
           "ORDER BY d.due, d.id LIMIT ?3";
}

/// Claims up to `limit` due deliveries of `endpoints` (earliest due first) until `lease_until`, inside
/// the caller's write transaction; `store_failure` when a delivery's message is missing.
inline result<std::vector<claimed_delivery>> sqlite_claim(sqlite_statement_cache& statements, std::int64_t now,
                                                          std::size_t limit, std::span<const std::string> endpoints,
                                                          std::int64_t lease_until) {
    // Candidates per endpoint (earliest due first), merged: the sender asks for one endpoint at a time.
    std::vector<std::pair<std::pair<std::int64_t, std::int64_t>, delivery_record>> cands;
    {
        auto q = statements.get(sqlite_claim_sql());
        for (const auto& ep : endpoints) {
            q->bind(1, ep);
            q->bind(2, now);
            q->bind(3, sqlite_clamp_limit(limit));
            while (q->executeStep()) {
                delivery_record d = sqlite_read_delivery(*q, 0);
                cands.emplace_back(
                    std::pair{q->getColumn(sqlite_delivery_column_count).getInt64(), q->getColumn(0).getInt64()},
                    std::move(d));
            }
            q->reset();
        }
    }
    std::sort(cands.begin(), cands.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    if (cands.size() > limit) cands.resize(limit);
    std::vector<claimed_delivery> out;
    std::map<std::string, std::shared_ptr<const stored_message>> messages;
    // `lease + 1`: the new owner's fencing token (the caller's write transaction makes it d.lease + 1).
    auto upd =
        statements.get("UPDATE hookline_deliveries SET status = ?1, lease_until = ?2, due = ?2, updated_at = ?3, "
                       "lease = lease + 1 WHERE id = ?4");
    auto msg = statements.get("SELECT id, event_type, payload, created_at FROM hookline_messages WHERE id = ?1");
    for (auto& [key, d] : cands) {
        upd->bind(1, static_cast<std::int64_t>(delivery_status::in_flight));
        upd->bind(2, lease_until);
        upd->bind(3, now);
        upd->bind(4, static_cast<std::int64_t>(d.id));
        upd->exec();
        upd->reset();
        d.status = delivery_status::in_flight;
        d.lease_until = lease_until;
        ++d.lease;
        d.updated_at = now;
        auto& shared = messages[d.message_id];
        if (!shared) {
            msg->bind(1, d.message_id);
            if (!msg->executeStep()) return errc::store_failure;
            shared = std::make_shared<const stored_message>(stored_message{
                msg->getColumn(0).getString(), msg->getColumn(1).getString(),
                std::make_shared<const std::string>(msg->getColumn(2).getString()), msg->getColumn(3).getInt64()});
            msg->reset();
        }
        out.push_back({std::move(d), shared});
    }
    if (!out.empty()) sqlite_attach_last_attempts(statements, out);
    return out;
}

/// After an update that matched no row: `lease_lost` when delivery `id` exists (no longer in flight
/// under the caller's lease), `message_not_found` when it does not.
inline errc sqlite_fence_error(sqlite_statement_cache& statements, std::uint64_t id) {
    auto e = statements.get("SELECT 1 FROM hookline_deliveries WHERE id = ?1");
    e->bind(1, static_cast<std::int64_t>(id));
    const bool exists = e->executeStep();
    return exists ? errc::lease_lost : errc::message_not_found;
}

/// Records an attempt of delivery `id` if it is in flight under `lease` (inside the caller's write
/// transaction, which it commits only on success); an ordered delivery that finished moves its stream on.
inline result<void> sqlite_record_attempt(sqlite_statement_cache& statements, std::uint64_t id, std::uint64_t lease,
                                          const attempt_record& a, delivery_status status, std::int64_t next_due) {
    {
        auto u =
            statements.get("UPDATE hookline_deliveries SET attempts = max(attempts, ?1), status = ?2, updated_at = ?3, "
                           "lease_until = 0, next_attempt_at = CASE WHEN ?2 = 0 THEN ?4 ELSE next_attempt_at END, "
                           "due = CASE WHEN ?2 = 0 THEN ?4 ELSE NULL END WHERE id = ?5 AND status = 1 AND lease = ?6 "
                           "RETURNING endpoint_id, order_key, order_seq, order_block");
        u->bind(1, static_cast<std::int64_t>(a.number));
        u->bind(2, static_cast<std::int64_t>(status));
        u->bind(3, a.started_at);
        u->bind(4, next_due);
        u->bind(5, static_cast<std::int64_t>(id));
        u->bind(6, static_cast<std::int64_t>(lease));
        if (!u->executeStep()) return sqlite_fence_error(statements, id);
        if (const std::int64_t seq = u->getColumn(2).getInt64(); seq != 0 && status != delivery_status::pending) {
            const std::string endpoint = u->getColumn(0).getString(), key = u->getColumn(1).getString();
            const bool block = u->getColumn(3).getInt64() != 0;
            u->reset();
            sqlite_finish_ordered(statements, static_cast<std::int64_t>(id), endpoint, key, seq, block, status);
        }
    }
    auto ins = statements.get("INSERT INTO hookline_attempts (delivery_id, number, started_at, status, error_code, "
                              "error_category, latency_us, response_excerpt) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    ins->bind(1, static_cast<std::int64_t>(id));
    ins->bind(2, static_cast<std::int64_t>(a.number));
    ins->bind(3, a.started_at);
    ins->bind(4, static_cast<std::int64_t>(a.status));
    ins->bind(5, static_cast<std::int64_t>(a.error.value()));
    ins->bind(6, a.error ? a.error.category().name() : "");
    ins->bind(7, static_cast<std::int64_t>(a.latency.count()));
    ins->bindNoCopy(8, a.response_excerpt.empty() ? "" : a.response_excerpt.data(),
                    static_cast<int>(a.response_excerpt.size()));
    ins->exec();
    return {};
}

/// Hands delivery `id` back, pending at `due`, if it is in flight under `lease`.
inline result<void> sqlite_release(sqlite_statement_cache& statements, std::uint64_t id, std::uint64_t lease,
                                   std::int64_t due) {
    {
        auto u = statements.get("UPDATE hookline_deliveries SET status = 0, lease_until = 0, next_attempt_at = ?1, "
                                "due = ?1 WHERE id = ?2 AND status = 1 AND lease = ?3");
        u->bind(1, due);
        u->bind(2, static_cast<std::int64_t>(id));
        u->bind(3, static_cast<std::int64_t>(lease));
        if (u->exec() > 0) return {};
    }
    return sqlite_fence_error(statements, id);
}

/// Makes in-flight deliveries pending and due at `now`; how many there were.
inline std::size_t sqlite_recover(sqlite_statement_cache& statements, std::int64_t now) {
    auto u =
        statements.get("UPDATE hookline_deliveries SET status = 0, lease_until = 0, next_attempt_at = ?1, due = ?1 "
                       "WHERE status = 1");
    u->bind(1, now);
    return static_cast<std::size_t>(u->exec());
}

/// Deletes finished messages created before `before`, with their deliveries and attempts (never one
/// whose delivery holds its ordered stream; the streams themselves stay), in one
/// write transaction (SQLite has one writer: a concurrent `reschedule` runs wholly before or after it,
/// so a message being rescheduled is kept); the number of messages deleted.
inline std::size_t sqlite_prune(SQLite::Database& db, sqlite_statement_cache& statements, std::int64_t before) {
    SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
    std::vector<std::string> ids;
    {
        auto sel =
            statements.get("SELECT m.id FROM hookline_messages m WHERE m.created_at < ?1 AND NOT EXISTS ("
                           "SELECT 1 FROM hookline_deliveries d WHERE d.message_id = m.id AND (d.status IN (0, 1) "
                           "OR d.holds_key != 0))");
        sel->bind(1, before);
        while (sel->executeStep()) ids.push_back(sel->getColumn(0).getString());
    }
    auto da = statements.get("DELETE FROM hookline_attempts WHERE delivery_id IN "
                             "(SELECT id FROM hookline_deliveries WHERE message_id = ?1)");
    auto dd = statements.get("DELETE FROM hookline_deliveries WHERE message_id = ?1");
    auto dm = statements.get("DELETE FROM hookline_messages WHERE id = ?1");
    for (const auto& id : ids) {
        for (auto* st : {&da, &dd, &dm}) {
            (*st)->bind(1, id);
            (*st)->exec();
            (*st)->reset();
        }
    }
    tx.commit();
    return ids.size();
}

} // namespace detail

HOOKLINE_END_NAMESPACE
