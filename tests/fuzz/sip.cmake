# libFuzzer target of node/sip (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/sip_ingress/ (first byte picks the peer).
ward_fuzz_target(fuzz_sip_ingress ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_ingress.c
  ward_sip)
