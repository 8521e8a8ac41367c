/// \file The receiver's handler table: handlers registered by event-type pattern (exact, prefix
/// ending in '*', or "*"), the most specific match found per event, and the wrapper that turns a
/// user handler returning void, bool or `result<void>` into one returning `result<void>`.
///
/// Thread-safety: fill the table first; afterwards `find` may be called from any number of threads.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/receiving/webhook_event.hpp>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE
namespace detail {

/// Hash of a `std::string`-keyed map that also looks up `std::string_view`s without a copy.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

/// Wraps a user handler returning void, bool or result<void> into one returning result<void>.
template <class F, class... Args>
result<void> invoke_handler(F& f, Args&&... args) {
    using R = std::invoke_result_t<F&, Args...>;
    if constexpr (std::is_void_v<R>) {
        std::invoke(f, std::forward<Args>(args)...);
        return {};
    } else if constexpr (std::same_as<R, bool>) {
        return std::invoke(f, std::forward<Args>(args)...) ? result<void>{} : result<void>{errc::handler_failed};
    } else {
        static_assert(std::same_as<R, result<void>>, "a handler returns void, bool or hookline::result<void>");
        return std::invoke(f, std::forward<Args>(args)...);
    }
}

/// A registered handler in its type-erased form.
struct handler_entry {
    std::function<result<void>(const webhook_event&)> fn;
    bool needs_json = false; ///< a typed handler: the body must be JSON before it runs
};

/// Handlers by pattern. The most specific match wins: exact type, then the longest prefix, then "*".
class handler_table {
public:
    /// Registers `e` for `pattern` ("invoice.paid", "invoice.*" or "*"), replacing an earlier
    /// handler for the same pattern.
    void add(std::string_view pattern, handler_entry e) {
        if (pattern == "*") {
            any_ = std::move(e);
        } else if (pattern.ends_with('*')) {
            std::string prefix(pattern.substr(0, pattern.size() - 1));
            auto it =
                std::find_if(prefixes_.begin(), prefixes_.end(), [&](const auto& p) { return p.first == prefix; });
            if (it != prefixes_.end()) {
                it->second = std::move(e);
            } else {
                prefixes_.emplace_back(std::move(prefix), std::move(e));
                std::stable_sort(prefixes_.begin(), prefixes_.end(),
                                 [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
            }
        } else {
            exact_[std::string(pattern)] = std::move(e);
        }
    }

    /// The handler for an event of `type` (empty: only "*" matches); nullptr when none does.
    const handler_entry* find(std::string_view type) const {
        if (!type.empty()) {
            if (!exact_.empty())
                if (auto it = exact_.find(type); it != exact_.end()) return &it->second;
            for (const auto& [prefix, e] : prefixes_)
                if (type.starts_with(prefix)) return &e;
        }
        return any_ ? &*any_ : nullptr;
    }

private:
    std::unordered_map<std::string, handler_entry, string_hash, std::equal_to<>> exact_;
    std::vector<std::pair<std::string, handler_entry>> prefixes_; // longest prefix first
    std::optional<handler_entry> any_;
};

} // namespace detail
HOOKLINE_END_NAMESPACE
