ward_system_test(system_cluster system/test_cluster.sh)
ward_system_test(system_datadir system/test_datadir.sh)
ward_system_test(system_security system/test_security.sh)
ward_system_test(system_readme system/test_readme.sh)
# They start real nodes and time elections: one at a time.
set_tests_properties(system_cluster system_datadir system_security system_readme
  PROPERTIES RESOURCE_LOCK wardd)
