/// \file The PostgreSQL store's rows: the insert's parameters, the conditions of a `delivery_query`,
/// and reading ordered positions and last attempts from result sets.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/stores/detail/postgres_connection.hpp>
#include <hookline/stores/store.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::pg {

/// The insert's parameters: beside the endpoints, each one's ordering key (null: unordered) and `block`.
inline params insert_params(const stored_message& m, std::span<const std::string> endpoints, std::int64_t due) {
    std::vector<const std::string*> keys(endpoints.size(), nullptr);
    std::string blocks = "{";
    for (std::size_t i = 0; i < endpoints.size(); ++i) {
        const ordered_target* o = ordered_target_for(m, endpoints[i]);
        if (o) keys[i] = &o->key;
        blocks += i ? "," : "";
        blocks += o && o->block ? "t" : "f";
    }
    params ps;
    ps.text(m.id)
        .text(m.event_type)
        .bytes(m.payload ? *m.payload : std::string())
        .integer(m.created_at)
        .integer(due)
        .text(text_array(endpoints))
        .text(nullable_text_array(keys))
        .text(blocks + "}");
    return ps;
}

/// Columns order_key, order_seq, order_prev from `col` on.
inline void read_order(const result_set& r, int row, int col, delivery_record& d) {
    d.sequence = static_cast<std::uint64_t>(r.i64(row, col + 1));
    if (d.sequence != 0) d.ordering_key = r.str(row, col);
    d.sequence_prev = static_cast<std::uint64_t>(r.i64(row, col + 2));
}

/// Appends the query's conditions (parameters numbered after those already in `ps`).
/// A LIMIT for `n` rows: "ALL" when `n` does not fit PostgreSQL's bigint (the "no limit" of
/// `delivery_query{.limit = size_t(-1)}`, which would overflow it).
inline std::string sql_limit(std::size_t n) {
    return n > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()) ? std::string("ALL")
                                                                                  : std::to_string(n);
}

inline std::string where(const delivery_query& q, params& ps, const char* lead) {
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

inline std::optional<attempt_record> last_attempt(const result_set& r, int row, int col) {
    if (r.null(row, col)) return std::nullopt;
    attempt_record a;
    a.number = static_cast<int>(r.i64(row, col));
    a.started_at = r.i64(row, col + 1);
    a.status = static_cast<int>(r.i64(row, col + 2));
    a.error = decode_error(r.str(row, col + 3), static_cast<int>(r.i64(row, col + 4)));
    a.latency = std::chrono::microseconds(r.i64(row, col + 5));
    a.response_excerpt = r.str(row, col + 6);
    return a;
}

} // namespace detail::pg

HOOKLINE_END_NAMESPACE
