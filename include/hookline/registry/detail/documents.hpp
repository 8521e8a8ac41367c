/// \file The registry's records as stored documents (JSON in `registry_row::body`), and back. Secrets
/// are written sealed (`detail::seal`) by the caller; this file only places them.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/registry/records.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

template <class T>
void put_optional(nlohmann::json& j, const char* name, const std::optional<T>& v) {
    if (v) j[name] = *v;
}

template <class T>
std::optional<T> get_optional(const nlohmann::json& j, const char* name) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) return std::nullopt;
    return it->get<T>();
}

inline nlohmann::json to_document(const application& a) {
    nlohmann::json j = {{"name", a.name}, {"metadata", a.metadata}};
    put_optional(j, "rate_limit", a.rate_limit);
    return j;
}

inline void from_document(const nlohmann::json& j, application& a) {
    a.name = j.value("name", "");
    a.rate_limit = get_optional<int>(j, "rate_limit");
    a.metadata = j.value("metadata", std::map<std::string, std::string>{});
}

/// `sealed` holds one `{"key": sealed text, "expires_at": ms}` per secret.
inline nlohmann::json to_document(const registered_endpoint& e, nlohmann::json sealed) {
    nlohmann::json j = {{"url", e.url},           {"description", e.description}, {"filter_types", e.filter_types},
                        {"channels", e.channels}, {"headers", e.headers},         {"disabled", e.disabled},
                        {"metadata", e.metadata}, {"version", e.version},         {"secrets", std::move(sealed)}};
    put_optional(j, "rate_limit", e.rate_limit);
    return j;
}

inline void from_document(const nlohmann::json& j, registered_endpoint& e) {
    e.url = j.value("url", "");
    e.description = j.value("description", "");
    e.filter_types = j.value("filter_types", std::vector<std::string>{});
    e.channels = j.value("channels", std::vector<std::string>{});
    e.headers = j.value("headers", std::map<std::string, std::string>{});
    e.disabled = j.value("disabled", false);
    e.metadata = j.value("metadata", std::map<std::string, std::string>{});
    e.version = j.value("version", 1);
    e.rate_limit = get_optional<int>(j, "rate_limit");
}

inline nlohmann::json to_document(const event_type_info& t) {
    return {{"description", t.description}, {"archived", t.archived},         {"deprecated", t.deprecated},
            {"schemas", t.schemas},         {"feature_flag", t.feature_flag}, {"group_name", t.group_name}};
}

inline void from_document(const nlohmann::json& j, event_type_info& t) {
    t.description = j.value("description", "");
    t.archived = j.value("archived", false);
    t.deprecated = j.value("deprecated", false);
    t.schemas = j.contains("schemas") ? j.at("schemas") : nlohmann::json();
    t.feature_flag = j.value("feature_flag", "");
    t.group_name = j.value("group_name", "");
}

inline nlohmann::json to_document(const message_info& m) {
    return {{"event_type", m.event_type}, {"payload", m.payload}, {"channels", m.channels}, {"tags", m.tags}};
}

inline void from_document(const nlohmann::json& j, message_info& m) {
    m.event_type = j.value("event_type", "");
    m.payload = j.value("payload", "");
    m.channels = j.value("channels", std::vector<std::string>{});
    m.tags = j.value("tags", std::vector<std::string>{});
}

} // namespace detail

HOOKLINE_END_NAMESPACE
