// libFuzzer target: the transport's HTTP/1.1 response reader (a receiver's bytes are untrusted input).
// The first two bytes choose the body cap, the read size and whether the request was HEAD; the rest
// is the response. Checks that the reader never crashes or keeps more than the cap, and that a
// response reads the same whole, in pieces and one byte at a time (except that reading it whole may
// find bytes beyond it, which only takes away the connection's reuse).
#include <hookline/transports/detail/http1.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {
struct source {
    std::string_view data;
    std::size_t piece;
    ssize_t read_some(char* p, std::size_t n) {
        if (data.empty()) return 0;
        const std::size_t k = std::min({n, piece, data.size()});
        std::copy_n(data.data(), k, p);
        data.remove_prefix(k);
        return static_cast<ssize_t>(k);
    }
};

struct outcome {
    hookline::detail::http1::response_result r;
    hookline::http_response out;
};

outcome read(std::string_view wire, std::size_t piece, std::size_t cap, bool head) {
    source s{wire, piece};
    hookline::detail::http1::response_reader reader(s, [] { return false; });
    outcome o;
    o.r = reader.read(o.out, cap, head);
    return o;
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t cap = data[0];
    const std::size_t piece = data[1] % 64 + 1;
    const bool head = (data[1] & 0x80) != 0;
    const std::string_view wire(reinterpret_cast<const char*>(data + 2), size - 2);
    const outcome whole = read(wire, wire.size() + 1, cap, head);
    const outcome pieces = read(wire, piece, cap, head);
    const outcome bytes = read(wire, 1, cap, head);
    for (const outcome* o : {&whole, &pieces, &bytes}) {
        if (o->out.body_excerpt.size() > cap) std::abort();
        if (o->r.complete && (o->out.status < 100 || o->out.status > 999)) std::abort();
        if (o->r.complete && (o->r.truncated || o->r.malformed)) std::abort();
        if (o->r.keep_alive && !o->r.complete) std::abort();
        if (whole.r.keep_alive && !o->r.keep_alive) std::abort();
        if (o->r.complete != whole.r.complete || o->r.truncated != whole.r.truncated ||
            o->r.malformed != whole.r.malformed || o->out.status != whole.out.status ||
            !(o->out.headers == whole.out.headers) || o->out.body_excerpt != whole.out.body_excerpt)
            std::abort();
    }
    return 0;
}
