/// \file A single-pass JSON validator that also picks out a few top-level members, without building
/// a document. The receiver uses it to read a body's id and type and to reject malformed bodies at a
/// fraction of the cost of a full parse (a 1 KiB body: one pass, no allocation).
///
/// It accepts exactly RFC 8259 JSON text (one value, surrounded by optional whitespace, an optional
/// UTF-8 byte-order mark first, as nlohmann/json also accepts): strict numbers, literals, escapes,
/// well-formed UTF-8 (no overlongs, surrogates or code points above U+10FFFF), paired `\u` surrogate
/// escapes, no control characters in strings, numbers that fit a double, and at most `max_depth`
/// nested arrays/objects. (Stricter than nlohmann/json in one way: a NUL byte after the value is an
/// error, where nlohmann/json stops reading at it.)
///
/// Thread-safety: pure functions.
#pragma once

#include <hookline/core/config.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

HOOKLINE_BEGIN_NAMESPACE
namespace detail {

/// A top-level member's value found by `json_scan`: the raw token as it appears in the text.
struct json_member {
    std::string_view raw; ///< a string includes its quotes; empty when the member is absent
    bool is_string = false;
    bool is_number = false;
    bool has_escapes = false; ///< a string containing backslash escapes (decode it with a JSON parser)
};

/// The members `json_scan` was asked for (the last occurrence wins, as in nlohmann/json).
struct json_scan_result {
    bool is_object = false;
    json_member first;
    json_member second;
};

class json_scanner {
public:
    json_scanner(std::string_view text, std::size_t max_depth, std::string_view first, std::string_view second)
        : p_(reinterpret_cast<const unsigned char*>(text.data())), end_(p_ + text.size()), max_depth_(max_depth),
          want_first_(first), want_second_(second) {}

    std::optional<json_scan_result> run() {
        if (end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) p_ += 3;
        skip_ws();
        if (p_ < end_ && *p_ == '{') result_.is_object = true;
        if (!value(0)) return std::nullopt;
        skip_ws();
        if (p_ != end_) return std::nullopt;
        return result_;
    }

private:
    void skip_ws() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
    }

    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size()) return false;
        for (char c : word)
            if (*p_++ != static_cast<unsigned char>(c)) return false;
        return true;
    }

    static bool digit(unsigned char c) { return c >= '0' && c <= '9'; }

    /// A number token; rejects values too large for a double, as nlohmann/json does ("1e400").
    bool number() {
        const unsigned char* start = p_;
        if (!number_grammar()) return false;
        const std::size_t len = static_cast<std::size_t>(p_ - start);
        bool plain_integer = true;
        for (std::size_t i = 0; i < len; ++i)
            if (start[i] == '.' || start[i] == 'e' || start[i] == 'E') plain_integer = false;
        if (plain_integer && len <= 20) return true; // fits an int64/uint64, or a finite double
        double v = 0;
        const char* first = reinterpret_cast<const char*>(start);
        auto [ptr, ec] = std::from_chars(first, first + len, v);
        if (ec != std::errc::result_out_of_range) return ec == std::errc() && std::isfinite(v);
        return !overflows(start, len); // out of range: underflow is fine (it becomes 0), overflow is not
    }

    /// For a number std::from_chars called out of range: true when it is huge (not tiny).
    static bool overflows(const unsigned char* s, std::size_t len) {
        std::size_t i = 0;
        if (s[i] == '-') ++i;
        long long int_digits = 0, leading_frac_zeros = 0;
        bool seen_nonzero = false;
        for (; i < len && digit(s[i]); ++i) {
            if (s[i] != '0') seen_nonzero = true;
            if (seen_nonzero) ++int_digits;
        }
        if (i < len && s[i] == '.') {
            for (++i; i < len && digit(s[i]); ++i) {
                if (s[i] != '0')
                    seen_nonzero = true;
                else if (!seen_nonzero)
                    ++leading_frac_zeros;
            }
        }
        long long exponent = 0;
        bool negative = false;
        if (i < len && (s[i] == 'e' || s[i] == 'E')) {
            ++i;
            if (i < len && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
            for (; i < len; ++i)
                if (exponent < 1000000000) exponent = exponent * 10 + (s[i] - '0');
        }
        if (negative) exponent = -exponent;
        const long long magnitude = int_digits > 0 ? int_digits + exponent : exponent - leading_frac_zeros;
        return magnitude > 0;
    }

    bool number_grammar() {
        if (p_ < end_ && *p_ == '-') ++p_;
        if (p_ >= end_) return false;
        if (*p_ == '0') {
            ++p_;
        } else if (digit(*p_)) {
            while (p_ < end_ && digit(*p_)) ++p_;
        } else {
            return false;
        }
        if (p_ < end_ && *p_ == '.') {
            ++p_;
            if (p_ >= end_ || !digit(*p_)) return false;
            while (p_ < end_ && digit(*p_)) ++p_;
        }
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
            if (p_ >= end_ || !digit(*p_)) return false;
            while (p_ < end_ && digit(*p_)) ++p_;
        }
        return true;
    }

    static int hex(unsigned char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /// Four hex digits after "\u"; -1 when malformed.
    long hex4() {
        if (end_ - p_ < 4) return -1;
        long v = 0;
        for (int i = 0; i < 4; ++i) {
            int d = hex(*p_++);
            if (d < 0) return -1;
            v = v * 16 + d;
        }
        return v;
    }

    /// Skips printable ASCII other than '"' and '\\', eight bytes at a time (SWAR).
    /// Advances over string bytes that need no attention: printable ASCII other than '"' and '\\'.
    /// Sixteen bytes at a time with SSE2 (every x86-64 has it), eight with SWAR elsewhere.
    void skip_plain() {
#if defined(__SSE2__)
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i backslash = _mm_set1_epi8('\\');
        const __m128i space = _mm_set1_epi8(0x20);
        while (end_ - p_ >= 16) {
            const __m128i w = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
            // Signed compare: bytes below 0x20 and bytes 0x80 and up (negative) are both "less than".
            const __m128i special = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote), _mm_cmpeq_epi8(w, backslash)),
                                                 _mm_cmplt_epi8(w, space));
            const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
            if (mask != 0) {
                p_ += __builtin_ctz(mask);
                return;
            }
            p_ += 16;
        }
#else
        constexpr std::uint64_t ones = 0x0101010101010101ULL;
        constexpr std::uint64_t highs = 0x8080808080808080ULL;
        while (end_ - p_ >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p_, 8);
            const std::uint64_t quote = w ^ (ones * '"');
            const std::uint64_t backslash = w ^ (ones * '\\');
            // A byte of `x` is zero / below 0x20 when the classic "has less than" test sets its high bit.
            const std::uint64_t special =
                ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) | ((w - ones * 0x20) & ~w) | w;
            if (special & highs) break;
            p_ += 8;
        }
#endif
        while (p_ < end_ && *p_ >= 0x20 && *p_ < 0x80 && *p_ != '"' && *p_ != '\\') ++p_;
    }

    /// A string starting at the opening quote. Sets `escapes` when it contains any.
    bool string(bool& escapes) {
        ++p_; // opening quote
        while (p_ < end_) {
            skip_plain();
            if (p_ >= end_) break;
            const unsigned char c = *p_;
            if (c == '"') {
                ++p_;
                return true;
            }
            if (c < 0x20) return false;
            if (c == '\\') {
                escapes = true;
                if (++p_ >= end_) return false;
                const unsigned char e = *p_++;
                switch (e) {
                case '"':
                case '\\':
                case '/':
                case 'b':
                case 'f':
                case 'n':
                case 'r':
                case 't': break;
                case 'u': {
                    long cp = hex4();
                    if (cp < 0) return false;
                    if (cp >= 0xDC00 && cp <= 0xDFFF) return false; // lone low surrogate
                    if (cp >= 0xD800 && cp <= 0xDBFF) {             // needs a low surrogate next
                        if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
                        p_ += 2;
                        long low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) return false;
                    }
                    break;
                }
                default: return false;
                }
                continue;
            }
            if (c < 0x80) {
                ++p_;
                continue;
            }
            // Multi-byte UTF-8 (RFC 3629 table of well-formed sequences).
            std::size_t n = 0;
            unsigned char lo = 0x80, hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF)
                n = 1;
            else if (c == 0xE0)
                n = 2, lo = 0xA0;
            else if (c >= 0xE1 && c <= 0xEC)
                n = 2;
            else if (c == 0xED)
                n = 2, hi = 0x9F;
            else if (c >= 0xEE && c <= 0xEF)
                n = 2;
            else if (c == 0xF0)
                n = 3, lo = 0x90;
            else if (c >= 0xF1 && c <= 0xF3)
                n = 3;
            else if (c == 0xF4)
                n = 3, hi = 0x8F;
            else
                return false;
            if (static_cast<std::size_t>(end_ - p_) < n + 1) return false;
            if (p_[1] < lo || p_[1] > hi) return false;
            for (std::size_t i = 2; i <= n; ++i)
                if (p_[i] < 0x80 || p_[i] > 0xBF) return false;
            p_ += n + 1;
        }
        return false; // unterminated
    }

    bool value(std::size_t depth) {
        skip_ws();
        if (p_ >= end_) return false;
        switch (*p_) {
        case '{': return object(depth + 1);
        case '[': return array(depth + 1);
        case '"': {
            bool escapes = false;
            return string(escapes);
        }
        case 't': return literal("true");
        case 'f': return literal("false");
        case 'n': return literal("null");
        default: return number();
        }
    }

    bool array(std::size_t depth) {
        if (depth > max_depth_) return false;
        ++p_;
        skip_ws();
        if (p_ < end_ && *p_ == ']') {
            ++p_;
            return true;
        }
        for (;;) {
            if (!value(depth)) return false;
            skip_ws();
            if (p_ >= end_) return false;
            if (*p_ == ',') {
                ++p_;
                continue;
            }
            if (*p_ == ']') {
                ++p_;
                return true;
            }
            return false;
        }
    }

    bool object(std::size_t depth) {
        if (depth > max_depth_) return false;
        ++p_;
        skip_ws();
        if (p_ < end_ && *p_ == '}') {
            ++p_;
            return true;
        }
        for (;;) {
            skip_ws();
            if (p_ >= end_ || *p_ != '"') return false;
            const unsigned char* key_start = p_ + 1;
            bool key_escapes = false;
            if (!string(key_escapes)) return false;
            const std::string_view key(reinterpret_cast<const char*>(key_start),
                                       static_cast<std::size_t>(p_ - 1 - key_start));
            skip_ws();
            if (p_ >= end_ || *p_ != ':') return false;
            ++p_;
            skip_ws();
            json_member* slot = nullptr;
            if (depth == 1 && !key_escapes) {
                if (!want_first_.empty() && key == want_first_)
                    slot = &result_.first;
                else if (!want_second_.empty() && key == want_second_)
                    slot = &result_.second;
            }
            const unsigned char* value_start = p_;
            bool value_escapes = false;
            const bool is_string = p_ < end_ && *p_ == '"';
            if (is_string ? !string(value_escapes) : !value(depth)) return false;
            if (slot) {
                slot->raw = std::string_view(reinterpret_cast<const char*>(value_start),
                                             static_cast<std::size_t>(p_ - value_start));
                slot->is_string = is_string;
                slot->is_number = !is_string && (*value_start == '-' || digit(*value_start));
                slot->has_escapes = value_escapes;
            }
            skip_ws();
            if (p_ >= end_) return false;
            if (*p_ == ',') {
                ++p_;
                continue;
            }
            if (*p_ == '}') {
                ++p_;
                return true;
            }
            return false;
        }
    }

    const unsigned char* p_;
    const unsigned char* end_;
    std::size_t max_depth_;
    std::string_view want_first_;
    std::string_view want_second_;
    json_scan_result result_;
};

/// Validates `text` as JSON and returns the raw values of the top-level members named `first` and
/// `second` (either may be empty: not wanted). nullopt when `text` is not valid JSON or nests deeper
/// than `max_depth`. A member name written with escapes is not matched.
inline std::optional<json_scan_result> json_scan(std::string_view text, std::size_t max_depth,
                                                 std::string_view first = {}, std::string_view second = {}) {
    return json_scanner(text, max_depth, first, second).run();
}

} // namespace detail
HOOKLINE_END_NAMESPACE
