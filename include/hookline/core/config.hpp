/// \file Version and namespace macros shared by every hookline header.
#pragma once

#define HOOKLINE_VERSION_MAJOR 0
#define HOOKLINE_VERSION_MINOR 1
#define HOOKLINE_VERSION_PATCH 0
#define HOOKLINE_VERSION_STRING "0.1.0"

/// Everything public lives in `hookline::v0` (inline), so two major versions can coexist in one binary.
#define HOOKLINE_BEGIN_NAMESPACE \
    namespace hookline {         \
    inline namespace v0 {
#define HOOKLINE_END_NAMESPACE \
    }                          \
    }

HOOKLINE_BEGIN_NAMESPACE
/// The library's version as "major.minor.patch".
inline constexpr const char* version_string = HOOKLINE_VERSION_STRING;
HOOKLINE_END_NAMESPACE
