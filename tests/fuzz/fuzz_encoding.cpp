// libFuzzer target: the codecs and parsers every scheme builds on: base64, hex, Unix seconds,
// secret parsing, media types and JSON nesting checks.
#include <hookline/core/encoding.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/receiving/receiver.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
std::size_t nesting(std::string_view s) {
    std::size_t depth = 0, max = 0;
    for (char c : s) {
        if (c == '[' || c == '{')
            max = std::max(max, ++depth);
        else if ((c == ']' || c == '}') && depth > 0)
            --depth;
    }
    return max;
}

/// Differential check: the receiver's scanner accepts exactly what nlohmann/json accepts, and reads
/// the same top-level "type".
void check_json_scan(std::string_view in) {
    using namespace hookline;
    auto mine = detail::json_scan(in, 512, "id", "type");
    auto theirs = nlohmann::json::parse(in, nullptr, false);
    if (!mine && !theirs.is_discarded() && nesting(in) > 512) return; // our depth limit, by design
    if (!mine && !theirs.is_discarded() && in.find('\0') != std::string_view::npos) return; // stricter on NUL
    if (mine.has_value() == theirs.is_discarded()) std::abort();
    if (!mine || in.find("\\u") != std::string_view::npos) return;
    if (mine->is_object != theirs.is_object()) std::abort();
    if (mine->second.is_string) {
        if (!theirs["type"].is_string() || detail::json_member_text(mine->second) != theirs["type"].get<std::string>())
            std::abort();
    } else if (theirs.is_object() && theirs.contains("type") && theirs["type"].is_string()) {
        std::abort();
    }
}
} // namespace

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
    check_json_scan(in);
    (void)secret::parse(in);
    return 0;
}
