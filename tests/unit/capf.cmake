# Unit tests of the CAPF role (node/capf/, included from tests/CMakeLists.txt).
if(TARGET ward_capf_msg)
  ward_unit_test(test_capf_msg SOURCES unit/test_capf_msg.c
    LIBS ward_capf_msg)
endif()
