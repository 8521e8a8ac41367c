/// \file `memory_store`: the default store, in process memory. Fast, and gone with the process: use
/// the SQLite or PostgreSQL store when accepted events must survive a crash.
///
/// Thread-safety: every member may be called from any thread; one mutex guards the state. Copies of a
/// `memory_store` share the same state (it is a handle), so a sender and the application can hold one each.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
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
        // The records are built before the lock and spliced in under it. Ids are taken before the lock
        // too: unique and increasing per caller, with gaps when a duplicate is refused.
        auto msg = std::make_shared<const stored_message>(m);
        std::map<std::uint64_t, entry> records;
        std::vector<std::uint64_t> ids;
        ids.reserve(endpoints.size());
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
        }
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        if (!s.messages.try_emplace(m.id, message_entry{std::move(msg), std::move(ids)}).second) return false;
        for (auto& [id, e] : records) {
            e.slot = &s.slot_of(e.record.endpoint_id);
            s.index(e, due);
        }
        s.deliveries.merge(records);
        return true;
    }

    result<std::vector<claimed_delivery>> claim_due(const std::string& endpoint_id, std::int64_t now, std::size_t limit,
                                                    std::int64_t lease_until) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        std::vector<claimed_delivery> out;
        auto it = s.slots.find(endpoint_id);
        if (it == s.slots.end()) return out;
        endpoint_slot& slot = it->second;
        while (out.size() < limit && !slot.due.empty() && slot.due.begin()->first <= now) {
            auto& e = *slot.due.begin()->second;
            s.index(e, lease_until); // an expired lease makes it claimable again
            auto& d = e.record;
            d.status = delivery_status::in_flight;
            d.lease_until = lease_until;
            d.lease = ++s.last_lease;
            d.updated_at = now;
            out.push_back({d, e.message});
        }
        return out;
    }

    result<std::vector<due_endpoint>> due_endpoints(std::int64_t now, std::size_t limit) {
        std::lock_guard lock(state_->mutex);
        std::vector<due_endpoint> out;
        for (const auto& [due, slot] : state_->heads) {
            if (due > now || out.size() >= limit) break;
            out.push_back({slot->id, due});
        }
        return out;
    }

    result<std::vector<std::uint64_t>> record_attempts(std::span<const attempt_result> results) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        std::vector<std::uint64_t> lost;
        for (const auto& r : results) {
            auto it = s.deliveries.find(r.delivery_id);
            if (it == s.deliveries.end() || it->second.record.status != delivery_status::in_flight ||
                it->second.record.lease != r.lease) {
                lost.push_back(r.delivery_id);
                continue;
            }
            auto& e = it->second;
            auto& d = e.record;
            if (r.status == delivery_status::pending) {
                s.index(e, r.next_due);
                d.next_attempt_at = r.next_due;
            } else {
                s.unindex(e);
            }
            d.attempts = std::max(d.attempts, r.attempt.number);
            d.last_attempt = r.attempt;
            d.last_attempt->response_excerpt.shrink_to_fit();
            d.status = r.status;
            d.updated_at = r.attempt.started_at;
            d.lease_until = 0;
            e.attempts.push_back(r.attempt);
        }
        return lost;
    }

    result<void> release(std::uint64_t id, std::uint64_t lease, std::int64_t due) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        auto it = s.deliveries.find(id);
        if (it == s.deliveries.end()) return errc::message_not_found;
        auto& d = it->second.record;
        if (d.status != delivery_status::in_flight || d.lease != lease) return errc::lease_lost;
        s.index(it->second, due);
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
            s.index(e, due);
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

    result<std::size_t> prune(std::int64_t before) {
        std::lock_guard lock(state_->mutex);
        auto& s = *state_;
        std::size_t n = 0;
        for (auto it = s.messages.begin(); it != s.messages.end();) {
            const auto& ids = it->second.deliveries;
            bool finished = it->second.message->created_at < before;
            for (auto id : ids) {
                auto st = s.deliveries.at(id).record.status;
                finished = finished && st != delivery_status::pending && st != delivery_status::in_flight;
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

private:
    struct entry;
    using due_set = std::set<std::pair<std::int64_t, entry*>>; // (due or lease time, delivery)
    /// One endpoint's waiting deliveries (pending, and in flight under their lease); never erased, so
    /// entries can point at theirs.
    struct endpoint_slot {
        std::string id;
        due_set due;
    };
    struct entry {
        delivery_record record;
        std::vector<attempt_record> attempts;
        std::shared_ptr<const stored_message> message; // shared by the message's deliveries
        endpoint_slot* slot = nullptr;
        std::optional<std::int64_t> key{}; // its time in slot->due, when indexed
    };
    struct message_entry {
        std::shared_ptr<const stored_message> message;
        std::vector<std::uint64_t> deliveries;
    };
    struct state {
        mutable std::mutex mutex;
        std::atomic<std::uint64_t> last_id{0};
        std::uint64_t last_lease = 0;
        std::unordered_map<std::string, message_entry> messages;
        std::map<std::uint64_t, entry> deliveries; // ordered by id (about creation order)
        std::unordered_map<std::string, endpoint_state> endpoints;
        std::unordered_map<std::string, endpoint_slot> slots;
        /// (earliest time, endpoint) of every endpoint with a waiting delivery: `due_endpoints` reads
        /// only its due prefix.
        std::set<std::pair<std::int64_t, endpoint_slot*>> heads;

        endpoint_slot& slot_of(const std::string& endpoint_id) {
            auto [it, fresh] = slots.try_emplace(endpoint_id);
            if (fresh) it->second.id = endpoint_id;
            return it->second;
        }
        /// Keeps `heads` in step after `slot` changed; `before` is its earliest time before the change.
        void reindex_head(endpoint_slot& slot, std::optional<std::int64_t> before) {
            std::optional<std::int64_t> after;
            if (!slot.due.empty()) after = slot.due.begin()->first;
            if (before == after) return;
            if (before) heads.erase({*before, &slot});
            if (after) heads.emplace(*after, &slot);
        }
        static std::optional<std::int64_t> head_of(const endpoint_slot& slot) {
            if (slot.due.empty()) return std::nullopt;
            return slot.due.begin()->first;
        }
        /// Indexes `e` at `t`, reusing its index node when it has one.
        void index(entry& e, std::int64_t t) {
            auto& slot = *e.slot;
            const auto before = head_of(slot);
            if (e.key) {
                auto node = slot.due.extract({*e.key, &e});
                node.value().first = t;
                slot.due.insert(std::move(node));
            } else {
                slot.due.emplace(t, &e);
            }
            e.key = t;
            reindex_head(slot, before);
        }
        void unindex(entry& e) {
            if (!e.key) return;
            auto& slot = *e.slot;
            const auto before = head_of(slot);
            slot.due.erase({*e.key, &e});
            e.key.reset();
            reindex_head(slot, before);
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
                if (it != messages.end())
                    for (auto id : it->second.deliveries) take(id);
            } else {
                for (const auto& [id, e] : deliveries) take(id);
            }
            return out;
        }
    };
    std::shared_ptr<state> state_;
};

static_assert(store<memory_store>);

HOOKLINE_END_NAMESPACE
