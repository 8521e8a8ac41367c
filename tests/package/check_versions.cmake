# Fails unless every place that states hookline's version agrees: CMakeLists.txt project(VERSION),
# include/hookline/core/config.hpp (HOOKLINE_VERSION_STRING and the MAJOR/MINOR/PATCH macros), the vcpkg
# port (ports/hookline/vcpkg.json "version") and the Conan recipe (conanfile.py `version`).
# Invoked by ctest: cmake -DSOURCE_DIR=<hookline> -P check_versions.cmake
cmake_minimum_required(VERSION 3.20)

set(names)
# Reads FILE, applies REGEX and records capture group GROUP (default 1) as the version under NAME.
function(version_from name file regex)
  set(group 1)
  if(ARGC GREATER 3)
    set(group ${ARGV3})
  endif()
  set(path ${SOURCE_DIR}/${file})
  if(NOT EXISTS ${path})
    message(FATAL_ERROR "${file} is missing")
  endif()
  file(READ ${path} text)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "no version found in ${file} (looked for: ${regex})")
  endif()
  set(version_${name} "${CMAKE_MATCH_${group}}" PARENT_SCOPE)
  set(file_${name} "${file}" PARENT_SCOPE)
  set(names ${names} ${name} PARENT_SCOPE)
endfunction()

version_from(cmake CMakeLists.txt "project\\([ \t\r\n]*hookline[ \t\r\n]+VERSION[ \t\r\n]+([0-9][0-9.]*)")
version_from(header include/hookline/core/config.hpp "#define[ \t]+HOOKLINE_VERSION_STRING[ \t]+\"([^\"]+)\"")

# The vcpkg manifest is parsed as JSON (a malformed manifest fails here too).
file(READ ${SOURCE_DIR}/ports/hookline/vcpkg.json manifest)
string(JSON version_vcpkg ERROR_VARIABLE json_error GET "${manifest}" version)
if(json_error)
  message(FATAL_ERROR "ports/hookline/vcpkg.json: no \"version\" (${json_error})")
endif()
set(file_vcpkg ports/hookline/vcpkg.json)
list(APPEND names vcpkg)
version_from(conan conanfile.py "\n[ \t]+version[ \t]*=[ \t]*[\"']([^\"']+)[\"']")

# The numeric macros of config.hpp.
file(READ ${SOURCE_DIR}/include/hookline/core/config.hpp config)
set(parts)
foreach(part MAJOR MINOR PATCH)
  if(NOT config MATCHES "#define[ \t]+HOOKLINE_VERSION_${part}[ \t]+([0-9]+)")
    message(FATAL_ERROR "HOOKLINE_VERSION_${part} not found in include/hookline/core/config.hpp")
  endif()
  list(APPEND parts ${CMAKE_MATCH_1})
endforeach()
list(JOIN parts "." version_macros)
list(APPEND names macros)
set(file_macros "include/hookline/core/config.hpp (HOOKLINE_VERSION_MAJOR/MINOR/PATCH)")

set(reference ${version_cmake})
set(report "")
set(mismatch FALSE)
foreach(name IN LISTS names)
  string(APPEND report "\n  ${version_${name}}\t${file_${name}}")
  if(NOT version_${name} STREQUAL reference)
    set(mismatch TRUE)
  endif()
endforeach()
if(mismatch)
  message(FATAL_ERROR "hookline's version differs between files:${report}\n"
                      "Set the same version in all of them.")
endif()
message(STATUS "hookline ${reference} everywhere:${report}")
