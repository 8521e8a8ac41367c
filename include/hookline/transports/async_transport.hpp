/// \file The `async_transport` concept: a transport that starts a request and reports its completion
/// later, so one thread keeps many requests in flight. The stock one is `curl_transport`
/// (hookline/transports/curl_transport.hpp); `threaded_transport` runs a blocking `transport` on a
/// bounded thread pool and models this concept too.
///
/// Thread-safety: `start` may be called from any thread; the completion runs on the transport's own
/// thread and must be quick (hand the result over, do not block).
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>
#include <hookline/transports/transport.hpp>

#include <concepts>
#include <cstddef>
#include <functional>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

/// Called exactly once per started request, with its response or its error (`errc::stopped` when the
/// transport is destroyed first).
using completion_handler = std::function<void(result<http_response>)>;

/// Starts `request` and returns at once; `done` runs when it completes. The request's body (a view)
/// must stay alive until then. A request refused before it starts (a malformed URL, say) may complete
/// inside `start`, so the caller must not hold a lock that `done` takes.
template <class T>
concept async_transport = requires(T& t, const http_request& request, completion_handler done) {
    { t.start(request, std::move(done)) } -> std::same_as<void>;
};

/// A transport that can take at most `capacity()` requests at once without queueing them behind each
/// other (a thread pool); a sender never starts more than that. Transports without it take any number.
template <class T>
concept bounded_transport = requires(const T& t) {
    { t.capacity() } -> std::convertible_to<std::size_t>;
};

/// What a sender delivers with: an asynchronous transport (many requests in flight on its own
/// threads), or a blocking one (each request on one of the sender's workers).
template <class T>
concept delivery_transport = async_transport<T> || transport<T>;

HOOKLINE_END_NAMESPACE
