# The client of bench/sip_tls.sh's registrations over persistent TLS
# connections (included from bench/CMakeLists.txt; not a test). The
# digest answers are ward's own (ward_sip's uac_auth).
if(TARGET ward_sip)
  add_library(bench_sip_tls_client STATIC
    ${CMAKE_CURRENT_LIST_DIR}/sip_tls_client.c)
  target_link_libraries(bench_sip_tls_client PUBLIC ward_sip
    PkgConfig::OPENSSL)
  add_executable(bench_sip_tls_register
    ${CMAKE_CURRENT_LIST_DIR}/sip_tls_register.c)
  target_link_libraries(bench_sip_tls_register PRIVATE bench_sip_tls_client)
  # The client of bench/sip_tls_call.sh: call set-ups over persistent TLS.
  add_executable(bench_sip_tls_call ${CMAKE_CURRENT_LIST_DIR}/sip_tls_call.c)
  target_link_libraries(bench_sip_tls_call PRIVATE bench_sip_tls_client)
endif()
