/// \file The `store` concept: where a sender keeps messages, deliveries, attempts and endpoint state.
///
/// The store is the single source of truth; a sender's scheduler only caches what it has claimed. A
/// store for another database implements the members below (see docs/stores.md). All times are Unix
/// milliseconds. Implementations must be safe to call from several threads at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// One endpoint of a message that is delivered in order: the message joins the endpoint's stream
/// `key` at the next position (see `ordered_store` and docs/ordering.md).
struct ordered_target {
    std::string endpoint_id{};
    std::string key{}; ///< the stream within the endpoint: the ordering key, or "" (endpoint-wide, no key)
    bool block = true; ///< an exhausted head holds its stream until skipped or replayed (else it is passed)
};

/// An accepted event. The payload is held once and shared by every delivery of it.
struct stored_message {
    std::string id{};
    std::string event_type{};
    std::shared_ptr<const std::string> payload{};
    std::int64_t created_at = 0;
    /// Which of the endpoints given to `insert_message` take it in order (an `ordered_store` reads it
    /// at insert; every other endpoint, and every other store, delivers it unordered).
    std::vector<ordered_target> ordered{};
};

/// The ordered target of `m` for `endpoint` (the first naming it), or null: it goes unordered there.
inline const ordered_target* ordered_target_for(const stored_message& m, std::string_view endpoint) noexcept {
    for (const auto& o : m.ordered)
        if (o.endpoint_id == endpoint) return &o;
    return nullptr;
}

/// Where one message stands with one endpoint.
enum class delivery_status {
    pending,   ///< waiting for its next attempt (due at `next_attempt_at`)
    in_flight, ///< claimed by a sender until `lease_until`
    delivered, ///< a 2xx was received
    exhausted, ///< the retry policy gave up; reported through `on_exhausted`
    failed,    ///< not retried: the endpoint answered 410 Gone or was removed, or the request was refused as invalid
    skipped,   ///< given up by an operator (`skip`) before it was delivered
};

inline const char* to_string(delivery_status s) noexcept {
    switch (s) {
    case delivery_status::pending: return "pending";
    case delivery_status::in_flight: return "in_flight";
    case delivery_status::delivered: return "delivered";
    case delivery_status::exhausted: return "exhausted";
    case delivery_status::failed: return "failed";
    case delivery_status::skipped: return "skipped";
    }
    return "unknown";
}

/// One HTTP attempt of a delivery.
struct attempt_record {
    int number = 0; ///< 1 for the first attempt
    std::int64_t started_at = 0;
    int status = 0;          ///< HTTP status, 0 when no response arrived
    std::error_code error{}; ///< transport error, or errc::http_status for a non-2xx
    std::chrono::microseconds latency{0};
    std::string response_excerpt{}; ///< the first bytes of the response body (capped)
};

/// One message to one endpoint.
struct delivery_record {
    std::uint64_t id = 0;
    std::string message_id{};
    std::string endpoint_id{};
    delivery_status status = delivery_status::pending;
    int attempts = 0;
    std::int64_t next_attempt_at = 0; ///< when pending
    std::int64_t lease_until = 0;     ///< when in flight
    /// The fencing token of the latest claim: every claim gives the delivery a larger one, and
    /// `record_attempt` / `release` act only for the current one (else `errc::lease_lost`).
    std::uint64_t lease = 0;
    std::int64_t updated_at = 0;
    std::optional<attempt_record> last_attempt{};
    // Ordered delivery (an `ordered_store`; all zero or empty for an unordered delivery):
    std::string ordering_key{};      ///< its stream within the endpoint
    std::uint64_t sequence = 0;      ///< its position in the stream, from 1, gap-free; 0 = unordered
    std::uint64_t sequence_prev = 0; ///< the stream's last delivered position when it became the head (0: none)
    bool waiting = false;            ///< pending behind an earlier delivery of its stream: not claimable
    bool holds_key = false;          ///< exhausted under `block`: its stream waits until it is skipped or replayed
};

/// A delivery handed to a sender by `claim_due`, with its message.
struct claimed_delivery {
    delivery_record delivery{};
    std::shared_ptr<const stored_message> message{};
};

/// Health the sender tracks per endpoint, kept in the store so it survives restarts.
struct endpoint_state {
    std::string endpoint_id{};
    bool disabled = false;
    std::string disabled_reason{};  ///< "gone", "failing", "exhausted", "manual"
    std::int64_t failing_since = 0; ///< first failure of the current failure streak, 0 when healthy
    int exhausted_count = 0;        ///< messages exhausted since the last success
};

/// Which deliveries `list_deliveries` and `reschedule` act on; empty fields match everything.
struct delivery_query {
    std::string message_id{};
    std::string endpoint_id{};
    std::vector<delivery_status> statuses{};
    std::int64_t created_since = 0; ///< messages created at or after this time
    std::size_t limit = 1000;
    bool newest_first = false; ///< `list_deliveries`: the latest first (with `limit`, the latest `limit`)
};

/// The store concept. `insert_message` is atomic: the message and all its deliveries, or nothing.
/// It returns false, changing nothing, when a message with that id exists (idempotent send).
///
/// Fencing: each claim gives the delivery a new, larger `lease` token (returned in
/// `claimed_delivery.delivery.lease`). `record_attempt` and `release` take it and change nothing,
/// answering `errc::lease_lost`, when the delivery is no longer in flight under that token (its lease
/// expired and another sender claimed it, or it was handed back): a late sender cannot overwrite
/// the new owner's state.
template <class S>
concept store = requires(S& s, const stored_message& m, std::span<const std::string> endpoints, std::int64_t t,
                         std::size_t n, std::uint64_t id, std::uint64_t lease, const attempt_record& a,
                         delivery_status st, const delivery_query& q, const endpoint_state& es,
                         const std::string& name) {
    { s.insert_message(m, endpoints, t) } -> std::same_as<result<bool>>;
    // Claims up to n deliveries due at or before t whose endpoint is in `endpoints` (earliest due first),
    // marking them in flight until the lease time, each with a new, larger `lease` token.
    { s.claim_due(t, n, endpoints, t) } -> std::same_as<result<std::vector<claimed_delivery>>>;
    // The earliest due time among pending deliveries of `endpoints`.
    { s.next_due(endpoints) } -> std::same_as<result<std::optional<std::int64_t>>>;
    // Records an attempt and the delivery's new status (and next due time when pending), if the
    // delivery is in flight under `lease`; else `lease_lost` (`message_not_found` for an unknown id).
    { s.record_attempt(id, lease, a, st, t) } -> std::same_as<result<void>>;
    // Hands an in-flight delivery back, pending and due at t (a stopping sender, an expired lease), if
    // it is in flight under `lease`; else `lease_lost` (`message_not_found` for an unknown id).
    { s.release(id, lease, t) } -> std::same_as<result<void>>;
    // Makes matching deliveries (not in flight) pending and due at t; returns how many.
    { s.reschedule(q, t) } -> std::same_as<result<std::size_t>>;
    { s.list_deliveries(q) } -> std::same_as<result<std::vector<delivery_record>>>;
    { s.list_attempts(id) } -> std::same_as<result<std::vector<attempt_record>>>;
    { s.load_endpoint_state(name) } -> std::same_as<result<std::optional<endpoint_state>>>;
    { s.save_endpoint_state(es) } -> std::same_as<result<void>>;
    // Retention: forgets messages created before t all of whose deliveries are finished (delivered,
    // exhausted or failed), with their deliveries and attempts; returns how many messages. A pruned id
    // can be sent again. Atomic against `reschedule`: a message being rescheduled is kept.
    { s.prune(t) } -> std::same_as<result<std::size_t>>;
};

/// A store that keeps per-key order (docs/ordering.md). For each `ordered` target of a message,
/// `insert_message` gives the delivery the next position of its stream (endpoint, key), gap-free from 1.
/// Only a stream's head (its earliest unsettled position) is claimable; the others are `waiting`, and
/// neither `claim_due`, `next_due` nor `due_endpoints` sees them. A delivery is settled when it is
/// delivered, failed, skipped, or exhausted without `block`; settling the head makes the next unsettled
/// position the head (claimable, due at its own due time) with `sequence_prev` set to the stream's last
/// delivered position. An exhausted head under `block` keeps `holds_key` and stays unsettled (and is
/// never pruned) until `skip` settles it or `reschedule` makes it pending again. `reschedule` of a
/// settled delivery behind the head is a replay (claimable at once, out of order, with its old
/// position); of one ahead of the head, it waits again. Streams outlive their messages, so positions
/// never restart. `skip(id, t)` gives up a pending (or waiting) or exhausted delivery: `skipped`;
/// `delivery_in_flight` while its attempt is under way.
template <class S>
concept ordered_store = store<S> && requires(S& s, std::uint64_t id, std::int64_t t) {
    { s.skip(id, t) } -> std::same_as<result<void>>;
};

/// What `due_endpoints` found: the endpoints of the earliest due deliveries, each once, earliest first.
struct due_endpoints_page {
    std::vector<std::string> endpoints{};
    bool more = false; ///< deliveries beyond the ones looked at were due too
};

namespace detail {
/// Builds a `due_endpoints_page` from due deliveries' endpoint ids, earliest first: a store asks for
/// `limit + 1` rows (`rows_wanted`) and `add`s each until it answers false (the extra row: `more`).
class due_page_builder {
public:
    explicit due_page_builder(std::size_t limit) : limit_(limit) {}
    std::size_t rows_wanted() const { return limit_ == static_cast<std::size_t>(-1) ? limit_ : limit_ + 1; }
    bool add(std::string endpoint) {
        if (rows_++ == limit_) {
            page_.more = true;
            return false;
        }
        if (seen_.insert(endpoint).second) page_.endpoints.push_back(std::move(endpoint));
        return true;
    }
    due_endpoints_page take() { return std::move(page_); }

private:
    std::size_t limit_;
    std::size_t rows_ = 0;
    std::unordered_set<std::string> seen_{};
    due_endpoints_page page_{};
};
} // namespace detail

/// A store that can say which endpoints have work due without being given the endpoint list:
/// `due_endpoints(t, n)` looks at the earliest `n` deliveries due at or before `t` (pending and due, or
/// in flight with an expired lease) and names their endpoints; its cost is bounded by `n`, not by the
/// number of endpoints or deliveries. A sender polls it for work it did not queue itself (an outbox
/// insert, another process's message, a lease that expired) instead of asking `next_due` with every
/// idle endpoint. The stock stores model it; a store without it still works (the sender falls back).
template <class S>
concept due_index_store = store<S> && requires(S& s, std::int64_t t, std::size_t n) {
    { s.due_endpoints(t, n) } -> std::same_as<result<due_endpoints_page>>;
};

/// A store that can enqueue inside the application's own transaction (the transactional outbox):
/// `insert_message_in(tx, ...)` writes through the application's connection `tx`, so the event commits
/// or rolls back with the application's own writes. The sender picks it up after the commit (call
/// `wake()`, or within `max_idle`).
template <class S, class Tx>
concept outbox_store = store<S> &&
    requires(S& s, Tx& tx, const stored_message& m, std::span<const std::string> endpoints, std::int64_t t) {
    { s.insert_message_in(tx, m, endpoints, t) } -> std::same_as<result<bool>>;
};

/// Deliveries waiting in the store, by where they stand (`depth_store`), for metrics.
struct queue_depth_counts {
    std::uint64_t due = 0;       ///< pending and due now
    std::uint64_t scheduled = 0; ///< pending, due later (retries, rate limits)
    std::uint64_t in_flight = 0; ///< claimed by some sender (this one or another process)
};

/// A store that can count its queue cheaply enough for a metrics scrape.
template <class S>
concept depth_store = requires(S& s, std::int64_t now) {
    { s.queue_depth(now) } -> std::same_as<result<queue_depth_counts>>;
};

HOOKLINE_END_NAMESPACE
