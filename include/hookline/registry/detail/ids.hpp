/// \file Registry ids: a prefix and 26 Crockford base32 digits of 48 bits of Unix milliseconds and 80
/// random bits (as ULIDs are), so that ids sort by creation time and lists page in creation order.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/digest.hpp>
#include <hookline/core/error.hpp>

#include <cstdint>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {

/// The id for `unix_ms` with the given 10 bytes in place of the random part.
inline std::string sortable_id_with(std::string_view prefix, std::int64_t unix_ms, std::string_view random) {
    static constexpr char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    // 128 bits: 48 of time, then 80 random, written as 26 digits of 5 bits (the first holds 3).
    unsigned char bits[16];
    auto t = static_cast<std::uint64_t>(unix_ms < 0 ? 0 : unix_ms);
    for (int i = 5; i >= 0; --i, t >>= 8) bits[i] = static_cast<unsigned char>(t & 0xff);
    for (int i = 0; i < 10; ++i)
        bits[6 + i] = static_cast<unsigned char>(
            static_cast<std::size_t>(i) < random.size() ? random[static_cast<std::size_t>(i)] : 0);
    std::string out(prefix);
    out.reserve(prefix.size() + 26);
    for (int d = 0; d < 26; ++d) {
        const int first = d == 0 ? 0 : 3 + 5 * (d - 1); // bit offset of this digit within the 128 bits
        const int width = d == 0 ? 3 : 5;
        unsigned v = 0;
        for (int b = 0; b < width; ++b) {
            const int bit = first + b;
            v = (v << 1) | ((bits[bit / 8] >> (7 - bit % 8)) & 1u);
        }
        out.push_back(digits[v]);
    }
    return out;
}

inline result<std::string> sortable_id(std::string_view prefix, std::int64_t unix_ms) {
    auto random = random_bytes(10);
    if (!random) return random.error();
    return sortable_id_with(prefix, unix_ms, *random);
}

/// The smallest id of `unix_ms`: every id made at or after that millisecond sorts after it.
inline std::string sortable_floor(std::string_view prefix, std::int64_t unix_ms) {
    return sortable_id_with(prefix, unix_ms, {});
}

} // namespace detail

HOOKLINE_END_NAMESPACE
