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
