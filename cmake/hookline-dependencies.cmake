# Finds hookline's dependencies and defines hookline_httplib_target: the target to link for
# cpp-httplib. Shared by the build tree and the installed hooklineConfig.cmake.
include(CMakeFindDependencyMacro)

find_dependency(Threads)
find_dependency(OpenSSL 3)
find_dependency(nlohmann_json 3)
# simdjson (a compiled library): the receiver's JSON step (receiving/detail/event_json.hpp).
find_dependency(simdjson 3)
# libcurl 7.80+ (its multi interface): the stock transport, curl_transport (transports/curl_transport.hpp).
find_dependency(CURL 7.80)

# vcpkg, Conan and upstream installs provide a CMake package; Debian ships only a pkg-config file
# for a compiled library (whose Cflags carry the defines its ABI depends on).
find_package(httplib CONFIG QUIET)
if(TARGET httplib::httplib)
  set(hookline_httplib_target httplib::httplib)
else()
  find_dependency(PkgConfig)
  if(NOT TARGET PkgConfig::hookline_httplib)
    pkg_check_modules(hookline_httplib REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
  endif()
  set(hookline_httplib_target PkgConfig::hookline_httplib)
endif()

# Optional: SQLite 3 and SQLiteCpp for the SQLite store (hookline::sqlite). Absent either leaves the
# core unaffected. When both are found, hookline_sqlitecpp_target names SQLiteCpp's target: its CMake
# package's `SQLiteCpp` (Debian, vcpkg, Conan, upstream), or else hookline::sqlitecpp made from
# pkg-config's SQLiteCpp module.
find_package(SQLite3 QUIET)
if(TARGET SQLite::SQLite3)
  find_package(SQLiteCpp CONFIG QUIET)
  if(TARGET SQLiteCpp)
    set(hookline_sqlitecpp_target SQLiteCpp)
  elseif(TARGET hookline::sqlitecpp)
    set(hookline_sqlitecpp_target hookline::sqlitecpp)
  else()
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(hookline_sqlitecpp QUIET IMPORTED_TARGET GLOBAL SQLiteCpp)
      if(hookline_sqlitecpp_FOUND)
        add_library(hookline::sqlitecpp INTERFACE IMPORTED GLOBAL)
        set_target_properties(hookline::sqlitecpp PROPERTIES
          INTERFACE_LINK_LIBRARIES "PkgConfig::hookline_sqlitecpp;SQLite::SQLite3")
        set(hookline_sqlitecpp_target hookline::sqlitecpp)
      endif()
    endif()
  endif()
endif()

# Optional: libpq, for hookline::postgres (the PostgreSQL store). When found, defines the imported
# target hookline::libpq (include dirs and library paths, no further targets). CMake's FindPostgreSQL
# first, pkg-config's libpq otherwise.
if(NOT TARGET hookline::libpq)
  set(hookline_libpq_includes "")
  set(hookline_libpq_libraries "")
  find_package(PostgreSQL QUIET)
  if(PostgreSQL_FOUND)
    set(hookline_libpq_includes ${PostgreSQL_INCLUDE_DIRS})
    set(hookline_libpq_libraries ${PostgreSQL_LIBRARIES})
  else()
    find_package(PkgConfig QUIET)
    if(PKG_CONFIG_FOUND)
      pkg_check_modules(hookline_libpq QUIET libpq)
      if(hookline_libpq_FOUND)
        set(hookline_libpq_includes ${hookline_libpq_INCLUDE_DIRS})
        set(hookline_libpq_libraries ${hookline_libpq_LINK_LIBRARIES})
      endif()
    endif()
  endif()
  if(hookline_libpq_libraries)
    add_library(hookline::libpq INTERFACE IMPORTED GLOBAL)
    set_target_properties(hookline::libpq PROPERTIES
      INTERFACE_INCLUDE_DIRECTORIES "${hookline_libpq_includes}"
      INTERFACE_LINK_LIBRARIES "${hookline_libpq_libraries}")
  endif()
endif()

# Optional: Boost 1.81+ headers (Asio, Beast; nothing compiled) for hookline::beast, the Boost.Beast
# HTTP server and its receiver adapter (include/hookline/serving/). Absent leaves the rest unaffected.
# Boost's own CMake package first (Debian 1.81, vcpkg, Conan), CMake's FindBoost otherwise; both
# define Boost::headers.
if(NOT TARGET Boost::headers)
  find_package(Boost 1.81 QUIET CONFIG)
  if(NOT TARGET Boost::headers)
    find_package(Boost 1.81 QUIET MODULE)
  endif()
endif()
