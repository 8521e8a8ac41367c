/// \file The HTTP steps of `beast_server`, apart from its sockets so that the fuzz target
/// (tests/fuzz/fuzz_beast_request.cpp) drives the same code: the request parser with the server's
/// limits, the check of the declared body size, the `request_view` handed to the handler, and the
/// Beast response written back.
///
/// Thread-safety: per-request objects and pure functions.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/receiving/detail/adapter.hpp>
#include <hookline/receiving/request.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/optional.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

namespace beast_http = boost::beast::http;
using beast_request = beast_http::request<beast_http::string_body>;
using beast_request_parser = beast_http::request_parser<beast_http::string_body>;
using beast_response = beast_http::response<beast_http::string_body>;

/// The limits a request is read under.
struct beast_request_limits {
    std::size_t max_header_bytes = std::size_t{8} * 1024;
    std::size_t max_body_bytes = std::size_t{1024} * 1024;
};

/// Prepares `p` for a request head: at most `max_header_bytes` (request line and fields), and no body
/// limit yet: the declared length is checked by `accept_body` once the head is in.
inline void prepare_parser(beast_request_parser& p, const beast_request_limits& limits) {
    constexpr std::size_t most = std::numeric_limits<std::uint32_t>::max();
    p.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes < most ? limits.max_header_bytes : most));
    p.body_limit(boost::none);
}

/// After the head: false when the declared Content-Length is over the limit (the body is not read);
/// otherwise sets the limit a chunked body is cut off at and returns true.
inline bool accept_body(beast_request_parser& p, const beast_request_limits& limits) {
    const auto declared = p.content_length();
    if (declared && *declared > limits.max_body_bytes) return false;
    p.body_limit(std::uint64_t{limits.max_body_bytes});
    return true;
}

/// The Content-Length a handler is told about for a request whose body was not read.
inline std::uint64_t too_large_length(const beast_request_parser& p, const beast_request_limits& limits) {
    const auto declared = p.content_length();
    return declared && *declared > limits.max_body_bytes ? *declared : std::uint64_t{limits.max_body_bytes} + 1;
}

/// True when the client waits for "100 Continue" before sending the body.
inline bool expects_continue(const beast_request& req) {
    const auto it = req.find(beast_http::field::expect);
    return it != req.end() && iequals(std::string_view(it->value()), "100-continue");
}

/// A Beast request's fields as `header_ref`s (no copy).
class beast_header_refs : public header_refs {
public:
    explicit beast_header_refs(const beast_request& req)
        : header_refs(req, field_count(req), [](const auto& f) {
              return header_ref{std::string_view(f.name_string()), std::string_view(f.value())};
          }) {}

private:
    static std::size_t field_count(const beast_request& req) noexcept {
        std::size_t n = 0;
        for (auto it = req.begin(); it != req.end(); ++it) ++n;
        return n;
    }
};

/// Calls `handler` with the request `req` (its body unread when `too_large` is set) and returns
/// what it answered; an exception becomes a 500.
template <class Handler>
response call_handler(Handler& handler, const beast_request& req, std::optional<std::uint64_t> too_large) {
    const beast_header_refs refs(req);
    std::optional<std::uint64_t> declared = too_large;
    if (!declared) {
        if (auto cl = req.find(beast_http::field::content_length); cl != req.end()) declared = req.body().size();
    }
    const request_view view{.method = std::string_view(req.method_string()),
                            .target = std::string_view(req.target()),
                            .headers = refs.view(),
                            .body = too_large ? std::string_view() : std::string_view(req.body()),
                            .content_length = declared};
    try {
        return handler(view);
    } catch (...) {
        return plain_response(500, "500 internal error");
    }
}

/// The Beast response for `r`, answering a request of HTTP `version` (11 or 10).
inline beast_response to_beast_response(response&& r, unsigned version, bool keep_alive) {
    beast_response out;
    out.version(version);
    out.result(static_cast<unsigned>(r.status >= 100 && r.status <= 999 ? r.status : 500));
    for (const auto& h : r.headers) {
        if (iequals(h.name, "Content-Type") || iequals(h.name, "Content-Length") ||
            iequals(h.name, "Transfer-Encoding") || iequals(h.name, "Connection"))
            continue;
        if (!header_name_ok(h.name) || !header_value_ok(h.value)) continue;
        out.insert(h.name, h.value);
    }
    if (response_has_content(r)) {
        out.set(beast_http::field::content_type, response_content_type(r));
        out.body() = std::move(r.body);
    }
    out.keep_alive(keep_alive);
    out.prepare_payload();
    return out;
}

/// A response the server gives itself (431, 400, 503): plain text, connection closed after it unless
/// `keep_alive`.
inline beast_response server_response(int status, std::string_view text, bool keep_alive = false) {
    return to_beast_response(plain_response(status, text), 11, keep_alive);
}

} // namespace detail

HOOKLINE_END_NAMESPACE
