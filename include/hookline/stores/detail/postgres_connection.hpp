/// \file The PostgreSQL store's libpq plumbing: statement parameters, the RAII result set (binary
/// format), and the error-code columns' encoding.
#pragma once

#include <hookline/core/config.hpp>
#include <hookline/core/error.hpp>

#include <libpq-fe.h>

#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

namespace detail::pg {

/// `{"a","b"}`: a text[] literal.
inline std::string text_array(std::span<const std::string> values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        out += '"';
        for (char c : values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

/// `{"a",NULL}`: a text[] literal, NULL where `values` holds a null pointer.
inline std::string nullable_text_array(std::span<const std::string* const> values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (i) out += ',';
        if (!values[i]) {
            out += "NULL";
            continue;
        }
        out += '"';
        for (char c : *values[i]) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

/// Statement parameters: text, except bytea which is sent binary.
struct params {
    std::vector<std::string> storage;
    std::vector<int> formats;
    std::vector<int> lengths;
    std::vector<Oid> types;
    std::vector<const char*> values;

    params& text(std::string v) {
        storage.push_back(std::move(v));
        formats.push_back(0);
        types.push_back(0);
        return *this;
    }
    params& integer(std::int64_t v) { return text(std::to_string(v)); }
    params& bytes(std::string v) {
        storage.push_back(std::move(v));
        formats.push_back(1);
        types.push_back(17); // bytea
        return *this;
    }
    void finish() {
        values.clear();
        lengths.clear();
        for (auto& s : storage) {
            values.push_back(s.data());
            lengths.push_back(static_cast<int>(s.size()));
        }
    }
    int count() const { return static_cast<int>(storage.size()); }
};

/// A result in binary format; frees itself.
class result_set {
public:
    explicit result_set(PGresult* r = nullptr) : r_(r) {}
    result_set(result_set&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
    result_set& operator=(result_set&& o) noexcept {
        std::swap(r_, o.r_);
        return *this;
    }
    result_set(const result_set&) = delete;
    result_set& operator=(const result_set&) = delete;
    ~result_set() {
        if (r_) PQclear(r_);
    }
    PGresult* get() const { return r_; }
    bool ok() const {
        auto s = PQresultStatus(r_);
        return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
    }
    const char* sqlstate() const {
        const char* s = r_ ? PQresultErrorField(r_, PG_DIAG_SQLSTATE) : nullptr;
        return s ? s : "";
    }
    int rows() const { return PQntuples(r_); }
    bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
    std::int64_t i64(int row, int col) const {
        if (null(row, col)) return 0;
        const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, col));
        const int n = PQgetlength(r_, row, col);
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
        if (n < 8 && n > 0 && (p[0] & 0x80)) v |= ~std::uint64_t{0} << (8 * n); // sign-extend
        return static_cast<std::int64_t>(v);
    }
    bool boolean(int row, int col) const { return !null(row, col) && *PQgetvalue(r_, row, col) != 0; }
    std::string str(int row, int col) const {
        return std::string(PQgetvalue(r_, row, col), static_cast<std::size_t>(PQgetlength(r_, row, col)));
    }

private:
    PGresult* r_;
};

inline std::error_code decode_error(const std::string& category, int value) {
    if (value == 0) return {};
    if (category == "hookline") return {value, hookline::error_category()};
    if (category == "system") return {value, std::system_category()};
    return {value, std::generic_category()};
}

inline const char* category_name(const std::error_code& ec) {
    if (!ec) return "";
    if (ec.category() == hookline::error_category()) return "hookline";
    if (ec.category() == std::system_category()) return "system";
    return "generic";
}

} // namespace detail::pg

HOOKLINE_END_NAMESPACE
