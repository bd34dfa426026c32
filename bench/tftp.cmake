# Benchmarks of the TFTP role (included from bench/CMakeLists.txt). Not
# tests: bench/tftp.sh runs them and prints the figures.
add_executable(bench_tftp_serve ${CMAKE_CURRENT_LIST_DIR}/tftp_serve.c)
add_executable(bench_tftp_fleet ${CMAKE_CURRENT_LIST_DIR}/tftp_fleet.c)
add_executable(bench_tftp_resign ${CMAKE_CURRENT_LIST_DIR}/tftp_resign.c)
target_link_libraries(bench_tftp_resign PRIVATE ward_tftp ward_pki
  ward_store PkgConfig::OPENSSL)
add_executable(bench_tftp_gc ${CMAKE_CURRENT_LIST_DIR}/tftp_gc.c)
target_link_libraries(bench_tftp_gc PRIVATE ward_store)
