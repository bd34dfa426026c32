# Benchmark of the CAPF role (included from bench/CMakeLists.txt). Not a
# test: bench/capf.sh runs it against a real wardd and prints the figures.
find_package(Threads REQUIRED)
add_executable(bench_capf_enrol ${CMAKE_CURRENT_LIST_DIR}/capf_enrol.c)
target_link_libraries(bench_capf_enrol PRIVATE ward_capf_msg
  PkgConfig::OPENSSL Threads::Threads)
