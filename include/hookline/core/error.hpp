/// \file Error codes, the `result<T>` core every fallible call returns, and the throwing layer.
///
/// Thread-safety: all types here are values; distinct objects may be used from any thread, and the
/// error category is a stateless singleton.
#pragma once

#include <hookline/core/config.hpp>

#include <optional>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

HOOKLINE_BEGIN_NAMESPACE

/// Every failure hookline reports. Messages never contain secrets or payloads.
enum class errc {
    ok = 0,
    invalid_argument,
    // keys and secrets
    invalid_secret,
    invalid_key,
    // verification of incoming webhooks
    missing_header,
    malformed_header,
    duplicate_header,
    no_matching_signature,
    timestamp_too_old,
    timestamp_too_new,
    body_hash_mismatch,
    missing_url,
    malformed_body,
    crypto_failure,
    // receiving
    payload_too_large,
    unsupported_media_type,
    not_found,
    method_not_allowed,
    handler_failed,
    no_handler,
    queue_full,
    // sending
    invalid_url,
    address_refused,
    dns_failure,
    connection_failed,
    timeout,
    tls_failure,
    http_status,
    response_too_large,
    endpoint_not_found,
    endpoint_disabled,
    endpoint_gone,
    retries_exhausted,
    stopped,
    // storage
    store_failure,
    schema_mismatch,
    message_not_found,
    lease_lost, ///< the delivery was claimed again by another sender (its lease expired): nothing changed
    // sending, input refused when offered (appended: stores keep these values, so none is renumbered)
    invalid_message_id,   ///< a message id with a control character
    invalid_event_type,   ///< an empty event type, or one with a control character
    invalid_header_name,  ///< not a token, or a field the transport, sender or signer sets
    invalid_header_value, ///< a control character (CR, LF, NUL, other C0, DEL; HTAB allowed)
    invalid_option,       ///< an option with no sensible meaning (`what()` names it)
    // keys and secrets (appended likewise)
    secret_missing_prefix, ///< `secret::parse` text without `whsec_`, `whsk_` or `whpk_`
    secret_not_base64,     ///< `secret::parse` text whose key part is not base64
    secret_too_short,      ///< a `whsec_` key shorter than `secret::min_symmetric_size` bytes
    // storage, appended
    store_in_use, ///< another process (or store) holds the SQLite store file's lock: one sender per file
    // ordered delivery, appended
    ordering_unsupported, ///< an ordered endpoint on a store that cannot keep order (not an `ordered_store`)
    invalid_ordering_key, ///< an ordering key with a control character, or longer than 256 bytes
    delivery_in_flight,   ///< the delivery's attempt is under way: skip it once the attempt is over
    // the registry, appended
    already_exists,  ///< a registry row with that id, or that uid within its tenant, exists
    wrong_store_key, ///< the registry's sealed secrets do not open with the key given (or need one)
    invalid_tenant,  ///< a tenant (application) id that is empty where one is needed, too long, or has a control
                     ///< character
};

namespace detail {
class error_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "hookline"; }
    std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
        case errc::ok: return "success";
        case errc::invalid_argument: return "invalid argument";
        case errc::invalid_secret: return "invalid secret";
        case errc::invalid_key: return "invalid key";
        case errc::missing_header: return "missing header";
        case errc::malformed_header: return "malformed header";
        case errc::duplicate_header: return "duplicate header";
        case errc::no_matching_signature: return "no matching signature";
        case errc::timestamp_too_old: return "timestamp too old";
        case errc::timestamp_too_new: return "timestamp too new";
        case errc::body_hash_mismatch: return "body hash mismatch";
        case errc::missing_url: return "request URL required by the scheme is missing";
        case errc::malformed_body: return "malformed body";
        case errc::crypto_failure: return "cryptographic operation failed";
        case errc::payload_too_large: return "payload too large";
        case errc::unsupported_media_type: return "unsupported media type";
        case errc::not_found: return "not found";
        case errc::method_not_allowed: return "method not allowed";
        case errc::handler_failed: return "handler failed";
        case errc::no_handler: return "no handler for event type";
        case errc::queue_full: return "queue full";
        case errc::invalid_url: return "invalid URL";
        case errc::address_refused: return "destination address refused";
        case errc::dns_failure: return "DNS resolution failed";
        case errc::connection_failed: return "connection failed";
        case errc::timeout: return "timed out";
        case errc::tls_failure: return "TLS failure";
        case errc::http_status: return "unsuccessful HTTP status";
        case errc::response_too_large: return "response too large";
        case errc::endpoint_not_found: return "endpoint not found";
        case errc::endpoint_disabled: return "endpoint disabled";
        case errc::endpoint_gone: return "endpoint gone (410)";
        case errc::retries_exhausted: return "retries exhausted";
        case errc::stopped: return "stopped";
        case errc::store_failure: return "store failure";
        case errc::schema_mismatch: return "store schema mismatch";
        case errc::message_not_found: return "message not found";
        case errc::lease_lost: return "lease lost to another sender";
        case errc::secret_missing_prefix: return "secret lacks the whsec_, whsk_ or whpk_ prefix";
        case errc::secret_not_base64: return "secret is not base64 after its prefix";
        case errc::secret_too_short: return "secret shorter than 16 bytes";
        case errc::invalid_message_id: return "message id contains a control character";
        case errc::invalid_event_type: return "event type is empty or contains a control character";
        case errc::invalid_header_name: return "header name is malformed or set by the sender";
        case errc::invalid_header_value: return "header value contains a control character";
        case errc::invalid_option: return "invalid option";
        case errc::store_in_use: return "store in use: another sender process holds its lock file";
        case errc::ordering_unsupported: return "ordered delivery needs a store that keeps order (an ordered_store)";
        case errc::invalid_ordering_key: return "invalid ordering key (a control character, or over 256 bytes)";
        case errc::delivery_in_flight: return "the delivery is in flight";
        case errc::already_exists: return "already exists";
        case errc::wrong_store_key: return "the store's secrets do not open with the key given";
        case errc::invalid_tenant: return "invalid tenant id (empty, over 256 bytes, or a control character)";
        }
        return "unknown hookline error";
    }
};
} // namespace detail

/// The category of every `errc` value.
inline const std::error_category& error_category() noexcept {
    static const detail::error_category_impl instance;
    return instance;
}

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), error_category()}; }

/// Thrown by the convenience layer (`result::value()`, throwing constructors). `what()` holds the
/// category message and, where given, a context that never includes secrets.
class error : public std::system_error {
public:
    explicit error(std::error_code ec) : std::system_error(ec) {}
    error(std::error_code ec, const std::string& context) : std::system_error(ec, context) {}
};

/// Thrown when `value()` is called on a `result` that holds no value.
[[noreturn]] inline void throw_error(std::error_code ec) { throw error(ec); }

/// Either a `T` or a `std::error_code`. Cheap to move; `value()` throws `hookline::error`.
template <class T>
class [[nodiscard]] result {
public:
    using value_type = T;

    result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    result(std::error_code ec) : error_(ec) {}     // NOLINT(google-explicit-constructor)
    result(errc e) : error_(make_error_code(e)) {} // NOLINT(google-explicit-constructor)

    bool has_value() const noexcept { return value_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }

    /// The error; a default (success) code when there is a value.
    std::error_code error() const noexcept { return error_; }

    T& value() & {
        ensure();
        return *value_;
    }
    const T& value() const& {
        ensure();
        return *value_;
    }
    /// By value, so `for (auto& x : f().value())` does not dangle.
    T value() && {
        ensure();
        return std::move(*value_);
    }
    template <class U>
    T value_or(U&& fallback) const& {
        return value_ ? *value_ : static_cast<T>(std::forward<U>(fallback));
    }

    T& operator*() & noexcept { return *value_; }
    const T& operator*() const& noexcept { return *value_; }
    T operator*() && { return std::move(*value_); }
    T* operator->() noexcept { return &*value_; }
    const T* operator->() const noexcept { return &*value_; }

private:
    void ensure() const {
        if (!value_) throw_error(error_);
    }
    std::optional<T> value_;
    std::error_code error_;
};

/// Success or a `std::error_code`.
template <>
class [[nodiscard]] result<void> {
public:
    using value_type = void;

    result() = default;
    result(std::error_code ec) : error_(ec) {}     // NOLINT(google-explicit-constructor)
    result(errc e) : error_(make_error_code(e)) {} // NOLINT(google-explicit-constructor)

    bool has_value() const noexcept { return !error_; }
    explicit operator bool() const noexcept { return has_value(); }
    std::error_code error() const noexcept { return error_; }
    void value() const {
        if (error_) throw_error(error_);
    }

private:
    std::error_code error_;
};

HOOKLINE_END_NAMESPACE

template <>
struct std::is_error_code_enum<hookline::errc> : std::true_type {};
