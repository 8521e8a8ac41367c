/// \file `memory_store`: the default store, in process memory. Fast, and gone with the process: use
/// the SQLite or PostgreSQL store when accepted events must survive a crash.
///
/// Thread-safety: every member may be called from any thread; one mutex guards the state. Copies of a
/// `memory_store` share the same state (it is a handle), so a sender and the application can hold one each.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/registry/registry_store.hpp>
#include <hookline/stores/detail/memory_registry.hpp>
#include <hookline/stores/store.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

class memory_store {
public:
    memory_store() : state_(std::make_shared<state>()) {}

    result<bool> insert_message(const stored_message& m, std::span<const std::string> endpoints, std::int64_t due) {
        // The records and index nodes are built before the lock and spliced in under it. Ids are taken
        // before the lock too: unique and increasing per caller, with gaps when a duplicate is refused.
        auto msg = std::make_shared<const stored_message>(m);
        std::map<std::uint64_t, entry> records;
        std::vector<std::uint64_t> ids;
        ids.reserve(endpoints.size());
        std::vector<due_keys> index(endpoints.size());
        for (std::size_t i = 0; i < endpoints.size(); ++i) {
            const std::uint64_t id = state_->last_id.fetch_add(1, std::memory_order_relaxed) + 1;
            entry e;
            e.record.id = id;
            e.record.message_id = m.id;
            e.record.endpoint_id = endpoints[i];
            e.record.next_attempt_at = due;
            e.record.updated_at = m.created_at;
            e.message = msg;
            records.emplace_hint(records.end(), id, std::move(e));
            ids.push_back(id);
            index[i].emplace(due, id);
        }
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        if (!s.messages.try_emplace(m.id, message_entry{std::move(msg), std::move(ids)}).second) return false;
        auto record = records.begin();
        for (std::size_t i = 0; i < endpoints.size(); ++i, ++record) {
            auto [slot, fresh] = s.due.try_emplace(endpoints[i]);
            due_set& set = slot->second;
            if (fresh) set.endpoint = &slot->first;
            record->second.index = &set;
            if (const ordered_target* o = ordered_target_for(m, endpoints[i])) {
                auto& d = record->second.record;
                auto& st = s.streams[{o->endpoint_id, o->key}];
                d.ordering_key = o->key;
                d.sequence = st.next++;
                record->second.block = o->block;
                st.unsettled.emplace(d.sequence, d.id);
                if (st.unsettled.begin()->first != d.sequence) {
                    d.waiting = true; // behind an earlier delivery of its stream: not indexed
                    continue;
                }
                d.sequence_prev = st.last_delivered;
            }
            set.keys.merge(index[i]);
            s.reindex_head(set);
        }
        s.deliveries.merge(records);
        return true;
    }

    /// Gives up a pending (or waiting) or exhausted delivery: `skipped`, and its stream moves on.
    result<void> skip(std::uint64_t id, std::int64_t now) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        auto it = s.deliveries.find(id);
        if (it == s.deliveries.end()) return errc::message_not_found;
        auto& d = it->second.record;
        if (d.status == delivery_status::in_flight) return errc::delivery_in_flight;
        if (d.status != delivery_status::pending && d.status != delivery_status::exhausted)
            return errc::invalid_argument; // already settled
        s.unindex(it->second);
        d.status = delivery_status::skipped;
        d.updated_at = now;
        d.waiting = false; // settled: no longer waiting (a replay of it must be indexed like any other)
        d.holds_key = false;
        s.settle(it->second);
        return {};
    }

    result<std::vector<claimed_delivery>> claim_due(std::int64_t now, std::size_t limit,
                                                    std::span<const std::string> endpoints, std::int64_t lease_until) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        std::vector<claimed_delivery> out;
        // The due indexes of the allowed endpoints, looked up once.
        std::vector<due_set*> sets;
        sets.reserve(endpoints.size());
        for (const auto& ep : endpoints)
            if (auto it = s.due.find(ep); it != s.due.end() && !it->second.keys.empty()) sets.push_back(&it->second);
        // Repeatedly take the earliest due delivery among the allowed endpoints.
        while (out.size() < limit) {
            due_set* best_set = nullptr;
            for (auto* set : sets) {
                if (set->keys.empty() || set->keys.begin()->first > now) continue;
                if (!best_set || *set->keys.begin() < *best_set->keys.begin()) best_set = set;
            }
            if (!best_set) break;
            // Re-keyed in place (no allocation): an expired lease makes it claimable again.
            auto node = best_set->keys.extract(best_set->keys.begin());
            const std::uint64_t id = node.value().second;
            node.value().first = lease_until;
            best_set->keys.insert(std::move(node));
            s.reindex_head(*best_set);
            auto& e = s.deliveries.at(id);
            auto& d = e.record;
            d.status = delivery_status::in_flight;
            d.lease_until = lease_until;
            ++d.lease; // the new owner's fencing token
            d.updated_at = now;
            out.push_back({d, e.message});
        }
        return out;
    }

    result<std::optional<std::int64_t>> next_due(std::span<const std::string> endpoints) {
        std::lock_guard lock(state_->mutex);
        std::optional<std::int64_t> best;
        for (const auto& ep : endpoints) {
            auto it = state_->due.find(ep);
            if (it == state_->due.end() || it->second.keys.empty()) continue;
            std::int64_t t = it->second.keys.begin()->first;
            if (!best || t < *best) best = t;
        }
        return best;
    }

    /// The endpoints whose earliest pending or in-flight delivery is due at or before `now`, earliest
    /// first, at most `limit` of them: a walk over an index of each endpoint's earliest due time.
    result<due_endpoints_page> due_endpoints(std::int64_t now, std::size_t limit) {
        std::lock_guard lock(state_->mutex);
        due_endpoints_page page;
        for (auto it = state_->heads.begin(); it != state_->heads.end() && it->first <= now; ++it) {
            if (page.endpoints.size() == limit) {
                page.more = true;
                break;
            }
            page.endpoints.push_back(*it->second->endpoint);
        }
        return page;
    }

    result<void> record_attempt(std::uint64_t id, std::uint64_t lease, const attempt_record& a, delivery_status status,
                                std::int64_t next_due) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        auto it = s.deliveries.find(id);
        if (it == s.deliveries.end()) return errc::message_not_found;
        auto& d = it->second.record;
        if (d.status != delivery_status::in_flight || d.lease != lease) return errc::lease_lost;
        if (status == delivery_status::pending) {
            s.rekey(it->second, next_due);
            d.next_attempt_at = next_due;
        } else {
            s.unindex(it->second);
        }
        d.attempts = std::max(d.attempts, a.number);
        d.last_attempt = a;
        d.last_attempt->response_excerpt.shrink_to_fit();
        d.status = status;
        d.updated_at = a.started_at;
        d.lease_until = 0;
        it->second.attempts.push_back(a);
        if (d.sequence != 0 && status != delivery_status::pending) {
            if (status == delivery_status::exhausted && it->second.block && s.is_head(d))
                d.holds_key = true; // its stream waits for an operator
            else
                s.settle(it->second);
        }
        return {};
    }

    result<void> release(std::uint64_t id, std::uint64_t lease, std::int64_t due) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        auto it = s.deliveries.find(id);
        if (it == s.deliveries.end()) return errc::message_not_found;
        auto& d = it->second.record;
        if (d.status != delivery_status::in_flight || d.lease != lease) return errc::lease_lost;
        s.rekey(it->second, due);
        d.status = delivery_status::pending;
        d.lease_until = 0;
        d.next_attempt_at = due;
        return {};
    }

    result<std::size_t> reschedule(const delivery_query& q, std::int64_t due) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        std::size_t n = 0;
        for (auto id : s.matching(q)) {
            auto& e = s.deliveries.at(id);
            auto& d = e.record;
            if (d.status == delivery_status::in_flight) continue; // its attempt is under way
            if (d.sequence != 0 && s.reorder(e)) {                // waits behind an earlier position of its stream
                d.status = delivery_status::pending;
                d.next_attempt_at = due;
                ++n;
                continue;
            }
            s.rekey(e, due);
            d.status = delivery_status::pending;
            d.next_attempt_at = due;
            ++n;
        }
        return n;
    }

    result<std::vector<delivery_record>> list_deliveries(const delivery_query& q) {
        std::lock_guard lock(state_->mutex);
        std::vector<delivery_record> out;
        for (auto id : state_->matching(q)) out.push_back(state_->deliveries.at(id).record);
        return out;
    }

    result<std::vector<attempt_record>> list_attempts(std::uint64_t id) {
        std::lock_guard lock(state_->mutex);
        auto it = state_->deliveries.find(id);
        if (it == state_->deliveries.end()) return std::vector<attempt_record>{};
        return it->second.attempts;
    }

    result<std::optional<endpoint_state>> load_endpoint_state(const std::string& endpoint_id) {
        std::lock_guard lock(state_->mutex);
        auto it = state_->endpoints.find(endpoint_id);
        if (it == state_->endpoints.end()) return std::optional<endpoint_state>{};
        return std::optional<endpoint_state>{it->second};
    }

    result<void> save_endpoint_state(const endpoint_state& es) {
        std::lock_guard lock(state_->mutex);
        state_->endpoints[es.endpoint_id] = es;
        return {};
    }

    /// Atomic against `reschedule` (one mutex): a message is either rescheduled or pruned.
    result<std::size_t> prune(std::int64_t before) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        std::size_t n = 0;
        for (auto it = s.messages.begin(); it != s.messages.end();) {
            const auto& ids = it->second.deliveries;
            bool finished = it->second.message->created_at < before;
            for (auto id : ids) {
                auto st = s.deliveries.at(id).record.status;
                finished = finished && st != delivery_status::pending && st != delivery_status::in_flight &&
                           !s.deliveries.at(id).record.holds_key;
            }
            if (!finished) {
                ++it;
                continue;
            }
            for (auto id : ids) s.deliveries.erase(id);
            it = s.messages.erase(it);
            ++n;
        }
        return n;
    }

    /// Number of messages held (for tests and metrics).
    std::size_t message_count() const {
        std::lock_guard lock(state_->mutex);
        return state_->messages.size();
    }

    /// Deliveries pending (due now, or later) and in flight (`depth_store`): a walk over all of them.
    result<queue_depth_counts> queue_depth(std::int64_t now) const {
        std::lock_guard lock(state_->mutex);
        queue_depth_counts out;
        for (const auto& [id, e] : state_->deliveries) {
            const auto& r = e.record;
            if (r.status == delivery_status::in_flight)
                ++out.in_flight;
            else if (r.status == delivery_status::pending && !r.waiting)
                ++(r.next_attempt_at <= now ? out.due : out.scheduled);
        }
        return out;
    }

    // --- the registry (`registry_store`, registry/registry_store.hpp) ---------------------------------

    result<void> registry_insert(const registry_row& row) { return state_->registry.insert(row); }
    result<void> registry_update(const registry_row& row) { return state_->registry.update(row); }
    result<std::optional<registry_row>> registry_get(const std::string& kind, const std::string& id) const {
        return state_->registry.get(kind, id);
    }
    result<std::optional<registry_row>> registry_find(const std::string& kind, const std::string& tenant,
                                                      const std::string& uid) const {
        return state_->registry.find(kind, tenant, uid);
    }
    result<std::vector<registry_row>> registry_list(const registry_query& q) const { return state_->registry.list(q); }
    result<bool> registry_erase(const std::string& kind, const std::string& id) {
        return state_->registry.erase(kind, id);
    }
    result<std::size_t> registry_prune(const std::string& kind, std::int64_t before) {
        return state_->registry.prune(kind, before);
    }

private:
    using due_keys = std::set<std::pair<std::int64_t, std::uint64_t>>; // (due or lease time, delivery id)
    struct due_set {
        due_keys keys;
        const std::string* endpoint = nullptr; // its key in `state::due` (stable)
        std::optional<std::int64_t> head{};    // its entry in `state::heads`, if any
    };
    struct entry {
        delivery_record record;
        bool block = false; // ordered: an exhausted head holds its stream
        std::vector<attempt_record> attempts;
        std::shared_ptr<const stored_message> message; // shared by the message's deliveries
        due_set* index = nullptr;                      // its endpoint's due index (never erased from `due`: stable)
    };
    struct message_entry {
        std::shared_ptr<const stored_message> message;
        std::vector<std::uint64_t> deliveries;
    };
    /// One ordered stream (endpoint, key): its next position and its unsettled deliveries by position.
    struct stream {
        std::uint64_t next = 1;
        std::uint64_t last_delivered = 0;
        std::map<std::uint64_t, std::uint64_t> unsettled{}; // position -> delivery id; the first is the head
    };
    struct state {
        mutable std::mutex mutex;
        std::map<std::pair<std::string, std::string>, stream> streams; // kept after their messages are pruned
        std::atomic<std::uint64_t> last_id{0};
        std::unordered_map<std::string, message_entry> messages;
        std::map<std::uint64_t, entry> deliveries; // ordered by id (about creation order)
        std::unordered_map<std::string, endpoint_state> endpoints;
        // Per endpoint: (due or lease time, delivery id) of pending and in-flight deliveries. Sets are
        // never erased: entries point at theirs.
        std::unordered_map<std::string, due_set> due;
        // Each endpoint's earliest due time: which endpoints have work due, without a walk over them all.
        std::set<std::pair<std::int64_t, const due_set*>> heads;
        detail::memory_registry registry; // the registry rows, under their own mutex

        /// Brings `heads` up to date after `set` changed.
        void reindex_head(due_set& set) {
            const std::optional<std::int64_t> head =
                set.keys.empty() ? std::nullopt : std::optional<std::int64_t>(set.keys.begin()->first);
            if (head == set.head) return;
            if (set.head) heads.erase({*set.head, &set});
            if (head) heads.emplace(*head, &set);
            set.head = head;
        }

        bool is_head(const delivery_record& d) const {
            const auto& st = streams.at({d.endpoint_id, d.ordering_key});
            return !st.unsettled.empty() && st.unsettled.begin()->first == d.sequence;
        }
        /// `e` is settled: it leaves its stream's unsettled set; when it was the head, the next becomes it.
        void settle(entry& e) {
            auto& d = e.record;
            if (d.sequence == 0) return;
            auto& st = streams.at({d.endpoint_id, d.ordering_key});
            if (d.status == delivery_status::delivered) st.last_delivered = std::max(st.last_delivered, d.sequence);
            const bool was_head = !st.unsettled.empty() && st.unsettled.begin()->first == d.sequence;
            st.unsettled.erase(d.sequence);
            if (was_head && !st.unsettled.empty()) promote(st);
        }
        /// Makes the stream's first unsettled delivery claimable (if it was waiting).
        void promote(stream& st) {
            auto& head = deliveries.at(st.unsettled.begin()->second);
            if (!head.record.waiting) return;
            head.record.waiting = false;
            head.record.sequence_prev = st.last_delivered;
            if (head.record.status == delivery_status::pending) rekey(head, head.record.next_attempt_at);
        }
        /// A rescheduled ordered delivery: a replay behind the head goes at once (false); a settled one
        /// ahead of the head joins the stream again and waits (true) unless it becomes the head.
        bool reorder(entry& e) {
            auto& d = e.record;
            auto& st = streams.at({d.endpoint_id, d.ordering_key});
            d.holds_key = false;
            const std::uint64_t head = st.unsettled.empty() ? st.next : st.unsettled.begin()->first;
            if (d.sequence < head) return false; // a replay
            st.unsettled.emplace(d.sequence, d.id);
            if (st.unsettled.begin()->first == d.sequence) {
                if (d.waiting) {
                    d.waiting = false;
                    d.sequence_prev = st.last_delivered;
                }
                return false;
            }
            if (!d.waiting) {
                unindex(e);
                d.waiting = true;
            }
            return true;
        }
        /// The time `d` is indexed under: its due time while pending, its lease while in flight.
        static std::optional<std::int64_t> index_key(const delivery_record& d) {
            if (d.waiting) return std::nullopt;
            if (d.status == delivery_status::pending) return d.next_attempt_at;
            if (d.status == delivery_status::in_flight) return d.lease_until;
            return std::nullopt;
        }
        /// Indexes `e` at `t`, reusing its index node when it has one.
        void rekey(entry& e, std::int64_t t) {
            const auto& d = e.record;
            if (auto old = index_key(d)) {
                if (auto node = e.index->keys.extract({*old, d.id}); !node.empty()) {
                    node.value().first = t;
                    e.index->keys.insert(std::move(node));
                    reindex_head(*e.index);
                    return;
                }
            }
            e.index->keys.emplace(t, d.id);
            reindex_head(*e.index);
        }
        void unindex(entry& e) {
            if (auto old = index_key(e.record)) e.index->keys.erase({*old, e.record.id});
            reindex_head(*e.index);
        }
        static bool matches(const entry& e, const delivery_query& q) {
            const auto& d = e.record;
            if (!q.endpoint_id.empty() && d.endpoint_id != q.endpoint_id) return false;
            if (!q.statuses.empty() && std::find(q.statuses.begin(), q.statuses.end(), d.status) == q.statuses.end())
                return false;
            if (q.created_since != 0 && e.message->created_at < q.created_since) return false;
            return true;
        }
        std::vector<std::uint64_t> matching(const delivery_query& q) const {
            std::vector<std::uint64_t> out;
            auto take = [&](std::uint64_t id) {
                if (out.size() < q.limit && matches(deliveries.at(id), q)) out.push_back(id);
            };
            if (!q.message_id.empty()) {
                auto it = messages.find(q.message_id);
                if (it == messages.end()) return out;
                const auto& ids = it->second.deliveries;
                if (q.newest_first)
                    for (auto i = ids.rbegin(); i != ids.rend(); ++i) take(*i);
                else
                    for (auto id : ids) take(id);
            } else if (q.newest_first) {
                for (auto i = deliveries.rbegin(); i != deliveries.rend() && out.size() < q.limit; ++i) take(i->first);
            } else {
                for (const auto& [id, e] : deliveries) take(id);
            }
            return out;
        }
    };
    std::shared_ptr<state> state_;
};

static_assert(due_index_store<memory_store>);
static_assert(ordered_store<memory_store>);
static_assert(registry_store<memory_store>);
static_assert(depth_store<memory_store>);

HOOKLINE_END_NAMESPACE
