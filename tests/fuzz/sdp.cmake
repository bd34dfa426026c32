# libFuzzer targets of sdp/ (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/sdp/ and tests/fuzz/corpus/sdp_crypto/. The
# sources are compiled into each target so the parsers feed coverage back.
ward_fuzz_target(fuzz_sdp ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sdp.c ward_common
  PkgConfig::OPENSSL)
target_sources(fuzz_sdp PRIVATE ${CMAKE_SOURCE_DIR}/sdp/sdp_parse.c
  ${CMAKE_SOURCE_DIR}/sdp/sdp_write.c)
ward_fuzz_target(fuzz_sdp_crypto ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sdp_crypto.c
  PkgConfig::OPENSSL)
target_sources(fuzz_sdp_crypto PRIVATE ${CMAKE_SOURCE_DIR}/sdp/sdes.c)
