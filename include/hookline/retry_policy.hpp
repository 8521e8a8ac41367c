/// \file PLACEHOLDER (replaced when the transport branch merges): the `retry_policy` concept.
#pragma once

#include <hookline/config.hpp>

#include <chrono>
#include <concepts>
#include <optional>
#include <system_error>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

struct attempt_outcome {
    int attempt = 1;
    int status = 0;
    std::error_code error{};
    std::optional<std::chrono::seconds> retry_after{};
};

template <class P>
concept retry_policy = std::copy_constructible<P> && requires(const P& p, const attempt_outcome& o) {
    { p.next_delay(o) } -> std::same_as<std::optional<std::chrono::milliseconds>>;
};

struct fixed_schedule {
    std::vector<std::chrono::milliseconds> delays{};
    std::optional<std::chrono::milliseconds> next_delay(const attempt_outcome& o) const {
        if (o.attempt < 1 || static_cast<std::size_t>(o.attempt) > delays.size()) return std::nullopt;
        return delays[static_cast<std::size_t>(o.attempt) - 1];
    }
};

HOOKLINE_END_NAMESPACE
