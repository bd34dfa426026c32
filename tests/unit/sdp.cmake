# sdp/: SDP and SDES parsing and writing.
ward_unit_test(test_sdp SOURCES unit/test_sdp.c LIBS ward_sdp)
ward_unit_test(test_sdp_sdes SOURCES unit/test_sdp_sdes.c LIBS ward_sdp)
