/// \file Message ids the sender makes for events sent without one.
///
/// Thread-safety: `random_message_id` may be called from any thread, and in a forked child.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <string>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// "msg_" and 16 bytes from `RAND_bytes` in hex. OpenSSL 3's generator reseeds in a forked child,
/// so parent and child never hand out the same ids.
inline result<std::string> random_message_id() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, static_cast<int>(sizeof bytes)) != 1) return errc::crypto_failure;
    static constexpr char digits[] = "0123456789abcdef";
    std::string id(4 + 2 * sizeof bytes, '\0');
    id.replace(0, 4, "msg_");
    for (std::size_t i = 0; i < sizeof bytes; ++i) {
        id[4 + 2 * i] = digits[bytes[i] >> 4];
        id[5 + 2 * i] = digits[bytes[i] & 0xf];
    }
    OPENSSL_cleanse(bytes, sizeof bytes);
    return id;
}

} // namespace detail

HOOKLINE_END_NAMESPACE
