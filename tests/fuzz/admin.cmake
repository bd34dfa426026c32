# libFuzzer target of node/admin (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/admin_json/ (first byte picks the parser).
ward_fuzz_target(fuzz_admin_json ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_admin_json.c
  ward_admin)
