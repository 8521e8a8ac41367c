// The transport's HTTP/1.1 wire format: the request head it writes, and the response reader, fed every
// response in pieces of every size (a response must read the same however the bytes arrive).
#include <hookline/transports/detail/http1.hpp>

#include <catch2/catch.hpp>

#include <sys/types.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

using namespace hookline;
using detail::http1::response_reader;
using detail::http1::response_result;

namespace {

/// Hands out `data` at most `piece` bytes per read; then the end of the stream (or an error).
struct scripted_source {
    std::string_view data;
    std::size_t piece = 1;
    bool error_at_end = false;
    std::size_t reads = 0;
    ssize_t read_some(char* p, std::size_t n) {
        ++reads;
        if (data.empty()) return error_at_end ? -1 : 0;
        const std::size_t k = std::min({n, piece, data.size()});
        std::copy_n(data.data(), k, p);
        data.remove_prefix(k);
        return static_cast<ssize_t>(k);
    }
};

struct parsed {
    response_result r;
    http_response out;
};

parsed parse(std::string_view wire, std::size_t piece, std::size_t cap = 1 << 20, bool head = false,
             bool error_at_end = false) {
    scripted_source src{wire, piece, error_at_end};
    response_reader reader(src, [] { return false; });
    parsed p;
    p.r = reader.read(p.out, cap, head);
    return p;
}

/// Parses `wire` whole and in pieces of 1..17 bytes; every way must give the same result. Returns it.
parsed parse_every_way(std::string_view wire, std::size_t cap = 1 << 20, bool head = false) {
    parsed whole = parse(wire, wire.size() + 1, cap, head);
    for (std::size_t piece = 1; piece <= 17; ++piece) {
        INFO("pieces of " << piece << " bytes");
        parsed p = parse(wire, piece, cap, head);
        CHECK(p.r.complete == whole.r.complete);
        CHECK(p.r.keep_alive == whole.r.keep_alive);
        CHECK(p.r.truncated == whole.r.truncated);
        CHECK(p.r.malformed == whole.r.malformed);
        CHECK(p.out.status == whole.out.status);
        CHECK(p.out.headers == whole.out.headers);
        CHECK(p.out.body_excerpt == whole.out.body_excerpt);
    }
    return whole;
}

} // namespace

TEST_CASE("http1: the request head names the target and host and frames the body", "[http1]") {
    std::string out;
    header_map h{{"Content-Type", "application/json"},
                 {"webhook-id", "msg_1"},
                 {"Host", "evil"},
                 {"content-length", "1"},
                 {"Transfer-Encoding", "chunked"}};
    detail::http1::append_request_head(out, "POST", "/hooks?a=1", "example.com:8080", h, "hookline/test", 42);
    CHECK(out == "POST /hooks?a=1 HTTP/1.1\r\n"
                 "Host: example.com:8080\r\n"
                 "Content-Type: application/json\r\n"
                 "webhook-id: msg_1\r\n"
                 "User-Agent: hookline/test\r\n"
                 "Accept: */*\r\n"
                 "Content-Length: 42\r\n"
                 "\r\n");

    std::string own_agent;
    detail::http1::append_request_head(own_agent, "GET", "/", "h", {{"user-agent", "mine"}, {"Accept", "text/plain"}},
                                       "hookline/test", std::nullopt);
    CHECK(own_agent == "GET / HTTP/1.1\r\nHost: h\r\nuser-agent: mine\r\nAccept: text/plain\r\n\r\n");
}

TEST_CASE("http1: a Content-Length response on a kept-alive connection", "[http1]") {
    auto p = parse_every_way(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-A:  spaced \t\r\n\r\nhello");
    CHECK(p.r.complete);
    CHECK(p.r.keep_alive);
    CHECK_FALSE(p.r.malformed);
    CHECK(p.out.status == 200);
    CHECK(p.out.body_excerpt == "hello");
    CHECK(p.out.headers.get("content-type") == "text/plain");
    CHECK(p.out.headers.get("X-A") == "spaced");
    CHECK(p.out.headers.size() == 3);
}

TEST_CASE("http1: a chunked body with extensions and trailers", "[http1]") {
    auto p = parse_every_way("HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                             "5;name=value\r\nhello\r\n1A \r\n" +
                             std::string(26, 'z') + "\r\n0\r\nX-Trailer: t\r\n\r\n");
    CHECK(p.r.complete);
    CHECK(p.r.keep_alive);
    CHECK(p.out.status == 500);
    CHECK(p.out.body_excerpt == "hello" + std::string(26, 'z'));
    CHECK_FALSE(p.out.headers.contains("X-Trailer"));
}

TEST_CASE("http1: without framing the body runs to the end of the connection", "[http1]") {
    auto p = parse_every_way("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
    CHECK(p.r.complete);
    CHECK_FALSE(p.r.keep_alive);
    CHECK(p.out.body_excerpt == "until the end");

    // The same ending in an error instead of the end of the stream is incomplete.
    auto broken = parse("HTTP/1.1 200 OK\r\n\r\nuntil", 3, 1 << 20, false, true);
    CHECK_FALSE(broken.r.complete);
    CHECK_FALSE(broken.r.malformed);

    // A coding other than chunked also runs to the end.
    auto gz = parse_every_way("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzzz");
    CHECK(gz.r.complete);
    CHECK_FALSE(gz.r.keep_alive);
    CHECK(gz.out.body_excerpt == "zzz");
}

TEST_CASE("http1: connection reuse follows the version and Connection field", "[http1]") {
    CHECK_FALSE(
        parse_every_way("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n").r.keep_alive);
    CHECK_FALSE(parse_every_way("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").r.keep_alive);
    auto old = parse_every_way("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok");
    CHECK(old.r.complete);
    CHECK(old.r.keep_alive);
    // Both framings: Transfer-Encoding wins, and the connection is not reused.
    auto both = parse_every_way(
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    CHECK(both.r.complete);
    CHECK_FALSE(both.r.keep_alive);
    CHECK(both.out.body_excerpt == "ok");
    // Repeated equal lengths are one length.
    auto repeated = parse_every_way("HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok");
    CHECK(repeated.r.complete);
    CHECK(repeated.out.body_excerpt == "ok");
}

TEST_CASE("http1: interim responses are skipped and bodiless responses read no body", "[http1]") {
    auto p = parse_every_way("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX-Interim: 1\r\n\r\n"
                             "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
    CHECK(p.r.complete);
    CHECK(p.out.status == 201);
    CHECK(p.out.body_excerpt == "ok");
    CHECK_FALSE(p.out.headers.contains("X-Interim"));

    auto no_content = parse_every_way("HTTP/1.1 204 No Content\r\n\r\n");
    CHECK(no_content.r.complete);
    CHECK(no_content.r.keep_alive);
    auto not_modified = parse_every_way("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n");
    CHECK(not_modified.r.complete);
    CHECK(not_modified.out.body_excerpt.empty());
    auto head = parse_every_way("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 1 << 20, true);
    CHECK(head.r.complete);
    CHECK(head.r.keep_alive);
    auto switching = parse_every_way("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n");
    CHECK(switching.r.complete);
    CHECK(switching.out.status == 101);
    CHECK_FALSE(switching.r.keep_alive);
}

TEST_CASE("http1: bare line feeds and a missing reason phrase are accepted", "[http1]") {
    auto p = parse_every_way("HTTP/1.1 429\nRetry-After: 7\nContent-Length: 0\n\n");
    CHECK(p.r.complete);
    CHECK(p.out.status == 429);
    CHECK(p.out.headers.get("Retry-After") == "7");
}

TEST_CASE("http1: a body longer than the cap is truncated and the connection not reused", "[http1]") {
    auto p = parse_every_way("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", 4);
    CHECK_FALSE(p.r.complete);
    CHECK(p.r.truncated);
    CHECK(p.out.status == 200);
    CHECK(p.out.body_excerpt == "0123");

    auto chunked =
        parse_every_way("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 4);
    CHECK(chunked.r.truncated);
    CHECK(chunked.out.body_excerpt == "abcd");

    auto to_end = parse_every_way("HTTP/1.1 200 OK\r\n\r\nabcdef", 4);
    CHECK(to_end.r.truncated);
    CHECK(to_end.out.body_excerpt == "abcd");

    // Exactly the cap is not truncated.
    auto exact = parse_every_way("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 4);
    CHECK(exact.r.complete);
    CHECK_FALSE(exact.r.truncated);
    auto zero = parse_every_way("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 0);
    CHECK(zero.r.truncated);
    CHECK(zero.out.body_excerpt.empty());
}

TEST_CASE("http1: a stream that ends early is incomplete, not malformed", "[http1]") {
    for (std::string_view wire : {"", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n"}) {
        INFO(wire);
        auto p = parse_every_way(wire);
        CHECK_FALSE(p.r.complete);
        CHECK_FALSE(p.r.malformed);
        CHECK_FALSE(p.r.truncated);
    }
}

TEST_CASE("http1: what is not an HTTP/1.x response is malformed", "[http1]") {
    const std::string many_fields = [] {
        std::string s = "HTTP/1.1 200 OK\r\n";
        for (int i = 0; i < 101; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
        return s + "\r\n";
    }();
    const std::string long_line = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(9000, 'a') + "\r\n\r\n";
    const std::string no_line_end = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(20000, 'a');
    for (std::string_view wire : {
             std::string_view("HTTP/2 200\r\n\r\n"),
             std::string_view("ICY 200 OK\r\n\r\n"),
             std::string_view("HTTP/1.1 20 OK\r\n\r\n"),
             std::string_view("HTTP/1.1 2000 OK\r\n\r\n"),
             std::string_view("HTTP/1.1 099 Low\r\n\r\n"),
             std::string_view("HTTP/1.1 200OK\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nSpace Before : x\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc"),
             std::string_view("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXX0\r\n\r\n"),
             std::string_view("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n"),
             std::string_view(many_fields),
             std::string_view(long_line),
             std::string_view(no_line_end),
         }) {
        INFO(wire.substr(0, 80));
        auto p = parse_every_way(wire);
        CHECK_FALSE(p.r.complete);
        CHECK(p.r.malformed);
    }
}

TEST_CASE("http1: the deadline is asked after every read", "[http1]") {
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    scripted_source src{wire, 4};
    int asked = 0;
    response_reader reader(src, [&] { return ++asked >= 3; });
    http_response out;
    auto r = reader.read(out, 100, false);
    CHECK(r.late);
    CHECK_FALSE(r.complete);
    CHECK(asked == 3);
    CHECK(src.reads == 3);

    // The end of the stream after the deadline is the watchdog's shutdown, not the end of the body.
    std::string to_end = "HTTP/1.1 200 OK\r\n\r\npartial";
    scripted_source cut{to_end, to_end.size()};
    int reads = 0;
    response_reader cut_reader(cut, [&] { return ++reads >= 2; });
    http_response partial;
    auto c = cut_reader.read(partial, 100, false);
    CHECK(c.late);
    CHECK_FALSE(c.complete);
    CHECK(partial.status == 200);
}

TEST_CASE("http1: bytes beyond the response make the connection unfit for reuse", "[http1]") {
    for (std::string_view wire : {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500 Stale\r\n\r\n",
                                  "HTTP/1.1 204 No Content\r\n\r\n0\r\n\r\n",
                                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nextra"}) {
        INFO(wire);
        auto p = parse(wire, wire.size());
        CHECK(p.r.complete);
        CHECK_FALSE(p.r.keep_alive);
    }
    // A HEAD response's length describes a body that is not sent; a body sent anyway is left over.
    auto head = parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 100, 1 << 20, true);
    CHECK(head.r.complete);
    CHECK_FALSE(head.r.keep_alive);
}

TEST_CASE("http1: HTTP/1.0 framing by Transfer-Encoding is read but never reused", "[http1]") {
    auto p = parse_every_way("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "2\r\nok\r\n0\r\n\r\n");
    CHECK(p.r.complete);
    CHECK_FALSE(p.r.keep_alive);
    CHECK(p.out.body_excerpt == "ok");
}

TEST_CASE("http1: at most ten interim responses are skipped", "[http1]") {
    std::string ten, eleven;
    for (int i = 0; i < 10; ++i) ten += "HTTP/1.1 100 Continue\r\n\r\n";
    eleven = ten + "HTTP/1.1 100 Continue\r\n\r\n";
    const std::string final_response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    CHECK(parse_every_way(ten + final_response).r.complete);
    auto flood = parse_every_way(eleven + final_response);
    CHECK_FALSE(flood.r.complete);
    CHECK(flood.r.malformed);
}

TEST_CASE("http1: the reader asks the source for whole buffers, not bytes", "[http1]") {
    std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'b');
    scripted_source src{wire, wire.size()};
    response_reader reader(src, [] { return false; });
    http_response out;
    auto r = reader.read(out, 4096, false);
    CHECK(r.complete);
    CHECK(r.keep_alive);
    CHECK(src.reads == 1);
}
