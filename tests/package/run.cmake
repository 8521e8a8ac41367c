# Builds a consumer project against hookline and runs it. Invoked by ctest with -DSOURCE_DIR,
# -DWORK_DIR and -DMODE:
#   MODE=find_package      install hookline into a temporary prefix, find it with find_package
#   MODE=add_subdirectory  pull the source tree in with add_subdirectory
#   MODE=fetch_content     pack the sources into an archive, pull it in with FetchContent (URL file://)
#   MODE=pkg_config        install into a temporary prefix, compile CONSUMER_DIR/main.cpp with the
#                          compiler alone and `pkg-config --cflags --libs hookline`
# Optional: -DCONSUMER_DIR (default tests/package/consumer; test_package/ is the Conan test package)
# and -DCONSUMER_EXE (the executable the consumer project builds, default `consumer`).
# A test that cannot run here prints "HOOKLINE_TEST_SKIPPED: <why>" (ctest's SKIP_REGULAR_EXPRESSION).
cmake_minimum_required(VERSION 3.20)

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
endfunction()

# Installs hookline from SOURCE_DIR into ${WORK_DIR}/prefix. The prefix is chosen at install time, as
# Conan and staged installs do, so the installed files must not depend on CMAKE_INSTALL_PREFIX.
function(install_hookline)
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/hookline-build
      -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/configured-prefix-not-used
      -DHOOKLINE_BUILD_TESTS=OFF -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=OFF -DHOOKLINE_INSTALL=ON)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/hookline-build --prefix ${WORK_DIR}/prefix)
endfunction()

if(NOT CONSUMER_DIR)
  set(CONSUMER_DIR ${SOURCE_DIR}/tests/package/consumer)
endif()
if(NOT CONSUMER_EXE)
  set(CONSUMER_EXE consumer)
endif()

if(MODE STREQUAL "pkg_config")
  find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf)
  if(NOT PKG_CONFIG_EXECUTABLE)
    message("HOOKLINE_TEST_SKIPPED: pkg-config not found")
    return()
  endif()
  if(NOT CXX)
    set(CXX c++)
  endif()
  file(REMOVE_RECURSE ${WORK_DIR})
  install_hookline()
  # Only our prefix is prepended: the dependencies' .pc files come from the system search path.
  set(pc_path ${WORK_DIR}/prefix/share/pkgconfig)
  if(DEFINED ENV{PKG_CONFIG_PATH} AND NOT "$ENV{PKG_CONFIG_PATH}" STREQUAL "")
    string(APPEND pc_path ":$ENV{PKG_CONFIG_PATH}")
  endif()
  set(ENV{PKG_CONFIG_PATH} "${pc_path}")
  execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --cflags --libs hookline
                  RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs hookline failed (${rc}):\n${err}")
  endif()
  message(STATUS "pkg-config --cflags --libs hookline: ${flags}")
  if(NOT flags MATCHES "-I${WORK_DIR}/prefix/")
    message(FATAL_ERROR "hookline.pc does not point into the install prefix: ${flags}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${CXX} -std=c++20 -Wall -Wextra -Wpedantic -Werror ${CONSUMER_DIR}/main.cpp ${flags}
      -o ${WORK_DIR}/${CONSUMER_EXE})
  run(${WORK_DIR}/${CONSUMER_EXE})
  message(STATUS "${CONSUMER_DIR}/main.cpp built with pkg-config and ran")
  # The components' .pc files, where this build installed them, with the consumer's programs.
  foreach(store_source IN ITEMS "sqlite|sqlite_main.cpp" "postgres|postgres.cpp" "beast|beast.cpp")
    string(REPLACE "|" ";" store_source ${store_source})
    list(GET store_source 0 store)
    list(GET store_source 1 source)
    if(EXISTS ${WORK_DIR}/prefix/share/pkgconfig/hookline-${store}.pc AND EXISTS ${CONSUMER_DIR}/${source})
      execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --cflags --libs hookline-${store}
                      RESULT_VARIABLE rc OUTPUT_VARIABLE flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
      if(NOT rc EQUAL 0)
        message(FATAL_ERROR "pkg-config --cflags --libs hookline-${store} failed (${rc}):\n${err}")
      endif()
      separate_arguments(flags UNIX_COMMAND "${flags}")
      run(${CXX} -std=c++20 -Wall -Wextra -Wpedantic -Werror ${CONSUMER_DIR}/${source} ${flags}
          -o ${WORK_DIR}/${CONSUMER_EXE}_${store})
      run(${WORK_DIR}/${CONSUMER_EXE}_${store})
      message(STATUS "${CONSUMER_DIR}/${source} built with pkg-config hookline-${store} and ran")
    endif()
  endforeach()
  return()
endif()

file(REMOVE_RECURSE ${WORK_DIR})
set(consumer_args -DHOOKLINE_CONSUMER_MODE=${MODE})
if(MODE STREQUAL "find_package")
  install_hookline()
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
elseif(MODE STREQUAL "fetch_content")
  # A release-style archive of what a consumer needs (the tests, examples and benchmarks are off
  # when hookline is not the top-level project), fetched by URL from the local disk.
  set(staged ${WORK_DIR}/archive/hookline)
  file(MAKE_DIRECTORY ${staged})
  file(COPY ${SOURCE_DIR}/CMakeLists.txt ${SOURCE_DIR}/LICENSE ${SOURCE_DIR}/cmake ${SOURCE_DIR}/include
       DESTINATION ${staged})
  run(${CMAKE_COMMAND} -E chdir ${WORK_DIR}/archive ${CMAKE_COMMAND} -E tar czf ${WORK_DIR}/hookline.tar.gz hookline)
  list(APPEND consumer_args -DHOOKLINE_ARCHIVE=file://${WORK_DIR}/hookline.tar.gz)
else()
  list(APPEND consumer_args -DHOOKLINE_SOURCE_DIR=${SOURCE_DIR})
endif()
run(${CMAKE_COMMAND} --no-warn-unused-cli -S ${CONSUMER_DIR} -B ${WORK_DIR}/consumer-build ${consumer_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run(${WORK_DIR}/consumer-build/${CONSUMER_EXE})
if(EXISTS ${WORK_DIR}/consumer-build/${CONSUMER_EXE}_sqlite)
  run(${WORK_DIR}/consumer-build/${CONSUMER_EXE}_sqlite)
endif()
if(EXISTS ${WORK_DIR}/consumer-build/${CONSUMER_EXE}_beast)
  run(${WORK_DIR}/consumer-build/${CONSUMER_EXE}_beast)
endif()
message(STATUS "${CONSUMER_DIR} built with ${MODE} and ran")
