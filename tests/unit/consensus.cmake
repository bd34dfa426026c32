# Unit tests of consensus/ (included from tests/CMakeLists.txt); the cluster
# tests are in tests/cluster/consensus.cmake.
ward_unit_test(test_consensus
  SOURCES unit/test_consensus.c
  LIBS ward_consensus)
