# Unit tests of presence (included from tests/CMakeLists.txt).
if(TARGET ward_sip)
  ward_unit_test(test_sip_presence SOURCES unit/test_sip_presence.c
    LIBS ward_sip)
endif()
