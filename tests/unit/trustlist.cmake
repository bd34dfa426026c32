# Unit tests of trustlist/ (included from tests/CMakeLists.txt).
# Data: fixed keys, certificates and golden files in unit/data/trustlist/.
foreach(t codec golden corrupt continuity interop token sgn)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_trustlist_${t}.c)
    ward_unit_test(test_trustlist_${t}
      SOURCES unit/test_trustlist_${t}.c unit/test_trustlist_fixture.c
      LIBS ward_trustlist)
    target_compile_definitions(test_trustlist_${t} PRIVATE
      TRUSTLIST_TEST_DATA="${CMAKE_CURRENT_SOURCE_DIR}/unit/data/trustlist")
  endif()
endforeach()
