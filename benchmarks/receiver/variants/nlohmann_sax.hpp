/// \file Measurement only (issue 15): the receiver's JSON step on nlohmann/json's SAX parser.
/// Included before the receiver, it replaces `detail::read_event_json`.
#pragma once

#include <hookline/receiving/detail/event_json.hpp>

#include <nlohmann/json.hpp>

namespace bench_variant {
class sax {
public:
    using json = nlohmann::json;
    sax(std::size_t max_depth, std::string_view id_field, std::string_view type_field)
        : max_depth_(max_depth), id_field_(id_field), type_field_(type_field) {}
    bool null() { return other(); }
    bool boolean(bool) { return other(); }
    bool number_integer(json::number_integer_t v) { return number(std::to_string(v)); }
    bool number_unsigned(json::number_unsigned_t v) { return number(std::to_string(v)); }
    bool number_float(json::number_float_t, const json::string_t& raw) { return number(raw); }
    bool binary(json::binary_t&) { return other(); }
    bool string(json::string_t& v) {
        if (depth_ == 1) {
            if (want_id_) fields.id = v;
            if (want_type_) fields.type = std::move(v);
            want_id_ = want_type_ = false;
        }
        return true;
    }
    bool key(json::string_t& k) {
        if (depth_ == 1) {
            want_id_ = !id_field_.empty() && k == id_field_;
            want_type_ = !type_field_.empty() && k == type_field_;
        }
        return true;
    }
    bool start_object(std::size_t) { return open(); }
    bool start_array(std::size_t) { return open(); }
    bool end_object() { return --depth_, true; }
    bool end_array() { return --depth_, true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }
    hookline::detail::event_json_fields fields;

private:
    bool other() {
        if (depth_ == 1) {
            if (want_id_) fields.id.reset();
            if (want_type_) fields.type.reset();
            want_id_ = want_type_ = false;
        }
        return true;
    }
    bool number(const std::string& digits) {
        if (depth_ == 1) {
            if (want_id_) fields.id = digits;
            if (want_type_) fields.type.reset();
            want_id_ = want_type_ = false;
        }
        return true;
    }
    bool open() {
        other();
        return ++depth_ <= max_depth_;
    }
    std::size_t max_depth_;
    std::size_t depth_ = 0;
    std::string_view id_field_, type_field_;
    bool want_id_ = false, want_type_ = false;
};
inline std::optional<hookline::detail::event_json_fields> read(std::string_view body, std::size_t max_depth,
                                                               std::string_view id_field, std::string_view type_field) {
    if (body.find('\0') != std::string_view::npos) return std::nullopt;
    sax handler(max_depth, id_field, type_field);
    if (!nlohmann::json::sax_parse(body.begin(), body.end(), &handler)) return std::nullopt;
    return std::move(handler.fields);
}
} // namespace bench_variant
#define HOOKLINE_RECEIVER_READ_EVENT_JSON ::bench_variant::read
