/// \file Management routes for applications (`/api/v1/app[/{app_id}]`) and the event-type catalogue
/// (`/api/v1/event-type[/{name}]`).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/management/detail/context.hpp>

#include <string>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

template <class Sender>
response application_collection(api_context<Sender>& c) {
    response error;
    if (c.request.method == "GET") {
        auto p = page_of(c, false, error);
        if (!p) return error;
        auto page = c.registry.list_applications(*p);
        if (!page) return error_for(page.error());
        return json_response(200, wire_page(*page, [](const application& a) { return wire(a); }));
    }
    if (c.request.method != "POST") return error_response(405, "method_not_allowed", "Method not allowed");
    auto body = json_body(c.request, error);
    if (!body) return error;
    application a;
    if (auto p = read_application(*body, a, false)) return validation_error(p.field, p.message);
    if (c.query_flag("get_if_exists", false) && !a.uid.empty()) {
        auto found = c.registry.find_application(a.uid);
        if (!found) return error_for(found.error());
        if (*found) return json_response(200, wire(**found));
    }
    auto made = c.registry.create_application(std::move(a));
    if (!made) return error_for(made.error(), "An application with this uid");
    return json_response(201, wire(*made));
}

/// Removes the application's endpoints from the sender as they leave the registry.
template <class Sender>
response application_item(api_context<Sender>& c, const application& app) {
    const auto& m = c.request.method;
    if (m == "GET") return json_response(200, wire(app));
    if (m == "DELETE") {
        auto removed = c.registry.delete_application(app.id);
        if (!removed) return error_for(removed.error());
        for (const auto& id : *removed) {
            (void)c.sender.remove_endpoint(id);
            c.changed(id);
        }
        return empty_response();
    }
    if (m != "PUT" && m != "PATCH") return error_response(405, "method_not_allowed", "Method not allowed");
    response error;
    auto body = json_body(c.request, error);
    if (!body) return error;
    application next = m == "PATCH" ? app : application{.id = app.id};
    if (auto p = read_application(*body, next, m == "PATCH")) return validation_error(p.field, p.message);
    next.id = app.id;
    auto saved = c.registry.update_application(std::move(next));
    if (!saved) return error_for(saved.error(), "An application with this uid");
    return json_response(200, wire(*saved));
}

/// PUT on an application that does not exist creates it, with the path's key as its uid.
template <class Sender>
response application_upsert_new(api_context<Sender>& c, std::string_view key) {
    response error;
    auto body = json_body(c.request, error);
    if (!body) return error;
    application a;
    if (auto p = read_application(*body, a, false)) return validation_error(p.field, p.message);
    if (a.uid.empty()) a.uid = std::string(key);
    auto made = c.registry.create_application(std::move(a));
    if (!made) return error_for(made.error(), "An application with this uid");
    return json_response(201, wire(*made));
}

template <class Sender>
response event_type_routes(api_context<Sender>& c) {
    const auto& m = c.request.method;
    response error;
    if (c.segments() == 1) {
        if (m == "GET") {
            auto p = page_of(c, false, error);
            if (!p) return error;
            const bool archived = c.query_flag("include_archived", false);
            const bool content = c.query_flag("with_content", true);
            // Archived types are skipped: read on until the page is full or the catalogue ends.
            page<event_type_info> out;
            page_request next = *p;
            for (int rounds = 0; rounds < 100; ++rounds) {
                auto page = c.registry.list_event_types(next);
                if (!page) return error_for(page.error());
                for (auto& t : page->data)
                    if ((archived || !t.archived) && out.data.size() < p->limit) {
                        out.iterator = t.name;
                        out.data.push_back(std::move(t));
                    }
                out.done = page->done;
                if (page->done || out.data.size() >= p->limit) break;
                next.iterator = page->iterator;
            }
            if (!out.data.empty()) out.prev_iterator = "-" + out.data.front().name;
            if (out.done) out.iterator.clear();
            return json_response(200, wire_page(out, [&](const event_type_info& t) { return wire(t, content); }));
        }
        if (m != "POST") return error_response(405, "method_not_allowed", "Method not allowed");
        auto body = json_body(c.request, error);
        if (!body) return error;
        event_type_info t;
        if (auto p = read_event_type(*body, t, false)) return validation_error(p.field, p.message);
        auto old = c.registry.find_event_type(t.name);
        if (!old) return error_for(old.error());
        if (*old && !(*old)->archived)
            return error_response(409, "event_type_exists", "An event type with this name already exists");
        t.archived = false;
        auto made = *old ? c.registry.update_event_type(std::move(t)) : c.registry.create_event_type(std::move(t));
        if (!made) return error_for(made.error(), "An event type with this name");
        return json_response(201, wire(*made));
    }
    if (c.segments() != 2) return error_response(404, "not_found", "Entity not found");
    const std::string name(c.segment(1));
    auto found = c.registry.find_event_type(name);
    if (!found) return error_for(found.error());
    if (m == "GET") {
        if (!*found) return error_response(404, "not_found", "Entity not found");
        return json_response(200, wire(**found));
    }
    if (m == "DELETE") {
        if (!*found) return error_response(404, "not_found", "Entity not found");
        if (c.query_flag("expunge", false)) {
            if (auto gone = c.registry.delete_event_type(name); !gone) return error_for(gone.error());
            return empty_response();
        }
        auto t = **found;
        t.archived = true;
        if (auto saved = c.registry.update_event_type(std::move(t)); !saved) return error_for(saved.error());
        return empty_response();
    }
    if (m != "PUT" && m != "PATCH") return error_response(405, "method_not_allowed", "Method not allowed");
    if (m == "PATCH" && !*found) return error_response(404, "not_found", "Entity not found");
    auto body = json_body(c.request, error);
    if (!body) return error;
    event_type_info t = *found && m == "PATCH" ? **found : event_type_info{.name = name};
    if (*found && m == "PUT") t.created_at = (*found)->created_at;
    if (auto p = read_event_type(*body, t, m == "PATCH")) return validation_error(p.field, p.message);
    t.name = name;
    auto saved = *found ? c.registry.update_event_type(std::move(t)) : c.registry.create_event_type(std::move(t));
    if (!saved) return error_for(saved.error());
    return json_response(*found ? 200 : 201, wire(*saved));
}

} // namespace detail

HOOKLINE_END_NAMESPACE
