# Builds tests/package/consumer against hookline, either installed into a temporary prefix and found
# with find_package (MODE=find_package), or pulled in with add_subdirectory (MODE=add_subdirectory),
# then runs the consumer. Invoked by ctest with -DSOURCE_DIR, -DWORK_DIR and -DMODE.
cmake_minimum_required(VERSION 3.20)

function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(consumer_args -DHOOKLINE_CONSUMER_MODE=${MODE})
if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/hookline-build -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix
      -DHOOKLINE_BUILD_TESTS=OFF -DHOOKLINE_BUILD_EXAMPLES=OFF -DHOOKLINE_BUILD_BENCHMARKS=OFF -DHOOKLINE_INSTALL=ON)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/hookline-build)
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  list(APPEND consumer_args -DHOOKLINE_SOURCE_DIR=${SOURCE_DIR})
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${WORK_DIR}/consumer-build ${consumer_args})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/consumer-build)
run(${WORK_DIR}/consumer-build/consumer)
if(EXISTS ${WORK_DIR}/consumer-build/consumer_sqlite)
  run(${WORK_DIR}/consumer-build/consumer_sqlite)
endif()
message(STATUS "consumer built with ${MODE} and ran")
