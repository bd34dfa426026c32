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
# cluster_tls_refuse: the mutual-TLS transport against peers that must not
# get in (plain TCP, foreign CA, wrong id or role, impostor servers).
ward_unit_test(cluster_tls_refuse
  SOURCES cluster/test_cluster_tls_refuse.c cluster/test_cluster_tls_util.c
          cluster/cluster_util.c
  LIBS ward_consensus)
set_tests_properties(cluster_tls_refuse PROPERTIES LABELS cluster)
# cluster_tls: a cluster over mutual TLS, what crosses the wire, certificate
# reload, files refused at start.
ward_unit_test(cluster_tls
  SOURCES cluster/test_cluster_tls.c cluster/test_cluster_tls_util.c
          cluster/cluster_util.c
  LIBS ward_consensus)
set_tests_properties(cluster_tls PROPERTIES LABELS cluster)
# cluster_fsm: a store that cannot apply (full disk, failed state machine)
# under the real threaded servers.
ward_unit_test(cluster_fsm
  SOURCES cluster/test_cluster_fsm.c cluster/cluster_util.c
  LIBS ward_consensus)
set_tests_properties(cluster_fsm PROPERTIES LABELS cluster)
