# Unit tests of the signaling role (included from tests/CMakeLists.txt).
if(TARGET ward_sip)
  foreach(t sip_digest sip_registrar sip_core)
    ward_unit_test(test_${t} SOURCES unit/test_${t}.c LIBS ward_sip)
  endforeach()
endif()
