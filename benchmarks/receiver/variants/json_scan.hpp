/// \file Measurement only (issue 15): the receiver's JSON step as it was, on the hand-written
/// json_scan validator. Included before the receiver, it replaces `detail::read_event_json`.
#pragma once

#include <hookline/receiving/detail/event_json.hpp>
#include <hookline/receiving/detail/json_scan.hpp>

#include <nlohmann/json.hpp>

namespace bench_variant {
inline std::string member_text(const hookline::detail::json_member& m) {
    if (m.is_number) return std::string(m.raw);
    if (!m.is_string || m.raw.size() < 2) return {};
    if (!m.has_escapes) return std::string(m.raw.substr(1, m.raw.size() - 2));
    auto decoded = nlohmann::json::parse(m.raw, nullptr, false);
    return decoded.is_string() ? decoded.get<std::string>() : std::string();
}
inline std::optional<hookline::detail::event_json_fields> read(std::string_view body, std::size_t max_depth,
                                                               std::string_view id_field, std::string_view type_field) {
    auto scan = hookline::detail::json_scan(body, max_depth, id_field, type_field);
    if (!scan) return std::nullopt;
    hookline::detail::event_json_fields fields;
    if (auto id = member_text(scan->first); !id.empty()) fields.id = std::move(id);
    if (scan->second.is_string) fields.type = member_text(scan->second);
    return fields;
}
} // namespace bench_variant
#define HOOKLINE_RECEIVER_READ_EVENT_JSON ::bench_variant::read
