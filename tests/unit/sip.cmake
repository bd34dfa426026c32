# Unit tests of the signaling role (included from tests/CMakeLists.txt).
if(TARGET ward_sip)
  foreach(t sip_digest sip_registrar sip_core sip_uac_auth)
    ward_unit_test(test_${t} SOURCES unit/test_${t}.c LIBS ward_sip)
  endforeach()
endif()
if(TARGET ward_sip)
  ward_unit_test(test_sip_robustness SOURCES unit/test_sip_robustness.c
    LIBS ward_sip)
  target_compile_definitions(test_sip_robustness PRIVATE
    WARD_SIP_CORPUS="${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/sip_ingress")
endif()
