/// \file What the receiver asks of a verifier beyond the `verifier` concept: the optional members a
/// scheme declares (`scheme_name`, `body_id_field`, `body_type_field`, `content_type`), read when
/// present; and the small helpers around them (media type, the SHA-256 de-duplication key).
///
/// Thread-safety: pure functions.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/signing/schemes/standard.hpp>

#include <concepts>
#include <optional>
#include <string>
#include <string_view>

HOOKLINE_BEGIN_NAMESPACE
namespace detail {

/// The member `body_id_field` of a verifier, when it declares one.
template <class V>
std::optional<std::string_view> body_id_field_of(const V& v) {
    if constexpr (requires { std::string_view(v.body_id_field); })
        return std::string_view(v.body_id_field);
    else
        return std::nullopt;
}
/// The member `body_type_field` of a verifier, when it declares one.
template <class V>
std::optional<std::string_view> body_type_field_of(const V& v) {
    if constexpr (requires { std::string_view(v.body_type_field); })
        return std::string_view(v.body_type_field);
    else
        return std::nullopt;
}
/// The verifier's `scheme_name`; "custom" when it declares none.
template <class V>
std::string_view scheme_name_of(const V& v) {
    if constexpr (requires { std::string_view(v.scheme_name); })
        return std::string_view(v.scheme_name);
    else
        return "custom";
}
/// The media type a scheme requires, when it fixes one.
template <class V>
std::optional<std::string_view> content_type_of(const V& v) {
    if constexpr (requires { std::string_view(v.content_type); }) {
        std::string_view ct(v.content_type);
        if (ct.empty()) return std::nullopt;
        return ct;
    } else if constexpr (std::same_as<V, standard_verifier>) {
        return std::string_view("application/json"); // the Standard Webhooks payload is JSON
    } else {
        return std::nullopt;
    }
}

/// "application/json; charset=utf-8" → "application/json".
inline std::string_view media_type(std::string_view value) noexcept { return trim(value.substr(0, value.find(';'))); }

/// The key a delivery without an id is de-duplicated by: "sha256:" and the hex SHA-256 of `data`.
inline std::string sha256_key(std::string_view data) {
    std::string key;
    key.reserve(7 + 64);
    key.append("sha256:").append(hex_encode(sha256(data).view()));
    return key;
}

} // namespace detail
HOOKLINE_END_NAMESPACE
