# libFuzzer targets of store/ (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/store_cmd/, tests/fuzz/corpus/store_records/.
ward_fuzz_target(fuzz_store_cmd ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_store_cmd.c
  ward_store)
ward_fuzz_target(fuzz_store_records
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_store_records.c ward_store)
# Seeds: tests/fuzz/corpus/capf_write/ (an install's outcome, a delete's).
ward_fuzz_target(fuzz_capf_write ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_capf_write.c
  ward_store)
# Seeds: tests/fuzz/corpus/dialplan/ (PATTERN NUL NUMBER).
ward_fuzz_target(fuzz_dialplan ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_dialplan.c
  ward_store)
