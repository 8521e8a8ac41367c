/// \file Every signature scheme hookline ships.
#pragma once

#include <hookline/schemes/github.hpp>
#include <hookline/schemes/shared_token.hpp>
#include <hookline/schemes/shopify.hpp>
#include <hookline/schemes/slack.hpp>
#include <hookline/schemes/square.hpp>
#include <hookline/schemes/standard.hpp>
#include <hookline/schemes/stripe.hpp>
#include <hookline/schemes/twilio.hpp>
