/// \file Mounts a receiver on a `hookline::beast_server` (hookline/serving/beast_server.hpp; link
/// `hookline::beast`), the server to expose to the Internet: one deadline per request, a connection cap
/// that closes idle keep-alive connections first, bounded heads and bodies (docs/receiver.md, "Which
/// server to pick").
///
///     hookline::beast_server server({.address = "0.0.0.0", .port = 8080});
///     hookline::mount(server, receiver, "/webhooks");
///     server.start().value();
///
/// As with the cpp-httplib mount: other methods on the path answer 405 (from the receiver), other
/// paths 404, and a body declared larger than the receiver's `max_body_size` is answered 413 without
/// being read (a chunked one is cut off at the limit; the connection is closed after the 413).
/// Twilio and Square sign the public URL: set `receiver_options::public_base_url`, the URL is that
/// plus the request target. The receiver runs on the server's worker pool (it may block in a handler
/// or a de-duplication store); `beast_server_options::inline_handlers` runs it on the I/O threads
/// instead, which suits only an asynchronous receiver with the in-memory store.
///
/// Thread-safety: `mount` before `server.start()`. The receiver's `handle` is called concurrently
/// from the server's threads; the receiver must outlive the server (or its `stop`).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/receiving/detail/adapter.hpp>
#include <hookline/receiving/request.hpp>
#include <hookline/serving/beast_server.hpp>

#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

/// The handler serving `receiver` at `path` (404 elsewhere). `receiver` is any `basic_receiver`.
template <class Receiver>
beast_server::handler_type beast_handler(Receiver& receiver, std::string_view path = "/webhooks") {
    return [&receiver, path = std::string(path)](const request_view& request) -> response {
        if (detail::target_path(request.target) != path) return detail::plain_response(404, "404 not found");
        return receiver.handle(request);
    };
}

/// Serves `receiver` at `path` on `server` (replacing its handler), and sets the server's body limit
/// to the receiver's `max_body_size`. Call before `server.start()`.
template <class Receiver>
void mount(beast_server& server, Receiver& receiver, std::string_view path = "/webhooks") {
    server.options().max_body_bytes = receiver.options().max_body_size;
    server.set_handler(beast_handler(receiver, path));
}

HOOKLINE_END_NAMESPACE
