/// \file Receiver aliases for the schemes hookline ships: `basic_receiver` over each stock verifier.
///
/// Thread-safety: as `basic_receiver`.
#pragma once

#include <hookline/receiver.hpp>
#include <hookline/schemes.hpp>

HOOKLINE_BEGIN_NAMESPACE

// `standard_receiver` (Standard Webhooks) is declared in receiver.hpp.

// Provider receivers: one line per scheme in schemes.hpp, e.g.
//   /// Receives GitHub webhooks (type in X-GitHub-Event, id in X-GitHub-Delivery).
//   using github_receiver = basic_receiver<github_verifier>;

HOOKLINE_END_NAMESPACE
