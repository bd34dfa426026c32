# libFuzzer target of presence (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/sip_presence/ (first byte: watcher, answer to
# the last NOTIFY, event, tick).
ward_fuzz_target(fuzz_sip_presence
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_presence.c ward_sip)
