/// \file `header_map`: HTTP headers in arrival order with case-insensitive look-up.
///
/// Thread-safety: a value type; const member functions may be called concurrently.
#pragma once

#include <hookline/config.hpp>
#include <hookline/encoding.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// One header field as received or to be sent.
struct header {
    std::string name{};
    std::string value{};
    friend bool operator==(const header&, const header&) = default;
};

/// Header fields in order. Names compare ASCII case-insensitively; repeated names are kept.
class header_map {
public:
    header_map() = default;
    header_map(std::initializer_list<header> fields) : fields_(fields) {}

    /// Appends a field (a repeated name adds a second field).
    void add(std::string name, std::string value) { fields_.push_back({std::move(name), std::move(value)}); }

    /// Replaces every field named `name` by one with `value`.
    void set(std::string_view name, std::string value) {
        erase(name);
        add(std::string(name), std::move(value));
    }

    /// Removes every field named `name`; returns how many.
    std::size_t erase(std::string_view name) {
        return std::erase_if(fields_, [&](const header& h) { return detail::iequals(h.name, name); });
    }

    /// The first value of `name`, if present.
    std::optional<std::string_view> get(std::string_view name) const noexcept {
        for (const auto& h : fields_)
            if (detail::iequals(h.name, name)) return std::string_view(h.value);
        return std::nullopt;
    }

    /// The first value of `name`, or `fallback`.
    std::string_view get_or(std::string_view name, std::string_view fallback) const noexcept {
        auto v = get(name);
        return v ? *v : fallback;
    }

    /// How many fields are named `name`.
    std::size_t count(std::string_view name) const noexcept {
        std::size_t n = 0;
        for (const auto& h : fields_) n += detail::iequals(h.name, name) ? 1 : 0;
        return n;
    }

    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    std::size_t size() const noexcept { return fields_.size(); }
    bool empty() const noexcept { return fields_.empty(); }
    void reserve(std::size_t n) { fields_.reserve(n); }
    void clear() noexcept { fields_.clear(); }

    auto begin() const noexcept { return fields_.begin(); }
    auto end() const noexcept { return fields_.end(); }

    friend bool operator==(const header_map&, const header_map&) = default;

private:
    std::vector<header> fields_{};
};

HOOKLINE_END_NAMESPACE
