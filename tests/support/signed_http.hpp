// Standard Webhooks requests signed now with `receiver_key()`, as cpp-httplib headers, for tests over
// real loopback HTTP.
#pragma once

#include "support/receiver_doubles.hpp"

#include <hookline/receiving/receiver.hpp>

#include <httplib.h>

#include <string>

namespace test_support {

/// Standard Webhooks headers for `body` under `id`, signed with `receiver_key()` now.
inline httplib::Headers signed_headers(const std::string& id, const std::string& body) {
    auto h = hookline::standard_signer(receiver_key())
                 .sign({.id = id, .body = body, .timestamp = hookline::unix_now()})
                 .value();
    httplib::Headers out;
    for (const auto& f : h) out.emplace(f.name, f.value);
    return out;
}

} // namespace test_support
