/// \file Base64 and hex codecs used by the signature schemes. Total functions: malformed input
/// yields `std::nullopt`, never a crash or an out-of-bounds read.
///
/// Thread-safety: pure functions.
#pragma once

#include <hookline/core/config.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE

namespace detail {
inline constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr char hex_digits[] = "0123456789abcdef";

/// 0..63 for a standard or URL-safe base64 digit, 64 for anything else.
inline constexpr std::array<std::uint8_t, 256> base64_table = [] {
    std::array<std::uint8_t, 256> t{};
    for (auto& v : t) v = 64;
    for (std::uint8_t i = 0; i < 64; ++i) t[static_cast<unsigned char>(base64_alphabet[i])] = i;
    t['-'] = 62;
    t['_'] = 63;
    return t;
}();

inline constexpr int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace detail

/// Appends the padded standard base64 (RFC 4648 §4) of `bytes` to `out`.
inline void base64_encode_to(std::string& out, std::string_view bytes) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    std::size_t start = out.size();
    out.resize(start + (n + 2) / 3 * 4);
    char* o = out.data() + start;
    std::size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        std::uint32_t v = (std::uint32_t{p[i]} << 16) | (std::uint32_t{p[i + 1]} << 8) | p[i + 2];
        *o++ = detail::base64_alphabet[(v >> 18) & 63];
        *o++ = detail::base64_alphabet[(v >> 12) & 63];
        *o++ = detail::base64_alphabet[(v >> 6) & 63];
        *o++ = detail::base64_alphabet[v & 63];
    }
    if (i < n) {
        std::uint32_t v = std::uint32_t{p[i]} << 16;
        if (i + 1 < n) v |= std::uint32_t{p[i + 1]} << 8;
        *o++ = detail::base64_alphabet[(v >> 18) & 63];
        *o++ = detail::base64_alphabet[(v >> 12) & 63];
        *o++ = i + 1 < n ? detail::base64_alphabet[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
}

/// Padded standard base64 of `bytes`.
inline std::string base64_encode(std::string_view bytes) {
    std::string out;
    base64_encode_to(out, bytes);
    return out;
}

namespace detail {
/// The decoding loop of `base64_decode`: calls `emit(index, byte)` for each decoded byte instead of
/// building a string, so a caller can decode into a buffer it owns. Returns the decoded length, or
/// nullopt for input `base64_decode` rejects. `emit` is taken by value so its state stays in registers.
template <class Emit>
constexpr std::optional<std::size_t> base64_decode_each(std::string_view text, Emit emit) {
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') {
        if (text.size() % 4 != 0) return std::nullopt;
        while (!text.empty() && text.back() == '=' && padding < 2) {
            text.remove_suffix(1);
            ++padding;
        }
        if (text.size() % 4 == 0) return std::nullopt; // padding where none was due
    }
    if (text.size() % 4 == 1) return std::nullopt;
    // Whole groups of four digits first (three bytes each), then the tail digit by digit.
    const auto digit = [](char c) -> std::uint32_t { return base64_table[static_cast<unsigned char>(c)]; };
    std::size_t n = 0;
    for (; text.size() >= 4; text.remove_prefix(4)) {
        const std::uint32_t a = digit(text[0]), b = digit(text[1]), c = digit(text[2]), d = digit(text[3]);
        if ((a | b | c | d) & 64) return std::nullopt;
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        emit(n, static_cast<char>(v >> 16));
        emit(n + 1, static_cast<char>((v >> 8) & 0xFF));
        emit(n + 2, static_cast<char>(v & 0xFF));
        n += 3;
    }
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const std::uint32_t v = digit(c);
        if (v == 64) return std::nullopt;
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            emit(n++, static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return n;
}
} // namespace detail

/// Decodes standard or URL-safe base64, padded or not. Rejects characters outside the alphabet,
/// misplaced padding and impossible lengths.
inline std::optional<std::string> base64_decode(std::string_view text) {
    std::string out(text.size() / 4 * 3 + 2, '\0'); // room for every byte the text can hold
    char* p = out.data();
    auto n = detail::base64_decode_each(text, [p](std::size_t i, char c) { p[i] = c; });
    if (!n) return std::nullopt;
    out.resize(*n);
    return out;
}

/// Lower-case hex of `bytes`.
inline std::string hex_encode(std::string_view bytes) {
    std::string out(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto b = static_cast<unsigned char>(bytes[i]);
        out[2 * i] = detail::hex_digits[b >> 4];
        out[2 * i + 1] = detail::hex_digits[b & 15];
    }
    return out;
}

/// Decodes hex in either case; rejects odd lengths and non-hex characters.
inline std::optional<std::string> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string out(text.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = detail::hex_value(text[2 * i]);
        int lo = detail::hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out[i] = static_cast<char>((hi << 4) | lo);
    }
    return out;
}

namespace detail {
/// Strict decimal parse of a non-negative integer that fits in int64: digits only, 1..18 of them.
inline std::optional<std::int64_t> parse_unix_seconds(std::string_view text) noexcept {
    if (text.empty() || text.size() > 18) return std::nullopt;
    std::int64_t v = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

/// Trims ASCII spaces and tabs on both sides.
inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

/// ASCII case-insensitive equality.
inline bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}
} // namespace detail

HOOKLINE_END_NAMESPACE
