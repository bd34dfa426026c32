# Cluster tests of consensus/ (included from tests/CMakeLists.txt).
# cluster_raft: raft_fixture, deterministic, real stores.
ward_unit_test(cluster_raft
  SOURCES cluster/test_cluster_raft.c cluster/raft_cluster.c
          cluster/cluster_util.c
  LIBS ward_consensus)
set_tests_properties(cluster_raft PROPERTIES LABELS cluster)
# cluster_consensus: the real threaded server, TCP on loopback, temp dirs.
ward_unit_test(cluster_consensus
  SOURCES cluster/test_cluster_consensus.c cluster/cluster_util.c
  LIBS ward_consensus)
set_tests_properties(cluster_consensus PROPERTIES LABELS cluster)
