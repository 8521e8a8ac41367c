/// \file What every management route works with: the sender, the registry, the options, the parsed
/// request, and the replies they share (registry errors as HTTP, pages from query parameters).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/logger.hpp>
#include <hookline/management/detail/http.hpp>
#include <hookline/management/detail/wire.hpp>
#include <hookline/management/management_options.hpp>
#include <hookline/receiving/request.hpp>
#include <hookline/registry/registry.hpp>
#include <hookline/sending/sender_options.hpp>

#include <nlohmann/json.hpp>

#include <charconv>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

template <class Sender>
struct api_context {
    using registry_type = basic_registry<typename Sender::store_type>;
    Sender& sender;
    registry_type& registry;
    const management_options& options;
    const request_view& request;
    const parsed_target& target;
    std::size_t base = 0; ///< index of the segment after "v1"
    /// Told the id of each endpoint a request changed, so other processes on the store follow (`sync`).
    std::function<void(const std::string&)> changed{};
    /// The lock under which an endpoint is read, changed in the sender and the registry, and reapplied.
    std::function<std::mutex&(const std::string&)> endpoint_lock{};

    std::string_view segment(std::size_t i) const {
        return base + i < target.segments.size() ? std::string_view(target.segments[base + i]) : std::string_view{};
    }
    std::size_t segments() const { return target.segments.size() - base; }
    std::string query(const char* name) const {
        auto it = target.query.find(name);
        return it == target.query.end() ? std::string{} : it->second;
    }
    bool query_flag(const char* name, bool otherwise) const {
        auto it = target.query.find(name);
        if (it == target.query.end()) return otherwise;
        return it->second == "true" || it->second == "1";
    }
    void log(log_level level, std::string_view line) const {
        if (options.logger) options.logger(level, line);
    }
};

/// The registry's and the sender's errors as Svix answers them.
inline response error_for(std::error_code ec, std::string_view what = "") {
    if (ec.category() == error_category()) {
        switch (static_cast<errc>(ec.value())) {
        case errc::not_found:
        case errc::endpoint_not_found:
        case errc::message_not_found: return error_response(404, "not_found", "Entity not found");
        case errc::already_exists:
            return error_response(409, "conflict", std::string(what.empty() ? "Entity" : what) + " already exists");
        case errc::invalid_url:
        case errc::address_refused: return validation_error("url", ec.message());
        case errc::invalid_header_name:
        case errc::invalid_header_value: return validation_error("headers", ec.message());
        case errc::invalid_event_type: return validation_error("eventType", ec.message());
        case errc::invalid_secret:
        case errc::secret_missing_prefix:
        case errc::secret_not_base64:
        case errc::secret_too_short: return validation_error("secret", ec.message());
        case errc::invalid_argument:
        case errc::invalid_option:
        case errc::invalid_tenant:
        case errc::invalid_message_id: return validation_error("body", ec.message());
        case errc::stopped:
        case errc::queue_full: return error_response(503, "unavailable", "The service is stopping or busy; try again");
        default: break;
        }
    }
    return error_response(500, "server_error", "Internal server error");
}

/// Deepest nesting of arrays and objects a request body may have: writing a document back out
/// (payloads, schemas) recurses once per level, so depth is bounded where it is read.
inline constexpr int max_body_depth = 64;

/// The JSON body, or the 400 that says it is not JSON (or nests deeper than `max_body_depth`).
inline std::optional<nlohmann::json> json_body(const request_view& r, response& error) {
    bool too_deep = false;
    const nlohmann::json::parser_callback_t depth_guard = [&too_deep](int depth, nlohmann::json::parse_event_t event,
                                                                      nlohmann::json&) {
        if (depth > max_body_depth && (event == nlohmann::json::parse_event_t::object_start ||
                                       event == nlohmann::json::parse_event_t::array_start))
            too_deep = true;
        return !too_deep;
    };
    auto j = nlohmann::json::parse(r.body.empty() ? std::string_view("{}") : r.body, depth_guard, false);
    if (too_deep) {
        error = error_response(400, "generic_error", "The body nests deeper than 64 levels");
        return std::nullopt;
    }
    if (j.is_discarded()) {
        error = error_response(400, "generic_error", "The body is not valid JSON");
        return std::nullopt;
    }
    return j;
}

/// `limit`, `iterator` and `order` as a `page_request`, or the 422 that says what is wrong.
template <class Sender>
std::optional<page_request> page_of(const api_context<Sender>& c, bool newest_first, response& error) {
    page_request p;
    p.descending = newest_first;
    if (auto l = c.query("limit"); !l.empty()) {
        std::size_t n = 0;
        auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), n);
        if (ec != std::errc() || end != l.data() + l.size() || n == 0 || n > c.options.max_page) {
            error = validation_error("limit", "must be 1 to " + std::to_string(c.options.max_page), "query");
            return std::nullopt;
        }
        p.limit = n;
    }
    p.iterator = c.query("iterator");
    if (auto o = c.query("order"); o == "ascending")
        p.descending = false;
    else if (o == "descending")
        p.descending = true;
    else if (!o.empty()) {
        error = validation_error("order", "must be ascending or descending", "query");
        return std::nullopt;
    }
    return p;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
