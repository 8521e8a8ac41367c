# Checks the Conan recipes (conanfile.py and test_package/conanfile.py) with python3, as far as that
# is possible without Conan, which cannot be installed here: byte-compiles them (compiled files go to
# WORK_DIR, never next to the sources), then check_conan_recipe.py loads them against a stand-in for
# the `conan` module and checks what they declare. Invoked by ctest: cmake -DSOURCE_DIR=... -DWORK_DIR=... -P check_recipes.cmake
# Without python3 it prints "HOOKLINE_TEST_SKIPPED: ..." (ctest's SKIP_REGULAR_EXPRESSION).
cmake_minimum_required(VERSION 3.20)

find_program(PYTHON3 NAMES python3)
if(NOT PYTHON3)
  message("HOOKLINE_TEST_SKIPPED: python3 not found, the Conan recipes were not checked")
  return()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E env PYTHONPYCACHEPREFIX=${WORK_DIR}/pycache
                        ${PYTHON3} -m py_compile ${SOURCE_DIR}/conanfile.py ${SOURCE_DIR}/test_package/conanfile.py
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "python3 -m py_compile failed (${rc}):\n${out}\n${err}")
endif()
message(STATUS "conanfile.py and test_package/conanfile.py compile (${PYTHON3})")
execute_process(COMMAND ${PYTHON3} -B ${CMAKE_CURRENT_LIST_DIR}/check_conan_recipe.py ${SOURCE_DIR}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "check_conan_recipe.py failed (${rc}):\n${out}\n${err}")
endif()
message(STATUS "${out}")
