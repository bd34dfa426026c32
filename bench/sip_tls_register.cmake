# The client of bench/sip_tls.sh's registrations over persistent TLS
# connections (included from bench/CMakeLists.txt; not a test).
if(TARGET ward_sip)
  add_executable(bench_sip_tls_register
    ${CMAKE_CURRENT_LIST_DIR}/sip_tls_register.c)
  target_link_libraries(bench_sip_tls_register PRIVATE ward_sip PkgConfig::OPENSSL)
endif()
