/// \file Every signature scheme hookline ships.
#pragma once

#include <hookline/signing/schemes/github.hpp>
#include <hookline/signing/schemes/shared_token.hpp>
#include <hookline/signing/schemes/shopify.hpp>
#include <hookline/signing/schemes/slack.hpp>
#include <hookline/signing/schemes/square.hpp>
#include <hookline/signing/schemes/standard.hpp>
#include <hookline/signing/schemes/stripe.hpp>
#include <hookline/signing/schemes/twilio.hpp>
