# libFuzzer target of the CAPF role (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/capf_msg/ (an auth response with a password, one
# with a certificate and SHA-2 signed data, a key generate response, a
# store certificate response, an end session, truncated and bad ones).
# msg.c is compiled into the target so the parser feeds coverage back.
ward_fuzz_target(fuzz_capf_msg ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_capf_msg.c)
target_sources(fuzz_capf_msg PRIVATE ${CMAKE_SOURCE_DIR}/node/capf/msg.c)
