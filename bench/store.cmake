# Benchmarks of store/ (included from bench/CMakeLists.txt). Not tests.
add_executable(bench_store_apply ${CMAKE_CURRENT_SOURCE_DIR}/store_apply.c)
target_link_libraries(bench_store_apply PRIVATE ward_store)
add_executable(bench_store_growth ${CMAKE_CURRENT_SOURCE_DIR}/store_growth.c)
target_link_libraries(bench_store_growth PRIVATE ward_store)
add_executable(bench_dialplan_route ${CMAKE_CURRENT_SOURCE_DIR}/dialplan_route.c)
target_link_libraries(bench_dialplan_route PRIVATE ward_store)
