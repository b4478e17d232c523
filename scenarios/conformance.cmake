# The conformance suite in ctest: every scenario under scenarios/ is one test, labelled
# conformance and named after its id (conformance/timeout/co/hung-server-finite), each a run of
# that scenario's file through rpcfit against its golden capture, with a run folder of its own
# under <build>/conformance/. The tests are listed when ctest starts (`rpcfit list --json`), so a
# new scenario file needs no CMake change. Included from the top-level CMakeLists.txt once the
# rpcfit target exists.
#
# Time scale: RPCFIT_CONFORMANCE_TIME_SCALE and RPCFIT_CONFORMANCE_TOLERANCE_SCALE
# (cmake/RpcfitOptions.cmake: 0.25, 0.5 under ASan, 1 under TSan).
if(NOT RPCFIT_BUILD_TESTS OR NOT TARGET rpcfit)
  return()
endif()

set(RPCFIT_CONFORMANCE_SCENARIOS "${CMAKE_CURRENT_LIST_DIR}")
set(RPCFIT_CONFORMANCE_OUT "${CMAKE_BINARY_DIR}/conformance")
configure_file("${CMAKE_CURRENT_LIST_DIR}/conformance_tests.cmake.in"
               "${CMAKE_BINARY_DIR}/conformance_tests.cmake.gen" @ONLY)
file(GENERATE OUTPUT "${CMAKE_BINARY_DIR}/conformance_tests.cmake"
     INPUT "${CMAKE_BINARY_DIR}/conformance_tests.cmake.gen")
set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES
             "${CMAKE_BINARY_DIR}/conformance_tests.cmake")
