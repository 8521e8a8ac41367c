/// \file `http1`: the HTTP/1.1 wire format `httplib_transport` speaks once cpp-httplib has connected:
/// a request head written in one piece, and a strict, bounded reader of the response (status line,
/// fields, and a body framed by Content-Length, the chunked coding or the end of the connection).
///
/// Internal (`hookline::detail::http1`). Thread-safety: free functions, and a `response_reader` per
/// exchange; no shared state.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/transports/transport.hpp>

#include <sys/types.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::http1 {

inline constexpr std::size_t max_line = std::size_t{8} * 1024;  ///< a status, field or chunk-size line
inline constexpr std::size_t max_fields = 100;                  ///< field lines in one head (or trailer section)
inline constexpr std::size_t max_head = std::size_t{64} * 1024; ///< bytes of field lines in one head

/// Appends a request head (request line, fields, blank line) to `out`. `headers` are written as given
/// except Host, Content-Length and Transfer-Encoding, which are the transport's (a caller's copy could
/// desynchronise the request from what is sent); `user_agent` is added when `headers` has none.
/// Content-Length is written when `content_length` is set. Names and values must already be free of
/// line breaks (the transport checks them).
inline void append_request_head(std::string& out, std::string_view method, std::string_view target,
                                std::string_view host, const header_map& headers, std::string_view user_agent,
                                std::optional<std::size_t> content_length) {
    auto field = [&out](std::string_view name, std::string_view value) {
        out.append(name).append(": ", 2).append(value).append("\r\n", 2);
    };
    out.append(method).append(" ", 1).append(target).append(" HTTP/1.1\r\n", 11);
    field("Host", host);
    bool has_agent = false, has_accept = false;
    for (const auto& h : headers) {
        if (iequals(h.name, "host") || iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding"))
            continue;
        has_agent = has_agent || iequals(h.name, "user-agent");
        has_accept = has_accept || iequals(h.name, "accept");
        field(h.name, h.value);
    }
    if (!has_agent && !user_agent.empty()) field("User-Agent", user_agent);
    if (!has_accept) field("Accept", "*/*");
    if (content_length) {
        char digits[24];
        auto end = std::to_chars(digits, digits + sizeof digits, *content_length).ptr;
        field("Content-Length", std::string_view(digits, static_cast<std::size_t>(end - digits)));
    }
    out.append("\r\n", 2);
}

inline constexpr std::size_t max_interim = 10; ///< interim (1xx) responses skipped before the final one

/// How reading one response ended.
struct response_result {
    bool complete = false;   ///< a whole response was read
    bool keep_alive = false; ///< complete, and the connection may carry another request
    bool truncated = false;  ///< the body was longer than the cap; the rest was not read
    bool late = false;       ///< the deadline passed while the response was read
    bool malformed = false;  ///< not HTTP/1.x, or past one of the limits above
};

/// Whether a comma-separated field value lists `token` (ASCII case-insensitively).
inline bool lists_token(std::string_view value, std::string_view token) noexcept {
    while (!value.empty()) {
        const auto comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (iequals(item, token)) return true;
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
    }
    return false;
}

/// The last item of a comma-separated field value, trimmed.
inline std::string_view last_token(std::string_view value) noexcept {
    const auto comma = value.rfind(',');
    std::string_view item = comma == std::string_view::npos ? value : value.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    return item;
}

/// Reads one HTTP/1.x response from `Source` (anything with `ssize_t read_some(char*, size_t)`:
/// > 0 bytes read, 0 at the end of the stream, < 0 on an error). `past_deadline()` is asked after every
/// read; once it says yes the response is `late`. Reads into a buffer, so it may read past the
/// response; bytes left over make the connection unfit for reuse (`keep_alive` false).
template <class Source, class PastDeadline>
class response_reader {
public:
    response_reader(Source& source, PastDeadline past_deadline) noexcept
        : source_(source), past_deadline_(std::move(past_deadline)) {}

    /// Reads the response to a request into `out` (status, fields and at most `max_body` bytes of
    /// body). `head_request`: the request was HEAD (no body follows). Up to `max_interim` interim (1xx)
    /// responses are skipped.
    response_result read(http_response& out, std::size_t max_body, bool head_request) {
        response_result r;
        int status = 0;
        bool http11 = false;
        for (std::size_t interim = 0;; ++interim) {
            if (interim > max_interim) return malformed(r);
            auto line = next_line();
            if (!line) return fail(r);
            if (!parse_status_line(*line, status, http11)) return malformed(r);
            out.headers.clear();
            if (!read_fields(&out.headers)) return fail(r);
            if (status >= 200 || status == 101) break;
        }
        out.status = status;

        bool keep_alive = http11;
        std::optional<std::uint64_t> length;
        bool chunked = false, has_coding = false;
        for (const auto& h : out.headers) {
            if (iequals(h.name, "connection")) {
                if (lists_token(h.value, "close"))
                    keep_alive = false;
                else if (!http11 && lists_token(h.value, "keep-alive"))
                    keep_alive = true;
            } else if (iequals(h.name, "transfer-encoding")) {
                has_coding = true;
                chunked = iequals(last_token(h.value), "chunked");
            } else if (iequals(h.name, "content-length")) {
                auto n = parse_content_length(h.value);
                if (!n || (length && *length != *n)) return malformed(r);
                length = n;
            }
        }

        if (head_request || status == 204 || status == 304 || status < 200) {
            r.complete = true;
            r.keep_alive = keep_alive && status != 101 && pos_ == len_;
            return r;
        }
        body_sink sink{out.body_excerpt, max_body};
        bool ok;
        if (has_coding) {
            // Transfer-Encoding wins over Content-Length; with both, or in an HTTP/1.0 response, the
            // framing is suspect and the connection is not reused (RFC 9112, 6.1 and 6.3). A coding
            // other than chunked runs to the end of the connection.
            if (length || !http11) keep_alive = false;
            if (chunked) {
                ok = read_chunked(sink);
            } else {
                keep_alive = false;
                ok = read_to_end(sink);
            }
        } else if (length) {
            ok = read_exactly(*length, sink);
        } else {
            keep_alive = false;
            ok = read_to_end(sink);
        }
        if (sink.overflow) {
            r.truncated = true;
            return r;
        }
        if (!ok) return fail(r);
        r.complete = true;
        r.keep_alive = keep_alive && pos_ == len_; // bytes beyond the response: the peer is out of step
        return r;
    }

private:
    struct body_sink {
        std::string& excerpt;
        std::size_t cap;
        bool overflow = false;
        /// Keeps what fits under the cap; false once the body is longer than the cap.
        bool take(const char* p, std::size_t n) {
            const std::size_t room = cap - std::min(cap, excerpt.size());
            excerpt.append(p, std::min(n, room));
            if (n > room) overflow = true;
            return !overflow;
        }
    };

    static bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

    /// "HTTP/1.x NNN[ reason]".
    static bool parse_status_line(std::string_view line, int& status, bool& http11) noexcept {
        if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !is_digit(line[7]) || line[8] != ' ') return false;
        if (!is_digit(line[9]) || !is_digit(line[10]) || !is_digit(line[11]) || line[9] == '0') return false;
        if (line.size() > 12 && line[12] != ' ') return false;
        for (char c : line.substr(12))
            if (c == '\0' || c == '\r') return false;
        status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        http11 = line[7] != '0';
        return true;
    }

    /// Digits, possibly repeated as a list of equal values ("42, 42").
    static std::optional<std::uint64_t> parse_content_length(std::string_view v) noexcept {
        std::optional<std::uint64_t> value;
        for (;;) {
            const auto comma = v.find(',');
            std::string_view item = v.substr(0, comma);
            while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
            while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
            if (item.empty() || item.size() > 18) return std::nullopt;
            std::uint64_t n = 0;
            for (char c : item) {
                if (!is_digit(c)) return std::nullopt;
                n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
            if (value && *value != n) return std::nullopt;
            value = n;
            if (comma == std::string_view::npos) return value;
            v.remove_prefix(comma + 1);
        }
    }

    static bool is_token_char(unsigned char c) noexcept {
        if (c >= '0' && c <= '9') return true;
        if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
        return c != 0 && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    }

    /// Field lines up to the blank line; into `into`, or discarded (trailers) when it is null.
    bool read_fields(header_map* into) {
        std::size_t bytes = 0;
        for (std::size_t count = 0;; ++count) {
            auto line = next_line();
            if (!line) return false;
            if (line->empty()) return true;
            bytes += line->size();
            if (count >= max_fields || bytes > max_head) return set_malformed();
            const auto colon = line->find(':');
            if (colon == 0 || colon == std::string_view::npos) return set_malformed();
            std::string_view name = line->substr(0, colon);
            for (char c : name)
                if (!is_token_char(static_cast<unsigned char>(c))) return set_malformed(); // also obs-fold
            std::string_view value = line->substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
            for (char c : value)
                if (c == '\0' || c == '\r') return set_malformed();
            if (into) into->add(std::string(name), std::string(value));
        }
    }

    bool read_exactly(std::uint64_t n, body_sink& sink) {
        while (n > 0) {
            if (pos_ == len_ && !fill()) return false;
            const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(n, len_ - pos_));
            const bool kept = sink.take(buffer_.data() + pos_, take);
            pos_ += take;
            n -= take;
            if (!kept) return false;
        }
        return true;
    }

    bool read_to_end(body_sink& sink) {
        for (;;) {
            if (pos_ < len_) {
                const bool kept = sink.take(buffer_.data() + pos_, len_ - pos_);
                pos_ = len_;
                if (!kept) return false;
            }
            if (!fill()) return eof_ && !error_ && !late_; // the end of the stream is the end of the body
        }
    }

    bool read_chunked(body_sink& sink) {
        for (;;) {
            auto line = next_line();
            if (!line) return false;
            std::string_view size_text = line->substr(0, line->find(';'));
            while (!size_text.empty() && (size_text.back() == ' ' || size_text.back() == '\t'))
                size_text.remove_suffix(1);
            if (size_text.empty() || size_text.size() > 15) return set_malformed();
            std::uint64_t size = 0;
            for (char c : size_text) {
                const int d = is_digit(c)                                ? c - '0'
                              : ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ? (c | 0x20) - 'a' + 10
                                                                         : -1;
                if (d < 0) return set_malformed();
                size = size * 16 + static_cast<std::uint64_t>(d);
            }
            if (size == 0) return read_fields(nullptr); // trailers, then the end
            if (!read_exactly(size, sink)) return false;
            auto end = next_line();
            if (!end) return false;
            if (!end->empty()) return set_malformed();
        }
    }

    /// The next line without its line ending (CRLF, or a bare LF); nullopt at the end of the stream,
    /// on an error, past the deadline, or past `max_line`.
    std::optional<std::string_view> next_line() {
        std::size_t scanned = pos_;
        for (;;) {
            if (const void* nl = std::memchr(buffer_.data() + scanned, '\n', len_ - scanned)) {
                const auto at = static_cast<std::size_t>(static_cast<const char*>(nl) - buffer_.data());
                std::string_view line(buffer_.data() + pos_, at - pos_);
                pos_ = at + 1;
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                if (line.size() > max_line) {
                    set_malformed();
                    return std::nullopt;
                }
                return line;
            }
            if (len_ - pos_ > max_line) {
                set_malformed();
                return std::nullopt;
            }
            scanned = len_ - pos_;
            if (!fill()) return std::nullopt;
        }
    }

    /// Reads more into the buffer (moving unread bytes to its front); false at the end of the stream,
    /// on an error, or once the deadline has passed.
    bool fill() {
        if (pos_ > 0) {
            std::memmove(buffer_.data(), buffer_.data() + pos_, len_ - pos_);
            len_ -= pos_;
            pos_ = 0;
        }
        if (len_ == buffer_.size()) return set_malformed();
        const ssize_t n = source_.read_some(buffer_.data() + len_, buffer_.size() - len_);
        // Asked after the read too: the transport's watchdog ends a read at the deadline by shutting
        // the connection down, which looks like the end of the stream.
        if (past_deadline_()) return set_late();
        if (n > 0) {
            len_ += static_cast<std::size_t>(n);
            return true;
        }
        (n == 0 ? eof_ : error_) = true;
        return false;
    }

    bool set_malformed() noexcept {
        malformed_ = true;
        return false;
    }
    bool set_late() noexcept {
        late_ = true;
        return false;
    }
    response_result& fail(response_result& r) const noexcept {
        r.malformed = malformed_;
        r.late = late_;
        return r;
    }
    response_result& malformed(response_result& r) noexcept {
        malformed_ = true;
        return fail(r);
    }

    Source& source_;
    PastDeadline past_deadline_;
    std::array<char, 2 * max_line> buffer_;
    std::size_t pos_ = 0;
    std::size_t len_ = 0;
    bool eof_ = false;
    bool error_ = false;
    bool malformed_ = false;
    bool late_ = false;
};

} // namespace detail::http1

HOOKLINE_END_NAMESPACE
