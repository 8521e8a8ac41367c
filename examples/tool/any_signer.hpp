// hookline send: one signer type for every scheme the tool sends with, so the tool instantiates one
// sender per store instead of one per scheme and store (each instantiation is a long compile step).
#pragma once

#include <hookline/signing/schemes.hpp>

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <variant>

namespace hookline_cli::detail {

/// A stock signer chosen at run time. The sender builds signers with the static `make(keys)`, which
/// has no room for a scheme, so the tool chooses the scheme once per process (`choose`, before the
/// sender is made): `hookline send` delivers with one scheme per run.
///
/// Thread safety: `choose` before any other thread calls `make`; `sign` as the wrapped signer's.
class any_signer {
public:
    using signers = std::variant<hookline::standard_signer, hookline::github_signer, hookline::stripe_signer,
                                 hookline::slack_signer, hookline::shopify_signer, hookline::square_signer,
                                 hookline::twilio_signer>;

    /// The scheme later `make` calls build.
    template <class Signer>
    static void choose() noexcept {
        chosen() = index_of<Signer>();
    }

    static hookline::result<any_signer> make(std::span<const hookline::secret> keys) { return make_at<0>(keys); }

    hookline::result<hookline::header_map> sign(const hookline::outbound_message& m) const {
        return std::visit([&](const auto& s) { return s.sign(m); }, signer_);
    }

private:
    explicit any_signer(signers s) : signer_(std::move(s)) {}

    template <class Signer, std::size_t I = 0>
    static constexpr std::size_t index_of() {
        if constexpr (std::is_same_v<std::variant_alternative_t<I, signers>, Signer>)
            return I;
        else
            return index_of<Signer, I + 1>();
    }

    static std::size_t& chosen() noexcept {
        static std::size_t index = 0;
        return index;
    }

    template <std::size_t I>
    static hookline::result<any_signer> make_at(std::span<const hookline::secret> keys) {
        if constexpr (I < std::variant_size_v<signers>) {
            if (chosen() != I) return make_at<I + 1>(keys);
            auto s = std::variant_alternative_t<I, signers>::make(keys);
            if (!s) return s.error();
            return any_signer(signers(std::in_place_index<I>, std::move(*s)));
        } else {
            return hookline::errc::invalid_argument;
        }
    }

    signers signer_;
};

} // namespace hookline_cli::detail
