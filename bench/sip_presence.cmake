# Benchmark of presence (included from bench/CMakeLists.txt).
# Not tests: run them by hand (docs/sip.md gives the figures).
if(TARGET ward_sip)
  add_executable(bench_sip_presence ${CMAKE_CURRENT_LIST_DIR}/sip_presence.c)
  target_link_libraries(bench_sip_presence PRIVATE ward_sip)
endif()
