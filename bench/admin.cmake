# Benchmarks of the admin API (included from bench/CMakeLists.txt). Not tests.
add_executable(bench_tls_handshakes ${CMAKE_CURRENT_LIST_DIR}/tls_handshakes.c)
target_link_libraries(bench_tls_handshakes PRIVATE PkgConfig::OPENSSL)
