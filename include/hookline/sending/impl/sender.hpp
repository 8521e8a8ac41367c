/// \file Definitions of `basic_sender`'s longer members: accepting and stopping, the scheduler, the
/// workers and endpoint health (included by `sending/sender.hpp`, declared there).
#pragma once

#include <hookline/sending/sender.hpp>

HOOKLINE_BEGIN_NAMESPACE

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
stop_report basic_sender<Transport, Signer, RetryPolicy, Store>::stop(std::chrono::milliseconds deadline) {
    std::unique_lock lock(mutex_);
    if (stopped_) return {};
    stopped_ = true;
    accepting_ = false;
    stopping_ = true;
    stop_report report{};
    const std::size_t attempted_before = attempts_done_;
    // Work not yet started goes straight back.
    while (!queue_.empty()) {
        hand_back(queue_.front().delivery);
        queue_.pop_front();
        ++report.handed_back;
    }
    work_cv_.notify_all();
    schedule_cv_.notify_all();
    idle_cv_.wait_for(lock, deadline, [&] { return in_progress_.empty(); });
    for (const auto& [id, endpoint_id] : in_progress_) {
        abandoned_.insert(id);
        hand_back_id(id, endpoint_id);
        ++report.handed_back;
    }
    report.finished = attempts_done_ - attempted_before;
    return report;
}

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
auto basic_sender<Transport, Signer, RetryPolicy, Store>::prepare(event e) -> result<prepared_event> {
    if (e.type.empty()) return errc::invalid_argument;
    if (e.id.empty()) {
        auto id = detail::random_message_id();
        if (!id) return id.error();
        e.id = std::move(*id);
    }
    prepared_event p;
    {
        std::lock_guard lock(mutex_);
        if (!accepting_) return errc::stopped;
        for (const auto& [id, ep] : endpoints_)
            if (!ep.state.disabled && endpoint_subscribes(ep.config, e.type, e.channels)) p.targets.push_back(id);
    }
    p.message = {std::move(e.id), std::move(e.type), std::make_shared<const std::string>(std::move(e.payload)),
                 now_ms()};
    return p;
}

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
auto basic_sender<Transport, Signer, RetryPolicy, Store>::build_signer(const endpoint_config& c, std::int64_t now)
    -> result<built_signer> {
    std::vector<secret> keys{};
    std::int64_t valid_until = 0;
    for (const auto& s : c.secrets) {
        if (s.expires_at != 0 && s.expires_at <= now) continue;
        keys.push_back(s.key);
        if (s.expires_at != 0 && (valid_until == 0 || s.expires_at < valid_until)) valid_until = s.expires_at;
    }
    if (keys.empty()) return errc::invalid_secret;
    auto signer = Signer::make(keys);
    if (!signer) return signer.error();
    return built_signer{std::move(*signer), valid_until};
}

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
result<void> basic_sender<Transport, Signer, RetryPolicy, Store>::set_disabled(const std::string& id, bool disabled,
                                                                               const std::string& reason) {
    endpoint_state snapshot{};
    {
        std::lock_guard lock(mutex_);
        auto it = endpoints_.find(id);
        if (it == endpoints_.end()) return errc::endpoint_not_found;
        auto& st = it->second.state;
        st.disabled = disabled;
        st.disabled_reason = reason;
        if (!disabled) {
            st.failing_since = 0;
            st.exhausted_count = 0;
        }
        snapshot = st;
    }
    auto saved = store_.save_endpoint_state(snapshot);
    poke();
    return saved;
}

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::schedule_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_scheduler_ = false;
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

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
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

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::after_rounds(std::optional<std::int64_t> wake_at) {
    if (wake_at && *wake_at < planned_wake_) {
        planned_wake_ = *wake_at;
        wake_scheduler_ = true;
        schedule_cv_.notify_one();
    }
}

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
std::int64_t basic_sender<Transport, Signer, RetryPolicy, Store>::round(std::unique_lock<std::mutex>& lock,
                                                                        std::size_t& pushed, bool& again) {
    again = false;
    const std::int64_t now = now_ms();
    std::int64_t wake_at = now + options_.max_idle.count();
    if (stopping_) return wake_at;
    struct ready_endpoint {
        std::string id;
        std::size_t slots; // deliveries it may take now
        std::int64_t lease;
    };
    std::vector<ready_endpoint> ready;
    std::vector<std::string> waiting; // enabled endpoints with a free slot, for the next wake-up
    const std::size_t busy = queue_.size() + in_progress_.size();
    std::size_t free = busy < options_.workers ? options_.workers - busy : 0;
    for (auto& [id, e] : endpoints_) {
        if (e.state.disabled) continue;
        refill(e, now);
        const std::size_t limit = concurrency_of(e);
        if (e.in_flight >= limit) continue;
        std::size_t slots = limit - e.in_flight;
        if (free > 0) waiting.push_back(id); // with no free worker, the next one to finish schedules
        if (e.config.rate_limit > 0) {
            slots = std::min(slots, static_cast<std::size_t>(e.tokens));
            if (slots == 0) {
                auto ms = static_cast<std::int64_t>((1.0 - e.tokens) * 1000.0 / e.config.rate_limit) + 1;
                wake_at = std::min(wake_at, now + ms);
            }
        }
        if (slots > 0 && free > 0) {
            const std::int64_t timeout =
                e.config.timeout.count() > 0 ? e.config.timeout.count() : options_.timeout.count();
            ready.push_back({id, slots, timeout + options_.lease_margin.count()});
        }
    }
    if (!ready.empty()) {
        // Start each round at a different endpoint so none is always served first.
        std::rotate(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(round_++ % ready.size()), ready.end());
        lock.unlock();
        std::vector<claimed_delivery> claimed{};
        for (const auto& r : ready) {
            if (free == 0) break;
            // The lease outlasts the endpoint's timeout, so a live sender never loses a claim.
            auto got =
                store_.claim_due(now, std::min(r.slots, free), std::span<const std::string>(&r.id, 1), now + r.lease);
            if (!got) continue; // store trouble: retried on the next round
            free -= std::min(free, got->size());
            for (auto& c : *got) claimed.push_back(std::move(c));
        }
        lock.lock();
        if (!claimed.empty()) {
            for (auto& c : claimed) {
                auto it = endpoints_.find(c.delivery.endpoint_id);
                if (it == endpoints_.end() || stopping_) { // removed or stopping meanwhile
                    (void)store_.release(c.delivery.id, now);
                    continue;
                }
                ++it->second.in_flight;
                if (it->second.config.rate_limit > 0) it->second.tokens -= 1.0;
                queue_.push_back(std::move(c));
                ++pushed;
            }
            again = free > 0; // workers still free: more may be due
        }
        // Workers still free: look again at once. None free: the next to finish schedules.
        if (again || free == 0) return wake_at;
    }
    if (!waiting.empty()) {
        lock.unlock();
        auto next = store_.next_due(waiting);
        lock.lock();
        if (next && *next) wake_at = std::min(wake_at, **next);
    }
    return wake_at;
}

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::work_loop() {
    // The sender's own threads keep SIGPIPE blocked for good (the transport then needs no
    // per-request signal-mask calls); a callback writing to a closed pipe gets EPIPE here.
    detail::block_sigpipe_for_this_thread();
    std::unique_lock lock(mutex_);
    for (;;) {
        work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty() || round_wanted_; });
        if (queue_.empty()) {
            if (stopping_) return; // nothing left
            round_wanted_ = false; // new deliveries (poke_for): claim them here
            after_rounds(run_rounds(lock, 1));
            continue;
        }
        claimed_delivery job = std::move(queue_.front());
        queue_.pop_front();
        auto it = endpoints_.find(job.delivery.endpoint_id);
        if (it == endpoints_.end()) { // removed meanwhile
            (void)store_.release(job.delivery.id, now_ms());
            if (!stopping_) after_rounds(run_rounds(lock, 1)); // this worker is free again
            continue;
        }
        auto& ep = it->second;
        if (ep.signer_valid_until != 0) {
            const std::int64_t now = now_ms();
            if (now >= ep.signer_valid_until) {
                if (auto b = build_signer(ep.config, now)) {
                    ep.signer = std::move(b->signer);
                    ep.signer_valid_until = b->valid_until;
                    refresh_snapshot(ep);
                }
            }
        }
        std::shared_ptr<const snapshot> snap = ep.snap;
        in_progress_.emplace(job.delivery.id, job.delivery.endpoint_id);
        lock.unlock();
        attempt(job, *snap);
        snap.reset();
        lock.lock();
        in_progress_.erase(job.delivery.id);
        if (auto done = endpoints_.find(job.delivery.endpoint_id);
            done != endpoints_.end() && done->second.in_flight > 0)
            --done->second.in_flight;
        ++attempts_done_;
        if (!stopping_) {
            // Schedule from here, with no hand-off to the scheduler thread; wake that only if it is
            // needed earlier than it plans to look (a retry or a rate-limit refill due soon).
            after_rounds(run_rounds(lock, 1));
        } else {
            schedule_cv_.notify_one();
        }
        if (in_progress_.empty()) idle_cv_.notify_all();
    }
}

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::attempt(const claimed_delivery& job, const snapshot& snap) {
    const auto& d = job.delivery;
    const auto& m = *job.message;
    const std::int64_t started = now_ms();
    attempt_record a{};
    a.number = d.attempts + 1;
    a.started_at = started;

    http_request req{};
    req.url = snap.config.url;
    req.body = *m.payload;
    req.timeout = snap.config.timeout.count() > 0 ? snap.config.timeout : options_.timeout;
    auto signed_headers = snap.signer.sign({.id = m.id,
                                            .body = *m.payload,
                                            .timestamp = started / 1000,
                                            .url = snap.config.url,
                                            .event_type = m.event_type});

    result<http_response> response = errc::crypto_failure;
    if (signed_headers) {
        req.headers = std::move(*signed_headers); // the signer's fields, then ours
        req.headers.reserve(req.headers.size() + 2 + snap.config.headers.size());
        req.headers.add("Content-Type", "application/json");
        req.headers.add("User-Agent", options_.user_agent);
        for (const auto& h : snap.config.headers) req.headers.add(h.name, h.value);
        response = transport_.send(req);
    } else {
        response = signed_headers.error();
    }

    attempt_outcome outcome;
    if (response) {
        a.status = response->status;
        a.latency = response->latency;
        a.response_excerpt = response->body_excerpt.substr(0, options_.response_excerpt_bytes);
        if (a.status < 200 || a.status > 299) a.error = errc::http_status;
        outcome.status = a.status;
        if (auto ra = response->headers.get("Retry-After"))
            outcome.retry_after = parse_retry_after(*ra, started / 1000);
    } else {
        a.error = response.error();
        outcome.error = a.error;
    }

    const std::int64_t finished = now_ms();
    const retry_decision decision = snap.retry.next(a.number, outcome);
    delivery_status status = delivery_status::exhausted;
    std::optional<std::int64_t> next_at;
    const bool gone = decision.action == retry_action::endpoint_gone;
    switch (decision.action) {
    case retry_action::done: status = delivery_status::delivered; break;
    case retry_action::retry:
        status = delivery_status::pending;
        next_at = finished + decision.delay.count();
        break;
    case retry_action::endpoint_gone: status = delivery_status::failed; break;
    case retry_action::give_up: status = delivery_status::exhausted; break;
    }

    health_change health;
    {
        std::lock_guard lock(mutex_);
        if (abandoned_.count(d.id)) return; // handed back by stop(): the next start tries again
        health = update_health(d.endpoint_id, status, gone, finished);
    }
    (void)store_.record_attempt(d.id, a, status, next_at.value_or(0));
    if (health.changed) (void)store_.save_endpoint_state(health.state);
    std::optional<std::string>& disabled_reason = health.disabled;

    const auto& cb = options_.callbacks;
    const bool undelivered = status == delivery_status::exhausted || status == delivery_status::failed;
    if (undelivered && options_.logger)
        options_.logger(log_level::warning,
                        detail::undelivered_line({.message_id = m.id,
                                                  .endpoint_id = d.endpoint_id,
                                                  .event_type = m.event_type,
                                                  .url = snap.config.url,
                                                  .attempts = a.number,
                                                  .status = a.status,
                                                  .error = a.error,
                                                  .gone = gone,
                                                  .disabled_reason = disabled_reason.value_or("")}));
    const bool report_needed =
        cb.on_attempt || (status == delivery_status::delivered && cb.on_delivered) || (undelivered && cb.on_exhausted);
    if (!report_needed) {
        if (disabled_reason && cb.on_endpoint_disabled) cb.on_endpoint_disabled(d.endpoint_id, *disabled_reason);
        return;
    }
    attempt_report report{m.id, d.endpoint_id, m.event_type, d.id, std::move(a), status, next_at};
    if (cb.on_attempt) cb.on_attempt(report);
    if (status == delivery_status::delivered && cb.on_delivered) cb.on_delivered(report);
    if (undelivered && cb.on_exhausted) cb.on_exhausted(report);
    if (disabled_reason && cb.on_endpoint_disabled) cb.on_endpoint_disabled(d.endpoint_id, *disabled_reason);
}

template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
auto basic_sender<Transport, Signer, RetryPolicy, Store>::update_health(const std::string& endpoint_id,
                                                                        delivery_status status, bool gone,
                                                                        std::int64_t now) -> health_change {
    health_change out;
    auto it = endpoints_.find(endpoint_id);
    if (it == endpoints_.end()) return out;
    auto& st = it->second.state;
    if (status == delivery_status::delivered) {
        out.changed = st.failing_since != 0 || st.exhausted_count != 0;
        st.failing_since = 0;
        st.exhausted_count = 0;
    } else {
        out.changed = true;
        if (st.failing_since == 0) st.failing_since = now;
        if (status == delivery_status::exhausted) ++st.exhausted_count;
        if (!st.disabled) {
            if (gone) {
                out.disabled = "gone";
            } else if (now - st.failing_since >=
                       std::chrono::duration_cast<std::chrono::milliseconds>(options_.disable_after).count()) {
                out.disabled = "failing";
            } else if (options_.disable_after_exhausted > 0 && st.exhausted_count >= options_.disable_after_exhausted) {
                out.disabled = "exhausted";
            }
            if (out.disabled) {
                st.disabled = true;
                st.disabled_reason = *out.disabled;
            }
        }
    }
    if (out.changed) out.state = st;
    return out;
}

HOOKLINE_END_NAMESPACE
