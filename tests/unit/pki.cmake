# Unit tests of pki/ (included from tests/CMakeLists.txt).
foreach(t issue trust wrap)
  ward_unit_test(test_pki_${t}
    SOURCES unit/test_pki_${t}.c unit/test_pki_fixture.c
    LIBS ward_pki ward_store)
endforeach()
ward_unit_test(test_pki_lsc SOURCES unit/test_pki_lsc.c LIBS ward_pki)
