// libFuzzer target: the codecs and parsers every scheme builds on: base64, hex, Unix seconds,
// secret parsing and media types (the receiver's JSON step has its own target, fuzz_event_json).
#include <hookline/core/encoding.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/receiving/detail/verifier_traits.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hookline;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto b = base64_decode(in)) {
        // Round trip: what decodes re-encodes to something that decodes to the same bytes.
        auto again = base64_decode(base64_encode(*b));
        if (!again || *again != *b) std::abort();
    }
    if (auto h = hex_decode(in)) {
        if (hex_encode(*h).size() != in.size()) std::abort();
    }
    (void)detail::parse_unix_seconds(in);
    (void)detail::trim(in);
    (void)detail::media_type(in);
    (void)secret::parse(in);
    return 0;
}
