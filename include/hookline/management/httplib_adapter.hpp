/// \file Mounts a management API on a cpp-httplib server:
///
///     hookline::mount_management(server, api);   // serves <prefix>/api/v1/...
///
/// A body declared over `management_options::max_body_bytes` is answered 413 without being read (a
/// chunked one is cut off at the limit). For a server others can reach, prefer `beast_server`
/// (hookline/serving/beast_server.hpp, with `api.handle` as its handler), which bounds slow clients:
/// see the exposure noted in hookline/receiving/httplib_adapter.hpp.
///
/// Thread-safety: the handler runs on the server's threads and calls `api.handle`, which is safe to
/// call concurrently. The API must outlive the server's use of it.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/receiving/httplib_adapter.hpp>

#include <httplib.h>

#include <cstdint>
#include <optional>
#include <string>

HOOKLINE_BEGIN_NAMESPACE

/// Routes every method under `<api.options().prefix>/api/v1/`, and `GET <prefix>/metrics`, on `server`
/// to `api.handle`.
template <class Api>
void mount_management(httplib::Server& server, Api& api) {
    const std::string pattern = detail::regex_escape(api.options().prefix + "/api/v1/") + ".*";
    auto with_body = [&api](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
        const detail::httplib_header_refs refs(req.headers);
        const header_view headers = refs.view();
        const auto in = detail::read_bounded_body(headers, reader, api.options().max_body_bytes);
        detail::write_response(api.handle({.method = req.method,
                                           .target = req.target,
                                           .headers = headers,
                                           .body = in.body,
                                           .content_length = in.declared}),
                               res);
        if (!in.complete) res.set_header("Connection", "close");
    };
    auto without_body = [&api](const httplib::Request& req, httplib::Response& res) {
        const detail::httplib_header_refs refs(req.headers);
        detail::write_response(
            api.handle({.method = req.method, .target = req.target, .headers = refs.view(), .body = {}}), res);
    };
    server.Post(pattern, with_body);
    server.Put(pattern, with_body);
    server.Patch(pattern, with_body);
    server.Get(pattern, without_body);
    server.Delete(pattern, without_body);
    server.Get(detail::regex_escape(api.options().prefix + "/metrics"), without_body); // Prometheus, token required
}

HOOKLINE_END_NAMESPACE
