/// \file Mounts a receiver on a cpp-httplib server in one line:
///
///     httplib::Server server;
///     hookline::standard_receiver receiver(verifier);
///     hookline::mount(server, receiver, "/webhooks");
///
/// The body is streamed in only after the declared Content-Length was checked against the receiver's
/// `max_body_size` (413 without reading it otherwise; a chunked body is cut off at the limit). Other
/// methods on the path answer 405. Call `server.set_tcp_nodelay(true)`: without it loopback requests
/// stall ~40 ms (Nagle).
///
/// Exposure: cpp-httplib 0.11 serves each connection on a thread of its pool (thread-per-connection)
/// and has no deadline for reading a request head or body, only per-read timeouts. A few clients that
/// trickle a request head a byte at a time (slowloris) hold every pool thread and every valid webhook
/// waits: 8 such connections blocked a default server for 16 s. On a server reachable by others, set a
/// larger pool (`new_task_queue`), short `set_read_timeout` and `set_keep_alive_timeout`, and put a
/// proxy that buffers whole requests (nginx, Envoy) in front; or serve with `hookline::beast_server`
/// (hookline/receiving/beast_adapter.hpp), which cuts each request at one deadline and caps
/// connections. docs/receiver.md, "Which server to pick".
///
/// Thread-safety: the mounted handler runs on the server's threads and calls `receiver.handle`, which
/// is safe to call concurrently. The receiver must outlive the server's use of it.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/receiving/detail/adapter.hpp>
#include <hookline/receiving/receiver.hpp>

#include <httplib.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {
/// `path` as a regular expression matching exactly it (cpp-httplib patterns are regexes).
inline std::string regex_escape(std::string_view path) {
    std::string out;
    out.reserve(path.size() * 2);
    for (char c : path) {
        if (std::string_view(R"(.^$|()[]{}*+?\)").find(c) != std::string_view::npos) out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

/// A request's headers seen in place (no copy): `header_ref`s into cpp-httplib's own strings, on the
/// stack for up to 32 fields.
class httplib_header_refs : public header_refs {
public:
    explicit httplib_header_refs(const httplib::Headers& headers)
        : header_refs(headers, headers.size(), [](const auto& f) {
              return header_ref{f.first, f.second};
          }) {}
};

/// The declared Content-Length: nullopt when absent, UINT64_MAX when unparsable (cpp-httplib would
/// not read such a body either).
inline std::optional<std::uint64_t> declared_length(header_view headers) noexcept {
    const auto cl = headers.get("Content-Length");
    if (!cl || cl->empty()) return std::nullopt;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
    if (ec != std::errc() || end != cl->data() + cl->size()) return UINT64_MAX;
    return n;
}

/// A request body read through cpp-httplib's content reader, up to `limit` bytes: a body declared over
/// the limit is not read at all, one that turns out longer (chunked) is cut off there; either way
/// `declared` is over the limit and `complete` false (the connection must not be reused).
struct bounded_body {
    std::string body;
    std::optional<std::uint64_t> declared;
    std::size_t limit;
    bool complete = true;
};

inline bounded_body read_bounded_body(header_view headers, const httplib::ContentReader& reader, std::size_t limit) {
    bounded_body st{{}, declared_length(headers), limit};
    if (st.declared && *st.declared > limit) {
        st.complete = false;
        return st;
    }
    if (st.declared) st.body.reserve(static_cast<std::size_t>(*st.declared));
    // One pointer captured: the callback fits std::function's small buffer (no allocation).
    reader([s = &st](const char* data, std::size_t n) {
        if (s->body.size() + n > s->limit) {
            s->declared = std::uint64_t{s->body.size()} + n; // over the limit: stop reading
            s->complete = false;
            return false;
        }
        s->body.append(data, n);
        return true;
    });
    return st;
}

inline void write_response(const response& r, httplib::Response& res) {
    res.status = r.status;
    for (const auto& h : r.headers)
        if (!iequals(h.name, "Content-Type")) res.set_header(h.name, h.value);
    if (!response_has_content(r)) return; // no content, no Content-Type
    res.set_content(r.body, std::string(response_content_type(r)));
}
} // namespace detail

/// Routes POST `path` on `server` to `receiver.handle`, and answers 405 for GET, PUT, PATCH, DELETE
/// and OPTIONS there. `receiver` is any `basic_receiver`.
template <class Receiver>
void mount(httplib::Server& server, Receiver& receiver, std::string_view path = "/webhooks") {
    const std::string pattern = detail::regex_escape(path);
    server.Post(pattern,
                [&receiver](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
                    const detail::httplib_header_refs refs(req.headers);
                    const header_view headers = refs.view();
                    const auto in = detail::read_bounded_body(headers, reader, receiver.options().max_body_size);
                    response r = receiver.handle({.method = req.method,
                                                  .target = req.target,
                                                  .headers = headers,
                                                  .body = in.body,
                                                  .content_length = in.declared});
                    detail::write_response(r, res);
                    // The unread rest of the body is still in the stream: do not reuse the connection.
                    if (!in.complete) res.set_header("Connection", "close");
                });
    auto other = [&receiver](const httplib::Request& req, httplib::Response& res) {
        const detail::httplib_header_refs refs(req.headers);
        detail::write_response(
            receiver.handle({.method = req.method, .target = req.target, .headers = refs.view(), .body = {}}), res);
    };
    server.Get(pattern, other);
    server.Put(pattern, other);
    server.Patch(pattern, other);
    server.Delete(pattern, other);
    server.Options(pattern, other);
}

HOOKLINE_END_NAMESPACE
