/// \file Every signature scheme hookline ships.
#pragma once

#include <hookline/schemes/standard.hpp>
