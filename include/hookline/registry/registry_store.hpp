/// \file The `registry_store` concept: where tenants ("applications"), their endpoints, the event-type
/// catalogue and the management API's message index are kept, as rows of JSON documents.
///
/// A row is a document (`body`, JSON written and read by `basic_registry`) under a `kind` and an `id`,
/// owned by a `tenant` (an application id; "" for applications and event types), with an optional
/// `uid` that is unique among the rows of its kind and tenant. The store indexes rows by (kind, id),
/// (kind, tenant, id) and (kind, tenant, uid); it never looks inside `body`. The stock stores
/// (`memory_store`, `sqlite_store`, `postgres_store`) model it, so one database holds the queue and the
/// registry. All times are Unix milliseconds. Implementations must be safe to call from several threads.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// One registry document.
struct registry_row {
    std::string kind{};   ///< "app", "endpoint", "event_type", "message", ...
    std::string id{};     ///< unique within `kind`
    std::string tenant{}; ///< the owning application's id; "" when none
    std::string uid{};    ///< "" or unique within (`kind`, `tenant`)
    std::string body{};   ///< the document (JSON)
    std::int64_t created_at = 0;
    std::int64_t updated_at = 0;
};

/// Which rows `registry_list` returns: those of `kind` (and of `tenant`, when set), ordered by id,
/// strictly after `after` (ascending) or before it (descending), at most `limit`.
struct registry_query {
    std::string kind{};
    std::optional<std::string> tenant{}; ///< unset: every tenant
    std::string after{};                 ///< "" = from the start (either direction)
    bool descending = false;
    std::size_t limit = 50;
};

/// The registry concept. `registry_insert` fails with `errc::already_exists`, changing nothing, when
/// the (kind, id) or the (kind, tenant, uid) is taken; `registry_update` replaces the row with the same
/// (kind, id) (`errc::not_found` when there is none, `already_exists` when its new uid is taken) and
/// keeps its `created_at`; `registry_erase` answers whether a row was removed; `registry_prune` removes
/// the rows of `kind` created before `t` and answers how many.
template <class S>
concept registry_store = requires(S& s, const registry_row& row, const registry_query& q, const std::string& text,
                                  std::int64_t t) {
    { s.registry_insert(row) } -> std::same_as<result<void>>;
    { s.registry_update(row) } -> std::same_as<result<void>>;
    { s.registry_get(text, text) } -> std::same_as<result<std::optional<registry_row>>>;
    { s.registry_find(text, text, text) } -> std::same_as<result<std::optional<registry_row>>>;
    { s.registry_list(q) } -> std::same_as<result<std::vector<registry_row>>>;
    { s.registry_erase(text, text) } -> std::same_as<result<bool>>;
    { s.registry_prune(text, t) } -> std::same_as<result<std::size_t>>;
};

HOOKLINE_END_NAMESPACE
