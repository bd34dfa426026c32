# Unit test of the presence-group table (included from tests/CMakeLists.txt).
ward_unit_test(test_store_presence
  SOURCES unit/test_store_presence.c unit/test_store_fixture.c
  LIBS ward_store)
