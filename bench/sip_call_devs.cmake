# Benchmark of max_calls_per_device's counts (included from
# bench/CMakeLists.txt; not a test: docs/sip.md gives the figures).
if(TARGET ward_sip)
  add_executable(bench_sip_call_devs ${CMAKE_CURRENT_LIST_DIR}/sip_call_devs.c)
  target_link_libraries(bench_sip_call_devs PRIVATE ward_sip)
endif()
