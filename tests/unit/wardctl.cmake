# wardctl: the cluster tool (tools/wardctl), tested without a real node.
ward_unit_test(test_wardctl_cli SOURCES unit/test_wardctl_cli.c
  LIBS ward_wardctl)
ward_unit_test(test_wardctl_creds SOURCES unit/test_wardctl_creds.c
  LIBS ward_wardctl)
ward_unit_test(test_wardctl_pin SOURCES unit/test_wardctl_pin.c
  LIBS ward_wardctl)
ward_unit_test(test_wardctl_out SOURCES unit/test_wardctl_out.c
  LIBS ward_wardctl)
ward_unit_test(test_wardctl_http SOURCES unit/test_wardctl_http.c
  LIBS ward_wardctl)
# Every command through a TLS server on loopback that answers like a node.
find_package(Threads REQUIRED)
ward_unit_test(test_wardctl_e2e SOURCES unit/test_wardctl_e2e.c
  LIBS ward_wardctl Threads::Threads)
# --ca-fingerprint against a loopback server whose chain leads to a CA.
ward_unit_test(test_wardctl_capin SOURCES unit/test_wardctl_capin.c
  LIBS ward_wardctl Threads::Threads)
ward_unit_test(test_wardctl_pki_render SOURCES unit/test_wardctl_pki_render.c
  LIBS ward_wardctl)
# The certificate, token, CTL and security commands against a real node in
# this process (the admin tests' harness), with SoftHSM2 tokens.
if(TARGET ward_admin AND TARGET ward_node)
  ward_unit_test(test_wardctl_pki
    SOURCES unit/test_wardctl_pki.c unit/test_wardctl_runner.c
      unit/test_admin_pki_fixture.c
      unit/test_admin_harness.c unit/test_trustlist_fixture.c
    LIBS ward_wardctl ward_admin ward_node ward_pki ward_trustlist
      PkgConfig::CURL Threads::Threads)
  target_compile_definitions(test_wardctl_pki PRIVATE
    TRUSTLIST_TEST_DATA="${CMAKE_CURRENT_SOURCE_DIR}/unit/data/trustlist")
endif()
# The provisioning groups and CSV import against a real node in this
# process (the admin tests' harness).
if(TARGET ward_admin AND TARGET ward_node)
  ward_unit_test(test_wardctl_prov
    SOURCES unit/test_wardctl_prov.c unit/test_wardctl_runner.c
      unit/test_admin_harness.c
    LIBS ward_wardctl ward_admin ward_node ward_pki PkgConfig::CURL
      Threads::Threads)
endif()
