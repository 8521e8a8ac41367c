/// \file `basic_management_api`: an embeddable management API speaking the Svix REST API (`/api/v1/...`)
/// over a sender and its store's registry, so the official Svix SDKs, a dashboard or `curl` can
/// register applications and endpoints, rotate secrets, send messages, and read attempts.
///
/// Framework-agnostic like the receiver: `handle(request_view) -> response`. Mount it with
/// `hookline::mount_management` (hookline/management/httplib_adapter.hpp) or give `handle` to a
/// `beast_server` (hookline/serving/beast_server.hpp) as its handler. Which calls are covered and how
/// they differ from Svix's: docs/management-api.md.
///
/// Every request needs `Authorization: Bearer <token>`, judged by `management_options::authoriser`.
/// A POST with an `Idempotency-Key` answered 2xx is answered the same way for the same token, key and
/// target for `idempotency_ttl`; a second one while the first is under way gets 409.
///
/// Thread-safety: `handle` may be called from any number of threads at once (the server's). Changes
/// to one endpoint from two requests at once: the last one wins, in the sender and the registry alike.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/digest.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/logger.hpp>
#include <hookline/management/detail/app_routes.hpp>
#include <hookline/management/detail/context.hpp>
#include <hookline/management/detail/endpoint_routes.hpp>
#include <hookline/management/detail/http.hpp>
#include <hookline/management/detail/message_routes.hpp>
#include <hookline/management/management_options.hpp>
#include <hookline/management/metrics.hpp>
#include <hookline/receiving/request.hpp>
#include <hookline/registry/registry.hpp>
#include <hookline/registry/registry_store.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

template <class Sender>
requires registry_store<typename Sender::store_type>
class basic_management_api {
public:
    using registry_type = basic_registry<typename Sender::store_type>;

    /// Serves `sender` (which must outlive it) and `registry` (opened on the sender's store).
    basic_management_api(Sender& sender, registry_type registry, management_options options = {})
        : sender_(&sender), registry_(std::move(registry)), options_(std::move(options)) {}

    /// Gives the sender every endpoint the registry holds (call once at start, before serving):
    /// a restarted process resumes with its endpoints as they were. Endpoints the sender refuses
    /// (an address its policy forbids) are logged and stay registered.
    result<std::size_t> load() {
        std::size_t refused = 0;
        auto n = load_registered_endpoints(*sender_, registry_, &refused);
        if (n && refused && options_.logger)
            options_.logger(log_level::warning, "hookline management: " + std::to_string(refused) +
                                                    " registered endpoints were refused by the sender");
        return n;
    }

    /// Answers one request. A 5xx answer is logged (method, path and status; never a body or token).
    response handle(const request_view& r) {
        response out = answer(r);
        if (out.status >= 500 && options_.logger)
            options_.logger(log_level::error, "hookline management: " + std::string(r.method) + " " +
                                                  std::string(r.target.substr(0, r.target.find('?'))) + " answered " +
                                                  std::to_string(out.status));
        return out;
    }

    /// Sends a message to application `app` (its id or uid) as `POST /api/v1/app/{app}/msg` does, for
    /// the application's own code: delivered to that tenant's endpoints and listed by the API (a plain
    /// `sender.send(event{.tenant = ...})` is delivered alike but not listed). `m.payload` is the body
    /// (JSON text); `not_found` for an unknown application, `already_exists` for a taken `event_id`.
    result<message_info> send(const std::string& app, message_info m) {
        auto found = registry_.find_application(app);
        if (!found) return found.error();
        if (!*found) return errc::not_found;
        if (!detail::registry_name_ok(m.event_type)) return errc::invalid_event_type;
        if (!nlohmann::json::accept(m.payload)) return errc::malformed_body;
        if (!m.event_id.empty() && !detail::registry_name_ok(m.event_id)) return errc::invalid_message_id;
        if (m.channels.size() > 10) return errc::invalid_argument;
        for (const auto& ch : m.channels)
            if (!detail::registry_name_ok(ch, 128)) return errc::invalid_argument;
        m.id.clear();
        return detail::send_message(*sender_, registry_, **found, std::move(m), options_.logger);
    }

    /// Follows endpoint changes made by other processes on the same store (PostgreSQL: several
    /// `hookline serve` processes, or several application instances): each change is applied to this
    /// sender. Call it every second or so (`hookline serve` does); a change made elsewhere reaches
    /// this sender within that interval. Changes older than `sync_window` before the last call may be
    /// missed after a long pause: `load()` then rereads everything. Answers how many it applied.
    result<std::size_t> sync() {
        std::lock_guard lock(sync_mutex_); // one sync at a time; requests only take seen_mutex_, briefly
        const std::int64_t now = registry_.now();
        const std::int64_t window = options_.sync_window.count();
        if (last_sync_ != 0 && now - last_sync_ > change_horizon() - window) {
            // Paused longer than change rows are kept: reread the whole registry instead.
            auto n = reconcile();
            if (n) last_sync_ = now;
            return n;
        }
        const std::int64_t from = (last_sync_ == 0 ? started_ : last_sync_) - window;
        std::string after = detail::sortable_floor("chg_", from);
        std::size_t applied = 0;
        for (;;) {
            auto rows = registry_.store().registry_list({.kind = "change", .after = after, .limit = 500});
            if (!rows) return rows.error();
            for (const auto& row : *rows) {
                after = row.id;
                {
                    std::lock_guard seen(seen_mutex_);
                    if (seen_changes_.count(row.id)) continue;
                }
                // Reread and applied under the endpoint's lock, so a local change cannot interleave;
                // marked seen only once applied (a failed read is tried again next time).
                std::lock_guard endpoint(endpoint_lock(row.body));
                auto e = registry_.endpoint_by_id(row.body);
                if (!e) return e.error();
                if (*e) {
                    if (auto ok = detail::apply_to_sender(*sender_, **e, false); !ok && options_.logger)
                        options_.logger(log_level::warning,
                                        "hookline management: endpoint " + row.body +
                                            " changed elsewhere, refused here: " + ok.error().message());
                } else {
                    (void)sender_->remove_endpoint(row.body);
                }
                {
                    std::lock_guard seen(seen_mutex_);
                    seen_changes_.emplace(row.id, now);
                }
                ++applied;
            }
            if (rows->size() < 500) break;
        }
        last_sync_ = now;
        {
            std::lock_guard seen(seen_mutex_);
            std::erase_if(seen_changes_, [&](const auto& kv) { return kv.second < now - 2 * window; });
        }
        if (now - last_change_prune_ > 60'000) {
            last_change_prune_ = now;
            (void)registry_.store().registry_prune("change", now - change_horizon());
        }
        return applied;
    }

    registry_type& registry() noexcept { return registry_; }
    Sender& sender() noexcept { return *sender_; }
    const management_options& options() const noexcept { return options_; }

private:
    response answer(const request_view& r) {
        maybe_prune(registry_.now());
        if (r.content_length && *r.content_length > options_.max_body_bytes)
            return detail::error_response(413, "payload_too_large", "The request body is too large");
        std::string_view target = r.target;
        if (!options_.prefix.empty()) {
            if (!target.starts_with(options_.prefix)) return not_found();
            target.remove_prefix(options_.prefix.size());
        }
        const auto parsed = detail::parse_target(target);
        if (!parsed.ok) return detail::error_response(400, "generic_error", "Malformed percent-encoding in the URL");
        const auto& s = parsed.segments;
        if (s.size() == 1 && s[0] == "metrics" && r.method == "GET") return metrics(r);
        if (s.size() < 3 || s[0] != "api" || s[1] != "v1") return not_found();
        detail::api_context<Sender> c{*sender_,
                                      registry_,
                                      options_,
                                      r,
                                      parsed,
                                      2,
                                      [this](const std::string& id) { note_change(id); },
                                      [this](const std::string& id) -> std::mutex& { return endpoint_lock(id); }};
        if (s[2] == "health" && s.size() == 3) return detail::empty_response(204);

        const std::string token = bearer_token(r);
        const access general = options_.authoriser ? options_.authoriser(token, "") : access::unauthenticated;
        if (general == access::unauthenticated)
            return detail::error_response(401, "authentication_failed", "Incorrect authentication credentials.");
        if (r.method == "POST") {
            if (auto key = r.headers.get("idempotency-key"); key && !key->empty())
                return idempotent(c, token, *key, general);
        }
        return route(c, token, general);
    }

    /// `GET <prefix>/metrics`: the sender's metrics for Prometheus (any token the authoriser accepts).
    response metrics(const request_view& r) {
        const access a = options_.authoriser ? options_.authoriser(bearer_token(r), "") : access::unauthenticated;
        if (a == access::unauthenticated)
            return detail::error_response(401, "authentication_failed", "Incorrect authentication credentials.");
        if (a == access::forbidden) return forbidden();
        response out;
        out.headers.add("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        out.body = prometheus_text(*sender_);
        return out;
    }

    static response not_found() { return detail::error_response(404, "not_found", "Entity not found"); }

    static std::string bearer_token(const request_view& r) {
        auto h = r.headers.get("authorization");
        if (!h) return {};
        std::string_view v = *h;
        if (v.size() > 7 && detail::iequals(v.substr(0, 7), "Bearer ")) v.remove_prefix(7);
        return std::string(v);
    }

    response route(detail::api_context<Sender>& c, const std::string& token, access general) {
        const auto& s = c.target.segments;
        if (s[2] == "event-type") {
            if (general == access::forbidden) return forbidden();
            return detail::event_type_routes(c);
        }
        if (s[2] != "app") return not_found();
        if (s.size() == 3) {
            if (general == access::forbidden) return forbidden();
            return detail::application_collection(c);
        }
        auto app = registry_.find_application(s[3]);
        if (!app) return detail::error_for(app.error());
        if (!*app) {
            if (s.size() == 4 && c.request.method == "PUT") { // creates a tenant: needs the general grant
                if (general != access::allow) return forbidden();
                return detail::application_upsert_new(c, s[3]);
            }
            return not_found();
        }
        if (options_.authoriser(token, (*app)->id) != access::allow) return forbidden();
        if (s.size() == 4) return detail::application_item(c, **app);
        if (s[4] == "endpoint") {
            if (s.size() == 5) return detail::endpoint_collection(c, **app);
            return detail::endpoint_item(c, **app, s[5]);
        }
        if (s[4] == "msg") return detail::message_routes(c, **app);
        if (s[4] == "attempt") return detail::attempt_routes(c, **app);
        return not_found();
    }

    static response forbidden() { return detail::error_response(403, "insufficient access", "Insufficient access"); }

    /// Replays a POST's first 2xx answer for the same token, key and target.
    response idempotent(detail::api_context<Sender>& c, const std::string& token, std::string_view key,
                        access general) {
        auto& store = registry_.store();
        const std::int64_t now = registry_.now();
        // A replay answers only a caller who may make the call now: the tenant it names is checked first.
        const auto& seg = c.target.segments;
        if (seg.size() >= 4 && seg[2] == "app") {
            auto app = registry_.find_application(seg[3]);
            if (!app) return detail::error_for(app.error());
            if (*app && options_.authoriser(token, (*app)->id) != access::allow) return forbidden();
        } else if (general != access::allow) {
            return forbidden();
        }
        const auto digest = sha256({token, "\n", key, "\n", c.request.target});
        const std::string id = hex_encode(digest.view());
        registry_row row{.kind = "idempotency", .id = id, .body = "", .created_at = now, .updated_at = now};
        for (int tries = 0; tries < 2; ++tries) {
            auto put = store.registry_insert(row);
            if (put) break;
            if (put.error() != errc::already_exists) return detail::error_for(put.error());
            auto old = store.registry_get("idempotency", id);
            if (!old) return detail::error_for(old.error());
            if (!*old) continue; // removed meanwhile: try again
            const bool expired = (*old)->created_at < now - options_.idempotency_ttl.count();
            if (!(*old)->body.empty() && !expired) {
                auto saved = nlohmann::json::parse((*old)->body, nullptr, false);
                if (!saved.is_discarded()) {
                    response r;
                    r.status = saved.value("status", 200);
                    r.body = saved.value("body", "");
                    if (!r.body.empty()) r.headers.add("Content-Type", "application/json");
                    return r;
                }
            }
            if ((*old)->body.empty() && !expired && (*old)->created_at > now - 60'000)
                return detail::error_response(409, "conflict", "A request with this idempotency key is in progress");
            (void)store.registry_erase("idempotency", id); // expired, or abandoned by a crash: start over
        }
        response r = route(c, token, general);
        if (r.status >= 200 && r.status < 300) {
            row.body = nlohmann::json{{"status", r.status}, {"body", r.body}}.dump();
            row.updated_at = registry_.now();
            (void)store.registry_update(row);
        } else {
            (void)store.registry_erase("idempotency", id);
        }
        return r;
    }

    /// Expired idempotency answers, resend markers and message index entries go, at most once a minute.
    void maybe_prune(std::int64_t now) {
        std::int64_t last = last_prune_.load(std::memory_order_relaxed);
        if (now - last < 60'000 || !last_prune_.compare_exchange_strong(last, now)) return;
        auto& store = registry_.store();
        (void)store.registry_prune("idempotency", now - options_.idempotency_ttl.count());
        (void)store.registry_prune("manual", now - options_.message_retention.count());
        (void)registry_.prune_messages(now - options_.message_retention.count());
    }

    /// The lock serialising changes to endpoint `id` (requests, `sync`), shared by a stripe of ids.
    std::mutex& endpoint_lock(const std::string& id) {
        return endpoint_locks_[std::hash<std::string>{}(id) % endpoint_locks_.size()];
    }

    /// How long change rows are kept: a `sync` later than this after the previous one reconciles.
    std::int64_t change_horizon() const { return std::max<std::int64_t>(10 * options_.sync_window.count(), 300'000); }

    /// Every registered endpoint given to the sender again, and the sender's tenant endpoints the
    /// registry no longer has removed; answers how many endpoints the sender was given.
    result<std::size_t> reconcile() {
        auto n = load_registered_endpoints(*sender_, registry_);
        if (!n) return n;
        for (const auto& id : sender_->endpoint_ids()) {
            auto info = sender_->endpoint(id);
            if (!info || info->config.tenant.empty()) continue; // the application's own endpoints
            auto e = registry_.endpoint_by_id(id);
            if (!e) return e.error();
            if (!*e) (void)sender_->remove_endpoint(id);
        }
        return n;
    }

    /// Records that endpoint `id` changed, for the other processes' `sync`.
    void note_change(const std::string& id) {
        const std::int64_t now = registry_.now();
        auto change = detail::sortable_id("chg_", now);
        if (!change) return;
        {
            std::lock_guard lock(seen_mutex_);
            seen_changes_.emplace(*change, now); // applied here already
        }
        auto put = registry_.store().registry_insert(
            {.kind = "change", .id = *change, .body = id, .created_at = now, .updated_at = now});
        if (!put && options_.logger)
            options_.logger(log_level::error, "hookline management: endpoint " + id +
                                                  " changed but the change was not recorded for other processes: " +
                                                  put.error().message());
    }

    Sender* sender_;
    registry_type registry_;
    management_options options_;
    std::atomic<std::int64_t> last_prune_{0};
    std::array<std::mutex, 64> endpoint_locks_{}; // striped by endpoint id: one change of an endpoint at a time
    std::mutex sync_mutex_;                       // serialises `sync`
    std::mutex seen_mutex_;                       // guards seen_changes_
    std::int64_t started_ = registry_.now();
    std::int64_t last_sync_ = 0;
    std::int64_t last_change_prune_ = 0;
    std::map<std::string, std::int64_t> seen_changes_{}; // change id -> when seen (applied or made here)
};

HOOKLINE_END_NAMESPACE
