/// \file Definitions of `basic_sender`'s longer members: accepting and stopping, the workers and their
/// attempts, endpoint health (included by `sending/sender.hpp`, declared there). The scheduler is in
/// `sending/impl/scheduler.hpp`.
#pragma once

#include <hookline/sending/sender.hpp>

HOOKLINE_BEGIN_NAMESPACE

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
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
    for (const auto& [id, held] : in_progress_) {
        abandoned_.insert(id);
        hand_back_id(id, held.lease, held.endpoint_id);
        ++report.handed_back;
    }
    report.finished = attempts_done_ - attempted_before;
    workers_exit_ = true;
    work_cv_.notify_all();
    return report;
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
auto basic_sender<Transport, Signer, RetryPolicy, Store>::prepare(event e) -> result<prepared_event> {
    if (auto ok = detail::check_event_text(e.id, e.type); !ok) return ok.error();
    if (auto ok = detail::check_ordering_key(e.ordering_key); !ok) return ok.error();
    if (e.tenant.size() > 256 || !header_value_ok(e.tenant)) return errc::invalid_tenant;
    if (e.id.empty()) {
        auto id = detail::random_message_id();
        if (!id) return id.error();
        e.id = std::move(*id);
    }
    prepared_event p;
    {
        std::lock_guard lock(mutex_);
        if (!accepting_) return errc::stopped;
        // Only the endpoints the event's channels reach: those on no channel, and those on one of its.
        auto consider = [&](const std::string& id) {
            auto it = endpoints_.find(id);
            if (it != endpoints_.end() && !it->second.state.disabled &&
                endpoint_subscribes(it->second.config, e.type, e.channels)) {
                p.targets.push_back(id);
                const auto& c = it->second.config;
                if (c.order != delivery_order::none)
                    p.message.ordered.push_back({.endpoint_id = id,
                                                 .key = c.order == delivery_order::per_key ? e.ordering_key : "",
                                                 .block = c.on_head_exhausted == head_exhaustion::block});
            }
        };
        if (auto t = unchanneled_.find(e.tenant); t != unchanneled_.end())
            for (const auto& id : t->second) consider(id);
        for (const auto& c : e.channels)
            if (auto ch = by_channel_.find(std::pair{e.tenant, c}); ch != by_channel_.end())
                for (const auto& id : ch->second) consider(id);
        if (e.channels.size() > 1) { // an endpoint on two of its channels is one target
            std::sort(p.targets.begin(), p.targets.end());
            p.targets.erase(std::unique(p.targets.begin(), p.targets.end()), p.targets.end());
            std::sort(p.message.ordered.begin(), p.message.ordered.end(),
                      [](const auto& a, const auto& b) { return a.endpoint_id < b.endpoint_id; });
            p.message.ordered.erase(
                std::unique(p.message.ordered.begin(), p.message.ordered.end(),
                            [](const auto& a, const auto& b) { return a.endpoint_id == b.endpoint_id; }),
                p.message.ordered.end());
        }
    }
    p.message.id = std::move(e.id);
    p.message.event_type = std::move(e.type);
    p.message.payload = std::make_shared<const std::string>(std::move(e.payload));
    p.message.created_at = now_ms();
    return p;
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
template <class EndpointSigner>
result<void> basic_sender<Transport, Signer, RetryPolicy, Store>::validate(const endpoint_config& config,
                                                                           const EndpointSigner& signer,
                                                                           const address_policy* policy) {
    if (auto ok = detail::check_endpoint(config, policy); !ok) return ok.error();
    if (config.headers.empty()) return {};
    static constexpr std::string_view reserved[] = {"host",       "content-length", "transfer-encoding",
                                                    "connection", "content-type",   "user-agent"};
    auto probe =
        signer.sign({.id = "msg_probe", .body = "{}", .timestamp = 0, .url = config.url, .event_type = "probe"});
    for (const auto& h : config.headers) {
        if (!header_name_ok(h.name)) return errc::invalid_header_name;
        if (!header_value_ok(h.value)) return errc::invalid_header_value;
        for (auto name : reserved)
            if (detail::iequals(h.name, name)) return errc::invalid_header_name;
        if (probe && probe->contains(h.name)) return errc::invalid_header_name;
    }
    return {};
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
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

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
result<void> basic_sender<Transport, Signer, RetryPolicy, Store>::add_endpoint(const std::string& id,
                                                                               endpoint_config config,
                                                                               std::optional<RetryPolicy> retry) {
    if (id.empty()) return errc::invalid_argument;
    if (config.order != delivery_order::none && !ordered_store<Store>) return errc::ordering_unsupported;
    auto signer = build_signer(config, now_ms());
    if (!signer) return signer.error();
    if (auto valid = validate(config, signer->signer, detail::address_policy_of(transport_)); !valid)
        return valid.error();
    auto saved = store_.load_endpoint_state(id);
    if (!saved) return saved.error();
    {
        std::lock_guard lock(mutex_);
        if (endpoints_.count(id)) return errc::invalid_argument;
        endpoint_entry e{.config = std::move(config),
                         .retry = std::move(retry),
                         .signer = std::move(signer->signer),
                         .signer_valid_until = signer->valid_until,
                         .state = saved->value_or(endpoint_state{.endpoint_id = id})};
        e.state.endpoint_id = id;
        if (!e.config.enabled && !e.state.disabled) {
            e.state.disabled = true;
            e.state.disabled_reason = "manual";
        }
        e.tokens = bucket_size(e.config);
        e.refilled_at = now_ms();
        refresh_snapshot(e);
        index_channels(id, e.config, true);
        endpoints_.emplace(id, std::move(e));
    }
    poke(id);
    return {};
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
result<void> basic_sender<Transport, Signer, RetryPolicy, Store>::update_endpoint(const std::string& id,
                                                                                  endpoint_config config,
                                                                                  std::optional<RetryPolicy> retry) {
    if (config.order != delivery_order::none && !ordered_store<Store>) return errc::ordering_unsupported;
    auto signer = build_signer(config, now_ms());
    if (!signer) return signer.error();
    if (auto valid = validate(config, signer->signer, detail::address_policy_of(transport_)); !valid)
        return valid.error();
    {
        std::lock_guard lock(mutex_);
        auto it = endpoints_.find(id);
        if (it == endpoints_.end()) return errc::endpoint_not_found;
        index_channels(id, it->second.config, false);
        index_channels(id, config, true);
        it->second.config = std::move(config);
        it->second.retry = std::move(retry);
        it->second.signer = std::move(signer->signer);
        it->second.signer_valid_until = signer->valid_until;
        refresh_snapshot(it->second);
    }
    poke(id);
    return {};
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
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
    poke(id);
    return saved;
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::work_loop() {
    // The sender's own threads keep SIGPIPE blocked for good (the transport then needs no
    // per-request signal-mask calls); a callback writing to a closed pipe gets EPIPE here.
    detail::block_sigpipe_for_this_thread();
    std::unique_lock lock(mutex_);
    auto& completions = sync_->completions;
    for (;;) {
        work_cv_.wait(lock, [&] { return workers_exit_ || !completions.empty() || !queue_.empty() || round_wanted_; });
        if (!completions.empty()) { // an asynchronous attempt's outcome: record it first
            std::shared_ptr<inflight> done = std::move(completions.front());
            completions.pop_front();
            lock.unlock();
            auto retry_at = finish_attempt(done->job, *done->snap, done->started, std::move(done->response));
            lock.lock();
            attempt_done(lock, done->job.delivery.id, done->job.delivery.endpoint_id, retry_at);
            continue;
        }
        if (queue_.empty()) {
            if (workers_exit_) return; // nothing left
            round_wanted_ = false;     // new deliveries (poke_for): claim them here
            if (!stopping_) after_rounds(run_rounds(lock, 1));
            continue;
        }
        claimed_delivery job = std::move(queue_.front());
        queue_.pop_front();
        auto it = endpoints_.find(job.delivery.endpoint_id);
        if (it == endpoints_.end()) { // removed meanwhile
            (void)store_.release(job.delivery.id, job.delivery.lease, now_ms());
            if (!stopping_) after_rounds(run_rounds(lock, 1)); // this slot is free again
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
        in_progress_.emplace(job.delivery.id, held_claim{job.delivery.endpoint_id, job.delivery.lease});
        lock.unlock();
        if constexpr (is_async) {
            start_attempt(std::move(job), std::move(snap)); // returns at once; the outcome comes back
            lock.lock();
        } else {
            auto retry_at = attempt(job, *snap);
            snap.reset();
            lock.lock();
            attempt_done(lock, job.delivery.id, job.delivery.endpoint_id, retry_at);
        }
    }
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::attempt_done(std::unique_lock<std::mutex>& lock,
                                                                       std::uint64_t delivery_id,
                                                                       const std::string& endpoint_id,
                                                                       std::optional<std::int64_t> retry_at) {
    in_progress_.erase(delivery_id);
    if (auto done = endpoints_.find(endpoint_id); done != endpoints_.end()) {
        auto& e = done->second;
        if (e.in_flight > 0) --e.in_flight;
        if (retry_at) set_timer(endpoint_id, e, *retry_at);
        make_ready(endpoint_id, e); // a free slot again, and perhaps more due
    }
    ++attempts_done_;
    if (!stopping_ && !sync_->completions.empty()) {
        dirty_ = true; // more outcomes waiting (a wave of timeouts): the worker taking the last one schedules
    } else if (!stopping_) {
        // Schedule from here, with no hand-off to the scheduler thread; wake that only if it is
        // needed earlier than it plans to look (a retry or a rate-limit refill due soon).
        after_rounds(run_rounds(lock, 1));
    } else {
        schedule_cv_.notify_one();
    }
    if (in_progress_.empty()) idle_cv_.notify_all();
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
auto basic_sender<Transport, Signer, RetryPolicy, Store>::build_request(const claimed_delivery& job,
                                                                        const snapshot& snap,
                                                                        std::int64_t started) const
    -> result<http_request> {
    const auto& m = *job.message;
    http_request req{};
    req.url = snap.config.url;
    req.body = *m.payload;
    req.timeout = snap.config.timeout.count() > 0 ? snap.config.timeout : options_.timeout;
    auto signed_headers = snap.signer.sign({.id = m.id,
                                            .body = *m.payload,
                                            .timestamp = started / 1000,
                                            .url = snap.config.url,
                                            .event_type = m.event_type});
    if (!signed_headers) return signed_headers.error();
    req.headers = std::move(*signed_headers); // the signer's fields, then ours
    req.headers.reserve(req.headers.size() + 2 + snap.config.headers.size());
    req.headers.add("Content-Type", "application/json");
    req.headers.add("User-Agent", options_.user_agent);
    if (const auto& d = job.delivery; d.sequence != 0) { // its place in its stream (docs/ordering.md)
        if (!d.ordering_key.empty()) req.headers.add("webhook-ordering-key", d.ordering_key);
        req.headers.add("webhook-sequence", std::to_string(d.sequence));
        req.headers.add("webhook-sequence-previous", std::to_string(d.sequence_prev));
    }
    for (const auto& h : snap.config.headers) req.headers.add(h.name, h.value);
    // Whatever reaches the transport can be sent as it is (a message stored before these checks, a
    // custom signer): a control character is refused here, never passed on.
    if (auto ok = detail::check_request_headers(req.headers); !ok) return ok.error();
    return req;
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
std::optional<std::int64_t> basic_sender<Transport, Signer, RetryPolicy, Store>::attempt(const claimed_delivery& job,
                                                                                         const snapshot& snap) {
    const std::int64_t started = now_ms();
    auto req = build_request(job, snap, started);
    return finish_attempt(job, snap, started, req ? transport_.send(*req) : result<http_response>(req.error()));
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
void basic_sender<Transport, Signer, RetryPolicy, Store>::start_attempt(claimed_delivery&& job,
                                                                        std::shared_ptr<const snapshot> snap) {
    auto rec = std::make_shared<inflight>(inflight{.job = std::move(job), .snap = std::move(snap)});
    rec->started = now_ms();
    auto req = build_request(rec->job, *rec->snap, rec->started);
    auto deliver = [sync = sync_](std::shared_ptr<inflight> r) {
        bool first = false;
        {
            std::lock_guard lock(sync->mutex);
            if (sync->closed) return;
            first = sync->completions.empty();
            sync->completions.push_back(std::move(r));
        }
        // One worker is woken per batch of outcomes: it records them one after another (a worker checks
        // for outcomes before anything else, so none waits while a worker is free).
        if (first) sync->work_cv.notify_one();
    };
    if (!req) { // cannot be signed: recorded as such, nothing is sent
        rec->response = req.error();
        deliver(std::move(rec));
        return;
    }
    rec->request = std::move(*req);
    const http_request& request = rec->request; // `rec` owns it until the completion
    transport_.start(request, [rec = std::move(rec), deliver](result<http_response>&& r) mutable {
        rec->response = std::move(r);
        deliver(std::move(rec));
    });
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
std::optional<std::int64_t> basic_sender<Transport, Signer, RetryPolicy, Store>::finish_attempt(
    const claimed_delivery& job, const snapshot& snap, std::int64_t started, result<http_response> response) {
    const auto& d = job.delivery;
    const auto& m = *job.message;
    attempt_record a{};
    a.number = d.attempts + 1;
    a.started_at = started;

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
    // A request refused as invalid can never be sent: failed at once, whatever the policy says, and
    // not held against the endpoint (nothing reached it).
    const bool invalid = !response && is_invalid_request(response.error());
    const retry_decision decision = invalid ? retry_decision{} : snap.retry.next(a.number, outcome);
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
    case retry_action::give_up: status = invalid ? delivery_status::failed : delivery_status::exhausted; break;
    }

    {
        std::lock_guard lock(mutex_);
        if (abandoned_.count(d.id)) return std::nullopt; // handed back by stop(): the next start tries again
    }
    // Fenced by the claim's lease: when it ran out and another sender claimed the delivery, that one
    // owns the outcome; this attempt counts for nothing here (no health change, no callbacks).
    auto recorded = store_.record_attempt(d.id, d.lease, a, status, next_at.value_or(0));
    if (!recorded && recorded.error() != errc::lease_lost)
        counters_.store_errors.fetch_add(1, std::memory_order_relaxed);
    if (!recorded && recorded.error() == errc::lease_lost) {
        bool handed_back = false; // by stop() meanwhile: nothing to report
        {
            std::lock_guard lock(mutex_);
            handed_back = abandoned_.count(d.id) != 0;
        }
        if (!handed_back && options_.logger)
            options_.logger(log_level::warning,
                            detail::lease_lost_line(m.id, d.endpoint_id, a.number, snap.config.url));
        return std::nullopt;
    }
    counters_.attempt(status, response.has_value(), a.latency);
    // An ordered delivery that is settled may have made the next of its stream claimable: the
    // endpoint is looked at again now (through its timer), as for a retry coming due.
    const std::optional<std::int64_t> look_again =
        d.sequence != 0 && status != delivery_status::pending ? std::optional<std::int64_t>(finished) : next_at;
    health_change health;
    if (!invalid) {
        std::lock_guard lock(mutex_);
        health = update_health(d.endpoint_id, status, gone, response.has_value(), finished);
    }
    if (health.changed) (void)store_.save_endpoint_state(health.state);
    std::optional<std::string>& disabled_reason = health.disabled;

    const auto& cb = options_.callbacks;
    const bool undelivered = status == delivery_status::exhausted || status == delivery_status::failed;
    bool holds_key = false; // an ordered head exhausted under `block` (rare: the store says)
    if (status == delivery_status::exhausted && d.sequence != 0)
        if (auto now = store_.list_deliveries({.message_id = m.id, .endpoint_id = d.endpoint_id, .limit = 1});
            now && !now->empty())
            holds_key = now->front().holds_key;
    if (undelivered && options_.logger)
        options_.logger(log_level::warning, detail::undelivered_line({.message_id = m.id,
                                                                      .endpoint_id = d.endpoint_id,
                                                                      .event_type = m.event_type,
                                                                      .url = snap.config.url,
                                                                      .attempts = a.number,
                                                                      .status = a.status,
                                                                      .error = a.error,
                                                                      .gone = gone,
                                                                      .invalid = invalid,
                                                                      .disabled_reason = disabled_reason.value_or(""),
                                                                      .holds_key = holds_key,
                                                                      .ordering_key = d.ordering_key}));
    const bool report_needed =
        cb.on_attempt || (status == delivery_status::delivered && cb.on_delivered) || (undelivered && cb.on_exhausted);
    if (!report_needed) {
        if (disabled_reason && cb.on_endpoint_disabled) cb.on_endpoint_disabled(d.endpoint_id, *disabled_reason);
        return look_again;
    }
    attempt_report report{m.id, d.endpoint_id, m.event_type, d.id, std::move(a), status, next_at};
    if (cb.on_attempt) cb.on_attempt(report);
    if (status == delivery_status::delivered && cb.on_delivered) cb.on_delivered(report);
    if (undelivered && cb.on_exhausted) cb.on_exhausted(report);
    if (disabled_reason && cb.on_endpoint_disabled) cb.on_endpoint_disabled(d.endpoint_id, *disabled_reason);
    return look_again;
}

template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
auto basic_sender<Transport, Signer, RetryPolicy, Store>::update_health(const std::string& endpoint_id,
                                                                        delivery_status status, bool gone,
                                                                        bool responded, std::int64_t now)
    -> health_change {
    health_change out;
    auto it = endpoints_.find(endpoint_id);
    if (it == endpoints_.end()) return out;
    auto& window = it->second.window;
    window = responded ? std::min(limit_of(it->second), window + 1) : 1;
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
