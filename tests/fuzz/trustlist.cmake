# libFuzzer target of trustlist/ (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/trustlist_parse/ (the golden files).
ward_fuzz_target(fuzz_trustlist_parse
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_trustlist_parse.c ward_trustlist)
target_compile_definitions(fuzz_trustlist_parse PRIVATE
  TRUSTLIST_FUZZ_DATA="${CMAKE_SOURCE_DIR}/tests/unit/data/trustlist")
