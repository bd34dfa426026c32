ward_system_test(system_cluster system/test_cluster.sh)
ward_system_test(system_datadir system/test_datadir.sh)
ward_system_test(system_security system/test_security.sh)
ward_system_test(system_readme system/test_readme.sh)
ward_system_test(system_provisioning system/test_provisioning.sh)
ward_system_test(system_failover system/test_failover.sh)
# They start several real nodes and time elections: one at a time
# (RESOURCE_LOCK wardd). A test of one node, on its own free ports
# (node_conf), runs beside them.
set_tests_properties(system_cluster system_datadir system_security system_readme
  system_provisioning system_failover
  PROPERTIES RESOURCE_LOCK wardd)
ward_system_test(system_store_growth system/test_store_growth.sh)
ward_system_test(system_store_diskfull system/test_store_diskfull.sh)
ward_system_test(system_store_failed system/test_store_failed.sh)
set_tests_properties(system_store_growth system_store_diskfull
  system_store_failed
  PROPERTIES RESOURCE_LOCK wardd)
# A later C-raft's raft_version_number(), preloaded by test_datadir.sh.
add_library(fake_raft_version SHARED system/fake_raft_version.c)
ward_system_test(system_tftp system/test_tftp.sh)
set_tests_properties(system_tftp PROPERTIES RESOURCE_LOCK wardd)
ward_system_test(system_tftp_enc system/test_tftp_enc.sh)
ward_system_test(system_tftp_srst system/test_tftp_srst.sh)
ward_system_test(system_tftp_mic system/test_tftp_mic.sh)
set_tests_properties(system_tftp_mic PROPERTIES RESOURCE_LOCK wardd)
ward_system_test(system_tftp_gc system/test_tftp_gc.sh)
ward_system_test(system_privdrop system/test_privdrop.sh)
ward_system_test(system_capf system/test_capf.sh)
ward_system_test(system_capf_est system/test_capf_est.sh)
ward_system_test(system_capf_cluster system/test_capf_cluster.sh)
set_tests_properties(system_capf_cluster PROPERTIES RESOURCE_LOCK wardd)
ward_system_test(system_dialplan system/test_dialplan.sh)
