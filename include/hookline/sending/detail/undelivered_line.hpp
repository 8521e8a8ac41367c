/// \file The lines a sender logs about a delivery that ended undelivered, or whose outcome it lost.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/logger.hpp>
#include <hookline/stores/store.hpp>
#include <hookline/transports/address_policy.hpp>

#include <string>
#include <string_view>
#include <system_error>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// What `undelivered_line` reports.
struct undelivered {
    std::string_view message_id;
    std::string_view endpoint_id;
    std::string_view event_type;
    std::string_view url; ///< only its scheme, host and port are shown
    int attempts = 0;
    int status = 0;                     ///< HTTP status of the last attempt, 0 without a response
    std::error_code error{};            ///< its error
    bool gone = false;                  ///< 410 Gone
    bool invalid = false;               ///< refused as invalid: never sent, not retried
    std::string_view disabled_reason{}; ///< why the attempt disabled the endpoint; empty: it did not
    bool holds_key = false;             ///< an ordered head exhausted under `block`: its key waits
    std::string_view ordering_key{};    ///< that key
};

/// `scheme://host:port` of `url`, or "(invalid URL)". The path and query are left out: either may
/// carry a token (a Slack webhook URL's path is its secret). `parse_url` refuses user information.
inline std::string url_origin(std::string_view url) {
    auto parsed = parse_url(url);
    if (!parsed) return "(invalid URL)";
    return parsed->scheme + "://" + parsed->authority();
}

/// One line: what ended undelivered, why, after how many attempts, and where it was going.
inline std::string undelivered_line(const undelivered& u) {
    std::string line;
    line.reserve(160);
    line.append(u.gone      ? "delivery failed (410 Gone)"
                : u.invalid ? "delivery failed (refused as invalid, not retried)"
                            : "delivery given up");
    line.append(": endpoint=");
    append_log_text(line, u.endpoint_id);
    line.append(" message=");
    append_log_text(line, u.message_id);
    line.append(" type=");
    append_log_text(line, u.event_type);
    line.append(" attempts=").append(std::to_string(u.attempts));
    line.append(" reason=");
    if (u.error == errc::http_status || (!u.error && u.status != 0))
        line.append("HTTP ").append(std::to_string(u.status));
    else
        line.append(u.error.message());
    line.append(" destination=").append(url_origin(u.url));
    if (!u.disabled_reason.empty()) {
        line.append(" endpoint disabled (");
        append_log_text(line, u.disabled_reason);
        line.push_back(')');
    }
    if (u.holds_key) {
        line.append(" ordering key \"");
        append_log_text(line, u.ordering_key);
        line.append("\" waits until this message is skipped or retried");
    }
    return line;
}

/// One line about an attempt whose outcome the store refused (`errc::lease_lost`): the delivery's lease
/// ran out during the attempt and another sender claimed it, which now owns its outcome.
inline std::string lease_lost_line(std::string_view message_id, std::string_view endpoint_id, int attempt,
                                   std::string_view url) {
    std::string line;
    line.reserve(160);
    line.append("attempt outcome not recorded, lease lost to another sender: endpoint=");
    append_log_text(line, endpoint_id);
    line.append(" message=");
    append_log_text(line, message_id);
    line.append(" attempt=").append(std::to_string(attempt));
    line.append(" destination=").append(url_origin(url));
    return line;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
