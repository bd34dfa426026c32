# Unit tests of wardd's PKI plumbing in node/ (included from
# tests/CMakeLists.txt): the shared pieces (nodepki), the certificate
# watcher (certs), the joining node's checks (join).
if(TARGET ward_node)
  foreach(t certs certs_nodepki join)
    ward_unit_test(test_${t}
      SOURCES unit/test_${t}.c unit/test_certs_fixture.c
      LIBS ward_node)
  endforeach()
endif()
