/// \file `basic_sender`: delivers every event to every subscribed endpoint, signed, with retries, and
/// never lets one endpoint hold up another.
///
/// Thread-safety: every public member of `basic_sender` may be called from any thread. Callbacks run on
/// the sender's worker threads, never under its locks; they must not block for long.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/sending/endpoint.hpp>
#include <hookline/sending/retry_policy.hpp>
#include <hookline/signing/schemes/standard.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/stores/memory_store.hpp>
#include <hookline/stores/store.hpp>
#include <hookline/transports/httplib_transport.hpp>
#include <hookline/transports/transport.hpp>

#include <nlohmann/json.hpp>

#include <pthread.h>
#include <unistd.h>

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
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// A signer a sender can build per endpoint from that endpoint's keys.
template <class S>
concept signer_factory = signer<S> && requires(std::span<const secret> keys) {
    { S::make(keys) } -> std::same_as<result<S>>;
};

/// An event to send. `payload` is sent byte for byte as `application/json`.
struct event {
    std::string type{};                  ///< matched against endpoints' filters; required
    std::string payload{};               ///< request body
    std::string id{};                    ///< message id; empty = a fresh random `msg_…` id
    std::vector<std::string> channels{}; ///< restricts delivery to endpoints on these channels
};

/// What `send` did.
struct send_receipt {
    std::string message_id{};
    std::size_t deliveries = 0; ///< endpoints it was queued for
    bool duplicate = false;     ///< a message with this id was already accepted: nothing was queued
};

/// Reported to callbacks after each attempt.
struct attempt_report {
    std::string message_id{};
    std::string endpoint_id{};
    std::string event_type{};
    std::uint64_t delivery_id = 0;
    attempt_record attempt{};
    delivery_status status = delivery_status::pending; ///< the delivery's status after this attempt
    std::optional<std::int64_t> next_attempt_at;       ///< Unix ms, when it will be tried again
};

/// Hooks a sender calls from its workers.
struct sender_callbacks {
    std::function<void(const attempt_report&)> on_attempt;   ///< every attempt
    std::function<void(const attempt_report&)> on_delivered; ///< a 2xx arrived
    std::function<void(const attempt_report&)> on_exhausted; ///< retries ran out, or 410 Gone: not retried
    std::function<void(const std::string& endpoint_id, const std::string& reason)> on_endpoint_disabled;
};

/// Options of a sender; every field has a sensible default.
struct sender_options {
    std::size_t workers = 8;                       ///< threads making HTTP requests
    std::size_t max_concurrency_per_endpoint = 0;  ///< default per-endpoint limit; 0 = max(1, workers / 4)
    std::chrono::milliseconds timeout{15000};      ///< default whole-request timeout
    std::chrono::milliseconds lease_margin{30000}; ///< a claim's lease is the timeout plus this
    std::chrono::milliseconds max_idle{1000};      ///< longest the scheduler sleeps without news
    std::chrono::hours disable_after{24 * 5};      ///< an endpoint failing this long is disabled
    int disable_after_exhausted = 0;               ///< ...or after this many exhausted messages; 0 = never
    std::string user_agent = "hookline/" HOOKLINE_VERSION_STRING;
    std::size_t response_excerpt_bytes = 1024; ///< of each response body kept with its attempt
    /// Unix milliseconds now; empty = the system clock. Tests inject one and call `wake()` after moving it.
    std::function<std::int64_t()> clock;
    sender_callbacks callbacks{};
};

/// What `stop` did with the work it found.
struct stop_report {
    std::size_t finished = 0;    ///< attempts that completed during the stop
    std::size_t handed_back = 0; ///< deliveries left pending in the store, due at once on the next start
};

/// An endpoint as the sender sees it now.
struct endpoint_info {
    std::string id{};
    endpoint_config config{};
    endpoint_state state{};
    std::size_t in_flight = 0;
};

namespace detail {
inline std::int64_t system_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Changes in a forked child: the number of forks this process went through (a child handler
/// registered with pthread_atfork on first use), cheaper than a `getpid` system call per message id.
/// If the handler cannot be registered it is the process id. A child made by a raw `clone` system
/// call (not `fork`) runs no handler: do not send from such a child.
inline unsigned fork_generation() noexcept {
    static std::atomic<unsigned> generation{0};
    static const bool registered = [] {
        return ::pthread_atfork(nullptr, nullptr, [] { generation.fetch_add(1, std::memory_order_relaxed); }) == 0;
    }();
    if (!registered) return static_cast<unsigned>(::getpid());
    return generation.load(std::memory_order_relaxed);
}

/// "msg_" and 16 random bytes in hex. The bytes come from RAND_bytes, drawn 256 at a time into a
/// per-thread buffer (one DRBG call per 16 ids instead of one per id); a forked child refills its
/// copy of the buffer before its first id, so parent and child never hand out the same ids.
inline result<std::string> random_message_id() {
    struct pool {
        unsigned char bytes[256];
        std::size_t used = sizeof bytes;
        unsigned generation = 0;
    };
    thread_local pool p;
    const unsigned generation = fork_generation();
    if (p.used + 16 > sizeof p.bytes || p.generation != generation) {
        if (RAND_bytes(p.bytes, static_cast<int>(sizeof p.bytes)) != 1) return errc::crypto_failure;
        p.used = 0;
        p.generation = generation;
    }
    static constexpr char digits[] = "0123456789abcdef";
    std::string id(4 + 32, '\0');
    id.replace(0, 4, "msg_");
    for (std::size_t i = 0; i < 16; ++i) {
        id[4 + 2 * i] = digits[p.bytes[p.used + i] >> 4];
        id[5 + 2 * i] = digits[p.bytes[p.used + i] & 0xf];
    }
    OPENSSL_cleanse(p.bytes + p.used, 16);
    p.used += 16;
    return id;
}
} // namespace detail

/// The delivery engine. `Transport` makes requests, `Signer` signs them (built per endpoint from its
/// keys), `RetryPolicy` decides when to try again, `Store` holds every message, delivery and attempt.
///
/// Scheduling: a scheduler thread claims due deliveries from the store for endpoints that have a free
/// slot (below their concurrency limit and rate limit) and hands them to a bounded pool of workers;
/// retries wait in the store, not in a sleeping thread. A slow or dead endpoint can occupy at most its
/// own `max_concurrency` workers, so other endpoints keep their latency.
template <transport Transport, signer_factory Signer, retry_policy RetryPolicy, store Store>
class basic_sender {
public:
    using transport_type = Transport;
    using signer_type = Signer;
    using retry_policy_type = RetryPolicy;
    using store_type = Store;

    explicit basic_sender(Transport transport = Transport(), RetryPolicy retry = RetryPolicy(), Store store = Store(),
                          sender_options options = {})
        : transport_(std::move(transport)), retry_(std::move(retry)), store_(std::move(store)),
          options_(std::move(options)) {
        if (options_.workers == 0) options_.workers = 1;
        if (options_.max_concurrency_per_endpoint == 0)
            options_.max_concurrency_per_endpoint = std::max<std::size_t>(1, options_.workers / 4);
        scheduler_ = std::thread([this] { schedule_loop(); });
        for (std::size_t i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { work_loop(); });
    }

    basic_sender(const basic_sender&) = delete;
    basic_sender& operator=(const basic_sender&) = delete;

    /// Stops (handing back what is in flight after 30 s) and joins the threads; an attempt still
    /// running is waited for, bounded by its timeout.
    ~basic_sender() {
        stop(std::chrono::seconds(30));
        if (scheduler_.joinable()) scheduler_.join();
        for (auto& w : workers_)
            if (w.joinable()) w.join();
    }

    // --- endpoints -------------------------------------------------------------------------------

    /// Registers an endpoint. Its health (disabled or not) is read back from the store, so re-adding
    /// an endpoint after a restart resumes its pending deliveries. `retry` overrides the sender's policy.
    result<void> add_endpoint(const std::string& id, endpoint_config config, std::optional<RetryPolicy> retry = {}) {
        if (id.empty()) return errc::invalid_argument;
        auto signer = build_signer(config, now_ms());
        if (!signer) return signer.error();
        if (auto valid = validate(config, signer->signer); !valid) return valid.error();
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
            endpoints_.emplace(id, std::move(e));
        }
        poke();
        return {};
    }

    /// Replaces an endpoint's configuration (its health and in-flight work are kept).
    result<void> update_endpoint(const std::string& id, endpoint_config config, std::optional<RetryPolicy> retry = {}) {
        auto signer = build_signer(config, now_ms());
        if (!signer) return signer.error();
        if (auto valid = validate(config, signer->signer); !valid) return valid.error();
        {
            std::lock_guard lock(mutex_);
            auto it = endpoints_.find(id);
            if (it == endpoints_.end()) return errc::endpoint_not_found;
            it->second.config = std::move(config);
            it->second.retry = std::move(retry);
            it->second.signer = std::move(signer->signer);
            it->second.signer_valid_until = signer->valid_until;
            refresh_snapshot(it->second);
        }
        poke();
        return {};
    }

    /// Forgets an endpoint. Its undelivered deliveries stay in the store; adding the same id resumes them.
    result<void> remove_endpoint(const std::string& id) {
        std::lock_guard lock(mutex_);
        return endpoints_.erase(id) ? result<void>{} : result<void>{errc::endpoint_not_found};
    }

    /// Stops delivering to an endpoint; its deliveries wait in the store until it is enabled.
    result<void> disable_endpoint(const std::string& id) { return set_disabled(id, true, "manual"); }

    /// Resumes an endpoint and resets its failure streak.
    result<void> enable_endpoint(const std::string& id) { return set_disabled(id, false, ""); }

    std::optional<endpoint_info> endpoint(const std::string& id) const {
        std::lock_guard lock(mutex_);
        auto it = endpoints_.find(id);
        if (it == endpoints_.end()) return std::nullopt;
        return endpoint_info{id, it->second.config, it->second.state, it->second.in_flight};
    }

    std::vector<std::string> endpoint_ids() const {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out{};
        for (const auto& [id, e] : endpoints_) out.push_back(id);
        return out;
    }

    // --- sending ---------------------------------------------------------------------------------

    /// Accepts an event: queues one delivery per enabled endpoint that subscribes to it, and returns
    /// once the store has it. Sending an id the store already holds changes nothing (`duplicate`).
    result<send_receipt> send(event e) {
        auto prepared = prepare(std::move(e));
        if (!prepared) return prepared.error();
        const auto& [message, targets] = *prepared;
        auto inserted = store_.insert_message(message, targets, message.created_at);
        if (!inserted) return inserted.error();
        if (!*inserted) return send_receipt{message.id, 0, true};
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
        nlohmann::json body = {{"type", type}, {"timestamp", iso8601(now_ms())}, {"data", data}};
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

    result<std::vector<delivery_record>> deliveries(const delivery_query& q) { return store_.list_deliveries(q); }
    result<std::vector<attempt_record>> attempts(std::uint64_t delivery_id) {
        return store_.list_attempts(delivery_id);
    }

    /// Re-evaluates the schedule now (call after moving an injected clock).
    void wake() { poke(); }

    Store& store() noexcept { return store_; }
    const sender_options& options() const noexcept { return options_; }

    /// Stops accepting events, lets attempts in flight finish until `deadline`, then hands the rest
    /// back to the store (pending, due at once) and returns. An attempt still running after the
    /// deadline is left to finish in the background (the destructor joins it) but its outcome is not
    /// recorded, so it will be made again: delivery is at least once. Idempotent.
    stop_report stop(std::chrono::milliseconds deadline = std::chrono::seconds(30)) {
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

private:
    /// What an attempt needs of its endpoint: immutable, shared by every attempt until the endpoint's
    /// configuration or signer changes (no per-attempt copy of URLs, headers or keys).
    /// Refuses at registration what would fail every attempt: a URL the transport cannot use
    /// (`errc::invalid_url`), and extra headers that are malformed, that the transport or sender
    /// controls (framing, Content-Type, User-Agent) or that the signer sets (`errc::invalid_argument`).
    template <class EndpointSigner>
    static result<void> validate(const endpoint_config& config, const EndpointSigner& signer) {
        if (auto url = parse_url(config.url); !url) return url.error();
        if (config.headers.empty()) return {};
        static constexpr std::string_view reserved[] = {"host",       "content-length", "transfer-encoding",
                                                        "connection", "content-type",   "user-agent"};
        auto probe =
            signer.sign({.id = "msg_probe", .body = "{}", .timestamp = 0, .url = config.url, .event_type = "probe"});
        for (const auto& h : config.headers) {
            if (!detail::header_text_ok(h.name, true) || !detail::header_text_ok(h.value, false))
                return errc::invalid_argument;
            for (auto name : reserved)
                if (detail::iequals(h.name, name)) return errc::invalid_argument;
            if (probe && probe->contains(h.name)) return errc::invalid_argument;
        }
        return {};
    }

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
        std::shared_ptr<const snapshot> snap{}; // config, retry policy and signer as attempts see them
    };

    void refresh_snapshot(endpoint_entry& e) const {
        e.snap = std::make_shared<const snapshot>(snapshot{e.config, e.retry ? *e.retry : retry_, e.signer});
    }

    std::int64_t now_ms() const { return options_.clock ? options_.clock() : detail::system_unix_ms(); }

    struct prepared_event {
        stored_message message;
        std::vector<std::string> targets;
    };

    /// Validates `e`, gives it an id, and finds the enabled endpoints subscribed to it.
    result<prepared_event> prepare(event e) {
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

    static std::string iso8601(std::int64_t ms) {
        std::time_t t = static_cast<std::time_t>(ms / 1000);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
        char out[40];
        std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
        return out;
    }

    static double bucket_size(const endpoint_config& c) { return c.rate_limit > 0 ? std::max(1.0, c.rate_limit) : 0; }

    /// A signer from the keys of `c` that have not expired at `now` (all keys when every one has).
    struct built_signer {
        Signer signer;
        std::int64_t valid_until = 0;
    };
    static result<built_signer> build_signer(const endpoint_config& c, std::int64_t now) {
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

    std::size_t concurrency_of(const endpoint_entry& e) const {
        return e.config.max_concurrency ? e.config.max_concurrency : options_.max_concurrency_per_endpoint;
    }

    void refill(endpoint_entry& e, std::int64_t now) {
        if (e.config.rate_limit <= 0) return;
        double cap = bucket_size(e.config);
        double elapsed = static_cast<double>(std::max<std::int64_t>(0, now - e.refilled_at));
        e.tokens = std::min(cap, e.tokens + elapsed * e.config.rate_limit / 1000.0);
        e.refilled_at = now;
    }

    void poke() {
        {
            std::lock_guard lock(mutex_);
            dirty_ = true;
            wake_scheduler_ = true;
        }
        schedule_cv_.notify_one();
    }

    /// After queuing deliveries for `targets`: if one of them has a free slot and a worker is free,
    /// wakes an idle worker to run a scheduling round and take what it claims (one hand-off, not two
    /// through the scheduler thread). Otherwise a worker finishing an attempt runs a round, which (it
    /// decrements in_flight under this lock, then claims) is bound to see the new deliveries.
    void poke_for(const std::vector<std::string>& targets) {
        {
            std::lock_guard lock(mutex_);
            if (queue_.size() + in_progress_.size() >= options_.workers) return;
            bool any_free = false;
            for (const auto& id : targets) {
                auto it = endpoints_.find(id);
                if (it != endpoints_.end() && it->second.in_flight < concurrency_of(it->second)) {
                    any_free = true;
                    break;
                }
            }
            if (!any_free) return;
            dirty_ = true;
            if (scheduling_) return; // the thread running rounds goes round again and sees them
            round_wanted_ = true;
        }
        work_cv_.notify_one();
    }

    result<void> set_disabled(const std::string& id, bool disabled, const std::string& reason) {
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

    void hand_back(const delivery_record& d) { hand_back_id(d.id, d.endpoint_id); }
    void hand_back_id(std::uint64_t id, const std::string& endpoint_id) {
        (void)store_.release(id, now_ms());
        auto it = endpoints_.find(endpoint_id);
        if (it != endpoints_.end() && it->second.in_flight > 0) --it->second.in_flight;
    }

    // --- scheduler -------------------------------------------------------------------------------

    /// The scheduler thread: runs scheduling rounds when poked and when a timer is due (a retry, a
    /// rate-limit refill, `max_idle`). Workers run rounds themselves after each attempt, so under a
    /// steady load this thread sleeps.
    void schedule_loop() {
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

    /// Runs scheduling rounds (claiming due deliveries into queue_) until nothing changed meanwhile.
    /// Called with `lock` held; returns with it held. One thread schedules at a time: a second caller
    /// only marks the state dirty, so the running one goes round again, and gets nullopt. Otherwise
    /// returns when the next round is needed by (timers). `self_takes`: jobs the caller will take from
    /// the queue itself (a worker), so that many fewer idle workers are woken.
    std::optional<std::int64_t> run_rounds(std::unique_lock<std::mutex>& lock, std::size_t self_takes) {
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

    /// After a worker's rounds: wakes the scheduler thread if it is needed earlier than it plans to look.
    void after_rounds(std::optional<std::int64_t> wake_at) {
        if (wake_at && *wake_at < planned_wake_) {
            planned_wake_ = *wake_at;
            wake_scheduler_ = true;
            schedule_cv_.notify_one();
        }
    }

    /// One scheduling pass: claims due deliveries for endpoints with a free slot, as many as there are
    /// free workers. Sets `again` when it claimed and workers are still free (more may be due). Returns
    /// when the next pass is needed by.
    std::int64_t round(std::unique_lock<std::mutex>& lock, std::size_t& pushed, bool& again) {
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
            std::rotate(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(round_++ % ready.size()),
                        ready.end());
            lock.unlock();
            std::vector<claimed_delivery> claimed{};
            for (const auto& r : ready) {
                if (free == 0) break;
                // The lease outlasts the endpoint's timeout, so a live sender never loses a claim.
                auto got = store_.claim_due(now, std::min(r.slots, free), std::span<const std::string>(&r.id, 1),
                                            now + r.lease);
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

    // --- workers ---------------------------------------------------------------------------------

    void work_loop() {
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

    void attempt(const claimed_delivery& job, const snapshot& snap) {
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
        const bool report_needed =
            cb.on_attempt || (status == delivery_status::delivered && cb.on_delivered) ||
            ((status == delivery_status::exhausted || status == delivery_status::failed) && cb.on_exhausted);
        if (!report_needed) {
            if (disabled_reason && cb.on_endpoint_disabled) cb.on_endpoint_disabled(d.endpoint_id, *disabled_reason);
            return;
        }
        attempt_report report{m.id, d.endpoint_id, m.event_type, d.id, std::move(a), status, next_at};
        if (cb.on_attempt) cb.on_attempt(report);
        if (status == delivery_status::delivered && cb.on_delivered) cb.on_delivered(report);
        if ((status == delivery_status::exhausted || status == delivery_status::failed) && cb.on_exhausted)
            cb.on_exhausted(report);
        if (disabled_reason && cb.on_endpoint_disabled) cb.on_endpoint_disabled(d.endpoint_id, *disabled_reason);
    }

    struct health_change {
        bool changed = false;                  ///< `state` must be saved
        endpoint_state state{};                ///< the endpoint's state after the attempt
        std::optional<std::string> disabled{}; ///< why this attempt disabled the endpoint
    };

    /// Updates an endpoint's failure streak (call with `mutex_` held; the caller saves the state).
    health_change update_health(const std::string& endpoint_id, delivery_status status, bool gone, std::int64_t now) {
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
                } else if (options_.disable_after_exhausted > 0 &&
                           st.exhausted_count >= options_.disable_after_exhausted) {
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

    Transport transport_{};
    RetryPolicy retry_{};
    Store store_{};
    sender_options options_{};

    mutable std::mutex mutex_{};
    std::condition_variable schedule_cv_, work_cv_, idle_cv_;
    std::map<std::string, endpoint_entry> endpoints_{};
    std::deque<claimed_delivery> queue_{};
    std::map<std::uint64_t, std::string> in_progress_; // delivery id -> endpoint id
    std::set<std::uint64_t> abandoned_;
    std::size_t attempts_done_ = 0;
    std::size_t round_ = 0;
    bool dirty_ = false;            // something changed during a scheduling round: go round again
    bool scheduling_ = false;       // a thread is running scheduling rounds
    bool wake_scheduler_ = false;   // the scheduler thread should run a round now
    bool round_wanted_ = false;     // an idle worker should run a round (new deliveries)
    std::int64_t planned_wake_ = 0; // when the scheduler thread looks next (Unix ms)
    bool accepting_ = true;
    bool stopping_ = false;
    bool stopped_ = false;
    std::thread scheduler_{};
    std::vector<std::thread> workers_{};
};

/// The stock sender: Standard Webhooks signatures, cpp-httplib transport (SSRF protection on), the
/// Standard Webhooks retry schedule, and the in-memory store.
using standard_sender = basic_sender<httplib_transport, standard_signer, standard_schedule, memory_store>;

HOOKLINE_END_NAMESPACE
