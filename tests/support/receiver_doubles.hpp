// Test doubles for the receiver: a Standard Webhooks request signed at a fixed time, and options
// whose clock reads that time.
#pragma once

#include <hookline/receiving/receiver.hpp>

#include <cstdint>
#include <string>

namespace test_support {

inline constexpr std::int64_t receiver_t0 = 1700000000;

inline const hookline::secret& receiver_key() {
    static const hookline::secret k = hookline::secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    return k;
}

/// A POST of `{"type":"<type>"<extra>}` signed with `receiver_key()` at `receiver_t0` under `id`.
struct signed_event {
    hookline::header_map headers;
    std::string body;
    signed_event(const std::string& type, const std::string& id, const std::string& extra = "")
        : body(R"({"type":")" + type + R"(")" + extra + "}") {
        headers =
            hookline::standard_signer(receiver_key()).sign({.id = id, .body = body, .timestamp = receiver_t0}).value();
        headers.add("Content-Type", "application/json");
    }
    hookline::request_view view() const { return {.method = "POST", .target = "/", .headers = headers, .body = body}; }
};

/// `o` with a clock that reads `receiver_t0`.
inline hookline::receiver_options fixed_clock(hookline::receiver_options o = {}) {
    o.clock = [] { return receiver_t0; };
    return o;
}

} // namespace test_support
