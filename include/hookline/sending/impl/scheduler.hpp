/// \file Definitions of `basic_sender`'s scheduling: the ready queue of endpoints that may claim, the
/// timers (retries coming due, rate-limit refills), the subscription index, and the rounds that claim
/// due deliveries from the store (included by `sending/sender.hpp`, declared there).
#pragma once

#include <hookline/sending/sender.hpp>

HOOKLINE_BEGIN_NAMESPACE

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::make_ready(const std::string& id, endpoint_entry& e) {
    if (e.queued || !e.has_work || e.state.disabled || e.in_flight >= concurrency_of(e)) return;
    e.queued = true;
    if (e.in_flight == 0)
        ready_.push_front(id);
    else
        ready_.push_back(id);
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::index_channels(const std::string& id,
                                                                         const endpoint_config& c, bool add) {
    auto apply = [&](auto& map, const auto& key) {
        auto& ids = map[key];
        if (add)
            ids.insert(id);
        else
            ids.erase(id);
        if (ids.empty()) map.erase(key);
    };
    if (c.channels.empty()) {
        apply(unchanneled_, c.tenant);
        return;
    }
    for (const auto& ch : c.channels) apply(by_channel_, std::pair{c.tenant, ch});
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::set_timer(const std::string& id, endpoint_entry& e,
                                                                    std::int64_t at) {
    if (e.timer_at != 0 && e.timer_at <= at) return;
    e.timer_at = at;
    timers_.emplace(at, id);
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::mark_work(const std::string& id) {
    if (id.empty()) {
        scan_all_ = true;
        return;
    }
    if (auto it = endpoints_.find(id); it != endpoints_.end()) {
        it->second.has_work = true;
        ++it->second.work_gen;
        make_ready(id, it->second);
    }
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::poke_for(const std::vector<std::string>& targets) {
    {
        std::lock_guard lock(mutex_);
        bool any_free = false;
        for (const auto& id : targets) {
            auto it = endpoints_.find(id);
            if (it == endpoints_.end()) continue;
            it->second.has_work = true;
            ++it->second.work_gen; // a round asking the store right now must not call it idle
            make_ready(id, it->second);
            any_free = any_free || it->second.queued;
        }
        if (!any_free || queue_.size() + in_progress_.size() >= capacity_) return;
        dirty_ = true;
        if (scheduling_) return; // the thread running rounds goes round again and sees them
        round_wanted_ = true;
    }
    work_cv_.notify_one();
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::poke(const std::string& endpoint_id) {
    {
        std::lock_guard lock(mutex_);
        mark_work(endpoint_id);
        dirty_ = true;
        wake_scheduler_ = true;
    }
    schedule_cv_.notify_one();
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::schedule_loop() {
    std::unique_lock lock(mutex_);
    auto next_poll = std::chrono::steady_clock::now() + options_.max_idle;
    while (!stopping_) {
        wake_scheduler_ = false;
        if (std::chrono::steady_clock::now() >= next_poll) { // real time, whatever clock the sender uses
            poll_idle(lock);
            next_poll = std::chrono::steady_clock::now() + options_.max_idle;
        }
        auto wake_at = run_rounds(lock, 0);
        if (stopping_) break;
        const std::int64_t now = now_ms();
        const std::int64_t idle_until = now + options_.max_idle.count();
        // A thread already running rounds (nullopt) wakes us if it needs us before max_idle.
        planned_wake_ = std::min(wake_at.value_or(idle_until), idle_until);
        wake_scheduler_ = false; // pokes during our rounds set dirty_ and were covered by them
        auto delay =
            std::chrono::milliseconds(std::clamp<std::int64_t>(planned_wake_ - now, 0, options_.max_idle.count()));
        schedule_cv_.wait_for(lock, delay, [&] { return wake_scheduler_ || stopping_; });
    }
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
std::optional<std::int64_t>
basic_sender<Transport, Signer, RetryPolicy, Store>::run_rounds(std::unique_lock<std::mutex>& lock,
                                                                std::size_t self_takes) {
    if (scheduling_) {
        dirty_ = true;
        return std::nullopt;
    }
    scheduling_ = true;
    std::size_t pushed = 0;
    std::int64_t wake_at = 0;
    bool again = false;
    do {
        dirty_ = false;
        wake_at = round(lock, pushed, again);
    } while ((dirty_ || again) && !stopping_);
    scheduling_ = false;
    for (std::size_t i = self_takes; i < pushed; ++i) work_cv_.notify_one();
    return wake_at;
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::after_rounds(std::optional<std::int64_t> wake_at) {
    if (wake_at && *wake_at < planned_wake_) {
        planned_wake_ = *wake_at;
        wake_scheduler_ = true;
        schedule_cv_.notify_one();
    }
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
std::int64_t basic_sender<Transport, Signer, RetryPolicy, Store>::round(std::unique_lock<std::mutex>& lock,
                                                                        std::size_t& pushed, bool& again) {
    again = false;
    const std::int64_t now = now_ms();
    std::int64_t wake_at = now + options_.max_idle.count();
    if (stopping_) return wake_at;
    // Endpoints whose timer came due (a retry, a rate-limit refill) may claim again.
    while (!timers_.empty() && timers_.begin()->first <= now) {
        auto node = timers_.extract(timers_.begin());
        auto it = endpoints_.find(node.mapped());
        if (it == endpoints_.end()) continue;
        if (it->second.timer_at <= now) it->second.timer_at = 0;
        it->second.has_work = true;
        ++it->second.work_gen;
        make_ready(it->first, it->second);
    }
    if (scan_all_) { // rare: retry, recover, wake, startup
        scan_all_ = false;
        for (auto& [id, e] : endpoints_) {
            e.has_work = true;
            ++e.work_gen;
            make_ready(id, e);
        }
    }
    // Take endpoints from the ready queue, as many slots as are free: the cost is the due work, not
    // the number of endpoints.
    struct pick {
        std::string id;
        std::size_t want = 0;
        std::int64_t lease = 0;
        std::uint64_t gen = 0;
        bool more = false;                  // it claimed all it asked for: more may be due
        std::optional<std::int64_t> next{}; // when its next delivery comes due, if none is now
    };
    std::vector<pick> picks;
    const std::size_t busy = queue_.size() + in_progress_.size();
    std::size_t budget = busy < capacity_ ? capacity_ - busy : 0;
    constexpr std::size_t max_batch = 256; // endpoints per store round trip; the round goes again
    while (budget > 0 && !ready_.empty() && picks.size() < max_batch) {
        std::string id = std::move(ready_.front());
        ready_.pop_front();
        auto it = endpoints_.find(id);
        if (it == endpoints_.end()) continue; // removed since
        auto& e = it->second;
        e.queued = false;
        if (e.state.disabled || !e.has_work) continue;
        refill(e, now);
        const std::size_t limit = concurrency_of(e);
        if (e.in_flight >= limit) continue; // its next completion queues it again
        std::size_t slots = limit - e.in_flight;
        if (e.config.rate_limit > 0) {
            slots = std::min(slots, static_cast<std::size_t>(e.tokens));
            if (slots == 0) {
                auto ms = static_cast<std::int64_t>((1.0 - e.tokens) * 1000.0 / e.config.rate_limit) + 1;
                set_timer(id, e, now + ms);
                continue;
            }
        }
        const std::int64_t timeout = e.config.timeout.count() > 0 ? e.config.timeout.count() : options_.timeout.count();
        const std::size_t want = std::min(slots, budget);
        budget -= want;
        // The lease outlasts the endpoint's timeout, so a live sender never loses a claim.
        picks.push_back({std::move(id), want, timeout + options_.lease_margin.count(), e.work_gen});
    }
    if (!picks.empty()) {
        lock.unlock();
        std::vector<claimed_delivery> claimed{};
        for (auto& p : picks) {
            const std::span<const std::string> one(&p.id, 1);
            auto got = store_.claim_due(now, p.want, one, now + p.lease);
            if (!got) { // store trouble: look again after max_idle
                p.next = now + options_.max_idle.count();
                continue;
            }
            p.more = got->size() == p.want;
            if (!p.more)
                if (auto next = store_.next_due(one); next && *next) p.next = **next;
            for (auto& c : *got) claimed.push_back(std::move(c));
        }
        lock.lock();
        for (auto& c : claimed) {
            auto it = endpoints_.find(c.delivery.endpoint_id);
            if (it == endpoints_.end() || stopping_) { // removed or stopping meanwhile
                (void)store_.release(c.delivery.id, c.delivery.lease, now);
                continue;
            }
            ++it->second.in_flight;
            if (it->second.config.rate_limit > 0) it->second.tokens -= 1.0;
            queue_.push_back(std::move(c));
            ++pushed;
        }
        for (auto& p : picks) {
            auto it = endpoints_.find(p.id);
            if (it == endpoints_.end()) continue;
            auto& e = it->second;
            // Nothing more due, and nothing sent to it while the store was asked: idle until its timer.
            if (!p.more && e.work_gen == p.gen && (!p.next || *p.next > now)) {
                e.has_work = false;
                if (p.next) set_timer(p.id, e, *p.next);
            }
            make_ready(p.id, e); // work left and a free slot: its turn comes again
        }
        again = !ready_.empty() && queue_.size() + in_progress_.size() < capacity_;
    }
    if (!timers_.empty()) wake_at = std::min(wake_at, timers_.begin()->first);
    return wake_at;
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::poll_idle(std::unique_lock<std::mutex>& lock) {
    auto idle = [](const endpoint_entry& e) { return !e.has_work && !e.state.disabled; };
    if constexpr (due_index_store<Store>) {
        constexpr std::size_t page_rows = 1024; // due deliveries one poll looks at
        constexpr std::size_t slice = 1024;     // idle endpoints the fallback asks about per poll
        lock.unlock();
        auto page = store_.due_endpoints(now_ms(), page_rows);
        lock.lock();
        if (!page) return; // store trouble: the next poll tries again
        for (const auto& id : page->endpoints)
            if (auto it = endpoints_.find(id); it != endpoints_.end() && idle(it->second)) mark_work(id);
        if (!page->more) return;
        // More was due than the page shows: a backlog on busy endpoints may hide an idle one's work.
        if (sweep_.empty()) {
            sweep_.reserve(endpoints_.size());
            for (const auto& [id, e] : endpoints_) sweep_.push_back(id);
        }
        std::vector<std::string> ids{};
        while (!sweep_.empty() && ids.size() < slice) {
            std::string id = std::move(sweep_.back());
            sweep_.pop_back();
            if (auto it = endpoints_.find(id); it != endpoints_.end() && idle(it->second)) ids.push_back(std::move(id));
        }
        poll_next_due(lock, ids);
    } else {
        std::vector<std::string> ids{};
        for (const auto& [id, e] : endpoints_)
            if (idle(e)) ids.push_back(id);
        poll_next_due(lock, ids);
    }
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::poll_next_due(std::unique_lock<std::mutex>& lock,
                                                                        const std::vector<std::string>& ids) {
    if (ids.empty()) return;
    lock.unlock();
    auto next = store_.next_due(ids);
    lock.lock();
    if (!next || !*next || **next > now_ms()) return;
    for (const auto& id : ids) mark_work(id);
}

HOOKLINE_END_NAMESPACE
