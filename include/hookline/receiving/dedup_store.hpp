/// \file De-duplication of incoming deliveries: the `dedup_store` concept, the bounded in-memory
/// store with a TTL, and a store that remembers nothing; and the optional `sequence_store` concept,
/// the last `webhook-sequence` handled per ordering key, which the receiver's sequence check needs.
///
/// A receiver claims a message id before dispatching it, then completes the claim when the handler
/// succeeded or releases it when the handler failed, so that the sender's retry is dispatched again.
///
/// Thread-safety: `memory_dedup_store` and `null_dedup_store` may be used from any number of threads
/// at once; copies of a `memory_dedup_store` share one table.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

HOOKLINE_BEGIN_NAMESPACE

/// What `try_claim` found.
enum class claim_status {
    acquired,    ///< first sighting (or the previous claim expired or was released): dispatch it
    in_progress, ///< another delivery of the same id is being handled right now
    done,        ///< already handled successfully: acknowledge, do not dispatch
};

/// A store that remembers which message ids were handled. `now` is Unix seconds from the receiver's
/// clock, so tests can step time. Implementations must be safe to call from several threads.
///  - `try_claim(key, now)`: atomically records `key` as in progress unless it is in progress or done.
///  - `complete(key, now)`: marks a claimed key as done (remembered for the store's TTL).
///  - `release(key)`: forgets a claimed key, so a later delivery is dispatched again.
template <class S>
concept dedup_store = requires(S& s, std::string_view key, std::int64_t now) {
    { s.try_claim(key, now) } -> std::same_as<result<claim_status>>;
    { s.complete(key, now) } -> std::same_as<result<void>>;
    { s.release(key) } -> std::same_as<result<void>>;
};

/// A de-duplication store that also keeps, per ordering key, the last sequence position handled
/// (`receiver_options::check_sequence` needs one). Keys are those of one receiver, that is one
/// endpoint's streams: receivers of different senders or endpoints must not share such a store.
///  - `last_sequence(key, now)`: the last position recorded for `key`; nullopt when none (or forgotten).
///  - `record_sequence(key, n, now)`: atomically sets the last position of `key` to max(last, n), so
///    concurrent records never lose the higher one.
/// Optional (`atomic_sequence_store`): `complete_with_sequence(id_key, key, n, now)` does `complete`
/// and `record_sequence` in one step; without it the receiver records the sequence first.
template <class S>
concept sequence_store = dedup_store<S> && requires(S& s, std::string_view key, std::uint64_t n, std::int64_t now) {
    { s.last_sequence(key, now) } -> std::same_as<result<std::optional<std::uint64_t>>>;
    { s.record_sequence(key, n, now) } -> std::same_as<result<void>>;
};

/// A `sequence_store` that marks an id done and records a sequence position atomically.
template <class S>
concept atomic_sequence_store = sequence_store<S> &&
    requires(S& s, std::string_view id_key, std::string_view key, std::uint64_t n, std::int64_t now) {
    { s.complete_with_sequence(id_key, key, n, now) } -> std::same_as<result<void>>;
};

/// Remembers nothing: every delivery is dispatched (turns de-duplication off). Keeps no sequences:
/// a receiver with `check_sequence` refuses it.
struct null_dedup_store {
    result<claim_status> try_claim(std::string_view, std::int64_t) { return claim_status::acquired; }
    result<void> complete(std::string_view, std::int64_t) { return {}; }
    result<void> release(std::string_view) { return {}; }
};

/// Options of a `memory_dedup_store`.
struct memory_dedup_options {
    /// How long a handled id is remembered. Make it longer than the sender's retry schedule.
    std::chrono::seconds ttl{std::chrono::hours(24)};
    /// How long a claim stays "in progress" before another delivery may take it over (a handler
    /// that hangs must not block the id forever).
    std::chrono::seconds claim_timeout{300};
    /// At most this many ids are remembered; the oldest are forgotten first.
    std::size_t max_entries = 100000;
};

/// An in-memory table of ids, bounded in size, with a TTL. Forgotten on restart (see
/// `sqlite_dedup_store` for one that is not). Copies share the table. Also a `sequence_store`: the last
/// position per ordering key is kept in a second table, bounded by `max_entries` as well (the least
/// recently updated key is forgotten first) and forgotten `ttl` after its last update.
class memory_dedup_store {
public:
    explicit memory_dedup_store(memory_dedup_options options = {}) : state_(std::make_shared<state>(options)) {}

    result<claim_status> try_claim(std::string_view key, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        state_->expire(now);
        auto it = state_->index.find(key);
        if (it != state_->index.end()) {
            entry& e = *it->second;
            if (e.expires > now) return e.done ? claim_status::done : claim_status::in_progress;
            state_->erase(it); // expired but not yet at the front of the queue
        }
        state_->insert(key, false, now + state_->options.claim_timeout.count());
        return claim_status::acquired;
    }

    result<void> complete(std::string_view key, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        state_->complete(key, now);
        return {};
    }

    result<void> release(std::string_view key) {
        std::lock_guard lock(state_->mutex);
        auto it = state_->index.find(key);
        if (it != state_->index.end() && !it->second->done) state_->erase(it);
        return {};
    }

    /// The last sequence position recorded for ordering key `key`; nullopt when none.
    result<std::optional<std::uint64_t>> last_sequence(std::string_view key, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        state_->sequences.expire(now);
        auto it = state_->sequences.index.find(key);
        if (it == state_->sequences.index.end() || it->second->expires <= now) return std::optional<std::uint64_t>{};
        return std::optional<std::uint64_t>{it->second->last};
    }

    /// Sets the last position of `key` to max(last, n).
    result<void> record_sequence(std::string_view key, std::uint64_t n, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        state_->sequences.record(key, n, now, state_->options);
        return {};
    }

    /// `complete(id_key, now)` and `record_sequence(key, n, now)` under one lock.
    result<void> complete_with_sequence(std::string_view id_key, std::string_view key, std::uint64_t n,
                                        std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        state_->sequences.record(key, n, now, state_->options);
        state_->complete(id_key, now);
        return {};
    }

    /// How many ids are remembered (done or in progress, including expired ones not yet evicted).
    std::size_t size() const {
        std::lock_guard lock(state_->mutex);
        return state_->index.size();
    }

    const memory_dedup_options& options() const noexcept { return state_->options; }

private:
    struct entry {
        std::string key;
        bool done = false;
        std::int64_t expires = 0;
    };
    struct string_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    using order_list = std::list<entry>;
    /// The last position per ordering key, least recently updated first.
    struct sequence_table {
        struct item {
            std::string key;
            std::uint64_t last = 0;
            std::int64_t expires = 0;
        };
        std::list<item> order;
        std::unordered_map<std::string, std::list<item>::iterator, string_hash, std::equal_to<>> index;

        void record(std::string_view key, std::uint64_t n, std::int64_t now, const memory_dedup_options& o) {
            expire(now);
            if (auto it = index.find(key); it != index.end()) {
                if (it->second->expires > now && it->second->last > n) n = it->second->last;
                order.erase(it->second);
                index.erase(it);
            }
            if (o.max_entries == 0) return;
            while (index.size() >= o.max_entries) {
                index.erase(order.front().key);
                order.pop_front();
            }
            order.push_back(item{std::string(key), n, now + o.ttl.count()});
            index.emplace(order.back().key, std::prev(order.end()));
        }
        void expire(std::int64_t now) {
            while (!order.empty() && order.front().expires <= now) {
                index.erase(order.front().key);
                order.pop_front();
            }
        }
    };
    struct state {
        explicit state(memory_dedup_options o) : options(o) {}
        memory_dedup_options options;
        mutable std::mutex mutex;
        order_list order; // insertion order: oldest first
        std::unordered_map<std::string, order_list::iterator, string_hash, std::equal_to<>> index;
        sequence_table sequences;

        void complete(std::string_view key, std::int64_t now) {
            auto it = index.find(key);
            if (it != index.end()) erase(it);
            insert(key, true, now + options.ttl.count());
        }

        void erase(decltype(index)::iterator it) {
            order.erase(it->second);
            index.erase(it);
        }
        void insert(std::string_view key, bool done, std::int64_t expires) {
            if (options.max_entries == 0) return;
            while (index.size() >= options.max_entries) {
                index.erase(order.front().key);
                order.pop_front();
            }
            order.push_back(entry{std::string(key), done, expires});
            index.emplace(order.back().key, std::prev(order.end()));
        }
        /// Drops expired entries from the front (amortised O(1) per insert).
        void expire(std::int64_t now) {
            while (!order.empty() && order.front().expires <= now) {
                index.erase(order.front().key);
                order.pop_front();
            }
        }
    };
    std::shared_ptr<state> state_;
};

static_assert(dedup_store<null_dedup_store>);
static_assert(dedup_store<memory_dedup_store>);
static_assert(atomic_sequence_store<memory_dedup_store>);
static_assert(!sequence_store<null_dedup_store>);

HOOKLINE_END_NAMESPACE
