# Finds hookline's dependencies and defines hookline_httplib_target: the target to link for
# cpp-httplib. Shared by the build tree and the installed hooklineConfig.cmake.
include(CMakeFindDependencyMacro)

find_dependency(Threads)
find_dependency(OpenSSL 3)
find_dependency(nlohmann_json 3)

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

# Optional: SQLite 3 for the SQLite store (hookline::sqlite). Absent SQLite leaves the core unaffected.
find_package(SQLite3 QUIET)
