# Unit tests of the signaling role (included from tests/CMakeLists.txt).
if(TARGET ward_sip)
  foreach(t sip_digest sip_registrar sip_core sip_x509match sip_call_sdp
      sip_uac_auth sip_conn sip_call_trunk sip_call_node sip_presence_node
      sip_call_level sip_call_devs sip_overload)
    ward_unit_test(test_${t} SOURCES unit/test_${t}.c LIBS ward_sip)
  endforeach()
endif()
if(TARGET ward_sip)
  ward_unit_test(test_sip_robustness SOURCES unit/test_sip_robustness.c
    LIBS ward_sip)
  target_compile_definitions(test_sip_robustness PRIVATE
    WARD_SIP_CORPUS="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/sip_ingress")
endif()
# RFC 4475's messages (tests/unit/rfc4475/) through the parser and the core;
# the expanded seeds must match the messages as written.
if(TARGET ward_sip)
  ward_unit_test(test_sip_torture SOURCES unit/test_sip_torture.c
    LIBS ward_sip)
  target_compile_definitions(test_sip_torture PRIVATE
    WARD_SIP_CORPUS="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/sip_ingress")
  add_test(NAME test_sip_torture_seeds COMMAND python3
    ${CMAKE_CURRENT_SOURCE_DIR}/unit/rfc4475/expand.py --check
    ${CMAKE_CURRENT_SOURCE_DIR}/unit/rfc4475/messages.txt
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/sip_ingress)
  set_tests_properties(test_sip_torture_seeds PROPERTIES LABELS unit)
  ward_unit_test(test_sip_tls_reload
    SOURCES unit/test_sip_tls_reload.c unit/test_pki_fixture.c
    LIBS ward_sip ward_pki)
  ward_unit_test(test_sip_dialplan
    SOURCES unit/test_sip_dialplan.c unit/test_store_fixture.c
    LIBS ward_sip)
endif()
