/// \file Options of the management API (`basic_management_api`, hookline/management/api.hpp): who may
/// call it, how large a request may be, and where it logs.
///
/// Thread-safety: plain values; the authoriser is called from the server's threads, several at once.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/digest.hpp>
#include <hookline/core/logger.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

/// What an authoriser decides about a request.
enum class access {
    allow,
    unauthenticated, ///< 401: no token, or one that is not known
    forbidden,       ///< 403: a known token, not for this tenant
};

/// Decides whether the bearer `token` may act on tenant `app_id` ("" for calls that are not about one
/// tenant: the event-type catalogue, listing and creating applications). Called for every request.
using authoriser = std::function<access(std::string_view token, std::string_view app_id)>;

/// The stock authoriser: one token for everything, compared in constant time. An empty token refuses all.
struct token_authoriser {
    std::string token{};
    access operator()(std::string_view given, std::string_view /*app_id*/) const {
        if (token.empty() || !constant_time_equal(given, token)) return access::unauthenticated;
        return access::allow;
    }
};

/// Options of a management API. Aggregate: use designated initialisers.
struct management_options {
    /// Who may call it; required (a default-constructed API refuses every request with 401).
    hookline::authoriser authoriser{};
    /// Path prefix the API is mounted under; its routes are `<prefix>/api/v1/...`.
    std::string prefix{};
    /// Largest request body; a larger declared one is answered 413 without being read.
    std::size_t max_body_bytes = std::size_t{1024} * 1024;
    /// Largest page a list returns (Svix's maximum is 250).
    std::size_t max_page = 250;
    /// How long a POST's `Idempotency-Key` replays its first answer.
    std::chrono::milliseconds idempotency_ttl = std::chrono::hours(12);
    /// How long the message index keeps messages (the store's retention prunes the messages themselves).
    std::chrono::milliseconds message_retention = std::chrono::hours(24 * 7);
    /// How far back `sync` rereads endpoint changes each time, to catch those committed late or
    /// stamped by a clock behind this one (keep the processes' clocks within it). Each `sync` reads
    /// every change of the window: at a sustained thousands of endpoint changes a second, a shorter
    /// window costs less.
    std::chrono::milliseconds sync_window = std::chrono::seconds(3);
    /// Refusals of endpoints at load, store failures, and index failures go here; `nullptr` silences it.
    hookline::logger logger = stderr_logger();
};

HOOKLINE_END_NAMESPACE
