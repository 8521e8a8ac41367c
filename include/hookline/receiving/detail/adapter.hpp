/// \file What the server adapters (cpp-httplib, Boost.Beast) share: header fields seen in place as
/// `header_ref`s, the path part of a target, and how a `response`'s content type is written.
///
/// Thread-safety: `header_refs` is a per-request object; the functions are pure.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/receiving/request.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// A request's headers seen in place (no copy): `header_ref`s into the server's own strings, on the
/// stack for up to 32 fields. Neither copyable nor movable (`view()` points into it).
class header_refs {
public:
    /// `fields` is any range of the server's fields; `project(field)` gives its `header_ref`.
    template <class Range, class Project>
    header_refs(const Range& fields, std::size_t count, Project project) : size_(count) {
        header_ref* out = local_.data();
        if (size_ > local_.size()) {
            more_.resize(size_);
            out = more_.data();
        }
        std::size_t i = 0;
        for (const auto& f : fields) {
            if (i++ == size_) break;
            *out++ = project(f);
        }
        size_ = i < size_ ? i : size_;
    }
    header_refs(const header_refs&) = delete;
    header_refs& operator=(const header_refs&) = delete;

    header_view view() const noexcept {
        return std::span<const header_ref>(more_.empty() ? local_.data() : more_.data(), size_);
    }

private:
    std::array<header_ref, 32> local_;
    std::vector<header_ref> more_;
    std::size_t size_;
};

/// The path of a request target: everything before the query.
inline std::string_view target_path(std::string_view target) noexcept { return target.substr(0, target.find('?')); }

/// The Content-Type a response is written with: its first Content-Type field, else "text/plain".
inline std::string_view response_content_type(const response& r) noexcept {
    for (const auto& h : r.headers)
        if (iequals(h.name, "Content-Type")) return h.value;
    return "text/plain";
}

/// A 204 without a body is sent without Content-Type (and without a body).
inline bool response_has_content(const response& r) noexcept { return !(r.status == 204 && r.body.empty()); }

/// A plain-text answer for what adapters refuse themselves (404 outside the mounted path).
inline response plain_response(int status, std::string_view text) {
    response r;
    r.status = status;
    r.headers.add("Content-Type", "text/plain; charset=utf-8");
    r.body = std::string(text);
    return r;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
