// A custom store: a decorator that forwards to any other store and counts the attempts recorded
// (metrics without touching the store itself). A store written from scratch implements the same
// members; run tests/support/store_conformance.hpp against it. See docs/extending.md.
// The quoted code keeps the guide's layout:
// clang-format off
#include <hookline/hookline.hpp>

#include <atomic>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

// [snippet:store]
/// Forwards every call to `Inner` and counts `record_attempt` calls. Copies share the inner store
/// (when `Inner`'s copies do, as the stock stores') and the counter; safe from any number of threads
/// when `Inner` is.
template <hookline::store Inner>
class counting_store {
public:
    explicit counting_store(Inner inner = Inner()) : inner_(std::move(inner)) {}

    std::uint64_t attempts() const { return attempts_->load(); }

    hookline::result<bool> insert_message(const hookline::stored_message& m, std::span<const std::string> endpoints,
                                          std::int64_t due) {
        return inner_.insert_message(m, endpoints, due);
    }
    hookline::result<std::vector<hookline::claimed_delivery>> claim_due(std::int64_t now, std::size_t limit,
                                                                        std::span<const std::string> endpoints,
                                                                        std::int64_t lease_until) {
        return inner_.claim_due(now, limit, endpoints, lease_until);
    }
    hookline::result<std::optional<std::int64_t>> next_due(std::span<const std::string> endpoints) {
        return inner_.next_due(endpoints);
    }
    // `lease`: the fencing token of the caller's claim (the inner store answers lease_lost for a stale one).
    hookline::result<void> record_attempt(std::uint64_t id, std::uint64_t lease, const hookline::attempt_record& a,
                                          hookline::delivery_status status, std::int64_t next_due) {
        ++*attempts_;
        return inner_.record_attempt(id, lease, a, status, next_due);
    }
    hookline::result<void> release(std::uint64_t id, std::uint64_t lease, std::int64_t due) {
        return inner_.release(id, lease, due);
    }
    hookline::result<std::size_t> reschedule(const hookline::delivery_query& q, std::int64_t due) {
        return inner_.reschedule(q, due);
    }
    hookline::result<std::vector<hookline::delivery_record>> list_deliveries(const hookline::delivery_query& q) {
        return inner_.list_deliveries(q);
    }
    hookline::result<std::vector<hookline::attempt_record>> list_attempts(std::uint64_t id) {
        return inner_.list_attempts(id);
    }
    hookline::result<std::optional<hookline::endpoint_state>> load_endpoint_state(const std::string& endpoint) {
        return inner_.load_endpoint_state(endpoint);
    }
    hookline::result<void> save_endpoint_state(const hookline::endpoint_state& es) {
        return inner_.save_endpoint_state(es);
    }
    hookline::result<std::size_t> prune(std::int64_t before) { return inner_.prune(before); }

private:
    Inner inner_;
    std::shared_ptr<std::atomic<std::uint64_t>> attempts_ = std::make_shared<std::atomic<std::uint64_t>>(0);
};
static_assert(hookline::store<counting_store<hookline::memory_store>>);

using counted_sender = hookline::basic_sender<hookline::httplib_transport, hookline::standard_signer,
                                              hookline::standard_schedule, counting_store<hookline::memory_store>>;
// [/snippet:store]

int main() {
    counting_store<hookline::memory_store> s;
    const std::vector<std::string> endpoints = {"ep_1"};
    const hookline::stored_message m{"msg_1", "invoice.paid", std::make_shared<const std::string>("{}"), 1000};
    if (!s.insert_message(m, endpoints, 1000).value()) return 1;
    auto claimed = s.claim_due(1000, 10, endpoints, 1060).value();
    if (claimed.size() != 1) return 1;
    const auto& d = claimed[0].delivery;
    if (!s.record_attempt(d.id, d.lease, {}, hookline::delivery_status::delivered, 0)) return 1;
    std::cout << "attempts recorded: " << s.attempts() << "\n";
    return s.attempts() == 1 ? 0 : 1;
}
