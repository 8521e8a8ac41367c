/// \file What the registry keeps: applications (tenants), their endpoints, the event-type catalogue and
/// the management API's message index, with the validation every entry point applies.
///
/// Thread-safety: plain values.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/sending/endpoint.hpp>

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// A tenant: one of the exposee's customers, owning endpoints (Svix calls it an application).
struct application {
    std::string id{};                ///< `app_…`, given at creation
    std::string uid{};               ///< the exposee's own id for it; optional, unique; usable wherever `id` is
    std::string name{};              ///< required
    std::optional<int> rate_limit{}; ///< default deliveries/s of its endpoints
    std::map<std::string, std::string> metadata{};
    std::int64_t created_at = 0; ///< Unix ms
    std::int64_t updated_at = 0;
};

/// An endpoint as registered (not as the sender runs it: see `to_endpoint_config`).
struct registered_endpoint {
    std::string id{};     ///< `ep_…`, given at creation
    std::string app_id{}; ///< its tenant
    std::string uid{};    ///< optional, unique within the tenant
    std::string url{};    ///< required: http(s), checked against the sender's address policy
    std::string description{};
    std::vector<std::string> filter_types{};      ///< event types (or `prefix.*`) it takes; empty = all
    std::vector<std::string> channels{};          ///< empty = every message
    std::optional<int> rate_limit{};              ///< deliveries per second
    std::map<std::string, std::string> headers{}; ///< extra request headers
    bool disabled = false;
    std::map<std::string, std::string> metadata{};
    int version = 1;
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
    /// Its signing keys, newest first; a rotated-out key keeps signing until `expires_at`. Never listed,
    /// never logged; sealed at rest when the registry has a key.
    std::vector<endpoint_secret> secrets{};
};

/// An entry of the event-type catalogue.
struct event_type_info {
    std::string name{}; ///< the id: `invoice.paid`
    std::string description{};
    bool archived = false;
    bool deprecated = false;
    nlohmann::json schemas{}; ///< optional JSON schemas by version; null when none
    std::string feature_flag{};
    std::string group_name{};
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

/// A message accepted through the registry, as the management API lists it.
struct message_info {
    std::string id{};
    std::string app_id{};
    std::string event_type{};
    std::string event_id{}; ///< optional, unique within the tenant
    std::string payload{};  ///< the body, JSON text
    std::vector<std::string> channels{};
    std::vector<std::string> tags{};
    std::int64_t timestamp = 0; ///< Unix ms
};

/// A page of a list, and where the next one starts.
template <class T>
struct page {
    std::vector<T> data{};
    std::string iterator{};      ///< pass it back for the next page ("" when done)
    std::string prev_iterator{}; ///< for the page before ("" at the start)
    bool done = true;
};

/// Which page: after `iterator` (or before it, with a "-" prefix as Svix writes it), at most `limit`.
struct page_request {
    std::string iterator{};
    std::size_t limit = 50;
    bool descending = false; ///< newest first
};

namespace detail {

/// A uid or an event-type name as Svix allows them: 1..256 of `A-Za-z0-9-_.`.
inline bool registry_name_ok(std::string_view s, std::size_t max = 256) noexcept {
    if (s.empty() || s.size() > max) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

/// Free text (names, descriptions, metadata) that may be shown and logged: no control characters but tab.
inline bool registry_text_ok(std::string_view s, std::size_t max) noexcept {
    return s.size() <= max && header_value_ok(s);
}

} // namespace detail

HOOKLINE_END_NAMESPACE
