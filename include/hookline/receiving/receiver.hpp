/// \file `basic_receiver`: verifies incoming webhooks, drops duplicates and dispatches each event to
/// the handler registered for its type. Framework-agnostic: any HTTP server (cpp-httplib, Drogon,
/// Crow, Boost.Beast, a CGI script) turns its request into a `request_view`, calls `handle`, and
/// sends back the `response` (see httplib_adapter.hpp for a one-line cpp-httplib mount).
///
/// A synchronous handler may answer with its own body (`webhook_event::reply`, e.g. Slack's
/// `url_verification` challenge). Status codes are chosen so senders do the right thing: 2xx when
/// handled or a duplicate (no retry), 400 malformed request or body, 401 bad signature or timestamp,
/// 404/405 wrong path/method, 409 the same id is being handled right now, 413 body over the limit, 415
/// wrong content type, 500 a handler failed, 503 (+ Retry-After) the queue is full or the
/// de-duplication store failed (the sender retries).
///
/// Ordered delivery (`receiver_options::check_sequence`): a verified delivery carrying
/// `webhook-sequence` whose position is not after the last one handled for its `webhook-ordering-key`
/// is acknowledged without dispatch (2xx, `outcome::stale`, a warning logged); one whose
/// `webhook-sequence-previous` was not handled here yet gets 409 + Retry-After (`outcome::out_of_order`)
/// and stays unhandled, so the sender's retry brings it in order.
///
/// Thread-safety: register handlers and observers before the first `handle`; from then on `handle`
/// may be called from any number of threads at once (the verifier and store must allow it, as the
/// stock ones do). Handlers run concurrently and must be thread-safe themselves.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/logger.hpp>
#include <hookline/core/worker_pool.hpp>
#include <hookline/receiving/dedup_store.hpp>
#include <hookline/receiving/detail/dispatch.hpp>
#include <hookline/receiving/detail/event_json.hpp>
#include <hookline/receiving/detail/sequence.hpp>
#include <hookline/receiving/detail/verifier_traits.hpp>
#include <hookline/receiving/receiver_options.hpp>
#include <hookline/receiving/request.hpp>
#include <hookline/receiving/webhook_event.hpp>
#include <hookline/signing/schemes/standard.hpp>
#include <hookline/signing/verifier.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

/// The receiver: `Verifier` authenticates requests (any `hookline::verifier`), `Store` remembers
/// handled ids (any `hookline::dedup_store`; `null_dedup_store` turns de-duplication off).
///
/// Message ids and event types come from the scheme: from the verified headers when the scheme
/// carries them there (GitHub, Shopify), otherwise from the JSON body fields the verifier names in
/// `body_id_field` / `body_type_field` ("id" and "type" when it names none; a name starting with '/'
/// is a JSON pointer). When no id exists at all, the SHA-256 of the body is the de-duplication key.
///
/// Not copyable or movable (worker threads refer to it); construct it where it lives. Throws
/// `hookline::error` (`errc::invalid_option`) for `check_sequence` with a `Store` that is not a
/// `sequence_store` (`null_dedup_store`, most custom stores), with `asynchronous`, or with a negative
/// `sequence_retry_after`.
template <verifier Verifier, dedup_store Store = memory_dedup_store>
class basic_receiver {
public:
    using verifier_type = Verifier;
    using store_type = Store;
    /// A handler's type-erased form.
    using handler_function = decltype(detail::handler_entry::fn);

    explicit basic_receiver(Verifier verifier, receiver_options options = {}, Store store = Store{})
        : verifier_(std::move(verifier)), options_(std::move(options)), store_(std::move(store)) {
        if (options_.check_sequence) {
            if constexpr (!sequence_store<Store>)
                throw error(make_error_code(errc::invalid_option),
                            "receiver_options.check_sequence needs a store that keeps sequences (a sequence_store)");
            if (options_.asynchronous)
                throw error(make_error_code(errc::invalid_option),
                            "receiver_options.check_sequence needs synchronous handling (asynchronous is set)");
            if (options_.sequence_retry_after.count() < 0)
                throw error(make_error_code(errc::invalid_option), "receiver_options.sequence_retry_after is negative");
        }
        if (options_.content_type) {
            if (!options_.content_type->empty()) content_type_ = *options_.content_type;
        } else if (auto ct = detail::content_type_of(verifier_)) {
            content_type_ = std::string(*ct);
        }
        if (options_.asynchronous) pool_ = std::make_unique<worker_pool>(options_.workers);
    }
    basic_receiver(const basic_receiver&) = delete;
    basic_receiver& operator=(const basic_receiver&) = delete;
    /// Runs the queued events to completion, then stops the workers.
    ~basic_receiver() { pool_.reset(); }

    /// Registers `fn` for `pattern`: an exact type ("invoice.paid"), a prefix ending in '*'
    /// ("invoice.*" matches "invoice.paid" and "invoice.line.created"), or "*" for any event. The most
    /// specific match wins: exact, then the longest prefix, then "*". A second handler for the same
    /// pattern replaces the first. `fn(const webhook_event&)` returns void, bool or `result<void>`; throwing,
    /// `false` or an error marks the delivery failed (500, and the id stays unhandled).
    template <class F>
    requires std::invocable<F&, const webhook_event&> basic_receiver& on(std::string_view pattern, F fn) {
        handlers_.add(
            pattern,
            {[f = std::move(fn)](const webhook_event& e) mutable { return detail::invoke_handler(f, e); }, false});
        return *this;
    }

    /// A typed handler: the JSON body is converted with nlohmann/json's `from_json` into `T` and
    /// passed as `fn(const T&)` or `fn(const T&, const webhook_event&)`. A body that is not JSON is
    /// rejected (400) before any handler runs; a conversion that throws counts as a failed handler (500).
    template <class T, class F>
    requires(std::invocable<F&, const T&> ||
             std::invocable<F&, const T&, const webhook_event&>) basic_receiver& on(std::string_view pattern, F fn) {
        handlers_.add(pattern, {[f = std::move(fn)](const webhook_event& e) mutable -> result<void> {
                                    const T value = e.json().template get<T>();
                                    if constexpr (std::invocable<F&, const T&, const webhook_event&>)
                                        return detail::invoke_handler(f, value, e);
                                    else
                                        return detail::invoke_handler(f, value);
                                },
                                true});
        return *this;
    }

    /// Same as `on("*", fn)`.
    template <class F>
    requires std::invocable<F&, const webhook_event&> basic_receiver& on_any(F fn) { return on("*", std::move(fn)); }

    /// Verifies, de-duplicates and dispatches one request. Never throws (a throwing handler gives 500).
    response handle(const request_view& request) noexcept {
        const bool observed = static_cast<bool>(options_.observer);
        const auto start = observed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        report r;
        response res;
        try {
            res = process(request, r);
        } catch (...) {
            r.result = outcome::failed;
            r.error = make_error_code(errc::handler_failed);
            res = plain(500, "500 internal error");
        }
        r.status = res.status;
        if (observed) {
            request_info info{r.result, res.status, detail::scheme_name_of(verifier_),        r.event_type, r.id,
                              r.error,  r.detail,   std::chrono::steady_clock::now() - start, false};
            try {
                options_.observer(info);
            } catch (...) {
            }
        }
        return res;
    }

    /// Asynchronous mode: blocks until every queued event has been handled. Returns at once otherwise.
    void wait_idle() {
        if (pool_) pool_->wait_idle();
    }

    const receiver_options& options() const noexcept { return options_; }
    const Verifier& verifier() const noexcept { return verifier_; }
    Store& store() noexcept { return store_; }

private:
    using entry = detail::handler_entry;
    struct report {
        outcome result = outcome::rejected;
        int status = 0;
        std::error_code error;
        std::string event_type;
        std::string id;
        std::string detail;
    };

    static response plain(int status, std::string body) {
        response res;
        res.status = status;
        res.headers.reserve(2);
        res.headers.add("Content-Type", "text/plain; charset=utf-8");
        res.body = std::move(body);
        return res;
    }

    /// The response for a handler's `reply`.
    static response replied(event_reply&& reply) {
        response res;
        res.status = reply.status;
        if (reply.status != 204) {
            res.headers.add("Content-Type", std::move(reply.content_type));
            res.body = std::move(reply.body);
        }
        return res;
    }

    static response reject(report& r, std::error_code ec) {
        r.result = outcome::rejected;
        r.error = ec;
        const int status = http_status_for(ec);
        return plain(status, std::to_string(status) + " " + ec.message());
    }

    response busy(report& r, std::error_code ec) const {
        r.result = outcome::busy;
        r.error = ec;
        response res = plain(503, "503 " + ec.message());
        res.headers.add("Retry-After", std::to_string(options_.retry_after.count()));
        return res;
    }

    response process(const request_view& req, report& r) {
        // 1. Where and how it was sent.
        if (!options_.path.empty()) {
            std::string_view path = req.target.substr(0, req.target.find('?'));
            if (path != options_.path) return reject(r, errc::not_found);
        }
        if (req.method != "POST") {
            response res = reject(r, errc::method_not_allowed);
            res.headers.add("Allow", "POST");
            return res;
        }
        if ((req.content_length && *req.content_length > options_.max_body_size) ||
            req.body.size() > options_.max_body_size)
            return reject(r, errc::payload_too_large);
        if (!content_type_.empty()) {
            auto ct = req.headers.get("Content-Type");
            if (!ct || !detail::iequals(detail::media_type(*ct), content_type_))
                return reject(r, errc::unsupported_media_type);
        }

        // 2. Who sent it.
        const std::int64_t now = now_from(options_.clock);
        std::string url;
        if (req.url.empty() && !options_.public_base_url.empty())
            url = options_.public_base_url + std::string(req.target);
        auto verified =
            verifier_.verify({.headers = req.headers, .body = req.body, .url = req.url.empty() ? url : req.url}, now);
        if (!verified) return reject(r, verified.error());
        // Its place in its key's stream: read only once it is authentic (an unsigned request never
        // reaches the store).
        std::optional<detail::sequence_position> position;
        if (options_.check_sequence) {
            auto read = detail::read_sequence(req.headers);
            if (!read) return reject(r, read.error());
            position = *read;
        }

        // 3. What it is: id and type from the scheme's headers, else from the body. They live in the
        // report (for the observer) and are moved into the event and back: no copies.
        std::string& id = r.id;
        std::string& type = r.event_type;
        id = std::move(verified->id);
        type = std::move(verified->event_type);
        const std::string_view id_field = id.empty() ? detail::body_id_field_of(verifier_).value_or("id") : "";
        const std::string_view type_field = type.empty() ? detail::body_type_field_of(verifier_).value_or("type") : "";
        const entry* handler = nullptr;
        bool body_checked = false;
        if (!id_field.empty() || !type_field.empty()) {
            auto fields = detail::read_event_fields(req.body, options_.max_json_depth, id_field, type_field);
            if (!fields) return reject(r, errc::malformed_body);
            body_checked = true;
            if (id.empty() && fields->id) id = std::move(*fields->id);
            if (type.empty() && fields->type) type = std::move(*fields->type);
        }
        if (id.empty()) id = detail::sha256_key(req.body);

        handler = handlers_.find(type);
        if (handler && handler->needs_json && !body_checked &&
            !detail::read_event_json(req.body, options_.max_json_depth))
            return reject(r, errc::malformed_body);

        // 4. Seen before? (`key` views `id` or `hashed`; `id` is not moved while it is used.)
        const std::string hashed = id.size() > max_key_size ? detail::sha256_key(id) : std::string();
        std::string_view key = hashed.empty() ? std::string_view(id) : std::string_view(hashed);
        auto claim = store_.try_claim(key, now);
        if (!claim) return busy(r, claim.error());
        if (*claim == claim_status::done) {
            if (position) record_position(*position, now); // handled before: it is processed (heals a lost record)
            r.result = outcome::duplicate;
            return plain(200, "200 duplicate");
        }
        if (*claim == claim_status::in_progress) {
            r.result = outcome::in_progress;
            response res = plain(409, "409 delivery in progress");
            res.headers.add("Retry-After", std::to_string(options_.retry_after.count()));
            return res;
        }
        if (position)
            if (auto answer = check_position(*position, key, now, r)) return std::move(*answer);
        if (!handler) {
            if (auto done = finish(key, position, now); !done) {
                (void)store_.release(key);
                return busy(r, done.error());
            }
            r.result = outcome::unhandled;
            return plain(200, "200 no handler");
        }

        // 5. Dispatch.
        if (pool_) {
            auto job = std::make_shared<queued_event>(
                queued_event{id, type, verified->timestamp, std::string(req.body), req.headers.to_map()});
            auto task = [this, handler, key = std::string(key), job = std::move(job)]() {
                run_deferred(*handler, key, *job);
            };
            if (!pool_->try_submit(std::move(task))) {
                (void)store_.release(key);
                return busy(r, errc::queue_full);
            }
            r.result = outcome::queued;
            return plain(202, "202 accepted");
        }
        webhook_event ev(std::move(id), std::move(type), verified->timestamp, req.body, req.headers);
        auto ran = run(*handler, ev, r.detail);
        id = std::move(ev.id);
        type = std::move(ev.type);
        key = hashed.empty() ? std::string_view(id) : std::string_view(hashed);
        if (!ran) {
            (void)store_.release(key);
            r.result = outcome::failed;
            r.error = ran.error();
            return plain(500, "500 handler failed"); // a reply set before failing is discarded
        }
        if (auto done = finish(key, position, now_from(options_.clock)); !done) {
            (void)store_.release(key); // the retry runs the handler again and records its position
            return busy(r, done.error());
        }
        r.result = outcome::handled;
        if (ev.replied()) return replied(std::move(*ev.reply_));
        return plain(200, "200 ok");
    }

    /// Ordered delivery, once the id is claimed: nullopt to dispatch, otherwise the answer (a stale
    /// position completes the claim, one ahead of a missing position releases it).
    std::optional<response> check_position(const detail::sequence_position& p, std::string_view key, std::int64_t now,
                                           report& r) {
        if constexpr (sequence_store<Store>) {
            auto last = store_.last_sequence(p.key, now);
            if (!last) {
                (void)store_.release(key);
                return busy(r, last.error());
            }
            if (!*last) return std::nullopt; // first seen: tracking starts here
            const std::uint64_t seen = **last;
            if (p.number <= seen) { // handling it would roll the key's state back
                (void)store_.complete(key, now);
                r.result = outcome::stale;
                r.detail = detail::stale_sequence_line(r.id, p, seen);
                log_warning(r.detail);
                return plain(200, "200 stale sequence");
            }
            if (p.previous > seen) {
                (void)store_.release(key);
                r.result = outcome::out_of_order;
                r.detail = "sequence " + std::to_string(p.number) + " after " + std::to_string(p.previous) +
                           ", last processed " + std::to_string(seen);
                response res = plain(409, "409 an earlier message of this ordering key is missing");
                res.headers.add("Retry-After", std::to_string(options_.sequence_retry_after.count()));
                return res;
            }
        }
        return std::nullopt;
    }

    /// Hands `line` to the logger, if any; a throwing logger changes nothing.
    void log_warning(std::string_view line) const noexcept {
        if (!options_.logger) return;
        try {
            options_.logger(log_level::warning, line);
        } catch (...) {
        }
    }

    /// Best effort: `p`'s position is the key's last one if it is higher.
    void record_position(const detail::sequence_position& p, std::int64_t now) {
        if constexpr (sequence_store<Store>) (void)store_.record_sequence(p.key, p.number, now);
    }

    /// Marks a handled id done and, with a position, records it (first, or in one step): an error
    /// only when the position could not be recorded.
    result<void> finish(std::string_view key, const std::optional<detail::sequence_position>& p, std::int64_t now) {
        if constexpr (sequence_store<Store>) {
            if (p) {
                if constexpr (atomic_sequence_store<Store>) {
                    return store_.complete_with_sequence(key, p->key, p->number, now);
                } else {
                    if (auto recorded = store_.record_sequence(p->key, p->number, now); !recorded) return recorded;
                    (void)store_.complete(key, now);
                    return {};
                }
            }
        }
        if constexpr (!std::same_as<Store, null_dedup_store>) (void)store_.complete(key, now);
        return {};
    }

    static result<void> run(const entry& handler, const webhook_event& ev, std::string& why) {
        try {
            auto ran = handler.fn(ev);
            if (!ran) why = ran.error().message();
            return ran;
        } catch (const std::exception& e) {
            why = e.what();
        } catch (...) {
            why = "unknown exception";
        }
        return errc::handler_failed;
    }

    /// An event waiting for a worker: owns what the request's views pointed at.
    struct queued_event {
        std::string id;
        std::string type;
        std::optional<std::int64_t> timestamp;
        std::string body;
        header_map headers;
    };

    void run_deferred(const entry& handler, const std::string& key, const queued_event& job) {
        const auto start = std::chrono::steady_clock::now();
        const webhook_event ev(job.id, job.type, job.timestamp, job.body, job.headers, false);
        std::string why;
        auto ran = run(handler, ev, why);
        if (ran)
            (void)store_.complete(key, now_from(options_.clock));
        else
            (void)store_.release(key);
        if (options_.observer) {
            request_info info{ran ? outcome::handled : outcome::failed,
                              ran ? 200 : 500,
                              detail::scheme_name_of(verifier_),
                              job.type,
                              job.id,
                              ran.error(),
                              why,
                              std::chrono::steady_clock::now() - start,
                              true};
            try {
                options_.observer(info);
            } catch (...) {
            }
        }
    }

    static constexpr std::size_t max_key_size = 256; // longer ids are hashed before storing

    Verifier verifier_;
    receiver_options options_;
    Store store_;
    std::string content_type_;
    detail::handler_table handlers_;
    std::unique_ptr<worker_pool> pool_; // last: destroyed first, while everything it uses is alive
};

/// A receiver of Standard Webhooks (`webhook-id`/`webhook-timestamp`/`webhook-signature`; the event
/// type is the body's "type").
using standard_receiver = basic_receiver<standard_verifier>;

HOOKLINE_END_NAMESPACE
