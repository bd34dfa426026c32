# Unit tests of the TFTP role (node/tftp/, included from tests/CMakeLists.txt).
if(TARGET ward_tftp)
  ward_unit_test(test_tftp_packet
    SOURCES unit/test_tftp_packet.c
    LIBS ward_tftp_packet)
  ward_unit_test(test_tftp_files
    SOURCES unit/test_tftp_files.c unit/test_store_fixture.c
    LIBS ward_tftp ward_pki ward_trustlist ward_store)
  target_compile_definitions(test_tftp_files PRIVATE
    TFTP_INDEP_PY="${CMAKE_SOURCE_DIR}/tests/unit/data/trustlist/indep.py")
endif()
