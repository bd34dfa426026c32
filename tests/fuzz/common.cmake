# libFuzzer target of common/ (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/addr/. addr.c is compiled into the target itself
# so that the parser, not only the harness, feeds coverage back.
ward_fuzz_target(fuzz_addr ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_addr.c)
target_sources(fuzz_addr PRIVATE ${CMAKE_SOURCE_DIR}/common/addr.c)
