/// \file Every signature scheme hookline ships.
#pragma once

#include <hookline/schemes/standard.hpp>
// Provider schemes (providers-a): GitHub, Stripe, Slack, shared tokens.
#include <hookline/schemes/github.hpp>
#include <hookline/schemes/shared_token.hpp>
#include <hookline/schemes/slack.hpp>
#include <hookline/schemes/stripe.hpp>
