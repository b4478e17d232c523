# The runner: plays scenarios through a RuntimeDriver (runner.h), and the selection of what a run
# takes (selection.h). Included from CMakeLists.txt.
rpcfit_module(NAME runner
  SOURCES client_thread.cc journal.cc playback.cc runner.cc selection.cc
  DEPS rpcfit::run)

rpcfit_test(NAME runner_test LABEL component
  SOURCES runner_test.cc selection_test.cc fake_driver.cc
  DEPS rpcfit::runner)
