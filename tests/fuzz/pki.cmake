# libFuzzer targets of pki/ (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/pki_cert/, tests/fuzz/corpus/pki_unwrap/.
ward_fuzz_target(fuzz_pki_cert ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_pki_cert.c
  ward_pki)
ward_fuzz_target(fuzz_pki_unwrap
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_pki_unwrap.c ward_pki)
