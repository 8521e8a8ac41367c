/// \file `basic_sender`: delivers every event to every subscribed endpoint, signed, with retries, and
/// never lets one endpoint hold up another.
///
/// Thread-safety: every public member of `basic_sender` may be called from any thread. Callbacks run on
/// the sender's worker threads, never under its locks; they must not block for long (with an
/// asynchronous transport a blocked worker delays outcomes, never requests already in flight).
///
/// Its options, events and reports are in `sending/sender_options.hpp`; its longer members are defined
/// in `sending/impl/sender.hpp` and `sending/impl/scheduler.hpp`, which this header includes.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/sending/detail/input_checks.hpp>
#include <hookline/sending/detail/legacy_transport.hpp>
#include <hookline/sending/detail/message_id.hpp>
#include <hookline/sending/detail/undelivered_line.hpp>
#include <hookline/sending/endpoint.hpp>
#include <hookline/sending/retry_policy.hpp>
#include <hookline/sending/sender_metrics.hpp>
#include <hookline/sending/sender_options.hpp>
#include <hookline/signing/schemes/standard.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/stores/memory_store.hpp>
#include <hookline/stores/store.hpp>
#include <hookline/transports/async_transport.hpp>
#include <hookline/transports/curl_transport.hpp>
#include <hookline/transports/httplib_transport.hpp> // the blocking alternative, as before
#include <hookline/transports/transport.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// The delivery engine. `Transport` makes requests, `Signer` signs them (built per endpoint from its
/// keys), `RetryPolicy` decides when to try again, `Store` holds every message, delivery and attempt.
///
/// Scheduling: a scheduler thread claims due deliveries from the store for endpoints that have a free
/// slot (below their concurrency limit and rate limit) and hands them to a pool of workers; retries
/// wait in the store, not in a sleeping thread. With an asynchronous transport (`async_transport`,
/// such as the default `curl_transport`) a worker signs the request, starts it and moves on: up to
/// `max_in_flight` requests are in flight on the transport's own threads, and their outcomes come back
/// to the workers to be recorded. A blocking `transport` runs each request on a worker. Either way a
/// slow endpoint holds at most its own `max_concurrency` slots, and one that does not answer only one
/// (slow start), so other endpoints keep their latency.
template <delivery_transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
class basic_sender {
    static constexpr bool is_async = async_transport<Transport>;

public:
    using transport_type = Transport;
    using signer_type = Signer;
    using retry_policy_type = RetryPolicy;
    using store_type = Store;

    /// Throws `hookline::error` (`errc::invalid_option`, naming the field): see `sender_options_problem`.
    explicit basic_sender(Transport transport = Transport(), RetryPolicy retry = RetryPolicy(), Store store = Store(),
                          sender_options options = {})
        : transport_(std::move(transport)), retry_(std::move(retry)), store_(std::move(store)),
          options_(std::move(options)) {
        if (auto problem = sender_options_problem(options_); !problem.empty())
            throw error(errc::invalid_option, std::string(problem));
        if (options_.max_concurrency_per_endpoint == 0)
            options_.max_concurrency_per_endpoint = is_async ? 16 : std::max<std::size_t>(1, options_.workers / 4);
        capacity_ = options_.workers;
        if constexpr (is_async) {
            capacity_ = std::max<std::size_t>(1, options_.max_in_flight);
            if constexpr (bounded_transport<Transport>)
                capacity_ = std::min(capacity_, std::max<std::size_t>(1, transport_.capacity()));
        }
        scheduler_ = std::thread([this] { schedule_loop(); });
        for (std::size_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work_loop(); });
    }

    /// Source compatibility with hookline 0.1, whose `standard_sender` took an `httplib_transport`:
    /// given one, the libcurl sender delivers with its options (timeouts, body cap, address policy,
    /// TLS, proxy, user agent, resolver). Prefer passing a `curl_transport`.
    template <std::same_as<httplib_transport> Legacy>
    requires std::same_as<Transport, curl_transport>
    explicit basic_sender(const Legacy& legacy, RetryPolicy retry = RetryPolicy(), Store store = Store(),
                          sender_options options = {})
        : basic_sender(curl_transport(detail::curl_options_from(legacy.options())), std::move(retry), std::move(store),
                       std::move(options)) {}

    basic_sender(const basic_sender&) = delete;
    basic_sender& operator=(const basic_sender&) = delete;

    /// Stops (handing back what is in flight after 30 s) and joins the threads; an attempt still
    /// running on a blocking transport is waited for, bounded by its timeout. Requests still in flight
    /// on an asynchronous transport are cancelled with it (their outcomes were handed back by `stop`).
    ~basic_sender() {
        stop(std::chrono::seconds(30));
        if (scheduler_.joinable()) scheduler_.join();
        for (auto& w : workers_)
            if (w.joinable()) w.join();
        std::lock_guard lock(mutex_);
        sync_->closed = true; // completions that arrive from now on are dropped
        sync_->completions.clear();
    }

    // --- endpoints -------------------------------------------------------------------------------

    /// Registers an endpoint; its health is read back from the store, so re-adding it after a restart
    /// resumes its deliveries. `retry` overrides the sender's policy. Refuses what could never be
    /// delivered (see `validate`); host names are checked at connect time.
    result<void> add_endpoint(const std::string& id, endpoint_config config, std::optional<RetryPolicy> retry = {});

    /// Replaces an endpoint's configuration (its health and in-flight work are kept), checked as above.
    result<void> update_endpoint(const std::string& id, endpoint_config config, std::optional<RetryPolicy> retry = {});

    /// Forgets an endpoint. Its undelivered deliveries stay in the store; adding the same id resumes them.
    result<void> remove_endpoint(const std::string& id) {
        std::lock_guard lock(mutex_);
        auto it = endpoints_.find(id);
        if (it == endpoints_.end()) return errc::endpoint_not_found;
        index_channels(id, it->second.config, false);
        endpoints_.erase(it);
        return {};
    }

    /// Stops delivering to an endpoint; its deliveries wait in the store until it is enabled.
    result<void> disable_endpoint(const std::string& id) { return set_disabled(id, true, "manual"); }

    /// Resumes an endpoint and resets its failure streak.
    result<void> enable_endpoint(const std::string& id) { return set_disabled(id, false, ""); }

    std::optional<endpoint_info> endpoint(const std::string& id) const {
        std::lock_guard lock(mutex_);
        auto it = endpoints_.find(id);
        if (it == endpoints_.end()) return std::nullopt;
        return endpoint_info{id, it->second.config, it->second.state, it->second.in_flight, concurrency_of(it->second)};
    }

    /// Registered endpoint ids, sorted.
    std::vector<std::string> endpoint_ids() const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out{};
        out.reserve(endpoints_.size());
        for (const auto& [id, e] : endpoints_) out.push_back(id);
        std::sort(out.begin(), out.end());
        return out;
    }

    // --- sending ---------------------------------------------------------------------------------

    /// Accepts an event: queues one delivery per enabled endpoint that subscribes to it, and returns once
    /// the store has it. An id the store already holds changes nothing (`duplicate`). Refused, nothing
    /// stored: a control character (HTAB aside) in the id or type, an empty type (`errc::invalid_message_id`,
    /// `errc::invalid_event_type`).
    result<send_receipt> send(event e) {
        auto prepared = prepare(std::move(e));
        if (!prepared) return prepared.error();
        const auto& [message, targets] = *prepared;
        auto inserted = store_.insert_message(message, targets, message.created_at);
        if (!inserted) {
            counters_.store_errors.fetch_add(1, std::memory_order_relaxed);
            return inserted.error();
        }
        if (!*inserted) return send_receipt{message.id, 0, true};
        counters_.messages_accepted.fetch_add(1, std::memory_order_relaxed);
        poke_for(targets);
        return send_receipt{message.id, targets.size(), false};
    }

    // clang-format 14 would join the requires clause below and the declaration into one line.
    // clang-format off
    /// The transactional outbox: enqueues `e` through the application's own transaction `tx` (for
    /// example its SQLite connection or PostgreSQL connection inside BEGIN ... COMMIT), so the event is
    /// accepted exactly when the application's transaction commits. Call `wake()` after the commit to
    /// deliver at once; otherwise the scheduler finds it within `max_idle`.
    template <class Tx>
        requires outbox_store<Store, Tx>
    result<send_receipt> send_in(Tx& tx, event e) {
        // clang-format on
        auto prepared = prepare(std::move(e));
        if (!prepared) return prepared.error();
        auto inserted =
            store_.insert_message_in(tx, prepared->message, prepared->targets, prepared->message.created_at);
        if (!inserted) return inserted.error();
        return send_receipt{prepared->message.id, *inserted ? prepared->targets.size() : 0, !*inserted};
    }

    /// Sends `data` wrapped as Standard Webhooks recommends: `{"type", "timestamp", "data"}`.
    result<send_receipt> send(const std::string& type, const nlohmann::json& data, std::string id = {}) {
        nlohmann::json body = {{"type", type}, {"timestamp", detail::iso8601_ms(now_ms())}, {"data", data}};
        return send(event{type, body.dump(), std::move(id), {}});
    }

    // --- manual control --------------------------------------------------------------------------

    /// Tries a message again now (for one endpoint, or all), whatever its deliveries' status.
    result<std::size_t> retry(const std::string& message_id, const std::string& endpoint_id = {}) {
        delivery_query q{.message_id = message_id, .endpoint_id = endpoint_id};
        auto n = store_.reschedule(q, now_ms());
        poke();
        return n;
    }

    /// Makes the deliveries `q` matches (and not in flight) pending and due now; answers how many. The
    /// general form of `retry` and `recover` (for example: an endpoint's undelivered messages, whatever
    /// their status, with `statuses = {pending, exhausted, failed}`).
    result<std::size_t> reschedule(const delivery_query& q) {
        auto n = store_.reschedule(q, now_ms());
        poke();
        return n;
    }

    /// Re-sends everything an endpoint failed to receive (exhausted or failed) since `since` (Unix ms).
    result<std::size_t> recover(const std::string& endpoint_id, std::int64_t since) {
        delivery_query q{.endpoint_id = endpoint_id,
                         .statuses = {delivery_status::exhausted, delivery_status::failed},
                         .created_since = since,
                         .limit = static_cast<std::size_t>(-1)};
        auto n = store_.reschedule(q, now_ms());
        poke();
        return n;
    }

    /// Gives up a message for one endpoint (pending, waiting or exhausted): `skipped`, never attempted
    /// again unless retried. On an ordered endpoint its key goes on to its next message (the way out of
    /// `head_exhaustion::block`; `retry` is the other). `errc::delivery_in_flight` while it is being
    /// attempted, `errc::message_not_found` when there is no such delivery.
    result<void> skip(const std::string& message_id, const std::string& endpoint_id) requires ordered_store<Store> {
        auto found = store_.list_deliveries({.message_id = message_id, .endpoint_id = endpoint_id, .limit = 1});
        if (!found) return found.error();
        if (found->empty()) return errc::message_not_found;
        auto skipped = store_.skip(found->front().id, now_ms());
        poke(endpoint_id);
        return skipped;
    }

    result<std::vector<delivery_record>> deliveries(const delivery_query& q) { return store_.list_deliveries(q); }

    /// What it has done so far and what it is doing now (hookline/management/metrics.hpp writes it
    /// for Prometheus).
    sender_metrics metrics() const {
        sender_metrics m;
        counters_.fill(m);
        std::lock_guard lock(mutex_);
        m.in_flight = in_progress_.size();
        m.queued = queue_.size();
        m.endpoints = endpoints_.size();
        for (const auto& [id, e] : endpoints_) m.endpoints_disabled += e.state.disabled ? 1 : 0;
        return m;
    }
    result<std::vector<attempt_record>> attempts(std::uint64_t delivery_id) {
        return store_.list_attempts(delivery_id);
    }

    /// Waits until no accepted delivery is pending or in flight (each one delivered, exhausted or
    /// failed), at most `deadline`; true if none is. A retry due after the deadline, or a delivery
    /// for a removed or disabled endpoint, keeps it waiting until the deadline.
    bool drain(std::chrono::milliseconds deadline) {
        std::unique_lock lock(mutex_);
        return idle_cv_.wait_for(lock, deadline, [&] {
            if (!queue_.empty() || !in_progress_.empty()) return false;
            auto open = store_.list_deliveries(
                {.statuses = {delivery_status::pending, delivery_status::in_flight}, .limit = 1});
            return open && open->empty();
        });
    }

    /// Re-evaluates the schedule now (call after moving an injected clock).
    void wake() { poke(); }

    Store& store() noexcept { return store_; }
    const sender_options& options() const noexcept { return options_; }

    /// Stops accepting events, lets attempts in flight finish until `deadline`, then hands the rest
    /// back to the store (pending, due at once) and returns. An attempt still running after the
    /// deadline is left to finish in the background (the destructor joins it) but its outcome is not
    /// recorded, so it will be made again: delivery is at least once. Idempotent.
    stop_report stop(std::chrono::milliseconds deadline = std::chrono::seconds(30));

private:
    /// What an attempt needs of its endpoint: immutable, shared by every attempt until the endpoint's
    /// configuration or signer changes (no per-attempt copy of URLs, headers or keys).
    /// Refuses at registration what would fail every attempt (docs/sending.md, "Endpoints"): a bad URL, an
    /// IP literal `policy` refuses, limits with no meaning, and extra headers with a control character in
    /// the value or a name that is malformed or set by the transport, the sender or the signer.
    template <class EndpointSigner>
    static result<void> validate(const endpoint_config& config, const EndpointSigner& signer,
                                 const address_policy* policy);

    struct snapshot {
        endpoint_config config{};
        RetryPolicy retry;
        Signer signer;
    };

    struct endpoint_entry {
        endpoint_config config{};
        std::optional<RetryPolicy> retry{};
        Signer signer;
        std::int64_t signer_valid_until = 0; // rebuild the signer when a key expires
        endpoint_state state{};
        std::size_t in_flight = 0;
        double tokens = 0;
        std::int64_t refilled_at = 0;
        std::size_t window = 1;                 // slow start: slots it may use now, at most its limit
        bool has_work = true;                   // the store may hold deliveries due for it now
        bool queued = false;                    // in ready_
        std::int64_t timer_at = 0;              // its earliest entry in timers_ (0: none)
        std::uint64_t work_gen = 0;             // bumped whenever work may have arrived (see round)
        std::shared_ptr<const snapshot> snap{}; // config, retry policy and signer as attempts see them
    };

    /// An attempt started on an asynchronous transport, until its outcome is recorded. The request's
    /// body is a view of the message, which `job` keeps alive.
    struct inflight {
        claimed_delivery job;
        std::shared_ptr<const snapshot> snap;
        http_request request{};
        std::int64_t started = 0;
        result<http_response> response = errc::stopped;
    };

    /// What the transport's completion handlers share with the sender, and outlives it: the lock,
    /// the workers' condition and the outcomes waiting for a worker.
    struct sync_state {
        std::mutex mutex;
        std::condition_variable work_cv;
        std::deque<std::shared_ptr<inflight>> completions;
        bool closed = false; // the sender is gone: drop what arrives
    };

    void refresh_snapshot(endpoint_entry& e) const {
        e.snap = std::make_shared<const snapshot>(snapshot{e.config, e.retry ? *e.retry : retry_, e.signer});
    }

    std::int64_t now_ms() const { return options_.clock ? options_.clock() : unix_now_ms(); }

    struct prepared_event {
        stored_message message;
        std::vector<std::string> targets;
    };

    /// Validates `e`, gives it an id, and finds the enabled endpoints subscribed to it.
    result<prepared_event> prepare(event e);

    static double bucket_size(const endpoint_config& c) { return c.rate_limit > 0 ? std::max(1.0, c.rate_limit) : 0; }

    /// A signer from the keys of `c` that have not expired at `now` (all keys when every one has).
    struct built_signer {
        Signer signer;
        std::int64_t valid_until = 0;
    };
    static result<built_signer> build_signer(const endpoint_config& c, std::int64_t now);

    std::size_t limit_of(const endpoint_entry& e) const {
        return e.config.max_concurrency ? e.config.max_concurrency : options_.max_concurrency_per_endpoint;
    }

    /// Slots an endpoint may use now: its limit, or less while slow start ramps it up.
    std::size_t concurrency_of(const endpoint_entry& e) const {
        return options_.slow_start ? std::min(limit_of(e), std::max<std::size_t>(1, e.window)) : limit_of(e);
    }

    void refill(endpoint_entry& e, std::int64_t now) {
        if (e.config.rate_limit <= 0) return;
        double cap = bucket_size(e.config);
        double elapsed = static_cast<double>(std::max<std::int64_t>(0, now - e.refilled_at));
        e.tokens = std::min(cap, e.tokens + elapsed * e.config.rate_limit / 1000.0);
        e.refilled_at = now;
    }

    /// Queues an endpoint for the next round if it may have due work and has a free slot: one that
    /// is idle goes first, so an endpoint that answers is never queued behind ones that hold many slots.
    void make_ready(const std::string& id, endpoint_entry& e);

    /// The subscription index: endpoints by channel, and those on no channel (which get every event).
    /// `send` looks only at those an event's channels can reach. Call with `mutex_` held.
    void index_channels(const std::string& id, const endpoint_config& c, bool add);

    /// Looks at the endpoint again at `at` (a retry coming due, a rate-limit refill).
    void set_timer(const std::string& id, endpoint_entry& e, std::int64_t at);

    /// Schedules again: for one endpoint (its configuration or health changed), or, with an empty id,
    /// for all of them (work may have entered the store behind the sender's back: retry, recover,
    /// wake, a moved clock). Call with `mutex_` held.
    void mark_work(const std::string& id);

    void poke(const std::string& endpoint_id = {});

    /// After queuing deliveries for `targets`: if one of them has a free slot and a worker is free,
    /// wakes an idle worker to run a scheduling round and take what it claims (one hand-off, not two
    /// through the scheduler thread). Otherwise a worker finishing an attempt runs a round, which (it
    /// decrements in_flight under this lock, then claims) is bound to see the new deliveries.
    void poke_for(const std::vector<std::string>& targets);

    result<void> set_disabled(const std::string& id, bool disabled, const std::string& reason);

    void hand_back(const delivery_record& d) { hand_back_id(d.id, d.lease, d.endpoint_id); }
    /// Releases a claimed delivery (`lease`: the claim's fencing token) and frees its endpoint slot.
    void hand_back_id(std::uint64_t id, std::uint64_t lease, const std::string& endpoint_id) {
        (void)store_.release(id, lease, now_ms());
        auto it = endpoints_.find(endpoint_id);
        if (it != endpoints_.end() && it->second.in_flight > 0) --it->second.in_flight;
    }

    /// Every `max_idle`: looks for work that reached the store behind the sender's back (an outbox
    /// insert, another process, an expired lease). With a `due_index_store`, one bounded query names
    /// the endpoints with work due; when more was due than it shows, a slice of the idle endpoints is
    /// asked too (`sweep_`), so each is looked at within a bounded number of polls. Other stores: one
    /// `next_due` over every idle endpoint.
    void poll_idle(std::unique_lock<std::mutex>& lock);
    /// Asks `next_due` for `ids` (endpoints believed idle); marks them all as having work if any has.
    void poll_next_due(std::unique_lock<std::mutex>& lock, const std::vector<std::string>& ids);

    // --- scheduler -------------------------------------------------------------------------------

    /// The scheduler thread: runs scheduling rounds when poked and when a timer is due (a retry, a
    /// rate-limit refill, `max_idle`). Workers run rounds themselves after each attempt, so under a
    /// steady load this thread sleeps.
    void schedule_loop();

    /// Runs scheduling rounds (claiming due deliveries into queue_) until nothing changed meanwhile.
    /// Called with `lock` held; returns with it held. One thread schedules at a time: a second caller
    /// only marks the state dirty, so the running one goes round again, and gets nullopt. Otherwise
    /// returns when the next round is needed by (timers). `self_takes`: jobs the caller will take from
    /// the queue itself (a worker), so that many fewer idle workers are woken.
    std::optional<std::int64_t> run_rounds(std::unique_lock<std::mutex>& lock, std::size_t self_takes);

    /// After a worker's rounds: wakes the scheduler thread if it is needed earlier than it plans to look.
    void after_rounds(std::optional<std::int64_t> wake_at);

    /// One scheduling pass: claims due deliveries for endpoints with a free slot, as many as there are
    /// free workers. Sets `again` when it claimed and workers are still free (more may be due). Returns
    /// when the next pass is needed by.
    std::int64_t round(std::unique_lock<std::mutex>& lock, std::size_t& pushed, bool& again);

    // --- workers ---------------------------------------------------------------------------------

    void work_loop();

    /// A blocking attempt: builds the request, sends it, records the outcome (see finish_attempt).
    std::optional<std::int64_t> attempt(const claimed_delivery& job, const snapshot& snap);

    /// An asynchronous attempt: builds the request and starts it; the outcome comes back through
    /// `sync_->completions` to a worker, which calls `finish_attempt`. Instantiated (called) only when
    /// `is_async`.
    void start_attempt(claimed_delivery&& job, std::shared_ptr<const snapshot> snap);

    /// The request for an attempt: the signer's headers, then ours, then the endpoint's.
    result<http_request> build_request(const claimed_delivery& job, const snapshot& snap, std::int64_t started) const;

    /// Classifies a response, records the attempt, updates the endpoint's health, reports. Returns
    /// when the delivery comes due again, if it will be retried.
    std::optional<std::int64_t> finish_attempt(const claimed_delivery& job, const snapshot& snap, std::int64_t started,
                                               result<http_response> response);

    /// After an attempt's outcome is recorded (call with `mutex_` held): frees its slot, schedules.
    /// `retry_at`: when the delivery comes due again, if it will be retried.
    void attempt_done(std::unique_lock<std::mutex>& lock, std::uint64_t delivery_id, const std::string& endpoint_id,
                      std::optional<std::int64_t> retry_at);

    struct health_change {
        bool changed = false;                  ///< `state` must be saved
        endpoint_state state{};                ///< the endpoint's state after the attempt
        std::optional<std::string> disabled{}; ///< why this attempt disabled the endpoint
    };

    /// Updates an endpoint's failure streak (call with `mutex_` held; the caller saves the state).
    /// `responded`: the attempt brought a response, whatever its status (slow start counts those).
    health_change update_health(const std::string& endpoint_id, delivery_status status, bool gone, bool responded,
                                std::int64_t now);

    Transport transport_{};
    RetryPolicy retry_{};
    Store store_{};
    sender_options options_{};

    std::shared_ptr<sync_state> sync_ = std::make_shared<sync_state>();
    std::mutex& mutex_ = sync_->mutex;
    std::condition_variable& work_cv_ = sync_->work_cv;
    std::condition_variable schedule_cv_, idle_cv_;
    std::size_t capacity_ = 1; // requests in flight at once: workers (blocking) or max_in_flight (async)
    std::unordered_map<std::string, endpoint_entry> endpoints_{}; // O(1) lookups with 100,000 endpoints
    std::deque<claimed_delivery> queue_{};
    struct held_claim {
        std::string endpoint_id;
        std::uint64_t lease = 0; // the claim's fencing token
    };
    std::map<std::uint64_t, held_claim> in_progress_; // by delivery id
    std::set<std::uint64_t> abandoned_;
    std::size_t attempts_done_ = 0;
    detail::sender_counters counters_{};
    // The endpoints of each tenant: those on no channel, and by channel ((tenant, channel) -> endpoints).
    std::map<std::string, std::set<std::string>> unchanneled_{};
    std::map<std::pair<std::string, std::string>, std::set<std::string>> by_channel_{};
    std::deque<std::string> ready_{};                   // endpoints that may claim now, in turn
    std::multimap<std::int64_t, std::string> timers_{}; // when to look at an endpoint again
    bool scan_all_ = true;                              // look at every endpoint in the next round
    std::int64_t next_poll_ = 0;                        // poll_idle's next run (Unix ms)
    std::vector<std::string> sweep_{}; // poll_idle's fallback: endpoints still to look at, a slice a poll
    bool dirty_ = false;               // something changed during a scheduling round: go round again
    bool scheduling_ = false;          // a thread is running scheduling rounds
    bool wake_scheduler_ = false;      // the scheduler thread should run a round now
    bool round_wanted_ = false;        // an idle worker should run a round (new deliveries)
    std::int64_t planned_wake_ = 0;    // when the scheduler thread looks next (Unix ms)
    bool accepting_ = true;
    bool stopping_ = false;
    bool stopped_ = false;
    bool workers_exit_ = false; // stop() is done: idle workers leave
    std::thread scheduler_{};
    std::vector<std::thread> workers_{};
};

/// The stock sender: Standard Webhooks signatures, the libcurl transport (asynchronous, SSRF protection
/// on), the Standard Webhooks retry schedule, and the in-memory store.
using standard_sender = basic_sender<curl_transport, standard_signer, standard_schedule, memory_store>;

HOOKLINE_END_NAMESPACE

#include <hookline/sending/impl/scheduler.hpp>
#include <hookline/sending/impl/sender.hpp>
