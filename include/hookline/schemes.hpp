/// \file Every signature scheme hookline ships.
#pragma once

#include <hookline/schemes/standard.hpp>
#include <hookline/schemes/twilio.hpp>
#include <hookline/schemes/shopify.hpp>
#include <hookline/schemes/square.hpp>
