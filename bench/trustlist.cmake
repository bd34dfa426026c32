# Benchmarks of trustlist/ (included from bench/CMakeLists.txt). Not tests.
add_executable(bench_trustlist_sign ${CMAKE_CURRENT_SOURCE_DIR}/trustlist_sign.c)
target_link_libraries(bench_trustlist_sign PRIVATE ward_trustlist)
target_compile_definitions(bench_trustlist_sign PRIVATE
  BENCH_DATA="${CMAKE_SOURCE_DIR}/tests/unit/data/trustlist")
