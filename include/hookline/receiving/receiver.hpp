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
/// Thread-safety: register handlers and observers before the first `handle`; from then on `handle`
/// may be called from any number of threads at once (the verifier and store must allow it, as the
/// stock ones do). Handlers run concurrently and must be thread-safe themselves.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/worker_pool.hpp>
#include <hookline/receiving/dedup_store.hpp>
#include <hookline/receiving/detail/dispatch.hpp>
#include <hookline/receiving/detail/event_json.hpp>
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
/// Not copyable or movable (worker threads refer to it); construct it where it lives.
template <verifier Verifier, dedup_store Store = memory_dedup_store>
class basic_receiver {
public:
    using verifier_type = Verifier;
    using store_type = Store;
    /// A handler's type-erased form.
    using handler_function = decltype(detail::handler_entry::fn);

    explicit basic_receiver(Verifier verifier, receiver_options options = {}, Store store = Store{})
        : verifier_(std::move(verifier)), options_(std::move(options)), store_(std::move(store)) {
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
            r.result = outcome::duplicate;
            return plain(200, "200 duplicate");
        }
        if (*claim == claim_status::in_progress) {
            r.result = outcome::in_progress;
            response res = plain(409, "409 delivery in progress");
            res.headers.add("Retry-After", std::to_string(options_.retry_after.count()));
            return res;
        }
        if (!handler) {
            (void)store_.complete(key, now);
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
        if constexpr (!std::same_as<Store, null_dedup_store>) (void)store_.complete(key, now_from(options_.clock));
        r.result = outcome::handled;
        if (ev.replied()) return replied(std::move(*ev.reply_));
        return plain(200, "200 ok");
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
