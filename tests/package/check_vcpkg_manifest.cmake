# Checks the vcpkg port's manifest (ports/hookline/vcpkg.json) without vcpkg, which cannot be installed
# here: valid JSON, the port's name and license, cpp-httplib with its openssl feature, and the features
# sqlite/postgres/beast mapping to sqlite3 and sqlitecpp/libpq/boost-beast and boost-asio; and that portfile.cmake installs the pieces a port needs.
# Invoked by ctest: cmake -DSOURCE_DIR=<hookline> -P check_vcpkg_manifest.cmake
cmake_minimum_required(VERSION 3.20)

set(path ${SOURCE_DIR}/ports/hookline/vcpkg.json)
file(READ ${path} manifest)
set(problems "")

# The value at the JSON path ARGN, or NOTFOUND (recorded as a problem) when absent.
function(json out)
  string(JSON value ERROR_VARIABLE error GET "${manifest}" ${ARGN})
  if(error)
    set(problems "${problems}\n  ${error}" PARENT_SCOPE)
    set(value NOTFOUND)
  endif()
  set(${out} "${value}" PARENT_SCOPE)
endfunction()

function(expect what actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    set(problems "${problems}\n  ${what} is \"${actual}\", expected \"${expected}\"" PARENT_SCOPE)
  endif()
endfunction()

string(JSON kind ERROR_VARIABLE error TYPE "${manifest}")
if(error OR NOT kind STREQUAL "OBJECT")
  message(FATAL_ERROR "ports/hookline/vcpkg.json is not a JSON object: ${error}")
endif()
json(name name)
expect("name" "${name}" "hookline")
json(license license)
expect("license" "${license}" "MIT")

# Dependencies: plain names, or objects with "name" (and "features"/"host").
set(found_httplib_openssl FALSE)
set(dependency_names "")
string(JSON count LENGTH "${manifest}" dependencies)
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  string(JSON type TYPE "${manifest}" dependencies ${i})
  if(type STREQUAL "STRING")
    string(JSON dep GET "${manifest}" dependencies ${i})
  else()
    string(JSON dep GET "${manifest}" dependencies ${i} name)
    if(dep STREQUAL "cpp-httplib")
      string(JSON features ERROR_VARIABLE error GET "${manifest}" dependencies ${i} features)
      if(NOT error AND features MATCHES "\"openssl\"")
        set(found_httplib_openssl TRUE)
      endif()
    endif()
  endif()
  list(APPEND dependency_names ${dep})
endforeach()
foreach(required cpp-httplib curl openssl nlohmann-json simdjson vcpkg-cmake vcpkg-cmake-config)
  if(NOT required IN_LIST dependency_names)
    string(APPEND problems "\n  dependency ${required} is missing")
  endif()
endforeach()
if(NOT found_httplib_openssl)
  string(APPEND problems "\n  cpp-httplib must be required with features [\"openssl\"]")
endif()

# Features: sqlite -> sqlite3 and sqlitecpp, postgres -> libpq, beast -> boost-beast and boost-asio.
foreach(pair sqlite:sqlite3 sqlite:sqlitecpp postgres:libpq beast:boost-beast beast:boost-asio)
  string(REPLACE ":" ";" pair ${pair})
  list(GET pair 0 feature)
  list(GET pair 1 dep)
  json(feature_deps features ${feature} dependencies)
  if(NOT feature_deps MATCHES "\"${dep}\"")
    string(APPEND problems "\n  feature ${feature} must depend on ${dep}")
  endif()
endforeach()

# The portfile: header-only settings and the install steps a port needs.
file(READ ${SOURCE_DIR}/ports/hookline/portfile.cmake portfile)
foreach(needle
    "set(VCPKG_BUILD_TYPE release)" "vcpkg_cmake_configure(" "-DHOOKLINE_BUILD_TESTS=OFF" "vcpkg_cmake_install()"
    "vcpkg_cmake_config_fixup(PACKAGE_NAME hookline CONFIG_PATH lib/cmake/hookline)" "vcpkg_install_copyright(")
  string(FIND "${portfile}" "${needle}" at)
  if(at EQUAL -1)
    string(APPEND problems "\n  portfile.cmake lacks ${needle}")
  endif()
endforeach()
if(NOT EXISTS ${SOURCE_DIR}/ports/hookline/usage)
  string(APPEND problems "\n  ports/hookline/usage is missing")
endif()

if(problems)
  message(FATAL_ERROR "the vcpkg port is not right:${problems}")
endif()
message(STATUS "ports/hookline: manifest and portfile look right (dependencies: ${dependency_names})")
