/// \file The receiver's JSON step: validates a body as JSON with simdjson's On-Demand API (no
/// document is built) and picks out the members that carry the event's id and type (top-level names
/// in the same pass; JSON pointers through nlohmann/json).
///
/// Accepted is what `nlohmann::json::parse` accepts: RFC 8259 text (one value, optional whitespace,
/// an optional UTF-8 byte-order mark first; strict numbers, literals and escapes, well-formed UTF-8,
/// paired `\u` surrogate escapes, no control characters in strings, numbers that fit a double), at
/// most `max_depth` nested arrays/objects. Stricter than nlohmann/json in one way: a NUL byte after
/// the value is an error, where nlohmann/json stops reading at it.
///
/// On-Demand validates only what is visited, so every value is visited. simdjson reads up to
/// `simdjson::SIMDJSON_PADDING` bytes past the text: the body is copied into a padded buffer of the calling
/// thread (reused; a 1 KiB body costs a few tens of nanoseconds).
///
/// Thread-safety: safe from any number of threads (each thread has its own parser and buffer).
#pragma once

#include <hookline/core/config.hpp>

#include <nlohmann/json.hpp>

#include <simdjson.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE
namespace detail {

/// The top-level members `read_event_json` was asked for (the last occurrence wins, as in
/// nlohmann/json). A member that is absent, or of another kind, leaves its field empty.
struct event_json_fields {
    std::optional<std::string> id;   ///< a string member's decoded text, or a number as written
    std::optional<std::string> type; ///< a string member's decoded text
};

/// One thread's simdjson parser and the padded copy of the body it reads.
class event_json_reader {
public:
    /// Validates `body` and reads the wanted members (see `read_event_json`).
    std::optional<event_json_fields> read(std::string_view body, std::size_t max_depth, std::string_view id_field,
                                          std::string_view type_field) {
        if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);
        if (body.find('\0') != std::string_view::npos) return std::nullopt;
        const std::size_t needed = body.size() + simdjson::SIMDJSON_PADDING;
        if (capacity_ < needed) {
            buffer_ = std::make_unique<char[]>(needed);
            capacity_ = needed;
        }
        if (!body.empty()) std::memcpy(buffer_.get(), body.data(), body.size()); // an empty view may be null
        std::memset(buffer_.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);

        simdjson::ondemand::document doc;
        if (parser_.iterate(buffer_.get(), body.size(), capacity_).get(doc)) return std::nullopt;
        event_json_fields fields;
        json_type type{};
        if (doc.type().get(type)) return std::nullopt;
        if (type != json_type::object && type != json_type::array) {
            // The whole text is one scalar (no id or type in it): decided by nlohmann/json's rule, as
            // simdjson's root scalars differ at the edges (trailing whitespace, huge exponents).
            if (nlohmann::json::parse(body, nullptr, false).is_discarded()) return std::nullopt;
            return fields;
        }
        if (!root(doc, type, max_depth, id_field, type_field, fields)) return std::nullopt;
        if (!doc.current_location().error()) return std::nullopt; // text after the value
        return fields;
    }

private:
    using json_type = simdjson::ondemand::json_type;

    /// The document's value: an object's wanted members are remembered, everything is validated.
    static bool root(simdjson::ondemand::document& doc, json_type type, std::size_t max_depth,
                     std::string_view id_field, std::string_view type_field, event_json_fields& fields) {
        switch (type) {
        case json_type::object: {
            simdjson::ondemand::object object;
            if (max_depth < 1 || doc.get_object().get(object)) return false;
            for (auto member : object) {
                if (member.error()) return false;
                simdjson::ondemand::field field = member.value_unsafe();
                std::string_view key;
                if (field.unescaped_key().get(key)) return false;
                simdjson::ondemand::value value = field.value();
                const bool want_id = !id_field.empty() && key == id_field;
                const bool want_type = !type_field.empty() && key == type_field;
                if (!want_id && !want_type) {
                    if (!valid(value, 1, max_depth)) return false;
                } else if (!wanted(value, want_id, want_type, max_depth, fields)) {
                    return false;
                }
            }
            return true;
        }
        case json_type::array: {
            simdjson::ondemand::array array;
            if (max_depth < 1 || doc.get_array().get(array)) return false;
            return elements(array, 1, max_depth);
        }
        default: return false; // scalars are decided in `read`
        }
    }

    /// For a number simdjson refuses: whether `token` (plus trailing whitespace) is one that
    /// nlohmann/json accepts. simdjson gives up on some valid ones, such as `0e` with a twenty-digit
    /// exponent (found by fuzz_event_json); this keeps the accepted set exactly nlohmann/json's.
    static bool exact_number(std::string_view token) {
        const auto number = nlohmann::json::parse(token, nullptr, false);
        return number.is_number();
    }

    /// The value of a wanted top-level member: kept when it is a string (or, for the id, a number).
    static bool wanted(simdjson::ondemand::value& value, bool want_id, bool want_type, std::size_t max_depth,
                       event_json_fields& fields) {
        json_type type{};
        if (value.type().get(type)) return false;
        if (type == json_type::string) {
            std::string_view s;
            if (value.get_string().get(s)) return false;
            if (want_id) fields.id = std::string(s);
            if (want_type) fields.type = std::string(s);
            return true;
        }
        if (want_type) fields.type.reset();
        if (want_id) fields.id.reset();
        if (type == json_type::number && want_id) {
            std::string_view raw = value.raw_json_token();
            double d = 0;
            if (value.get_double().get(d) && !exact_number(raw)) return false;
            while (!raw.empty() &&
                   (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\n' || raw.back() == '\r'))
                raw.remove_suffix(1);
            fields.id = std::string(raw);
            return true;
        }
        return valid(value, 1, max_depth);
    }

    /// Visits `value` (at nesting `depth`) and everything in it; false at the first invalid token.
    static bool valid(simdjson::ondemand::value value, std::size_t depth, std::size_t max_depth) {
        json_type type{};
        if (value.type().get(type)) return false;
        switch (type) {
        case json_type::object: {
            simdjson::ondemand::object object;
            if (depth + 1 > max_depth || value.get_object().get(object)) return false;
            for (auto member : object) {
                if (member.error()) return false;
                simdjson::ondemand::field field = member.value_unsafe();
                std::string_view key;
                if (field.unescaped_key().get(key) || !valid(field.value(), depth + 1, max_depth)) return false;
            }
            return true;
        }
        case json_type::array: {
            simdjson::ondemand::array array;
            if (depth + 1 > max_depth || value.get_array().get(array)) return false;
            return elements(array, depth + 1, max_depth);
        }
        case json_type::string: {
            std::string_view s;
            return !value.get_string().get(s);
        }
        case json_type::number: {
            const std::string_view raw = value.raw_json_token();
            double d = 0;
            return !value.get_double().get(d) || exact_number(raw);
        }
        case json_type::boolean: {
            bool b = false;
            return !value.get_bool().get(b);
        }
        case json_type::null: {
            bool is_null = false;
            return !value.is_null().get(is_null) && is_null;
        }
        }
        return false;
    }

    /// The elements of an array at nesting `depth`.
    static bool elements(simdjson::ondemand::array& array, std::size_t depth, std::size_t max_depth) {
        for (auto element : array) {
            if (element.error() || !valid(element.value_unsafe(), depth, max_depth)) return false;
        }
        return true;
    }

    simdjson::ondemand::parser parser_;
    std::unique_ptr<char[]> buffer_;
    std::size_t capacity_ = 0;
};

/// Validates `body` as JSON nested at most `max_depth` deep and returns the top-level members named
/// `id_field` and `type_field` (either may be empty: not wanted; a non-object body has none).
/// nullopt when `body` is not valid JSON. A member name written with escapes matches decoded.
inline std::optional<event_json_fields> read_event_json(std::string_view body, std::size_t max_depth,
                                                        std::string_view id_field = {},
                                                        std::string_view type_field = {}) {
    thread_local event_json_reader reader;
    return reader.read(body, max_depth, id_field, type_field);
}

/// A field of a parsed JSON object: a top-level member name, or a JSON pointer when it starts with '/'.
inline const nlohmann::json* json_field(const nlohmann::json& doc, std::string_view field) {
    if (field.empty() || !doc.is_object()) return nullptr;
    if (field.front() == '/') {
        try {
            nlohmann::json::json_pointer ptr{std::string(field)};
            if (!doc.contains(ptr)) return nullptr;
            return &doc.at(ptr);
        } catch (const nlohmann::json::exception&) {
            return nullptr;
        }
    }
    auto it = doc.find(field);
    return it == doc.end() ? nullptr : &*it;
}

/// The event's id and type from `body`, as a scheme names them: top-level member names (read by
/// `read_event_json` in its one pass), or JSON pointers starting with '/' (the body is validated,
/// then parsed with nlohmann/json to resolve them; a number id is its `dump()`). Either field may be
/// empty: not wanted. nullopt when `body` is not valid JSON or nests deeper than `max_depth`.
inline std::optional<event_json_fields> read_event_fields(std::string_view body, std::size_t max_depth,
                                                          std::string_view id_field, std::string_view type_field) {
    const bool pointers = id_field.starts_with('/') || type_field.starts_with('/');
    if (!pointers) return read_event_json(body, max_depth, id_field, type_field);
    auto fields = read_event_json(body, max_depth);
    if (!fields) return std::nullopt;
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    if (const auto* v = json_field(doc, id_field)) {
        if (v->is_string())
            fields->id = v->get<std::string>();
        else if (v->is_number())
            fields->id = v->dump();
    }
    if (const auto* v = json_field(doc, type_field); v && v->is_string()) fields->type = v->get<std::string>();
    return fields;
}

} // namespace detail
HOOKLINE_END_NAMESPACE
