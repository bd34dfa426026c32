# libFuzzer target of the TFTP role (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/tftp_packet/ (requests with and without options,
# followed by ACKs).
ward_fuzz_target(fuzz_tftp_packet
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_tftp_packet.c ward_tftp_packet)
