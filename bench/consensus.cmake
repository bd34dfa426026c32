# Benchmarks of consensus/ (included from bench/CMakeLists.txt). Not tests.
add_library(bench_raft_node STATIC ${CMAKE_CURRENT_LIST_DIR}/raft_node.c)
target_link_libraries(bench_raft_node PUBLIC ward_consensus)
add_executable(bench_raft_commits ${CMAKE_CURRENT_LIST_DIR}/raft_commits.c)
target_link_libraries(bench_raft_commits PRIVATE bench_raft_node)
add_executable(bench_raft_failover ${CMAKE_CURRENT_LIST_DIR}/raft_failover.c)
target_link_libraries(bench_raft_failover PRIVATE bench_raft_node)
