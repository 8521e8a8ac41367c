// libFuzzer target: arbitrary bytes as the request stream of one connection to `beast_server`, through
// the server's own HTTP steps (hookline/serving/detail/beast_http.hpp): Beast's request parser with
// the server's limits, the declared-length check, the `request_view` handed to the receiver's Beast
// adapter handler, and the response written back (serialised). The first byte sets the size of the
// reads the stream arrives in, so heads split anywhere are parsed too. Requests follow each other
// (keep-alive, pipelining) until one closes the connection, as in the server.
// Oracles: every answer is a valid status, a body over the limit is never handed on as a body, and a
// head over the limit never reaches the handler.
#include <hookline/receiving/beast_adapter.hpp>
#include <hookline/receiving/receiver.hpp>
#include <hookline/serving/detail/beast_http.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/write.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

namespace {
using namespace hookline;
namespace http = boost::beast::http;

constexpr detail::beast_request_limits limits{.max_header_bytes = 1024, .max_body_bytes = 4096};

standard_receiver& receiver() {
    static const secret key = secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").value();
    static standard_receiver rx = [] {
        return standard_receiver(standard_verifier(key), {.max_body_size = limits.max_body_bytes,
                                                          .clock = [] { return std::int64_t{1700000000}; }});
    }();
    return rx;
}

/// Checks and serialises what goes back.
void answer(response r, unsigned version, bool keep_alive) {
    if (r.status < 100 || r.status > 599) std::abort();
    auto res = detail::to_beast_response(std::move(r), version, keep_alive);
    std::ostringstream out;
    out << res;
}

/// The connection's input, arriving `step` bytes at a time.
struct stream {
    std::string_view rest;
    std::size_t step;
    std::string buffer; // received, not yet consumed by the parser

    bool receive() {
        if (rest.empty()) return false;
        const std::size_t n = rest.size() < step ? rest.size() : step;
        buffer.append(rest.substr(0, n));
        rest.remove_prefix(n);
        return true;
    }
};

/// Feeds the parser until `done()`; false when the connection ends (the stream ran out or an error).
template <class Done>
bool parse(detail::beast_request_parser& p, stream& in, boost::beast::error_code& ec, Done done) {
    while (!done()) {
        ec = {};
        const std::size_t used = in.buffer.empty() ? 0 : p.put(boost::asio::buffer(in.buffer), ec);
        in.buffer.erase(0, used);
        if (ec && ec != http::error::need_more) return false;
        if (done()) break;
        if (used == 0 || ec == http::error::need_more) {
            if (!in.receive()) {
                ec = {};
                p.put_eof(ec); // what the server's read does at the end of the stream
                return done() && !ec;
            }
        }
    }
    return true;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static auto handler = beast_handler(receiver(), "/webhooks");
    stream in{std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), std::size_t{data[0]} + 1, {}};
    for (int requests = 0; requests < 64; ++requests) {
        detail::beast_request_parser p;
        detail::prepare_parser(p, limits);
        boost::beast::error_code ec;
        if (!parse(p, in, ec, [&] { return p.is_header_done(); })) {
            if (ec == http::error::header_limit) answer(detail::plain_response(431, "431"), 11, false);
            return 0;
        }
        if (!detail::accept_body(p, limits)) {
            auto r = detail::call_handler(handler, p.get(), detail::too_large_length(p, limits));
            answer(std::move(r), p.get().version(), false);
            return 0;
        }
        if (!parse(p, in, ec, [&] { return p.is_done(); })) {
            if (ec == http::error::body_limit) {
                auto r = detail::call_handler(handler, p.get(), detail::too_large_length(p, limits));
                if (r.status != 413 && r.status != 404 && r.status != 405) std::abort();
                answer(std::move(r), p.get().version(), false);
            }
            return 0;
        }
        if (p.get().body().size() > limits.max_body_bytes) std::abort();
        const bool keep_alive = p.get().keep_alive();
        auto r = detail::call_handler(handler, p.get(), std::nullopt);
        answer(std::move(r), p.get().version(), keep_alive);
        if (!keep_alive) return 0;
    }
    return 0;
}
