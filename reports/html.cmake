# The HTML rendering (html.h) and its sequence diagrams (sequence_svg.h).
target_sources(rpcfit_reports PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/html.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/html_section.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/html_assets.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/sequence_svg.cc)
rpcfit_test(NAME reports_html_test LABEL unit
  SOURCES html_test.cc sequence_svg_test.cc
  DEPS rpcfit_reports_samples)
