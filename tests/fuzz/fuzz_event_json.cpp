// libFuzzer target: the receiver's JSON step (`detail::read_event_json`, simdjson On-Demand) against
// nlohmann/json: it accepts exactly what nlohmann/json accepts (apart from its own depth limit and
// NUL bytes) and reads the same top-level "id" and "type".
#include "json_nesting.hpp"

#include <hookline/receiving/detail/event_json.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {
constexpr std::size_t max_depth = 64;
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace hookline;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto mine = detail::read_event_json(in, max_depth, "id", "type");
    const auto theirs = nlohmann::json::parse(in, nullptr, false);
    if (!mine && !theirs.is_discarded()) {
        if (fuzz::json_nesting(in) > max_depth) return 0;      // our depth limit, by design
        if (in.find('\0') != std::string_view::npos) return 0; // stricter on NUL, by design
        std::abort();
    }
    if (mine && theirs.is_discarded()) std::abort();
    if (!mine) return 0;
    const bool object = theirs.is_object();
    const auto* type = object && theirs.contains("type") ? &theirs["type"] : nullptr;
    if (type && type->is_string()) {
        if (mine->type != type->get<std::string>()) std::abort();
    } else if (mine->type) {
        std::abort();
    }
    const auto* id = object && theirs.contains("id") ? &theirs["id"] : nullptr;
    if (id && id->is_string()) {
        if (mine->id != id->get<std::string>()) std::abort();
    } else if (id && id->is_number()) {
        if (!mine->id || nlohmann::json::parse(*mine->id, nullptr, false) != *id) std::abort();
    } else if (mine->id) {
        std::abort();
    }
    return 0;
}
