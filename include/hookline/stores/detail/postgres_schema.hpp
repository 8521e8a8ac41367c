/// \file The PostgreSQL store's SQL: the schema (DDL, version) and every statement it prepares, with
/// the schema name filled in.
#pragma once

#include <hookline/core/config.hpp>

#include <algorithm>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::pg {

inline constexpr int schema_version = 5;

inline bool valid_schema_name(std::string_view s) {
    if (s.empty() || s.size() > 63) return false;
    if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z'))) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

/// Every statement the store runs, with the schema name filled in.
struct statements {
    std::string insert_message, claim, claim_one, next_due, next_due_one, due_endpoints, record_attempt, release,
        list_attempts, load_endpoint, save_endpoint, prune_lock, prune_delete, order_lock, record_settle, skip_lock,
        skip;
    std::string schema;

    explicit statements(const std::string& s) : schema(s) {
        const std::string q = "\"" + s + "\".";
        // $6 the endpoints; $7 and $8 beside them, each endpoint's ordering key (NULL: unordered) and
        // `block`. An ordered delivery takes its stream's next position under the stream row's lock
        // (the upsert; streams locked in key order), and waits (no due_at) unless it is the head.
        insert_message =
            "WITH m AS (INSERT INTO " + q +
            "messages (id, event_type, payload, created_at) "
            "VALUES ($1::text, $2::text, $3::bytea, $4::bigint) ON CONFLICT (id) DO NOTHING RETURNING id), "
            "e AS (SELECT * FROM unnest($6::text[], $7::text[], $8::boolean[]) WITH ORDINALITY AS e(ep, okey, oblock, "
            "n)), s AS (INSERT INTO " +
            q +
            "order_streams AS st (endpoint_id, order_key, next_seq, head_seq, last_delivered) "
            "SELECT e.ep, e.okey, 2, 1, 0 FROM m CROSS JOIN e WHERE e.okey IS NOT NULL ORDER BY e.ep, e.okey "
            "ON CONFLICT (endpoint_id, order_key) DO UPDATE SET next_seq = st.next_seq + 1 "
            "RETURNING st.endpoint_id, st.order_key, st.next_seq - 1 AS seq, st.head_seq, st.last_delivered), "
            "d AS (INSERT INTO " +
            q +
            "deliveries (message_id, endpoint_id, status, next_attempt_at, due_at, updated_at, order_key, order_seq, "
            "order_prev, order_block, waiting) "
            "SELECT m.id, e.ep, 0, $5::bigint, CASE WHEN s.seq IS NULL OR s.seq = s.head_seq THEN $5::bigint END, "
            "$4::bigint, coalesce(s.order_key, ''), coalesce(s.seq, 0), "
            "CASE WHEN s.seq = s.head_seq THEN s.last_delivered ELSE 0 END, coalesce(e.oblock, false), "
            "coalesce(s.seq <> s.head_seq, false) FROM m CROSS JOIN e "
            "LEFT JOIN s ON s.endpoint_id = e.ep AND s.order_key = e.okey ORDER BY e.n RETURNING 1) "
            "SELECT count(*) FROM m";
        claim = "WITH c AS (SELECT id, due_at FROM " + q +
                "deliveries WHERE endpoint_id = ANY($1::text[]) "
                "AND due_at <= $2::bigint ORDER BY due_at, id LIMIT $3::bigint FOR UPDATE SKIP LOCKED) "
                "UPDATE " +
                q +
                "deliveries d SET status = 1, lease_until = $4::bigint, due_at = $4::bigint, "
                "updated_at = $2::bigint, lease = d.lease + 1 FROM c, " +
                q +
                "messages m WHERE d.id = c.id AND m.id = d.message_id "
                "RETURNING d.id, d.message_id, d.endpoint_id, d.attempts, d.next_attempt_at, d.lease_until, "
                "d.updated_at, d.last_number, d.last_started_at, d.last_status, d.last_error_category, "
                "d.last_error, d.last_latency_us, d.last_excerpt, c.due_at, m.event_type, m.payload, m.created_at, "
                "d.lease, d.order_key, d.order_seq, d.order_prev, d.holds_key";
        // One endpoint (what a sender asks for): the index hands rows over in claim order.
        claim_one = claim;
        claim_one.replace(claim_one.find("endpoint_id = ANY($1::text[])"), 29, "endpoint_id = $1::text");
        next_due =
            "SELECT min(due_at) FROM " + q + "deliveries WHERE endpoint_id = ANY($1::text[]) AND due_at IS NOT NULL";
        next_due_one =
            "SELECT min(due_at) FROM " + q + "deliveries WHERE endpoint_id = $1::text AND due_at IS NOT NULL";
        // The endpoints of the earliest $2 due deliveries: a range scan of the (due_at, endpoint_id) index.
        due_endpoints = "SELECT endpoint_id FROM " + q +
                        "deliveries WHERE due_at IS NOT NULL AND due_at <= $1::bigint ORDER BY due_at LIMIT $2::bigint";
        // Fenced: only the current lease holder's outcome is recorded. Returns (rows changed, row exists,
        // its position). Not for an ordered delivery that finishes (status not pending): that one goes
        // through `order_lock` and `record_settle` in a transaction.
        record_attempt =
            "WITH u AS (UPDATE " + q +
            "deliveries SET attempts = GREATEST(attempts, $2::integer), "
            "last_number = $2::integer, last_started_at = $3::bigint, last_status = $4::integer, "
            "last_error_category = $5::text, last_error = $6::integer, last_latency_us = $7::bigint, "
            "last_excerpt = $8::bytea, status = $9::smallint, updated_at = $3::bigint, lease_until = 0, "
            "next_attempt_at = CASE WHEN $9::smallint = 0 THEN $10::bigint ELSE next_attempt_at END, "
            "due_at = CASE WHEN $9::smallint = 0 THEN $10::bigint ELSE NULL END "
            "WHERE id = $1::bigint AND status = 1 AND lease = $11::bigint AND ($9::smallint = 0 OR order_seq = 0) "
            "RETURNING id), " +
            insert_attempt(q) + "SELECT (SELECT count(*) FROM u), EXISTS (SELECT 1 FROM " + q +
            "deliveries WHERE id = $1::bigint), (SELECT order_seq FROM " + q + "deliveries WHERE id = $1::bigint)";
        // Locks the stream of delivery $1 (before anything reads the stream's deliveries, so the next
        // statement's snapshot holds every committed position) and returns its head.
        order_lock = "SELECT s.head_seq FROM " + q + "order_streams s JOIN " + q +
                     "deliveries d ON s.endpoint_id = d.endpoint_id AND s.order_key = d.order_key "
                     "WHERE d.id = $1::bigint AND d.order_seq <> 0 FOR UPDATE OF s";
        // record_attempt's update for an ordered delivery that finished, its stream locked ($12: its head):
        // an exhausted head under `block` holds the stream, anything else settles its position.
        record_settle = "WITH u AS (UPDATE " + q +
                        "deliveries SET attempts = GREATEST(attempts, $2::integer), "
                        "last_number = $2::integer, last_started_at = $3::bigint, last_status = $4::integer, "
                        "last_error_category = $5::text, last_error = $6::integer, last_latency_us = $7::bigint, "
                        "last_excerpt = $8::bytea, status = $9::smallint, updated_at = $3::bigint, lease_until = 0, "
                        "next_attempt_at = CASE WHEN $9::smallint = 0 THEN $10::bigint ELSE next_attempt_at END, "
                        "due_at = CASE WHEN $9::smallint = 0 THEN $10::bigint ELSE NULL END, "
                        "holds_key = ($9::smallint = 3 AND order_block AND order_seq = $12::bigint) "
                        "WHERE id = $1::bigint AND status = 1 AND lease = $11::bigint "
                        "RETURNING id, endpoint_id, order_key, order_seq, holds_key), " +
                        insert_attempt(q) + ", " + settle(q, "$9::smallint", "$12::bigint") +
                        "SELECT (SELECT count(*) FROM u), EXISTS (SELECT 1 FROM " + q +
                        "deliveries WHERE id = $1::bigint)";
        skip_lock = "SELECT status FROM " + q + "deliveries WHERE id = $1::bigint FOR UPDATE";
        // Gives up delivery $1 (locked, pending or exhausted, its stream locked with head $3) at $2.
        skip = "WITH u AS (UPDATE " + q +
               "deliveries SET status = 5, updated_at = $2::bigint, due_at = NULL, lease_until = 0, "
               "waiting = false, holds_key = false WHERE id = $1::bigint AND status IN (0, 3) "
               "RETURNING id, endpoint_id, order_key, order_seq, holds_key), " +
               settle(q, "5", "$3::bigint") + "SELECT count(*) FROM u";
        release = "WITH u AS (UPDATE " + q +
                  "deliveries SET status = 0, lease_until = 0, next_attempt_at = $2::bigint, "
                  "due_at = $2::bigint WHERE id = $1::bigint AND status = 1 AND lease = $3::bigint RETURNING 1) "
                  "SELECT (SELECT count(*) FROM u), EXISTS (SELECT 1 FROM " +
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
        // Pruning is two statements in one transaction: lock the finished candidates (skipping messages a
        // `reschedule` holds), then delete those still finished in a new snapshot, taken after the locks:
        // a reschedule that committed meanwhile is seen, one still waiting finds the message gone.
        prune_lock = "SELECT coalesce(array_agg(id)::text, '{}') FROM (SELECT m.id FROM " + q +
                     "messages m WHERE m.created_at < $1::bigint AND NOT EXISTS "
                     "(SELECT 1 FROM " +
                     q +
                     "deliveries d WHERE d.message_id = m.id AND (d.status IN (0, 1) OR d.holds_key)) "
                     "FOR UPDATE OF m SKIP LOCKED) x";
        prune_delete = "WITH gone AS (DELETE FROM " + q +
                       "messages m WHERE m.id = ANY($1::text[]) AND NOT EXISTS "
                       "(SELECT 1 FROM " +
                       q +
                       "deliveries d WHERE d.message_id = m.id AND (d.status IN (0, 1) OR d.holds_key)) "
                       "RETURNING 1) SELECT count(*) FROM gone";
    }

    /// The CTE `a` recording the attempt of the delivery updated in CTE `u` (parameters $2 to $8).
    static std::string insert_attempt(const std::string& q) {
        return "a AS (INSERT INTO " + q +
               "attempts (delivery_id, number, started_at, status, error_category, error, "
               "latency_us, excerpt) SELECT u.id, $2::integer, $3::bigint, $4::integer, $5::text, $6::integer, "
               "$7::bigint, $8::bytea FROM u RETURNING 1) ";
    }

    /// CTEs settling the ordered delivery updated in CTE `u` (id, endpoint_id, order_key, order_seq,
    /// holds_key) unless it holds its stream, whose row the transaction has locked (head `head`): a
    /// delivered one (`status` 2) raises `last_delivered`; the head's settling makes the next unsettled
    /// position the head (claimable at its own due time, `order_prev` = `last_delivered`), or `next_seq`
    /// when there is none. One snapshot serves: only holders of the stream's lock change its positions.
    /// `nxt` walks the stream's index from the settled position and stops at the first unsettled one.
    static std::string settle(const std::string& q, const std::string& status, const std::string& head) {
        return "f AS (SELECT * FROM u WHERE u.order_seq <> 0 AND NOT u.holds_key), "
               "nxt AS (SELECT n.id, n.order_seq, n.waiting FROM f CROSS JOIN LATERAL (SELECT d.id, d.order_seq, "
               "d.waiting FROM " +
               q +
               "deliveries d WHERE d.endpoint_id = f.endpoint_id AND d.order_key = f.order_key AND d.order_seq <> 0 "
               "AND d.order_seq > f.order_seq AND (d.status IN (0, 1) OR d.holds_key) ORDER BY d.order_seq LIMIT 1) n "
               "WHERE f.order_seq = " +
               head +
               "), "
               "s AS (UPDATE " +
               q + "order_streams st SET last_delivered = CASE WHEN " + status +
               " = 2 THEN GREATEST(st.last_delivered, f.order_seq) ELSE st.last_delivered END, "
               "head_seq = CASE WHEN f.order_seq = st.head_seq THEN coalesce((SELECT order_seq FROM nxt), "
               "st.next_seq) ELSE st.head_seq END FROM f WHERE st.endpoint_id = f.endpoint_id AND "
               "st.order_key = f.order_key RETURNING st.last_delivered), "
               "p AS (UPDATE " +
               q +
               "deliveries d SET waiting = false, order_prev = (SELECT last_delivered FROM s), "
               "due_at = CASE WHEN d.status = 0 THEN d.next_attempt_at ELSE d.due_at END FROM nxt "
               "WHERE d.id = nxt.id AND nxt.waiting RETURNING 1) ";
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

    /// Version 1 to 2: each delivery's fencing token, incremented by every claim.
    std::string schema_v2() const {
        return "ALTER TABLE \"" + schema + "\".deliveries ADD COLUMN lease bigint NOT NULL DEFAULT 0;";
    }

    /// Version 2 to 3: which endpoints have work due, without the endpoint list (`due_endpoints`).
    std::string schema_v3() const {
        return "CREATE INDEX ON \"" + schema + "\".deliveries (due_at, endpoint_id) WHERE due_at IS NOT NULL;";
    }

    /// Version 3 to 4: ordered delivery (`ordered_store`). Each ordered delivery's stream (`endpoint_id`,
    /// `order_key`) and position `order_seq` (0: unordered); a waiting one has no `due_at`, so neither
    /// due index holds it. `order_streams`: each stream's next position, its head (its lowest unsettled
    /// position, or `next_seq` when none) and its last delivered position; kept when messages are pruned.
    std::string schema_v4() const {
        const std::string q = "\"" + schema + "\".";
        return "ALTER TABLE " + q +
               "deliveries ADD COLUMN order_key text NOT NULL DEFAULT '', "
               "ADD COLUMN order_seq bigint NOT NULL DEFAULT 0, ADD COLUMN order_prev bigint NOT NULL DEFAULT 0, "
               "ADD COLUMN order_block boolean NOT NULL DEFAULT false, "
               "ADD COLUMN waiting boolean NOT NULL DEFAULT false, "
               "ADD COLUMN holds_key boolean NOT NULL DEFAULT false;"
               "COMMENT ON COLUMN " +
               q +
               "deliveries.due_at IS 'next_attempt_at when pending, lease_until when in flight, NULL when "
               "finished or waiting';"
               "CREATE TABLE " +
               q +
               "order_streams (endpoint_id text NOT NULL, order_key text NOT NULL, next_seq bigint NOT NULL, "
               "head_seq bigint NOT NULL, last_delivered bigint NOT NULL, PRIMARY KEY (endpoint_id, order_key));"
               "CREATE INDEX ON " +
               q + "deliveries (endpoint_id, order_key, order_seq) WHERE order_seq <> 0;";
    }

    /// Version 4 to 5: the registry (`registry_store`): applications, endpoints, event types, the API's
    /// message index, as in SQLite's `hookline_registry`. Keys collate as "C", so `ORDER BY id` is byte
    /// order (as SQLite's and `std::map`'s); `body` is bytea, kept byte for byte.
    std::string schema_v5() const {
        const std::string q = "\"" + schema + "\".";
        return "CREATE TABLE " + q +
               "registry (kind text COLLATE \"C\" NOT NULL, id text COLLATE \"C\" NOT NULL, "
               "tenant text COLLATE \"C\" NOT NULL, uid text COLLATE \"C\" NOT NULL, body bytea NOT NULL, "
               "created_at bigint NOT NULL, updated_at bigint NOT NULL, PRIMARY KEY (kind, id));"
               "CREATE INDEX ON " +
               q +
               "registry (kind, tenant, id);"
               "CREATE UNIQUE INDEX ON " +
               q +
               "registry (kind, tenant, uid) WHERE uid <> '';"
               "CREATE INDEX ON " +
               q + "registry (kind, created_at);";
    }
};

} // namespace detail::pg

HOOKLINE_END_NAMESPACE
