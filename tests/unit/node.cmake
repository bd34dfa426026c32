# Unit tests of wardd's PKI plumbing in node/ (included from
# tests/CMakeLists.txt).
if(TARGET ward_node)
  foreach(t certs_nodepki)
    ward_unit_test(test_${t}
      SOURCES unit/test_${t}.c unit/test_certs_fixture.c
      LIBS ward_node)
  endforeach()
endif()
