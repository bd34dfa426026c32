# Benchmarks of the admin API (included from bench/CMakeLists.txt). Not tests.
add_executable(bench_tls_handshakes ${CMAKE_CURRENT_LIST_DIR}/tls_handshakes.c)
target_link_libraries(bench_tls_handshakes PRIVATE PkgConfig::OPENSSL)
# Writes through a follower while the leader is killed (admin_failover.sh).
add_executable(bench_admin_writer ${CMAKE_CURRENT_LIST_DIR}/admin_writer.c)
target_link_libraries(bench_admin_writer PRIVATE PkgConfig::CURL)
