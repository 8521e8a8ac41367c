/// \file The PostgreSQL store's SQL: the schema (DDL, version) and every statement it prepares, with
/// the schema name filled in.
#pragma once

#include <hookline/core/config.hpp>

#include <algorithm>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::pg {

inline constexpr int schema_version = 3;

inline bool valid_schema_name(std::string_view s) {
    if (s.empty() || s.size() > 63) return false;
    if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z'))) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

/// Every statement the store runs, with the schema name filled in.
struct statements {
    std::string insert_message, claim, claim_one, next_due, next_due_one, due_endpoints, record_attempt, release,
        list_attempts, load_endpoint, save_endpoint, prune_lock, prune_delete;
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
                "updated_at = $2::bigint, lease = d.lease + 1 FROM c, " +
                q +
                "messages m WHERE d.id = c.id AND m.id = d.message_id "
                "RETURNING d.id, d.message_id, d.endpoint_id, d.attempts, d.next_attempt_at, d.lease_until, "
                "d.updated_at, d.last_number, d.last_started_at, d.last_status, d.last_error_category, "
                "d.last_error, d.last_latency_us, d.last_excerpt, c.due_at, m.event_type, m.payload, m.created_at, "
                "d.lease";
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
        // Fenced: only the current lease holder's outcome is recorded. Returns (rows changed, row exists).
        record_attempt =
            "WITH u AS (UPDATE " + q +
            "deliveries SET attempts = GREATEST(attempts, $2::integer), "
            "last_number = $2::integer, last_started_at = $3::bigint, last_status = $4::integer, "
            "last_error_category = $5::text, last_error = $6::integer, last_latency_us = $7::bigint, "
            "last_excerpt = $8::bytea, status = $9::smallint, updated_at = $3::bigint, lease_until = 0, "
            "next_attempt_at = CASE WHEN $9::smallint = 0 THEN $10::bigint ELSE next_attempt_at END, "
            "due_at = CASE WHEN $9::smallint = 0 THEN $10::bigint ELSE NULL END "
            "WHERE id = $1::bigint AND status = 1 AND lease = $11::bigint RETURNING id), "
            "a AS (INSERT INTO " +
            q +
            "attempts (delivery_id, number, started_at, status, error_category, error, "
            "latency_us, excerpt) SELECT u.id, $2::integer, $3::bigint, $4::integer, $5::text, $6::integer, "
            "$7::bigint, $8::bytea FROM u RETURNING 1) "
            "SELECT (SELECT count(*) FROM u), EXISTS (SELECT 1 FROM " +
            q + "deliveries WHERE id = $1::bigint)";
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
                     "deliveries d WHERE d.message_id = m.id AND d.status IN (0, 1)) "
                     "FOR UPDATE OF m SKIP LOCKED) x";
        prune_delete = "WITH gone AS (DELETE FROM " + q +
                       "messages m WHERE m.id = ANY($1::text[]) AND NOT EXISTS "
                       "(SELECT 1 FROM " +
                       q +
                       "deliveries d WHERE d.message_id = m.id AND d.status IN (0, 1)) RETURNING 1) "
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

    /// Version 1 to 2: each delivery's fencing token, incremented by every claim.
    std::string schema_v2() const {
        return "ALTER TABLE \"" + schema + "\".deliveries ADD COLUMN lease bigint NOT NULL DEFAULT 0;";
    }

    /// Version 2 to 3: which endpoints have work due, without the endpoint list (`due_endpoints`).
    std::string schema_v3() const {
        return "CREATE INDEX ON \"" + schema + "\".deliveries (due_at, endpoint_id) WHERE due_at IS NOT NULL;";
    }
};

} // namespace detail::pg

HOOKLINE_END_NAMESPACE
