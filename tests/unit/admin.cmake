# Unit tests of node/admin (included from tests/CMakeLists.txt).
if(TARGET ward_admin)
  # Secrets must be compared in constant time: the test counts the calls.
  ward_unit_test(test_admin_auth SOURCES unit/test_admin_auth.c
    LIBS ward_admin)
  target_link_options(test_admin_auth PRIVATE -Wl,--wrap=CRYPTO_memcmp)
  ward_unit_test(test_admin_req SOURCES unit/test_admin_req.c
    LIBS ward_admin)
  ward_unit_test(test_admin_gate SOURCES unit/test_admin_gate.c
    LIBS ward_admin)
  ward_unit_test(test_admin_wipe SOURCES unit/test_admin_wipe.c
    LIBS ward_admin)
endif()
if(TARGET ward_admin AND TARGET ward_node)
  # In-process: real store, real single-node Raft, HTTPS through libcurl.
  find_package(Threads REQUIRED)
  foreach(t e2e cluster prov shutdown forward)
    ward_unit_test(test_admin_${t}
      SOURCES unit/test_admin_${t}.c unit/test_admin_harness.c
      LIBS ward_admin ward_node PkgConfig::CURL Threads::Threads)
  endforeach()
endif()
if(TARGET ward_admin AND TARGET ward_node)
  # Certificates, trust store, tokens, CTL and security mode, end to end;
  # the committed trust-list test keys stand in for security tokens.
  foreach(t pki pki_ctl)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_admin_${t}.c)
      ward_unit_test(test_admin_${t}
        SOURCES unit/test_admin_${t}.c unit/test_admin_pki_fixture.c
          unit/test_admin_harness.c unit/test_trustlist_fixture.c
        LIBS ward_admin ward_node ward_pki ward_trustlist PkgConfig::CURL
          Threads::Threads)
      target_compile_definitions(test_admin_${t} PRIVATE
        TRUSTLIST_TEST_DATA="${CMAKE_CURRENT_SOURCE_DIR}/unit/data/trustlist")
    endif()
  endforeach()
endif()
