/// \file `basic_registry`: tenants ("applications"), their endpoints with signing secrets and rotation,
/// the event-type catalogue and the message index, kept in a `registry_store` (the stock stores are).
///
/// The registry validates everything it is given (`errc::invalid_argument`, `invalid_url`,
/// `invalid_secret`, `already_exists`), generates ids that sort by creation time, and seals endpoint
/// secrets with AES-256-GCM when `registry_options::secret_key` is set. Opening a store whose secrets
/// were sealed under another key (or sealed when no key is given, or the reverse) fails at `open`
/// with `errc::wrong_store_key`. It does not deliver anything: `basic_management_api`
/// (hookline/management/api.hpp) keeps a sender's endpoints in step with it, and
/// `load_registered_endpoints` gives a sender every registered endpoint at start.
///
/// Thread-safety: every member may be called from any thread (the store serialises). Copies share the
/// store. Two calls updating one record at once: the last write wins.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/registry/detail/documents.hpp>
#include <hookline/registry/detail/ids.hpp>
#include <hookline/registry/detail/sealing.hpp>
#include <hookline/registry/records.hpp>
#include <hookline/registry/registry_store.hpp>
#include <hookline/sending/endpoint.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Options of a registry. Aggregate: use designated initialisers.
struct registry_options {
    /// 32 raw bytes (for example from a key management service) that seal endpoint secrets at rest;
    /// empty: secrets are stored as they are. Never logged.
    std::string secret_key{};
    /// How long a rotated-out secret keeps signing beside the new one.
    std::chrono::milliseconds rotation_grace = std::chrono::hours(24);
    /// Unix milliseconds now; empty = the system clock.
    std::function<std::int64_t()> clock{};
};

template <registry_store Store>
class basic_registry {
public:
    /// Opens the registry on `store`, checking that `options.secret_key` opens its sealed secrets.
    static result<basic_registry> open(Store store, registry_options options = {}) {
        if (!options.secret_key.empty() && options.secret_key.size() != 32) return errc::invalid_key;
        basic_registry r(std::move(store), std::move(options));
        auto check = r.store_.registry_get("meta", "secret_check");
        if (!check) return check.error();
        if (!*check) {
            auto sealed = detail::seal(r.options_.secret_key, "hookline", "meta/secret_check");
            if (!sealed) return sealed.error();
            registry_row row{
                .kind = "meta", .id = "secret_check", .body = *sealed, .created_at = r.now(), .updated_at = r.now()};
            auto put = r.store_.registry_insert(row);
            if (put) return r;
            if (put.error() != errc::already_exists) return put.error();
            // Another process opened the fresh store at the same moment: its key must be ours.
            check = r.store_.registry_get("meta", "secret_check");
            if (!check) return check.error();
            if (!*check) return errc::store_failure;
        }
        auto opened = detail::unseal(r.options_.secret_key, (*check)->body, "meta/secret_check");
        if (!opened || *opened != "hookline") return errc::wrong_store_key;
        return r;
    }

    Store& store() noexcept { return store_; }
    const registry_options& options() const noexcept { return options_; }

    // --- applications ---------------------------------------------------------------------------

    /// Creates `a` (its `id`, when given, must be an `app_` id not taken; else one is made).
    result<application> create_application(application a) {
        if (auto ok = check(a); !ok) return ok.error();
        if (a.id.empty()) {
            auto id = detail::sortable_id("app_", now());
            if (!id) return id.error();
            a.id = std::move(*id);
        }
        a.created_at = a.updated_at = now();
        if (auto put = store_.registry_insert(row_of(a)); !put) return put.error();
        return a;
    }

    /// The application with id (or uid) `key`.
    result<std::optional<application>> find_application(const std::string& key) {
        return find_typed<application>("app", "", key);
    }

    /// Replaces the application `a.id` (its creation time kept).
    result<application> update_application(application a) {
        if (auto ok = check(a); !ok) return ok.error();
        auto old = store_.registry_get("app", a.id);
        if (!old) return old.error();
        if (!*old) return errc::not_found;
        a.created_at = (*old)->created_at;
        a.updated_at = now();
        if (auto put = store_.registry_update(row_of(a)); !put) return put.error();
        return a;
    }

    /// Deletes the application and its endpoints (their ids are returned, so a sender can drop them).
    result<std::vector<std::string>> delete_application(const std::string& id) {
        std::vector<std::string> removed;
        for (;;) {
            auto eps = store_.registry_list({.kind = "endpoint", .tenant = id, .limit = 500});
            if (!eps) return eps.error();
            if (eps->empty()) break;
            for (const auto& e : *eps) {
                if (auto gone = store_.registry_erase("endpoint", e.id); !gone) return gone.error();
                removed.push_back(e.id);
            }
        }
        auto gone = store_.registry_erase("app", id);
        if (!gone) return gone.error();
        if (!*gone) return errc::not_found;
        return removed;
    }

    result<page<application>> list_applications(const page_request& p) { return list_typed<application>("app", {}, p); }

    // --- endpoints ------------------------------------------------------------------------------

    /// Registers `e` for `e.app_id` (which must exist), with `key` as its first secret (else a fresh one).
    result<registered_endpoint> create_endpoint(registered_endpoint e, std::optional<secret> key = std::nullopt) {
        if (auto ok = check(e); !ok) return ok.error();
        if (auto app = store_.registry_get("app", e.app_id); !app || !*app) return app ? errc::not_found : app.error();
        if (e.id.empty()) {
            auto id = detail::sortable_id("ep_", now());
            if (!id) return id.error();
            e.id = std::move(*id);
        }
        if (!key) {
            auto fresh = secret::generate(24);
            if (!fresh) return fresh.error();
            key = std::move(*fresh);
        }
        if (key->kind() != secret_kind::symmetric) return errc::invalid_secret;
        e.secrets = {endpoint_secret{.key = std::move(*key)}};
        e.created_at = e.updated_at = now();
        auto row = row_of(e);
        if (!row) return row.error();
        if (auto put = store_.registry_insert(*row); !put) return put.error();
        return e;
    }

    /// The endpoint with id (or uid) `key` of application `app_id`, secrets opened.
    result<std::optional<registered_endpoint>> find_endpoint(const std::string& app_id, const std::string& key) {
        auto found = find_typed<registered_endpoint>("endpoint", app_id, key);
        if (found && *found && (*found)->app_id != app_id) return std::optional<registered_endpoint>{};
        return found;
    }

    /// Replaces the endpoint `e.id` of `e.app_id`, keeping its secrets and creation time.
    result<registered_endpoint> update_endpoint(registered_endpoint e) {
        if (auto ok = check(e); !ok) return ok.error();
        auto old = find_endpoint(e.app_id, e.id);
        if (!old) return old.error();
        if (!*old) return errc::not_found;
        e.secrets = std::move((*old)->secrets);
        e.created_at = (*old)->created_at;
        e.updated_at = now();
        auto row = row_of(e);
        if (!row) return row.error();
        if (auto put = store_.registry_update(*row); !put) return put.error();
        return e;
    }

    /// Rotates the endpoint's secret: `next` (or a fresh one) signs from now on, the current one keeps
    /// signing beside it for `rotation_grace`; keys already past their grace are dropped.
    /// `grace` (default: `rotation_grace`) is how long the current one keeps signing; 0 drops it now.
    result<registered_endpoint> rotate_secret(const std::string& app_id, const std::string& id,
                                              std::optional<secret> next = std::nullopt,
                                              std::optional<std::chrono::milliseconds> grace = std::nullopt) {
        auto found = find_endpoint(app_id, id);
        if (!found) return found.error();
        if (!*found) return errc::not_found;
        auto e = std::move(**found);
        if (!next) {
            auto fresh = secret::generate(24);
            if (!fresh) return fresh.error();
            next = std::move(*fresh);
        }
        if (next->kind() != secret_kind::symmetric) return errc::invalid_secret;
        const std::int64_t t = now();
        std::vector<endpoint_secret> keys{endpoint_secret{.key = std::move(*next)}};
        for (auto& s : e.secrets) {
            if (s.expires_at != 0 && s.expires_at <= t) continue;
            if (s.expires_at == 0) s.expires_at = t + grace.value_or(options_.rotation_grace).count();
            if (s.expires_at <= t) continue; // a grace of 0: revoked at once
            keys.push_back(std::move(s));
        }
        e.secrets = std::move(keys);
        e.updated_at = t;
        auto row = row_of(e);
        if (!row) return row.error();
        if (auto put = store_.registry_update(*row); !put) return put.error();
        return e;
    }

    result<bool> delete_endpoint(const std::string& app_id, const std::string& id) {
        auto found = find_endpoint(app_id, id);
        if (!found) return found.error();
        if (!*found) return false;
        return store_.registry_erase("endpoint", (*found)->id);
    }

    /// The endpoint with id `id`, whatever its application.
    result<std::optional<registered_endpoint>> endpoint_by_id(const std::string& id) {
        auto row = store_.registry_get("endpoint", id);
        if (!row) return row.error();
        if (!*row) return std::optional<registered_endpoint>{};
        auto e = decode<registered_endpoint>(**row);
        if (!e) return e.error();
        return std::optional<registered_endpoint>{std::move(*e)};
    }

    /// The application's endpoints (secrets opened), in creation order.
    result<page<registered_endpoint>> list_endpoints(const std::string& app_id, const page_request& p) {
        return list_typed<registered_endpoint>("endpoint", app_id, p);
    }

    /// Every registered endpoint of every application, `limit` at a time after `after` (an endpoint
    /// id; "" to start): how a sender is given them all at start.
    result<std::vector<registered_endpoint>> all_endpoints(const std::string& after, std::size_t limit) {
        auto rows = store_.registry_list({.kind = "endpoint", .after = after, .limit = limit});
        if (!rows) return rows.error();
        std::vector<registered_endpoint> out;
        out.reserve(rows->size());
        for (const auto& r : *rows) {
            auto e = decode<registered_endpoint>(r);
            if (!e) return e.error();
            out.push_back(std::move(*e));
        }
        return out;
    }

    // --- event types ----------------------------------------------------------------------------

    result<event_type_info> create_event_type(event_type_info t) {
        if (auto ok = check(t); !ok) return ok.error();
        t.created_at = t.updated_at = now();
        if (auto put = store_.registry_insert(row_of(t)); !put) return put.error();
        return t;
    }
    result<std::optional<event_type_info>> find_event_type(const std::string& name) {
        return find_typed<event_type_info>("event_type", "", name);
    }
    result<event_type_info> update_event_type(event_type_info t) {
        if (auto ok = check(t); !ok) return ok.error();
        auto old = store_.registry_get("event_type", t.name);
        if (!old) return old.error();
        if (!*old) return errc::not_found;
        t.created_at = (*old)->created_at;
        t.updated_at = now();
        if (auto put = store_.registry_update(row_of(t)); !put) return put.error();
        return t;
    }
    result<bool> delete_event_type(const std::string& name) { return store_.registry_erase("event_type", name); }
    result<page<event_type_info>> list_event_types(const page_request& p) {
        return list_typed<event_type_info>("event_type", {}, p);
    }

    // --- the message index ----------------------------------------------------------------------

    /// A fresh, time-ordered message id.
    result<std::string> new_message_id() { return detail::sortable_id("msg_", now()); }

    /// Records a message sent to `m.app_id` (`already_exists` when its id, or its `event_id` within
    /// the application, is taken).
    result<void> record_message(message_info m) {
        if (m.timestamp == 0) m.timestamp = now();
        return store_.registry_insert(row_of(m));
    }
    result<std::optional<message_info>> find_message(const std::string& app_id, const std::string& key) {
        auto found = find_typed<message_info>("message", app_id, key);
        if (found && *found && (*found)->app_id != app_id) return std::optional<message_info>{};
        return found;
    }
    result<page<message_info>> list_messages(const std::string& app_id, const page_request& p) {
        return list_typed<message_info>("message", app_id, p);
    }
    /// Forgets index entries older than `before` (the queue's retention prunes the messages themselves).
    result<std::size_t> prune_messages(std::int64_t before) { return store_.registry_prune("message", before); }

    std::int64_t now() const {
        if (options_.clock) return options_.clock();
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

private:
    basic_registry(Store store, registry_options options) : store_(std::move(store)), options_(std::move(options)) {}

    static result<void> check(const application& a) {
        if (a.name.empty() || !detail::registry_text_ok(a.name, 256)) return errc::invalid_argument;
        if (!a.uid.empty() && !detail::registry_name_ok(a.uid)) return errc::invalid_argument;
        if (!a.id.empty() && (!a.id.starts_with("app_") || !detail::registry_name_ok(a.id)))
            return errc::invalid_argument;
        if (a.rate_limit && *a.rate_limit < 0) return errc::invalid_argument;
        return check_metadata(a.metadata);
    }
    static result<void> check(const registered_endpoint& e) {
        if (!detail::registry_name_ok(e.app_id)) return errc::invalid_tenant;
        if (!e.uid.empty() && !detail::registry_name_ok(e.uid)) return errc::invalid_argument;
        if (!e.id.empty() && (!e.id.starts_with("ep_") || !detail::registry_name_ok(e.id)))
            return errc::invalid_argument;
        if (!e.url.starts_with("https://") && !e.url.starts_with("http://")) return errc::invalid_url;
        if (e.url.size() > 65536 || !header_value_ok(e.url)) return errc::invalid_url;
        if (!detail::registry_text_ok(e.description, 4096)) return errc::invalid_argument;
        if (e.rate_limit && *e.rate_limit < 0) return errc::invalid_argument;
        for (const auto& t : e.filter_types)
            if (t.empty() || t.size() > 256 || !header_value_ok(t)) return errc::invalid_event_type;
        for (const auto& c : e.channels)
            if (c.empty() || c.size() > 128 || !header_value_ok(c)) return errc::invalid_argument;
        for (const auto& [name, value] : e.headers) {
            if (!header_name_ok(name)) return errc::invalid_header_name;
            if (!header_value_ok(value)) return errc::invalid_header_value;
        }
        return check_metadata(e.metadata);
    }
    static result<void> check(const event_type_info& t) {
        if (!detail::registry_name_ok(t.name)) return errc::invalid_event_type;
        if (!detail::registry_text_ok(t.description, 4096)) return errc::invalid_argument;
        return {};
    }
    static result<void> check_metadata(const std::map<std::string, std::string>& m) {
        if (m.size() > 64) return errc::invalid_argument;
        for (const auto& [k, v] : m)
            if (k.empty() || !detail::registry_text_ok(k, 256) || !detail::registry_text_ok(v, 4096))
                return errc::invalid_argument;
        return {};
    }

    registry_row row_of(const application& a) const {
        return {.kind = "app",
                .id = a.id,
                .uid = a.uid,
                .body = detail::to_document(a).dump(),
                .created_at = a.created_at,
                .updated_at = a.updated_at};
    }
    result<registry_row> row_of(const registered_endpoint& e) const {
        nlohmann::json sealed = nlohmann::json::array();
        for (const auto& s : e.secrets) {
            auto text = detail::seal(options_.secret_key, s.key.reveal(), "endpoint/" + e.id);
            if (!text) return text.error();
            sealed.push_back({{"key", std::move(*text)}, {"expires_at", s.expires_at}});
        }
        return registry_row{.kind = "endpoint",
                            .id = e.id,
                            .tenant = e.app_id,
                            .uid = e.uid,
                            .body = detail::to_document(e, std::move(sealed)).dump(),
                            .created_at = e.created_at,
                            .updated_at = e.updated_at};
    }
    registry_row row_of(const event_type_info& t) const {
        return {.kind = "event_type",
                .id = t.name,
                .body = detail::to_document(t).dump(),
                .created_at = t.created_at,
                .updated_at = t.updated_at};
    }
    registry_row row_of(const message_info& m) const {
        return {.kind = "message",
                .id = m.id,
                .tenant = m.app_id,
                .uid = m.event_id,
                .body = detail::to_document(m).dump(),
                .created_at = m.timestamp,
                .updated_at = m.timestamp};
    }

    template <class T>
    result<T> decode(const registry_row& r) const {
        T out{};
        try {
            const auto j = nlohmann::json::parse(r.body);
            detail::from_document(j, out);
            if constexpr (std::is_same_v<T, registered_endpoint>) {
                for (const auto& s : j.value("secrets", nlohmann::json::array())) {
                    auto text = detail::unseal(options_.secret_key, s.at("key").get<std::string>(), "endpoint/" + r.id);
                    if (!text) return text.error();
                    auto key = secret::parse(*text);
                    OPENSSL_cleanse(text->data(), text->size());
                    if (!key) return errc::store_failure;
                    out.secrets.push_back(
                        {.key = std::move(*key), .expires_at = s.value("expires_at", std::int64_t{0})});
                }
            }
        } catch (const nlohmann::json::exception&) {
            return errc::store_failure; // a document this build cannot read
        }
        if constexpr (std::is_same_v<T, event_type_info>) {
            out.name = r.id;
        } else {
            out.id = r.id;
            if constexpr (!std::is_same_v<T, message_info>) out.uid = r.uid;
        }
        if constexpr (std::is_same_v<T, registered_endpoint> || std::is_same_v<T, message_info>) out.app_id = r.tenant;
        if constexpr (std::is_same_v<T, message_info>) {
            out.event_id = r.uid;
            out.timestamp = r.created_at;
        } else {
            out.created_at = r.created_at;
            out.updated_at = r.updated_at;
        }
        return out;
    }

    /// By id, then (except for event types, whose id is their name) by uid within `tenant`.
    template <class T>
    result<std::optional<T>> find_typed(const char* kind, const std::string& tenant, const std::string& key) {
        auto row = store_.registry_get(kind, key);
        if (!row) return row.error();
        if (!*row && std::string_view(kind) != "event_type") {
            row = store_.registry_find(kind, tenant, key);
            if (!row) return row.error();
        }
        if (!*row) return std::optional<T>{};
        auto t = decode<T>(**row);
        if (!t) return t.error();
        return std::optional<T>{std::move(*t)};
    }

    template <class T>
    result<page<T>> list_typed(const char* kind, const std::optional<std::string>& tenant, const page_request& p) {
        const std::size_t limit = std::clamp<std::size_t>(p.limit, 1, 250);
        bool backwards = false; // a "-" iterator: the page before it
        std::string after = p.iterator;
        if (after.starts_with('-')) {
            backwards = true;
            after.erase(0, 1);
        }
        const bool descending = p.descending != backwards;
        auto rows = store_.registry_list(
            {.kind = kind, .tenant = tenant, .after = after, .descending = descending, .limit = limit + 1});
        if (!rows) return rows.error();
        page<T> out;
        const bool more = rows->size() > limit;
        if (more) rows->pop_back();
        if (backwards) std::reverse(rows->begin(), rows->end());
        for (const auto& r : *rows) {
            auto t = decode<T>(r);
            if (!t) return t.error();
            out.data.push_back(std::move(*t));
        }
        if (!rows->empty()) {
            out.iterator = rows->back().id;
            out.prev_iterator = "-" + rows->front().id;
        }
        out.done = backwards ? false : !more;
        if (backwards && !more && rows->empty()) out.done = true;
        return out;
    }

    Store store_;
    registry_options options_;
};

/// The sender's view of a registered endpoint: its URL, keys, filters, limits, headers, tenant.
inline endpoint_config to_endpoint_config(const registered_endpoint& e) {
    endpoint_config c;
    c.url = e.url;
    c.secrets = e.secrets;
    c.event_types = e.filter_types;
    c.channels = e.channels;
    for (const auto& [name, value] : e.headers) c.headers.add(name, value);
    c.rate_limit = e.rate_limit ? static_cast<double>(*e.rate_limit) : 0.0;
    c.enabled = !e.disabled;
    c.description = e.description;
    c.tenant = e.app_id;
    return c;
}

/// Gives `sender` every endpoint registered in `registry` (`add_endpoint`, or `update_endpoint` for one
/// it has), 500 at a time; answers how many. Endpoints the sender refuses (a URL its address policy
/// forbids) are counted in `refused` and logged by the caller; they stay registered.
template <class Sender, class Registry>
result<std::size_t> load_registered_endpoints(Sender& sender, Registry& registry, std::size_t* refused = nullptr) {
    std::size_t n = 0;
    std::string after;
    for (;;) {
        auto batch = registry.all_endpoints(after, 500);
        if (!batch) return batch.error();
        if (batch->empty()) return n;
        for (auto& e : *batch) {
            after = e.id;
            auto cfg = to_endpoint_config(e);
            auto added = sender.endpoint(e.id) ? sender.update_endpoint(e.id, std::move(cfg))
                                               : sender.add_endpoint(e.id, std::move(cfg));
            if (added)
                ++n;
            else if (refused)
                ++*refused;
        }
    }
}

HOOKLINE_END_NAMESPACE
