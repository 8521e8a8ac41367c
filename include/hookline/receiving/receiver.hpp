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
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/worker_pool.hpp>
#include <hookline/receiving/dedup_store.hpp>
#include <hookline/receiving/detail/event_json.hpp>
#include <hookline/signing/schemes/standard.hpp>
#include <hookline/signing/verifier.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#ifndef HOOKLINE_RECEIVER_READ_EVENT_JSON // measurement scaffold, removed once measured
#define HOOKLINE_RECEIVER_READ_EVENT_JSON ::hookline::detail::read_event_json
#endif

HOOKLINE_BEGIN_NAMESPACE

/// An HTTP request as the receiver sees it. Views only, valid for the duration of `handle`.
struct request_view {
    std::string_view method; ///< "POST", ...
    std::string_view target; ///< path and query as received, e.g. "/webhooks?x=1"
    /// Every header field, repeats kept: a `header_map`, or `header_ref`s pointing into the server's own
    /// header storage (no copy; see httplib_adapter.hpp). Must outlive the `handle` call.
    header_view headers;
    std::string_view body; ///< the raw body (empty when it was not read because it was too large)
    /// The public URL the sender posted to, for schemes that sign it (Twilio, Square). Empty: the
    /// receiver uses `receiver_options::public_base_url` + `target`.
    std::string_view url{};
    /// The body size declared before reading it (Content-Length), when known. Over the limit, the
    /// receiver answers 413 without looking at `body`, so adapters need not read it at all.
    std::optional<std::uint64_t> content_length{};
};

/// What to send back: status, headers and a short text body.
struct response {
    int status = 200;
    header_map headers;
    std::string body;
};

/// How the receiver disposed of a request.
enum class outcome {
    handled,     ///< verified and its handler succeeded (2xx)
    duplicate,   ///< verified, but this id was handled before: acknowledged, not dispatched (2xx)
    unhandled,   ///< verified, but no handler matches its type: acknowledged (2xx)
    queued,      ///< verified and queued for a worker (asynchronous mode, 2xx)
    in_progress, ///< verified, but the same id is being handled right now (409)
    rejected,    ///< the request failed a check: path, method, size, content type, signature, body (4xx)
    failed,      ///< the handler threw or reported failure (5xx; in asynchronous mode reported afterwards)
    busy,        ///< the worker queue is full or the de-duplication store failed (503 + Retry-After)
};

/// A short lower-case name for `o` ("handled", "duplicate", ...).
inline std::string_view to_string(outcome o) noexcept {
    switch (o) {
    case outcome::handled: return "handled";
    case outcome::duplicate: return "duplicate";
    case outcome::unhandled: return "unhandled";
    case outcome::queued: return "queued";
    case outcome::in_progress: return "in_progress";
    case outcome::rejected: return "rejected";
    case outcome::failed: return "failed";
    case outcome::busy: return "busy";
    }
    return "unknown";
}

/// The HTTP status a receiver answers for a failed check `ec`.
inline int http_status_for(std::error_code ec) noexcept {
    if (ec.category() != error_category()) return 500;
    switch (static_cast<errc>(ec.value())) {
    case errc::ok: return 200;
    case errc::missing_header:
    case errc::malformed_header:
    case errc::duplicate_header:
    case errc::malformed_body:
    case errc::invalid_argument: return 400;
    case errc::no_matching_signature:
    case errc::timestamp_too_old:
    case errc::timestamp_too_new:
    case errc::body_hash_mismatch: return 401;
    case errc::not_found: return 404;
    case errc::method_not_allowed: return 405;
    case errc::payload_too_large: return 413;
    case errc::unsupported_media_type: return 415;
    case errc::queue_full:
    case errc::store_failure: return 503;
    case errc::no_handler: return 200;
    default: return 500; // our own failure (key, crypto, configuration such as a missing URL)
    }
}

template <verifier Verifier, dedup_store Store>
class basic_receiver;

/// What a handler answers instead of the stock "200 ok" (see `webhook_event::reply`).
struct event_reply {
    int status = 200;         ///< 200, 201, 202 or 204
    std::string content_type; ///< sent as Content-Type (not with 204)
    std::string body;         ///< empty with 204
};

/// One verified delivery, as handlers see it. Views into the request: valid during the handler call
/// only; copy what you keep. Not for concurrent use (`json()` caches its parse, `reply` stores the
/// answer); each delivery gets its own object.
class webhook_event {
public:
    /// The largest body `reply` accepts, in bytes (webhook answers are short: a challenge, an id).
    static constexpr std::size_t max_reply_size = 64 * 1024;

    /// `accepts_reply`: whether `reply` can take effect (the receiver passes false in asynchronous mode).
    webhook_event(std::string id, std::string type, std::optional<std::int64_t> timestamp, std::string_view body,
                  header_view headers, bool accepts_reply = true)
        : id(std::move(id)), type(std::move(type)), timestamp(timestamp), body(body), headers_(headers),
          accepts_reply_(accepts_reply) {}

    std::string id;                        ///< the message id; "sha256:<hex of the body>" when the scheme carries none
    std::string type;                      ///< the event type; empty when the scheme and body carry none
    std::optional<std::int64_t> timestamp; ///< signed timestamp, for schemes that have one
    std::string_view body;                 ///< the raw body, byte for byte

    /// The request's headers (a view; `header_map h = e.headers();` copies them).
    header_view headers() const noexcept { return headers_; }

    /// The body parsed as JSON, on first use. Throws `nlohmann::json::parse_error` when it is not
    /// JSON (a handler that lets it escape fails: 500). Typed handlers get it already converted.
    const nlohmann::json& json() const {
        if (!json_) json_ = nlohmann::json::parse(body);
        return *json_;
    }

    /// Synchronous mode: answer this delivery with `reply_body` (as `content_type`, with `status`)
    /// instead of the stock "200 ok", once the handler has returned successfully; a failing handler's reply is
    /// discarded (500). A later call replaces an earlier one. Returns false and changes nothing when a
    /// reply is impossible: in asynchronous mode (the sender already got 202), for a body longer than
    /// `max_reply_size`, a status other than 200, 201, 202 or 204 (204 only with an empty body), or an
    /// empty content type or one with bytes outside printable ASCII (which could split the header).
    bool reply(std::string reply_body, std::string content_type = "text/plain; charset=utf-8", int status = 200) const {
        if (!accepts_reply_ || reply_body.size() > max_reply_size) return false;
        if (status != 200 && status != 201 && status != 202 && status != 204) return false;
        if (status == 204) {
            if (!reply_body.empty()) return false;
            content_type.clear();
        } else {
            if (content_type.empty()) return false;
            for (char c : content_type)
                if (c < 0x20 || c > 0x7e) return false;
        }
        reply_ = event_reply{status, std::move(content_type), std::move(reply_body)};
        return true;
    }

    /// Whether `reply` can take effect: false in asynchronous mode.
    bool accepts_reply() const noexcept { return accepts_reply_; }

    /// The reply set by `reply`, if any.
    const std::optional<event_reply>& replied() const noexcept { return reply_; }

private:
    template <verifier V, dedup_store S>
    friend class basic_receiver;

    header_view headers_;
    bool accepts_reply_ = true;
    mutable std::optional<nlohmann::json> json_;
    mutable std::optional<event_reply> reply_;
};

/// What the observer hook learns about each request.
struct request_info {
    outcome result = outcome::rejected;
    int status = 0;
    std::string_view scheme;             ///< the verifier's `scheme_name` ("custom" when it has none)
    std::string_view event_type;         ///< empty when not known (for example, rejected before parsing)
    std::string_view id;                 ///< empty when not known
    std::error_code error;               ///< what failed (rejected, failed, busy); empty otherwise
    std::string_view detail;             ///< a handler's exception message, for logs only (never sent back)
    std::chrono::nanoseconds latency{0}; ///< time spent in `handle` (or in the handler when `deferred`)
    bool deferred = false;               ///< true for the second report of a queued event, once its handler ran
};

/// Called once per `handle` (and once more per queued event when its handler finishes). Must be
/// thread-safe and must not throw.
using request_observer = std::function<void(const request_info&)>;

/// Options of a `basic_receiver`. Aggregate: use designated initialisers.
struct receiver_options {
    /// Path the receiver answers on (compared with `target` without its query); empty accepts any.
    std::string path{};
    /// Largest accepted body in bytes (413 beyond).
    std::size_t max_body_size = 1024 * 1024;
    /// Required media type (compared without parameters, case-insensitively), e.g. "application/json".
    /// Unset: the scheme's own requirement (JSON for Standard Webhooks); empty string: no check.
    std::optional<std::string> content_type{};
    /// Prefix of the public URL for schemes that sign it: the URL is this + the request target.
    std::string public_base_url{};
    /// Source of the current time (timestamp tolerance, de-duplication TTL). Empty: the system clock.
    clock_function clock{};
    /// Acknowledge after verification and run handlers on a worker pool (see `worker_pool_options`).
    bool asynchronous = false;
    worker_pool_options workers{};
    /// The `Retry-After` seconds sent with 503.
    std::chrono::seconds retry_after{5};
    /// Nesting depth beyond which a JSON body is rejected as malformed (bounds parser work).
    std::size_t max_json_depth = 128;
    /// Called for every request with its outcome.
    request_observer observer{};
};

namespace detail {
/// The member `name` of a verifier, when it declares one.
template <class V>
std::optional<std::string_view> body_id_field_of(const V& v) {
    if constexpr (requires { std::string_view(v.body_id_field); })
        return std::string_view(v.body_id_field);
    else
        return std::nullopt;
}
template <class V>
std::optional<std::string_view> body_type_field_of(const V& v) {
    if constexpr (requires { std::string_view(v.body_type_field); })
        return std::string_view(v.body_type_field);
    else
        return std::nullopt;
}
template <class V>
std::string_view scheme_name_of(const V& v) {
    if constexpr (requires { std::string_view(v.scheme_name); })
        return std::string_view(v.scheme_name);
    else
        return "custom";
}
/// The media type a scheme requires, when it fixes one.
template <class V>
std::optional<std::string_view> content_type_of(const V& v) {
    if constexpr (requires { std::string_view(v.content_type); }) {
        std::string_view ct(v.content_type);
        if (ct.empty()) return std::nullopt;
        return ct;
    } else if constexpr (std::same_as<V, standard_verifier>) {
        return std::string_view("application/json"); // the Standard Webhooks payload is JSON
    } else {
        return std::nullopt;
    }
}

/// "application/json; charset=utf-8" → "application/json".
inline std::string_view media_type(std::string_view value) noexcept { return trim(value.substr(0, value.find(';'))); }

/// A field of a JSON object: a top-level member name, or a JSON pointer when it starts with '/'.
inline const nlohmann::json* json_field(const nlohmann::json& doc, std::string_view field) {
    if (field.empty() || !doc.is_object()) return nullptr;
    if (field.front() == '/') {
        try {
            nlohmann::json::json_pointer ptr{std::string(field)};
            if (!doc.contains(ptr)) return nullptr;
            return &doc.at(ptr);
        } catch (const nlohmann::json::exception&) {
            return nullptr;
        }
    }
    auto it = doc.find(field);
    return it == doc.end() ? nullptr : &*it;
}

inline std::string sha256_key(std::string_view data) {
    std::string key;
    key.reserve(7 + 64);
    key.append("sha256:").append(hex_encode(sha256(data).view()));
    return key;
}

/// Hash of a `std::string`-keyed map that also looks up `std::string_view`s without a copy.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// Wraps a user handler returning void, bool or result<void> into one returning result<void>.
template <class F, class... Args>
result<void> invoke_handler(F& f, Args&&... args) {
    using R = std::invoke_result_t<F&, Args...>;
    if constexpr (std::is_void_v<R>) {
        std::invoke(f, std::forward<Args>(args)...);
        return {};
    } else if constexpr (std::same_as<R, bool>) {
        return std::invoke(f, std::forward<Args>(args)...) ? result<void>{} : result<void>{errc::handler_failed};
    } else {
        static_assert(std::same_as<R, result<void>>, "a handler returns void, bool or hookline::result<void>");
        return std::invoke(f, std::forward<Args>(args)...);
    }
}
} // namespace detail

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
    using handler_function = std::function<result<void>(const webhook_event&)>;

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
        add(pattern,
            entry{[f = std::move(fn)](const webhook_event& e) mutable { return detail::invoke_handler(f, e); }, false});
        return *this;
    }

    /// A typed handler: the JSON body is converted with nlohmann/json's `from_json` into `T` and
    /// passed as `fn(const T&)` or `fn(const T&, const webhook_event&)`. A body that is not JSON is
    /// rejected (400) before any handler runs; a conversion that throws counts as a failed handler (500).
    template <class T, class F>
    requires(std::invocable<F&, const T&> ||
             std::invocable<F&, const T&, const webhook_event&>) basic_receiver& on(std::string_view pattern, F fn) {
        add(pattern, entry{[f = std::move(fn)](const webhook_event& e) mutable -> result<void> {
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
    struct entry {
        handler_function fn;
        bool needs_json = false;
    };
    struct report {
        outcome result = outcome::rejected;
        int status = 0;
        std::error_code error;
        std::string event_type;
        std::string id;
        std::string detail;
    };

    void add(std::string_view pattern, entry e) {
        if (pattern == "*") {
            any_ = std::move(e);
        } else if (pattern.ends_with('*')) {
            std::string prefix(pattern.substr(0, pattern.size() - 1));
            auto it =
                std::find_if(prefixes_.begin(), prefixes_.end(), [&](const auto& p) { return p.first == prefix; });
            if (it != prefixes_.end()) {
                it->second = std::move(e);
            } else {
                prefixes_.emplace_back(std::move(prefix), std::move(e));
                std::stable_sort(prefixes_.begin(), prefixes_.end(),
                                 [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
            }
        } else {
            exact_[std::string(pattern)] = std::move(e);
        }
    }

    const entry* find(std::string_view type) const {
        if (!type.empty()) {
            if (!exact_.empty())
                if (auto it = exact_.find(type); it != exact_.end()) return &it->second;
            for (const auto& [prefix, e] : prefixes_)
                if (type.starts_with(prefix)) return &e;
        }
        return any_ ? &*any_ : nullptr;
    }

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
            const bool pointers = id_field.starts_with('/') || type_field.starts_with('/');
            auto fields = HOOKLINE_RECEIVER_READ_EVENT_JSON(req.body, options_.max_json_depth,
                                                            pointers ? "" : id_field, pointers ? "" : type_field);
            if (!fields) return reject(r, errc::malformed_body);
            body_checked = true;
            if (pointers) {
                const auto doc = nlohmann::json::parse(req.body, nullptr, false);
                if (const auto* v = detail::json_field(doc, id_field)) {
                    if (v->is_string())
                        id = v->template get<std::string>();
                    else if (v->is_number())
                        id = v->dump();
                }
                if (const auto* v = detail::json_field(doc, type_field); v && v->is_string())
                    type = v->template get<std::string>();
            } else {
                if (id.empty() && fields->id) id = std::move(*fields->id);
                if (type.empty() && fields->type) type = std::move(*fields->type);
            }
        }
        if (id.empty()) id = detail::sha256_key(req.body);

        handler = find(type);
        if (handler && handler->needs_json && !body_checked &&
            !HOOKLINE_RECEIVER_READ_EVENT_JSON(req.body, options_.max_json_depth, {}, {}))
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
    std::unordered_map<std::string, entry, detail::string_hash, std::equal_to<>> exact_;
    std::vector<std::pair<std::string, entry>> prefixes_;
    std::optional<entry> any_;
    std::unique_ptr<worker_pool> pool_; // last: destroyed first, while everything it uses is alive
};

/// A receiver of Standard Webhooks (`webhook-id`/`webhook-timestamp`/`webhook-signature`; the event
/// type is the body's "type").
using standard_receiver = basic_receiver<standard_verifier>;

HOOKLINE_END_NAMESPACE
