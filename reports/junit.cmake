# The JUnit XML and Markdown renderings of a run report (junit.h, markdown.h), and their tests.
# Included from CMakeLists.txt in this folder.
target_sources(rpcfit_reports PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/junit.cc
                                      ${CMAKE_CURRENT_SOURCE_DIR}/markdown.cc)

rpcfit_test(NAME reports_render_test LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/junit_test.cc ${CMAKE_CURRENT_SOURCE_DIR}/markdown_test.cc
  DEPS rpcfit_reports_samples)
if(TARGET reports_render_test)
  # The tests validate the XML they render against the schema of what junit.cc writes.
  target_compile_definitions(reports_render_test PRIVATE
    RPCFIT_JUNIT_XSD="${CMAKE_CURRENT_SOURCE_DIR}/junit.xsd")
endif()
