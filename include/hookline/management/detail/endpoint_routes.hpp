/// \file Management routes for endpoints (`/api/v1/app/{app_id}/endpoint[/{endpoint_id}[/...]]`):
/// every change goes to the sender first (which applies its checks, such as the address policy), then
/// to the registry; a change the sender refuses is a 422 and changes nothing.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/management/detail/context.hpp>
#include <hookline/registry/detail/ids.hpp>

#include <chrono>
#include <mutex>
#include <string>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// The endpoint as the API shows it: the registry's record, with the sender's health over it (an
/// endpoint the sender disabled, for a 410 Gone or failing for days, shows `disabled` and why).
template <class Sender>
nlohmann::json wire_live(api_context<Sender>& c, const registered_endpoint& e) {
    nlohmann::json j = wire(e);
    if (auto info = c.sender.endpoint(e.id); info && info->state.disabled) {
        j["disabled"] = true;
        j["disabledReason"] = info->state.disabled_reason;
    } else if (e.disabled) {
        j["disabledReason"] = "manual";
    }
    return j;
}

/// A secret as the API takes it (`secret` at creation, `key` at rotation): base64, with or without the
/// `whsec_` prefix, symmetric; nullopt for anything else.
inline std::optional<secret> symmetric_secret_of(std::string text) {
    if (!text.empty() && !text.starts_with("whsec_")) text = "whsec_" + text;
    auto parsed = secret::parse(text);
    if (!parsed || parsed->kind() != secret_kind::symmetric) return std::nullopt;
    return std::move(*parsed);
}

/// Filters must name event types of the catalogue (or be `prefix.*` patterns).
template <class Sender>
std::optional<response> unknown_event_types(api_context<Sender>& c, const registered_endpoint& e) {
    for (const auto& t : e.filter_types) {
        if (t.ends_with(".*") || t == "*") continue;
        auto found = c.registry.find_event_type(t);
        if (!found) return error_for(found.error());
        if (!*found || (*found)->archived) return validation_error("eventTypes", "unknown event type: " + t);
    }
    return std::nullopt;
}

/// Applies `next` to the sender (adding it when `fresh`); enables or disables it when the request named
/// `disabled` (`set_disabled`) or the registry's flag changed since the sender last had it.
template <class Sender>
result<void> apply_to_sender(Sender& sender, const registered_endpoint& next, bool fresh, bool set_disabled = false) {
    auto cfg = to_endpoint_config(next);
    if (fresh) return sender.add_endpoint(next.id, std::move(cfg));
    const auto before = sender.endpoint(next.id);
    auto updated =
        before ? sender.update_endpoint(next.id, std::move(cfg)) : sender.add_endpoint(next.id, std::move(cfg));
    if (!updated || !before) return updated;
    // A request that names `disabled` (set_disabled), or a change of the registry's own flag, enables or
    // disables it; an endpoint the sender disabled (410 Gone, failing for days) stays so through others.
    const bool flag_changed = before->config.enabled == next.disabled;
    if (!(set_disabled ? before->state.disabled != next.disabled : flag_changed)) return {};
    return next.disabled ? sender.disable_endpoint(next.id) : sender.enable_endpoint(next.id);
}

/// Creates `e` (with `key`, or a fresh secret) for `app`.
template <class Sender>
response create_endpoint(api_context<Sender>& c, const application& app, registered_endpoint e,
                         std::optional<secret> key) {
    if (auto bad = unknown_event_types(c, e)) return *bad;
    e.app_id = app.id;
    auto id = sortable_id("ep_", c.registry.now());
    if (!id) return error_for(id.error());
    e.id = *id;
    if (!key) {
        auto fresh = secret::generate(24);
        if (!fresh) return error_for(fresh.error());
        key = std::move(*fresh);
    }
    e.secrets = {endpoint_secret{.key = *key}};
    if (!e.rate_limit && app.rate_limit) e.rate_limit = app.rate_limit;
    if (auto added = apply_to_sender(c.sender, e, true); !added) return error_for(added.error());
    auto made = c.registry.create_endpoint(std::move(e), std::move(key));
    if (!made) {
        (void)c.sender.remove_endpoint(*id);
        return error_for(made.error(), "An endpoint with this uid");
    }
    c.changed(made->id);
    return json_response(201, wire(*made));
}

/// Saves `next` (the current endpoint `old` changed): sender first, then the registry.
template <class Sender>
response save_endpoint(api_context<Sender>& c, const registered_endpoint& old, registered_endpoint next, int status,
                       bool reply_empty = false, bool set_disabled = false) {
    if (auto bad = unknown_event_types(c, next)) return *bad;
    next.id = old.id;
    next.app_id = old.app_id;
    next.secrets = old.secrets;
    if (auto applied = apply_to_sender(c.sender, next, false, set_disabled); !applied)
        return error_for(applied.error());
    auto saved = c.registry.update_endpoint(std::move(next));
    if (!saved) {
        (void)apply_to_sender(c.sender, old, false); // back as it was
        return error_for(saved.error(), "An endpoint with this uid");
    }
    c.changed(saved->id);
    if (reply_empty) return empty_response();
    return json_response(status, wire_live(c, *saved));
}

template <class Sender>
response endpoint_collection(api_context<Sender>& c, const application& app) {
    response error;
    if (c.request.method == "GET") {
        auto p = page_of(c, false, error);
        if (!p) return error;
        auto page = c.registry.list_endpoints(app.id, *p);
        if (!page) return error_for(page.error());
        return json_response(200, wire_page(*page, [&](const registered_endpoint& e) { return wire_live(c, e); }));
    }
    if (c.request.method != "POST") return error_response(405, "method_not_allowed", "Method not allowed");
    auto body = json_body(c.request, error);
    if (!body) return error;
    registered_endpoint e;
    if (auto p = read_endpoint(*body, e, false)) return validation_error(p.field, p.message);
    std::optional<secret> key;
    if (auto s = body->find("secret"); s != body->end() && !s->is_null()) {
        if (!s->is_string()) return validation_error("secret", "must be a string");
        key = symmetric_secret_of(s->template get<std::string>());
        if (!key) return validation_error("secret", "not a whsec_ secret of 16 to 75 bytes, base64");
    }
    return create_endpoint(c, app, std::move(e), std::move(key));
}

/// Deliveries of the endpoint counted by Svix status (the latest 100,000 at most).
template <class Sender>
response endpoint_stats(api_context<Sender>& c, const registered_endpoint& e) {
    auto ds = c.sender.deliveries({.endpoint_id = e.id, .limit = 100000, .newest_first = true});
    if (!ds) return error_for(ds.error());
    int counts[5] = {0, 0, 0, 0, 0};
    for (const auto& d : *ds) ++counts[wire_status(d.status)];
    return json_response(200, {{"success", counts[0]},
                               {"pending", counts[1]},
                               {"fail", counts[2]},
                               {"sending", counts[3]},
                               {"canceled", counts[4]}});
}

/// Recover: every delivery of the endpoint not delivered (failed, exhausted, or pending a retry)
/// for messages since `since` is tried again now.
template <class Sender>
response endpoint_recover(api_context<Sender>& c, const registered_endpoint& e) {
    response error;
    auto body = json_body(c.request, error);
    if (!body) return error;
    if (!body->contains("since") || !(*body)["since"].is_string()) return validation_error("since", "field required");
    auto since = parse_rfc3339_ms((*body)["since"].template get<std::string>());
    if (!since) return validation_error("since", "not an RFC 3339 time");
    std::optional<std::int64_t> until;
    if (auto u = body->find("until"); u != body->end() && !u->is_null()) {
        until = u->is_string() ? parse_rfc3339_ms(u->template get<std::string>()) : std::nullopt;
        if (!until) return validation_error("until", "not an RFC 3339 time");
    }
    // One reschedule of every undelivered delivery (failed, exhausted, or pending a retry) since `since`;
    // with `until`, those of messages created before it, one message at a time.
    const std::vector<delivery_status> undelivered = {delivery_status::pending, delivery_status::exhausted,
                                                      delivery_status::failed};
    if (!until) {
        auto n = c.sender.reschedule({.endpoint_id = e.id,
                                      .statuses = undelivered,
                                      .created_since = *since,
                                      .limit = static_cast<std::size_t>(-1)});
        if (!n) return error_for(n.error());
    } else {
        auto ds = c.sender.deliveries(
            {.endpoint_id = e.id, .statuses = undelivered, .created_since = *since, .limit = 100000});
        if (!ds) return error_for(ds.error());
        for (const auto& d : *ds) {
            auto msg = c.registry.find_message(e.app_id, d.message_id);
            if (msg && *msg && (*msg)->timestamp >= *until) continue;
            (void)c.sender.reschedule({.message_id = d.message_id, .endpoint_id = e.id, .statuses = undelivered});
        }
    }
    auto task = sortable_id("qtask_", c.registry.now());
    if (!task) return error_for(task.error());
    return json_response(202, {{"id", *task},
                               {"status", "finished"},
                               {"task", "endpoint.recover"},
                               {"updatedAt", iso8601_ms(c.registry.now())}});
}

template <class Sender>
response endpoint_headers(api_context<Sender>& c, const registered_endpoint& e) {
    const auto& m = c.request.method;
    if (m == "GET") return json_response(200, {{"headers", e.headers}, {"sensitive", nlohmann::json::array()}});
    if (m != "PUT" && m != "PATCH") return error_response(405, "method_not_allowed", "Method not allowed");
    response error;
    auto body = json_body(c.request, error);
    if (!body) return error;
    std::map<std::string, std::string> headers;
    if (auto p = read_field(*body, "headers", headers)) return validation_error(p.field, p.message);
    if (m == "PUT" && !body->contains("headers")) return validation_error("headers", "field required");
    registered_endpoint next = e;
    if (m == "PUT")
        next.headers = std::move(headers);
    else {
        for (auto& [k, v] : headers) next.headers[k] = std::move(v);
        std::vector<std::string> drop;
        if (auto p = read_field(*body, "deleteHeaders", drop)) return validation_error(p.field, p.message);
        for (const auto& k : drop) next.headers.erase(k);
    }
    for (const auto& [k, v] : next.headers)
        if (!header_name_ok(k) || !header_value_ok(v)) return validation_error("headers", "not a valid header: " + k);
    return save_endpoint(c, e, std::move(next), 204, true);
}

template <class Sender>
response endpoint_item(api_context<Sender>& c, const application& app, std::string_view key) {
    const auto& m = c.request.method;
    auto found = c.registry.find_endpoint(app.id, std::string(key));
    if (!found) return error_for(found.error());
    response error;
    if (!*found) {
        if (m != "PUT" || c.segments() != 4) return error_response(404, "not_found", "Entity not found");
        auto body = json_body(c.request, error);
        if (!body) return error;
        registered_endpoint e;
        if (auto p = read_endpoint(*body, e, false)) return validation_error(p.field, p.message);
        if (e.uid.empty()) e.uid = std::string(key);
        return create_endpoint(c, app, std::move(e), std::nullopt);
    }
    // A change reads the endpoint again under its lock: the sender and the registry then get the same
    // state, whatever else changes it at the same time (another request, `sync`).
    std::unique_lock<std::mutex> held;
    if (m != "GET") {
        held = std::unique_lock<std::mutex>(c.endpoint_lock((*found)->id));
        found = c.registry.find_endpoint(app.id, (*found)->id);
        if (!found) return error_for(found.error());
        if (!*found) return error_response(404, "not_found", "Entity not found");
    }
    const registered_endpoint& e = **found;
    const std::string_view sub = c.segment(4), sub2 = c.segment(5);
    if (c.segments() == 4) {
        if (m == "GET") return json_response(200, wire_live(c, e));
        if (m == "DELETE") {
            auto gone = c.registry.delete_endpoint(app.id, e.id);
            if (!gone) return error_for(gone.error());
            (void)c.sender.remove_endpoint(e.id);
            c.changed(e.id);
            return empty_response();
        }
        if (m != "PUT" && m != "PATCH") return error_response(405, "method_not_allowed", "Method not allowed");
        auto body = json_body(c.request, error);
        if (!body) return error;
        registered_endpoint next = e;
        if (m == "PUT") { // a full replacement, headers and secrets kept
            next = registered_endpoint{.headers = e.headers};
        }
        if (auto p = read_endpoint(*body, next, m == "PATCH")) return validation_error(p.field, p.message);
        return save_endpoint(c, e, std::move(next), 200, false, body->contains("disabled"));
    }
    if (sub == "secret" && c.segments() == 5 && m == "GET") {
        return json_response(200, {{"key", e.secrets.empty() ? std::string{} : e.secrets.front().key.reveal()}});
    }
    if (sub == "secret" && sub2 == "rotate" && c.segments() == 6 && m == "POST") {
        auto body = json_body(c.request, error);
        if (!body) return error;
        if (!body->is_object()) return validation_error("body", "expected a JSON object");
        std::optional<secret> next;
        if (auto k = body->find("key"); k != body->end() && !k->is_null()) {
            next = k->is_string() ? symmetric_secret_of(k->template get<std::string>()) : std::nullopt;
            if (!next) return validation_error("key", "not a whsec_ secret of 16 to 75 bytes, base64");
        }
        std::optional<std::int64_t> grace_s;
        if (auto p = read_field(*body, "gracePeriodSeconds", grace_s)) return validation_error(p.field, p.message);
        if (grace_s && (*grace_s < 0 || *grace_s > 604800))
            return validation_error("gracePeriodSeconds", "must be 0 to 604800");
        std::optional<std::chrono::milliseconds> grace;
        if (grace_s) grace = std::chrono::seconds(*grace_s);
        auto rotated = c.registry.rotate_secret(app.id, e.id, std::move(next), grace);
        if (!rotated) return error_for(rotated.error());
        if (auto applied = apply_to_sender(c.sender, *rotated, false); !applied) {
            c.log(log_level::error, "hookline management: endpoint " + e.id +
                                        " rotated in the registry, not in this sender: " + applied.error().message());
            return error_for(applied.error());
        }
        c.changed(rotated->id);
        return empty_response();
    }
    if (sub == "recover" && c.segments() == 5 && m == "POST") return endpoint_recover(c, e);
    if (sub == "stats" && c.segments() == 5 && m == "GET") return endpoint_stats(c, e);
    if (sub == "headers" && c.segments() == 5) return endpoint_headers(c, e);
    return error_response(404, "not_found", "Entity not found");
}

} // namespace detail

HOOKLINE_END_NAMESPACE
