# common/: helpers every folder links.
ward_unit_test(test_hex SOURCES unit/test_hex.c LIBS ward_common)
ward_unit_test(test_file SOURCES unit/test_file.c LIBS ward_common)
ward_unit_test(test_addr SOURCES unit/test_addr.c LIBS ward_common)
ward_unit_test(test_http_reason SOURCES unit/test_http_reason.c LIBS ward_common)
