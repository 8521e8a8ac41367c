/// \file PLACEHOLDER (replaced when the transport branch merges): the `transport` concept.
#pragma once

#include <hookline/config.hpp>
#include <hookline/error.hpp>
#include <hookline/headers.hpp>

#include <chrono>
#include <concepts>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

struct http_request {
    std::string url{};
    header_map headers{};
    std::string_view body{};
    std::chrono::milliseconds timeout{15000};
};

struct http_response {
    int status = 0;
    header_map headers{};
    std::string body_excerpt{};
    std::chrono::microseconds latency{0};
};

template <class T>
concept transport = requires(T& t, const http_request& r) {
    { t.send(r) } -> std::same_as<result<http_response>>;
};

HOOKLINE_END_NAMESPACE
