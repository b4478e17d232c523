# Project-wide compile settings, applied per target through rpcfit_target().

add_library(rpcfit_warnings INTERFACE)
target_compile_options(rpcfit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
  -Wswitch-enum)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(rpcfit_warnings INTERFACE -Wduplicated-cond -Wlogical-op)
endif()
option(RPCFIT_WERROR "Treat warnings as errors" ON)
if(RPCFIT_WERROR)
  target_compile_options(rpcfit_warnings INTERFACE -Werror)
endif()

add_library(rpcfit_sanitizers INTERFACE)
if(RPCFIT_SANITIZE)
  string(REPLACE ";" "," _san "${RPCFIT_SANITIZE}")
  target_compile_options(rpcfit_sanitizers INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer
                         -fno-sanitize-recover=all)
  target_link_options(rpcfit_sanitizers INTERFACE -fsanitize=${_san})
endif()

# The time scale scenarios run at in the tests (the conformance suite, scenarios/conformance.cmake,
# and the CLI's whole-suite test): sanitizer builds run slower, and a scenario's first instants
# (50 to 100 ms) must leave room to connect and bind.
if(RPCFIT_SANITIZE MATCHES "thread")
  set(_conformance_scale 1)
elseif(RPCFIT_SANITIZE MATCHES "address")
  set(_conformance_scale 0.5)
else()
  set(_conformance_scale 0.25)
endif()
set(RPCFIT_CONFORMANCE_TIME_SCALE "${_conformance_scale}" CACHE STRING
    "rpcfit run --time-scale of the conformance tests")
set(RPCFIT_CONFORMANCE_TOLERANCE_SCALE 2 CACHE STRING
    "rpcfit run --tolerance-scale of the conformance tests")

# rpcfit_module(NAME <name> SOURCES ... DEPS ...): one static library per module with an
# rpcfit::<name> alias.
function(rpcfit_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(rpcfit_${M_NAME} STATIC ${M_SOURCES})
  add_library(rpcfit::${M_NAME} ALIAS rpcfit_${M_NAME})
  target_include_directories(rpcfit_${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(rpcfit_${M_NAME} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS}
                        rpcfit_warnings rpcfit_sanitizers)
endfunction()

# rpcfit_test(NAME <name> LABEL <unit|component|integration|conformance> [TIMEOUT <s, 180>]
#             SOURCES ... DEPS ...)
function(rpcfit_test)
  cmake_parse_arguments(T "" "NAME;LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 180)
  endif()
  if(NOT RPCFIT_BUILD_TESTS)
    return()
  endif()
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} GTest::gmock_main rpcfit_warnings
                        rpcfit_sanitizers)
  target_compile_definitions(${T_NAME} PRIVATE
    RPCFIT_PUBLIC_CAPTURES="${RPCFIT_PUBLIC_CAPTURES}"
    RPCFIT_SPEC_DIR="${RPCFIT_SPEC_DIR}"
    RPCFIT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  gtest_discover_tests(${T_NAME} PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
                       DISCOVERY_TIMEOUT 60)
endfunction()

# rpcfit_fuzzer(NAME <name> SOURCES ... DEPS ...): a libFuzzer target (clang-fuzz preset only).
function(rpcfit_fuzzer)
  cmake_parse_arguments(F "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT RPCFIT_BUILD_FUZZERS)
    return()
  endif()
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_libraries(${F_NAME} PRIVATE ${F_DEPS} rpcfit_warnings rpcfit_sanitizers)
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  # `ctest --preset clang-fuzz`: a bounded, seeded smoke run of each target (tools/fuzz.sh runs
  # them for longer, on seeded corpora).
  add_test(NAME ${F_NAME}_smoke COMMAND ${F_NAME} -runs=200000 -seed=1 -timeout=10
                                        -rss_limit_mb=2048)
  set_tests_properties(${F_NAME}_smoke PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()
