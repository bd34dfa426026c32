# Unit tests of store/ (included from tests/CMakeLists.txt).
ward_unit_test(test_store_codec
  SOURCES unit/test_store_codec.c
  LIBS ward_store)
foreach(t apply params snapshot env)
  ward_unit_test(test_store_${t}
    SOURCES unit/test_store_${t}.c unit/test_store_fixture.c
    LIBS ward_store)
endforeach()
