# The conformance suite in ctest: every scenario under scenarios/ is one test, labelled
# conformance and named after its id (conformance/timeout/co/hung-server-finite), each a run of
# that scenario's file through rpcfit against its golden capture, with a run folder of its own
# under <build>/conformance/. The tests are listed when ctest starts (`rpcfit list --json`), so a
# new scenario file needs no CMake change. Included from the top-level CMakeLists.txt once the
# rpcfit target exists.
#
# Time scale: sanitizer builds run slower, and a scenario's first instants (50 to 100 ms) must
# leave room to connect and bind; RPCFIT_CONFORMANCE_TIME_SCALE overrides the default.
if(NOT RPCFIT_BUILD_TESTS OR NOT TARGET rpcfit)
  return()
endif()
if(RPCFIT_SANITIZE MATCHES "thread")
  set(conformance_default_scale 1)
elseif(RPCFIT_SANITIZE MATCHES "address")
  set(conformance_default_scale 0.5)
else()
  set(conformance_default_scale 0.25)
endif()
set(RPCFIT_CONFORMANCE_TIME_SCALE "${conformance_default_scale}" CACHE STRING
    "rpcfit run --time-scale of the conformance tests")
set(RPCFIT_CONFORMANCE_TOLERANCE_SCALE 2 CACHE STRING
    "rpcfit run --tolerance-scale of the conformance tests")

set(RPCFIT_CONFORMANCE_SCENARIOS "${CMAKE_CURRENT_LIST_DIR}")
set(RPCFIT_CONFORMANCE_OUT "${CMAKE_BINARY_DIR}/conformance")
configure_file("${CMAKE_CURRENT_LIST_DIR}/conformance_tests.cmake.in"
               "${CMAKE_BINARY_DIR}/conformance_tests.cmake.gen" @ONLY)
file(GENERATE OUTPUT "${CMAKE_BINARY_DIR}/conformance_tests.cmake"
     INPUT "${CMAKE_BINARY_DIR}/conformance_tests.cmake.gen")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES
             "${CMAKE_BINARY_DIR}/conformance_tests.cmake")
