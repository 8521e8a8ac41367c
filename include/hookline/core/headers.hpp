/// \file `header_map`: HTTP headers in arrival order with case-insensitive look-up; `header_view`: the
/// same look-ups over headers owned by someone else (a `header_map`, or an HTTP server's own fields
/// seen as `header_ref`s), without copying them.
///
/// Thread-safety: `header_map` is a value type and `header_view` a view; const member functions may be
/// called concurrently.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/encoding.hpp>

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// True when `s` may be sent as (part of) a header value: no control character (CR, LF, NUL, any other
/// C0 control, DEL); HTAB is allowed, and so are bytes from 0x80 (RFC 9110 `obs-text`).
inline bool header_value_ok(std::string_view s) noexcept {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f) return false;
    }
    return true;
}

/// True when `s` may be an ordering key (`webhook-ordering-key`, docs/ordering.md): at most 256 bytes,
/// a valid header value. The sender refuses other keys at `send`, the receiver at the door.
inline bool ordering_key_ok(std::string_view s) noexcept { return s.size() <= 256 && header_value_ok(s); }

/// True when `s` may be sent as a header name: not empty, visible ASCII, no colon.
inline bool header_name_ok(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == ':') return false;
    }
    return true;
}

/// One header field as received or to be sent.
struct header {
    std::string name{};
    std::string value{};
    friend bool operator==(const header&, const header&) = default;
};

class header_view;

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
    friend class header_view;
    std::vector<header> fields_{};
};

/// One header field seen through a `header_view`: views into storage owned elsewhere.
struct header_ref {
    std::string_view name{};
    std::string_view value{};
    friend bool operator==(const header_ref&, const header_ref&) = default;
};

/// Read-only header fields owned by someone else, with `header_map`'s look-ups (names compare ASCII
/// case-insensitively, repeats kept, in order). Made implicitly from a `header_map`, or from a span
/// of `header_ref`s pointing into an HTTP server's own header storage, so a request's headers are
/// looked up where they already are instead of being copied. A view: whatever it refers to must
/// outlive it (do not make one from a temporary `header_map` that dies before the view is used).
/// Converts implicitly to an owning `header_map` (a copy) for code that needs one.
class header_view {
public:
    /// An input iterator whose elements are `header_ref` values.
    class iterator {
    public:
        using iterator_category = std::input_iterator_tag;
        using value_type = header_ref;
        using difference_type = std::ptrdiff_t;
        using pointer = void;
        using reference = header_ref;

        iterator() = default;
        header_ref operator*() const noexcept { return (*view_)[i_]; }
        iterator& operator++() noexcept {
            ++i_;
            return *this;
        }
        iterator operator++(int) noexcept {
            iterator old = *this;
            ++i_;
            return old;
        }
        friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.i_ == b.i_; }

    private:
        friend class header_view;
        iterator(const header_view* v, std::size_t i) noexcept : view_(v), i_(i) {}
        const header_view* view_ = nullptr;
        std::size_t i_ = 0;
    };

    /// No fields.
    header_view() noexcept = default;
    /// The fields of `h` (which must outlive the view).
    header_view(const header_map& h) noexcept : map_(h.fields_.data()), size_(h.fields_.size()) {}
    /// The fields `refs` describe (the span and what it points at must outlive the view).
    header_view(std::span<const header_ref> refs) noexcept : refs_(refs.data()), size_(refs.size()) {}
    /// The fields of a contiguous container of `header_ref`s (`std::vector`, `std::array`), which must
    /// outlive the view.
    template <class R>
    requires(std::ranges::contiguous_range<const R&>&& std::ranges::sized_range<const R&>&&
                 std::same_as<std::ranges::range_value_t<const R&>, header_ref>) header_view(const R& refs)
    noexcept : refs_(std::ranges::data(refs)), size_(std::ranges::size(refs)) {}

    /// The `i`-th field, `i < size()`.
    header_ref operator[](std::size_t i) const noexcept {
        return refs_ ? refs_[i] : header_ref{map_[i].name, map_[i].value};
    }

    /// The first value of `name`, if present.
    std::optional<std::string_view> get(std::string_view name) const noexcept {
        std::optional<std::string_view> found;
        visit([&](std::string_view n, std::string_view v) {
            if (!detail::iequals(n, name)) return true;
            found = v;
            return false;
        });
        return found;
    }

    /// The first value of `name`, or `fallback`.
    std::string_view get_or(std::string_view name, std::string_view fallback) const noexcept {
        auto v = get(name);
        return v ? *v : fallback;
    }

    /// How many fields are named `name`.
    std::size_t count(std::string_view name) const noexcept {
        std::size_t n = 0;
        visit([&](std::string_view f, std::string_view) {
            n += detail::iequals(f, name) ? 1 : 0;
            return true;
        });
        return n;
    }

    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    iterator begin() const noexcept { return {this, 0}; }
    iterator end() const noexcept { return {this, size_}; }

    /// Calls `f(name, value)` for every field in order until it returns false; false if it did.
    template <class F>
    bool visit(F&& f) const {
        if (refs_) {
            for (std::size_t i = 0; i < size_; ++i)
                if (!f(refs_[i].name, refs_[i].value)) return false;
        } else {
            for (std::size_t i = 0; i < size_; ++i)
                if (!f(std::string_view(map_[i].name), std::string_view(map_[i].value))) return false;
        }
        return true;
    }

    /// An owning copy.
    header_map to_map() const {
        header_map h;
        h.reserve(size_);
        visit([&](std::string_view n, std::string_view v) {
            h.add(std::string(n), std::string(v));
            return true;
        });
        return h;
    }
    operator header_map() const { return to_map(); }

private:
    const header* map_ = nullptr;
    const header_ref* refs_ = nullptr;
    std::size_t size_ = 0;
};

HOOKLINE_END_NAMESPACE
