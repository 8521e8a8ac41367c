/// \file `webhook_event`: one verified delivery as a handler sees it (id, type, timestamp, body,
/// headers, the body as JSON on demand), and `event_reply`, the answer a synchronous handler may set.
///
/// Thread-safety: not for concurrent use; each delivery gets its own event.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/receiving/dedup_store.hpp>
#include <hookline/signing/verifier.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

template <verifier Verifier, dedup_store Store>
class basic_receiver;

/// What a handler answers instead of the stock "200 ok" (see `webhook_event::reply`).
struct event_reply {
    int status = 200;         ///< 200, 201, 202 or 204
    std::string content_type; ///< sent as Content-Type (not with 204)
    std::string body;         ///< empty with 204
};

/// One verified delivery, as handlers see it. Views into the request: valid during the handler call
/// only; copy what you keep. Not for concurrent use (`json()` caches its parse, `reply` stores the
/// answer); each delivery gets its own object.
class webhook_event {
public:
    /// The largest body `reply` accepts, in bytes (webhook answers are short: a challenge, an id).
    static constexpr std::size_t max_reply_size = std::size_t{64} * 1024;

    /// `accepts_reply`: whether `reply` can take effect (the receiver passes false in asynchronous mode).
    webhook_event(std::string id, std::string type, std::optional<std::int64_t> timestamp, std::string_view body,
                  header_view headers, bool accepts_reply = true)
        : id(std::move(id)), type(std::move(type)), timestamp(timestamp), body(body), headers_(headers),
          accepts_reply_(accepts_reply) {}

    std::string id;                        ///< the message id; "sha256:<hex of the body>" when the scheme carries none
    std::string type;                      ///< the event type; empty when the scheme and body carry none
    std::optional<std::int64_t> timestamp; ///< signed timestamp, for schemes that have one
    std::string_view body;                 ///< the raw body, byte for byte

    /// The request's headers (a view; `header_map h = e.headers();` copies them).
    header_view headers() const noexcept { return headers_; }

    /// The body parsed as JSON, on first use. Throws `nlohmann::json::parse_error` when it is not
    /// JSON (a handler that lets it escape fails: 500). Typed handlers get it already converted.
    const nlohmann::json& json() const {
        if (!json_) json_ = nlohmann::json::parse(body);
        return *json_;
    }

    /// Synchronous mode: answer this delivery with `reply_body` (as `content_type`, with `status`)
    /// instead of the stock "200 ok", once the handler has returned successfully; a failing handler's reply is
    /// discarded (500). A later call replaces an earlier one. Returns false and changes nothing when a
    /// reply is impossible: in asynchronous mode (the sender already got 202), for a body longer than
    /// `max_reply_size`, a status other than 200, 201, 202 or 204 (204 only with an empty body), or an
    /// empty content type or one with bytes outside printable ASCII (which could split the header).
    bool reply(std::string reply_body, std::string content_type = "text/plain; charset=utf-8", int status = 200) const {
        if (!accepts_reply_ || reply_body.size() > max_reply_size) return false;
        if (status != 200 && status != 201 && status != 202 && status != 204) return false;
        if (status == 204) {
            if (!reply_body.empty()) return false;
            content_type.clear();
        } else {
            if (content_type.empty()) return false;
            for (char c : content_type)
                if (c < 0x20 || c > 0x7e) return false;
        }
        reply_ = event_reply{status, std::move(content_type), std::move(reply_body)};
        return true;
    }

    /// Whether `reply` can take effect: false in asynchronous mode.
    bool accepts_reply() const noexcept { return accepts_reply_; }

    /// The reply set by `reply`, if any.
    const std::optional<event_reply>& replied() const noexcept { return reply_; }

private:
    template <verifier V, dedup_store S>
    friend class basic_receiver;

    header_view headers_;
    bool accepts_reply_ = true;
    mutable std::optional<nlohmann::json> json_;
    mutable std::optional<event_reply> reply_;
};

HOOKLINE_END_NAMESPACE
