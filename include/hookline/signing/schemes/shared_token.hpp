/// \file Shared tokens, for senders that sign nothing: a configured header (`Authorization` by default)
/// must carry one of the configured tokens, optionally after a fixed prefix such as `Bearer `. This
/// authenticates the sender but not the body, and has no replay protection: prefer a signing scheme
/// whenever the sender offers one, and serve it over TLS only.
///
/// Thread-safety: `shared_token_signer` and `shared_token_verifier` are immutable after construction;
/// one object (or its copies) may sign or verify from any number of threads at once.
#pragma once

#include <hookline/core/clock.hpp>
#include <hookline/core/config.hpp>
#include <hookline/core/crypto.hpp>
#include <hookline/core/encoding.hpp>
#include <hookline/core/error.hpp>
#include <hookline/core/headers.hpp>
#include <hookline/core/secret.hpp>
#include <hookline/signing/schemes/detail/hmac_support.hpp>
#include <hookline/signing/signer.hpp>
#include <hookline/signing/verifier.hpp>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

HOOKLINE_BEGIN_NAMESPACE

/// Where a shared token travels.
struct shared_token_options {
    /// The header carrying the token (matched case-insensitively).
    std::string header = "Authorization";
    /// Text before the token in the header value, such as `"Bearer "`; matched ASCII case-insensitively
    /// (HTTP authentication schemes are). Empty: the whole header value is the token.
    std::string prefix = {};
};

/// Adds the header with the prefix and the token. One token: rotate on the receiving side.
class shared_token_signer {
public:
    static constexpr std::string_view scheme_name = "shared_token";

    /// `token`: a symmetric secret, usually `secret::from_bytes("...")`. `errc::invalid_argument` for an
    /// empty header name, or when the header value would contain CR, LF or NUL.
    /// For senders that build a signer from an endpoint's keys: signs with the first one (this scheme's
    /// header carries a single signature). No keys: `errc::invalid_secret`.
    static result<shared_token_signer> make(std::span<const secret> keys, shared_token_options options = {}) {
        if (keys.empty()) return errc::invalid_secret;
        return make(keys.front(), std::move(options));
    }

    static result<shared_token_signer> make(const secret& token, shared_token_options options = {}) {
        if (token.kind() != secret_kind::symmetric) return errc::invalid_key;
        if (options.header.empty()) return errc::invalid_argument;
        auto bad = [](std::string_view text) { return text.find_first_of(std::string_view("\r\n\0", 3)) != text.npos; };
        if (bad(options.prefix) || bad(token.bytes())) return errc::invalid_argument;
        return shared_token_signer(std::make_shared<const state>(state{token, std::move(options)}));
    }

    /// Throwing form of `make`.
    explicit shared_token_signer(const secret& token, shared_token_options options = {})
        : shared_token_signer(make(token, std::move(options)).value()) {}

    const shared_token_options& options() const noexcept { return state_->options; }

    /// The header with the prefix and the token; the message itself is not looked at.
    result<header_map> sign(const outbound_message& /*m*/) const {
        header_map h;
        h.add(state_->options.header, state_->options.prefix + std::string(state_->token.bytes()));
        return h;
    }

private:
    struct state {
        secret token;
        shared_token_options options;
    };
    explicit shared_token_signer(std::shared_ptr<const state> s) : state_(std::move(s)) {}
    std::shared_ptr<const state> state_;
};

/// Accepts a request whose configured header holds the prefix followed by one of the trusted tokens.
/// Tokens are compared through their SHA-256 digests in constant time, so neither the content nor the
/// length of a token leaks through timing. Checks in order: header present and single, prefix present
/// and a non-empty token after it, a token matches. The result has no id, type or timestamp.
class shared_token_verifier {
public:
    static constexpr std::string_view scheme_name = "shared_token";
    /// Tokens say nothing about the body; where the id and type are is up to the sender.
    static constexpr std::string_view body_id_field{};
    static constexpr std::string_view body_type_field{};

    /// `tokens`: the trusted tokens (`secret::from_bytes`); several during a rotation.
    static result<shared_token_verifier> make(std::span<const secret> tokens, shared_token_options options = {}) {
        if (tokens.empty()) return errc::invalid_secret;
        if (options.header.empty()) return errc::invalid_argument;
        std::vector<digest_value> digests;
        digests.reserve(tokens.size());
        for (const auto& t : tokens) {
            if (t.kind() != secret_kind::symmetric || t.size() == 0) return errc::invalid_key;
            digests.push_back(sha256(t.bytes()));
            if (digests.back().size == 0) return errc::crypto_failure;
        }
        return shared_token_verifier(std::move(digests), std::move(options));
    }
    static result<shared_token_verifier> make(const secret& token, shared_token_options options = {}) {
        return make(std::span<const secret>(&token, 1), std::move(options));
    }

    /// Throwing forms of `make`.
    explicit shared_token_verifier(std::span<const secret> tokens, shared_token_options options = {})
        : shared_token_verifier(make(tokens, std::move(options)).value()) {}
    explicit shared_token_verifier(const secret& token, shared_token_options options = {})
        : shared_token_verifier(make(token, std::move(options)).value()) {}
    shared_token_verifier(std::initializer_list<secret> tokens, shared_token_options options = {})
        : shared_token_verifier(std::span<const secret>(tokens.begin(), tokens.size()), std::move(options)) {}

    const shared_token_options& options() const noexcept { return state_->options; }

    /// `now` is unused: tokens carry no timestamp.
    result<verified_message> verify(const inbound_message& m, std::int64_t /*now*/) const {
        auto header = detail::required_header(m.headers, {state_->options.header});
        if (!header) return header.error();
        std::string_view value = *header;
        const std::string_view prefix = state_->options.prefix;
        if (value.size() <= prefix.size() || !detail::iequals(value.substr(0, prefix.size()), prefix))
            return errc::malformed_header;
        value.remove_prefix(prefix.size());
        auto presented = sha256(value);
        if (presented.size == 0) return errc::crypto_failure;
        bool matched = false;
        for (const auto& d : state_->digests) matched = d.matches(presented.view()) || matched;
        if (!matched) return errc::no_matching_signature;
        return verified_message{};
    }

    /// Verifies (tokens carry no timestamp, so the clock is not read).
    result<verified_message> verify(const inbound_message& m) const { return verify(m, 0); }

private:
    struct state {
        std::vector<digest_value> digests;
        shared_token_options options;
    };
    shared_token_verifier(std::vector<digest_value> d, shared_token_options o)
        : state_(std::make_shared<const state>(state{std::move(d), std::move(o)})) {}
    std::shared_ptr<const state> state_;
};

static_assert(signer<shared_token_signer>);
static_assert(verifier<shared_token_verifier>);

HOOKLINE_END_NAMESPACE
