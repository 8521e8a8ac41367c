# Fails unless every place that names hookline's version and release agrees with CMakeLists.txt, where
# the version is written (project VERSION and HOMEPAGE_URL): the vcpkg port (vcpkg.json version and
# homepage, portfile.cmake URL and SHA512), the Conan recipe (conanfile.py version, url, homepage;
# conandata.yml url and sha256) and the FetchContent snippet of docs/packaging.md (URL, SHA512, tag).
# cmake/release.sh writes all of them. Invoked by ctest: cmake -DSOURCE_DIR=<hookline> -P check_versions.cmake
cmake_minimum_required(VERSION 3.20)

set(problems "")
# Reads FILE and records capture group 1 of REGEX in OUT, or a problem when it does not match.
function(capture out file regex)
  file(READ ${SOURCE_DIR}/${file} text)
  if(text MATCHES "${regex}")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
    set(problems "${problems}\n  ${file}: nothing matches ${regex}" PARENT_SCOPE)
  endif()
endfunction()
function(expect what actual expected)
  if(NOT "${actual}" STREQUAL "${expected}")
    set(problems "${problems}\n  ${what} is \"${actual}\", expected \"${expected}\"" PARENT_SCOPE)
  endif()
endfunction()
function(expect_hex what value length)
  string(LENGTH "${value}" n)
  if(NOT value MATCHES "^[0-9a-f]+$" OR NOT n EQUAL length)
    set(problems "${problems}\n  ${what} \"${value}\" is not a ${length}-digit hash (run cmake/release.sh)"
        PARENT_SCOPE)
  endif()
endfunction()

capture(version CMakeLists.txt "project\\([ \t\r\n]*hookline[ \t\r\n]+VERSION[ \t\r\n]+([0-9]+\\.[0-9]+\\.[0-9]+)")
capture(homepage CMakeLists.txt "HOMEPAGE_URL[ \t]+\"([^\"]+)\"")
set(url "${homepage}/releases/download/v${version}/hookline-${version}.tar.gz")

# The header must not state the version itself (it is generated from CMakeLists.txt).
file(READ ${SOURCE_DIR}/include/hookline/core/config.hpp config)
if(config MATCHES "#define[ \t]+HOOKLINE_VERSION")
  string(APPEND problems "\n  include/hookline/core/config.hpp defines the version; it comes from cmake/version.hpp.in")
endif()

# vcpkg: the manifest as JSON, the portfile's download.
file(READ ${SOURCE_DIR}/ports/hookline/vcpkg.json manifest)
string(JSON vcpkg_version ERROR_VARIABLE json_error GET "${manifest}" version)
string(JSON vcpkg_homepage ERROR_VARIABLE json_error2 GET "${manifest}" homepage)
if(json_error OR json_error2)
  string(APPEND problems "\n  ports/hookline/vcpkg.json: ${json_error} ${json_error2}")
endif()
expect("ports/hookline/vcpkg.json version" "${vcpkg_version}" "${version}")
expect("ports/hookline/vcpkg.json homepage" "${vcpkg_homepage}" "${homepage}")
capture(port_url ports/hookline/portfile.cmake "\n[ \t]+URLS \"([^\"]+)\"")
capture(port_sha ports/hookline/portfile.cmake "\n[ \t]+SHA512 ([0-9A-Za-z]+)")
expect("portfile.cmake URLS" "${port_url}" "${url}")
expect_hex("portfile.cmake SHA512" "${port_sha}" 128)

# Conan.
capture(conan_version conanfile.py "\n    version = \"([^\"]+)\"")
capture(conan_url conanfile.py "\n    url = \"([^\"]+)\"")
capture(conan_homepage conanfile.py "\n    homepage = \"([^\"]+)\"")
expect("conanfile.py version" "${conan_version}" "${version}")
expect("conanfile.py url" "${conan_url}" "${homepage}")
expect("conanfile.py homepage" "${conan_homepage}" "${homepage}")
capture(data_version conandata.yml "\n  \"([^\"]+)\":")
capture(data_url conandata.yml "\n    url: \"([^\"]+)\"")
capture(data_sha conandata.yml "\n    sha256: \"([^\"]+)\"")
expect("conandata.yml version" "${data_version}" "${version}")
expect("conandata.yml url" "${data_url}" "${url}")
expect_hex("conandata.yml sha256" "${data_sha}" 64)

# The FetchContent snippet.
capture(fetch_url docs/packaging.md "FetchContent_Declare\\(hookline\n  URL ([^ \n]+)")
capture(fetch_sha docs/packaging.md "\n  URL_HASH SHA512=([0-9A-Za-z]+)")
capture(fetch_tag docs/packaging.md "GIT_TAG v([0-9.]+)")
expect("docs/packaging.md FetchContent URL" "${fetch_url}" "${url}")
expect("docs/packaging.md FetchContent SHA512" "${fetch_sha}" "${port_sha}")
expect("docs/packaging.md GIT_TAG" "${fetch_tag}" "${version}")

if(problems)
  message(FATAL_ERROR "hookline ${version}: the packaging files disagree with CMakeLists.txt:${problems}\n"
                      "Run cmake/release.sh ${version} (docs/packaging.md, Releasing).")
endif()
message(STATUS "hookline ${version} (${url}) in CMakeLists.txt, the vcpkg port, the Conan recipe and docs/packaging.md")
