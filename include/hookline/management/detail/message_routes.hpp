/// \file Management routes for messages and attempts: `/api/v1/app/{app_id}/msg[/{msg_id}]`,
/// `.../msg/{msg_id}/endpoint/{endpoint_id}/resend`, `.../attempt/msg/{msg_id}` and
/// `.../attempt/endpoint/{endpoint_id}`. Attempts come from the sender's store; a resend is remembered
/// (a `manual` registry row per delivery) so its attempt is reported with `triggerType` 1.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/management/detail/context.hpp>
#include <hookline/registry/detail/ids.hpp>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// Sends `m` to `app`'s endpoints and indexes it for the API's lists: `already_exists` when its
/// `event_id` is taken. Accepted once the sender's store has it; the index entry follows (a failure
/// there is logged: the message is still delivered, only missing from lists).
template <class Sender, class Registry>
result<message_info> send_message(Sender& sender, Registry& registry, const application& app, message_info m,
                                  const logger& log) {
    m.app_id = app.id;
    if (!m.event_id.empty()) {
        auto dup = registry.find_message(app.id, m.event_id);
        if (!dup) return dup.error();
        if (*dup) return errc::already_exists;
    }
    if (m.id.empty()) {
        auto id = registry.new_message_id();
        if (!id) return id.error();
        m.id = std::move(*id);
    }
    m.timestamp = registry.now();
    auto sent = sender.send(
        event{.type = m.event_type, .payload = m.payload, .id = m.id, .channels = m.channels, .tenant = app.id});
    if (!sent) return sent.error();
    if (auto indexed = registry.record_message(m); !indexed && log)
        log(log_level::error,
            "hookline management: message " + m.id + " accepted but not indexed: " + indexed.error().message());
    return m;
}

template <class Sender>
response message_create(api_context<Sender>& c, const application& app) {
    response error;
    auto body = json_body(c.request, error);
    if (!body) return error;
    if (!body->is_object()) return validation_error("body", "expected a JSON object");
    message_info m{.app_id = app.id};
    for (auto p : {read_field(*body, "eventType", m.event_type), read_field(*body, "eventId", m.event_id),
                   read_field(*body, "channels", m.channels), read_field(*body, "tags", m.tags)})
        if (p) return validation_error(p.field, p.message);
    if (!registry_name_ok(m.event_type)) return validation_error("eventType", "must be 1 to 256 of A-Z a-z 0-9 - _ .");
    if (!m.event_id.empty() && !registry_name_ok(m.event_id))
        return validation_error("eventId", "must be 1 to 256 of A-Z a-z 0-9 - _ .");
    if (m.channels.size() > 10) return validation_error("channels", "at most 10 channels");
    for (const auto& ch : m.channels)
        if (!registry_name_ok(ch, 128)) return validation_error("channels", "must be 1 to 128 of A-Z a-z 0-9 - _ .");
    if (m.tags.size() > 5) return validation_error("tags", "at most 5 tags");
    auto payload = body->find("payload");
    if (payload == body->end() || !payload->is_object())
        return validation_error("payload", "field required: a JSON object");
    m.payload = payload->dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
    auto sent = send_message(c.sender, c.registry, app, std::move(m), c.options.logger);
    if (!sent) {
        if (sent.error() == errc::already_exists)
            return error_response(409, "conflict", "A message with this eventId already exists");
        return error_for(sent.error());
    }
    m = std::move(*sent);
    return json_response(202, wire(m, c.query_flag("with_content", true)));
}

template <class Sender>
response message_collection(api_context<Sender>& c, const application& app) {
    if (c.request.method == "POST") return message_create(c, app);
    if (c.request.method != "GET") return error_response(405, "method_not_allowed", "Method not allowed");
    response error;
    auto p = page_of(c, true, error);
    if (!p) return error;
    const std::string channel = c.query("channel"), types = c.query("event_types");
    std::optional<std::int64_t> before, after;
    for (auto [name, slot] : {std::pair{"before", &before}, std::pair{"after", &after}})
        if (auto v = c.query(name); !v.empty()) {
            *slot = parse_rfc3339_ms(v);
            if (!*slot) return validation_error(name, "not an RFC 3339 time", "query");
        }
    const std::string tag = c.query("tag");
    // Newest first: `before` starts the walk (ids sort by time), `after` ends it; the other filters
    // skip entries, reading on until the page is full (at most 100 store pages per call).
    page_request next = *p;
    if (before && next.iterator.empty()) next.iterator = sortable_floor("msg_", *before);
    page<message_info> out;
    out.done = false;
    bool ended = false;
    for (int rounds = 0; rounds < 100 && !ended && out.data.size() < p->limit; ++rounds) {
        auto page = c.registry.list_messages(app.id, next);
        if (!page) return error_for(page.error());
        std::size_t used = 0;
        for (auto& m : page->data) {
            if (out.data.size() == p->limit) break;
            ++used;
            next.iterator = m.id;
            if (after && m.timestamp <= *after) {
                ended = true;
                break;
            }
            if (before && m.timestamp >= *before) continue;
            if (!channel.empty() && std::find(m.channels.begin(), m.channels.end(), channel) == m.channels.end())
                continue;
            if (!tag.empty() && std::find(m.tags.begin(), m.tags.end(), tag) == m.tags.end()) continue;
            if (!types.empty() && ("," + types + ",").find("," + m.event_type + ",") == std::string::npos) continue;
            out.data.push_back(std::move(m));
        }
        if (page->done && used == page->data.size()) ended = true;
    }
    out.done = ended;
    if (!out.done) out.iterator = next.iterator;
    if (!out.data.empty()) out.prev_iterator = "-" + out.data.front().id;
    const bool content = c.query_flag("with_content", true);
    return json_response(200, wire_page(out, [&](const message_info& m) { return wire(m, content); }));
}

/// Attempt numbers of `delivery_id` that a resend started.
template <class Sender>
std::set<int> manual_attempts(api_context<Sender>& c, std::uint64_t delivery_id) {
    std::set<int> out;
    auto row = c.registry.store().registry_get("manual", std::to_string(delivery_id));
    if (!row || !*row) return out;
    auto j = nlohmann::json::parse((*row)->body, nullptr, false);
    if (j.is_array())
        for (const auto& n : j)
            if (n.is_number_integer()) out.insert(n.template get<int>());
    return out;
}

/// Every attempt of the given deliveries, as MessageAttemptOut, newest first, filtered by `status`.
template <class Sender>
response attempt_list(api_context<Sender>& c, const application& app, const std::vector<delivery_record>& ds) {
    response error;
    auto p = page_of(c, true, error);
    if (!p) return error;
    std::optional<int> status;
    if (auto s = c.query("status"); !s.empty()) {
        if (s.size() != 1 || s[0] < '0' || s[0] > '4') return validation_error("status", "must be 0 to 4", "query");
        status = s[0] - '0';
    }
    std::map<std::string, std::string> urls; // endpoint id -> its URL now
    std::vector<std::pair<std::int64_t, nlohmann::json>> rows;
    for (const auto& d : ds) {
        auto attempts = c.sender.attempts(d.id);
        if (!attempts) return error_for(attempts.error());
        if (!urls.count(d.endpoint_id)) {
            auto e = c.registry.find_endpoint(app.id, d.endpoint_id);
            urls[d.endpoint_id] = e && *e ? (*e)->url : std::string{};
        }
        const auto manual = attempts->empty() ? std::set<int>{} : manual_attempts(c, d.id);
        for (const auto& a : *attempts) {
            const int st = a.status >= 200 && a.status < 300 ? 0 : 2;
            if (status && *status != st) continue;
            rows.emplace_back(a.started_at,
                              nlohmann::json{{"id", "atmpt_" + std::to_string(d.id) + "_" + std::to_string(a.number)},
                                             {"msgId", d.message_id},
                                             {"endpointId", d.endpoint_id},
                                             {"url", urls[d.endpoint_id]},
                                             {"response", a.response_excerpt},
                                             {"responseStatusCode", a.status},
                                             {"responseDurationMs", a.latency.count() / 1000},
                                             {"status", st},
                                             {"statusText", wire_status_text(st)},
                                             {"triggerType", manual.count(a.number) ? 1 : 0},
                                             {"timestamp", iso8601_ms(a.started_at)}});
        }
    }
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    // Paged by position: the iterator is the id of the last attempt returned.
    std::size_t from = 0;
    if (!p->iterator.empty()) {
        while (from < rows.size() && rows[from].second["id"] != p->iterator) ++from;
        from = from < rows.size() ? from + 1 : rows.size();
    }
    nlohmann::json data = nlohmann::json::array();
    for (std::size_t i = from; i < rows.size() && data.size() < p->limit; ++i)
        data.push_back(std::move(rows[i].second));
    const bool done = from + data.size() >= rows.size();
    nlohmann::json out = {{"data", data}, {"done", done}, {"prevIterator", nullptr}};
    out["iterator"] = data.empty() || done ? nlohmann::json() : data.back()["id"];
    return json_response(200, out);
}

template <class Sender>
response message_routes(api_context<Sender>& c, const application& app) {
    // segments: app {app} msg [{msg} [endpoint {ep} resend]]
    if (c.segments() == 3) return message_collection(c, app);
    auto m = c.registry.find_message(app.id, std::string(c.segment(3)));
    if (!m) return error_for(m.error());
    if (!*m) return error_response(404, "not_found", "Entity not found");
    if (c.segments() == 4) {
        if (c.request.method != "GET") return error_response(405, "method_not_allowed", "Method not allowed");
        return json_response(200, wire(**m, c.query_flag("with_content", true)));
    }
    if (c.segments() == 7 && c.segment(4) == "endpoint" && c.segment(6) == "resend" && c.request.method == "POST") {
        auto e = c.registry.find_endpoint(app.id, std::string(c.segment(5)));
        if (!e) return error_for(e.error());
        if (!*e) return error_response(404, "not_found", "Entity not found");
        auto ds = c.sender.deliveries({.message_id = (*m)->id, .endpoint_id = (*e)->id, .limit = 1});
        if (!ds) return error_for(ds.error());
        if (ds->empty()) return error_response(404, "not_found", "The message was not sent to this endpoint");
        const auto& d = ds->front();
        auto manual = manual_attempts(c, d.id);
        manual.insert(d.attempts + 1);
        registry_row row{.kind = "manual",
                         .id = std::to_string(d.id),
                         .tenant = app.id,
                         .body = nlohmann::json(manual).dump(),
                         .created_at = c.registry.now(),
                         .updated_at = c.registry.now()};
        auto put = c.registry.store().registry_update(row);
        if (!put && put.error() == errc::not_found) put = c.registry.store().registry_insert(row);
        if (!put) return error_for(put.error());
        if (auto n = c.sender.retry((*m)->id, (*e)->id); !n) return error_for(n.error());
        return json_response(202, nlohmann::json::object());
    }
    return error_response(404, "not_found", "Entity not found");
}

template <class Sender>
response attempt_routes(api_context<Sender>& c, const application& app) {
    // segments: app {app} attempt (msg|endpoint) {id}
    if (c.segments() != 5 || c.request.method != "GET") return error_response(404, "not_found", "Entity not found");
    if (c.segment(3) == "msg") {
        auto m = c.registry.find_message(app.id, std::string(c.segment(4)));
        if (!m) return error_for(m.error());
        if (!*m) return error_response(404, "not_found", "Entity not found");
        std::string endpoint;
        if (auto ep = c.query("endpoint_id"); !ep.empty()) {
            auto e = c.registry.find_endpoint(app.id, ep);
            if (!e) return error_for(e.error());
            if (!*e) return error_response(404, "not_found", "Entity not found");
            endpoint = (*e)->id;
        }
        auto ds = c.sender.deliveries({.message_id = (*m)->id, .endpoint_id = endpoint});
        if (!ds) return error_for(ds.error());
        return attempt_list(c, app, *ds);
    }
    if (c.segment(3) == "endpoint") {
        auto e = c.registry.find_endpoint(app.id, std::string(c.segment(4)));
        if (!e) return error_for(e.error());
        if (!*e) return error_response(404, "not_found", "Entity not found");
        auto ds = c.sender.deliveries({.endpoint_id = (*e)->id, .limit = 1000, .newest_first = true});
        if (!ds) return error_for(ds.error());
        return attempt_list(c, app, *ds);
    }
    return error_response(404, "not_found", "Entity not found");
}

} // namespace detail

HOOKLINE_END_NAMESPACE
