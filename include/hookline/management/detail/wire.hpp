/// \file The registry's records in the Svix REST API's JSON shapes (camelCase, RFC 3339 times), and
/// request bodies read into them with the checks Svix applies (a failed check names its field).
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/registry/records.hpp>
#include <hookline/stores/store.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

inline nlohmann::json wire(const application& a) {
    nlohmann::json j = {{"id", a.id},
                        {"name", a.name},
                        {"metadata", a.metadata},
                        {"createdAt", iso8601_ms(a.created_at)},
                        {"updatedAt", iso8601_ms(a.updated_at)}};
    j["uid"] = a.uid.empty() ? nlohmann::json() : nlohmann::json(a.uid);
    j["throttleRate"] = a.rate_limit ? nlohmann::json(*a.rate_limit) : nlohmann::json();
    return j;
}

inline nlohmann::json wire(const registered_endpoint& e) {
    nlohmann::json j = {{"id", e.id},
                        {"url", e.url},
                        {"description", e.description},
                        {"metadata", e.metadata},
                        {"disabled", e.disabled},
                        {"version", e.version},
                        {"createdAt", iso8601_ms(e.created_at)},
                        {"updatedAt", iso8601_ms(e.updated_at)}};
    j["uid"] = e.uid.empty() ? nlohmann::json() : nlohmann::json(e.uid);
    j["throttleRate"] = e.rate_limit ? nlohmann::json(*e.rate_limit) : nlohmann::json();
    j["eventTypes"] = e.filter_types.empty() ? nlohmann::json() : nlohmann::json(e.filter_types);
    j["filterTypes"] = j["eventTypes"]; // the name SDKs before 2.0 read
    j["rateLimit"] = j["throttleRate"];
    j["channels"] = e.channels.empty() ? nlohmann::json() : nlohmann::json(e.channels);
    return j;
}

inline nlohmann::json wire(const event_type_info& t, bool with_content = true) {
    nlohmann::json j = {{"name", t.name},
                        {"description", t.description},
                        {"archived", t.archived},
                        {"deprecated", t.deprecated},
                        {"createdAt", iso8601_ms(t.created_at)},
                        {"updatedAt", iso8601_ms(t.updated_at)}};
    j["schemas"] = with_content ? t.schemas : nlohmann::json();
    j["featureFlag"] = t.feature_flag.empty() ? nlohmann::json() : nlohmann::json(t.feature_flag);
    j["featureFlags"] = t.feature_flag.empty() ? nlohmann::json() : nlohmann::json::array({t.feature_flag});
    j["groupName"] = t.group_name.empty() ? nlohmann::json() : nlohmann::json(t.group_name);
    return j;
}

inline nlohmann::json wire(const message_info& m, bool with_content) {
    nlohmann::json payload = nlohmann::json::object();
    if (with_content) payload = nlohmann::json::parse(m.payload, nullptr, false);
    if (payload.is_discarded()) payload = nlohmann::json::object();
    nlohmann::json j = {{"id", m.id},
                        {"eventType", m.event_type},
                        {"payload", std::move(payload)},
                        {"timestamp", iso8601_ms(m.timestamp)}};
    j["eventId"] = m.event_id.empty() ? nlohmann::json() : nlohmann::json(m.event_id);
    j["channels"] = m.channels.empty() ? nlohmann::json() : nlohmann::json(m.channels);
    j["tags"] = m.tags.empty() ? nlohmann::json() : nlohmann::json(m.tags);
    return j;
}

/// Svix's MessageStatus for a delivery: 0 success, 1 pending, 2 fail, 3 sending, 4 canceled.
inline int wire_status(delivery_status s) noexcept {
    switch (s) {
    case delivery_status::delivered: return 0;
    case delivery_status::pending: return 1;
    case delivery_status::exhausted:
    case delivery_status::failed: return 2;
    case delivery_status::in_flight: return 3;
    case delivery_status::skipped: return 4;
    }
    return 1;
}

inline const char* wire_status_text(int s) noexcept {
    static constexpr const char* names[] = {"success", "pending", "fail", "sending", "canceled"};
    return s >= 0 && s <= 4 ? names[s] : "pending";
}

/// A list response: `{data, iterator, prevIterator, done}`.
template <class T, class F>
nlohmann::json wire_page(const page<T>& p, F&& each) {
    nlohmann::json data = nlohmann::json::array();
    for (const auto& item : p.data) data.push_back(each(item));
    return {{"data", std::move(data)},
            {"iterator", p.iterator.empty() ? nlohmann::json() : nlohmann::json(p.iterator)},
            {"prevIterator", p.prev_iterator.empty() ? nlohmann::json() : nlohmann::json(p.prev_iterator)},
            {"done", p.done}};
}

/// Reading request bodies: the first problem found, as (field, message); empty when none.
struct wire_problem {
    std::string field{};
    std::string message{};
    explicit operator bool() const noexcept { return !field.empty(); }
};

/// Reads `j[name]` into `out` when present and not null; a problem when it has another type.
template <class T>
wire_problem read_field(const nlohmann::json& j, const char* name, T& out) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return {};
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
        // Whole numbers in T's range only: no wrapping, no float-to-integer conversion.
        if (!it->is_number_integer()) return {name, "must be a whole number"};
        if (it->is_number_unsigned() &&
            it->template get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return {name, "out of range"};
        const auto v = it->template get<std::int64_t>();
        if (v < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
            (v > 0 && static_cast<std::uint64_t>(v) > static_cast<std::uint64_t>(std::numeric_limits<T>::max())))
            return {name, "out of range"};
        out = static_cast<T>(v);
        return {};
    }
    try {
        out = it->template get<T>();
    } catch (const nlohmann::json::exception&) {
        return {name, "value has the wrong type"};
    }
    return {};
}

template <class T>
wire_problem read_field(const nlohmann::json& j, const char* name, std::optional<T>& out) {
    auto it = j.find(name);
    if (it == j.end()) return {};
    if (it->is_null()) {
        out.reset();
        return {};
    }
    T v{};
    if (auto p = read_field(j, name, v)) return p;
    out = std::move(v);
    return {};
}

/// An application body (`ApplicationIn`, or with `patch` an `ApplicationPatch` over `a`).
inline wire_problem read_application(const nlohmann::json& j, application& a, bool patch) {
    if (!j.is_object()) return {"body", "expected a JSON object"};
    if (!patch && (!j.contains("name") || !j["name"].is_string())) return {"name", "field required"};
    for (auto p : {read_field(j, "name", a.name), read_field(j, "uid", a.uid), read_field(j, "metadata", a.metadata)})
        if (p) return p;
    if (j.contains("throttleRate")) {
        if (auto p = read_field(j, "throttleRate", a.rate_limit)) return p;
    } else if (auto p = read_field(j, "rateLimit", a.rate_limit)) {
        return p;
    }
    if (a.name.empty() || a.name.size() > 256) return {"name", "must be 1 to 256 characters"};
    if (!a.uid.empty() && !registry_name_ok(a.uid)) return {"uid", "must be 1 to 256 of A-Z a-z 0-9 - _ ."};
    if (a.rate_limit && (*a.rate_limit < 1 || *a.rate_limit > 65535)) return {"throttleRate", "must be 1 to 65535"};
    return {};
}

/// An endpoint body (`EndpointIn`, `EndpointUpdate`, or with `patch` an `EndpointPatch` over `e`).
inline wire_problem read_endpoint(const nlohmann::json& j, registered_endpoint& e, bool patch) {
    if (!j.is_object()) return {"body", "expected a JSON object"};
    if (!patch && (!j.contains("url") || !j["url"].is_string())) return {"url", "field required"};
    std::optional<std::vector<std::string>> types, channels;
    for (auto p :
         {read_field(j, "url", e.url), read_field(j, "uid", e.uid), read_field(j, "description", e.description),
          read_field(j, "disabled", e.disabled), read_field(j, "metadata", e.metadata),
          read_field(j, "version", e.version), read_field(j, "channels", channels),
          read_field(j, j.contains("eventTypes") ? "eventTypes" : "filterTypes", types),
          read_field(j, j.contains("throttleRate") ? "throttleRate" : "rateLimit", e.rate_limit)})
        if (p) return p;
    if (j.contains("eventTypes") || j.contains("filterTypes"))
        e.filter_types = types.value_or(std::vector<std::string>{});
    if (j.contains("channels")) e.channels = channels.value_or(std::vector<std::string>{});
    if (j.contains("headers")) {
        std::map<std::string, std::string> headers;
        if (auto p = read_field(j, "headers", headers)) return p;
        e.headers = std::move(headers);
    }
    if (!(e.url.starts_with("https://") || e.url.starts_with("http://")) || e.url.size() > 65536)
        return {"url", "must be an http or https URL"};
    if (!e.uid.empty() && !registry_name_ok(e.uid)) return {"uid", "must be 1 to 256 of A-Z a-z 0-9 - _ ."};
    if (e.rate_limit && (*e.rate_limit < 1 || *e.rate_limit > 65535)) return {"throttleRate", "must be 1 to 65535"};
    if (e.channels.size() > 10) return {"channels", "at most 10 channels"};
    for (const auto& t : e.filter_types)
        if (!registry_name_ok(t) && !(t.ends_with(".*") && registry_name_ok(t.substr(0, t.size() - 2))))
            return {"eventTypes", "not an event type name"};
    return {};
}

/// An event-type body (`EventTypeIn`, or with `patch` an update over `t`).
inline wire_problem read_event_type(const nlohmann::json& j, event_type_info& t, bool patch) {
    if (!j.is_object()) return {"body", "expected a JSON object"};
    if (!patch && !t.name.empty() && j.contains("name") && j["name"] != t.name)
        return {"name", "differs from the path"};
    std::optional<std::vector<std::string>> flags;
    for (auto p : {read_field(j, "name", t.name), read_field(j, "description", t.description),
                   read_field(j, "archived", t.archived), read_field(j, "deprecated", t.deprecated),
                   read_field(j, "groupName", t.group_name), read_field(j, "featureFlag", t.feature_flag),
                   read_field(j, "featureFlags", flags)})
        if (p) return p;
    if (flags) t.feature_flag = flags->empty() ? std::string{} : flags->front();
    if (j.contains("schemas")) t.schemas = j["schemas"];
    if (!registry_name_ok(t.name)) return {"name", "must be 1 to 256 of A-Z a-z 0-9 - _ ."};
    return {};
}

} // namespace detail

HOOKLINE_END_NAMESPACE
