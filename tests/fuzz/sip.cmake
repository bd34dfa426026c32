# libFuzzer target of node/sip (included from tests/fuzz/CMakeLists.txt).
# Seeds: tests/fuzz/corpus/sip_ingress/ (first byte picks the peer).
ward_fuzz_target(fuzz_sip_ingress ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_ingress.c
  ward_sip)
# Seeds: tests/fuzz/corpus/x509match/ (a trunk profile's subject names).
ward_fuzz_target(fuzz_x509match ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_x509match.c
  ward_sip)
# The B2BUA's SDP leg rule. Seeds: tests/fuzz/corpus/sip_call_sdp/.
ward_fuzz_target(fuzz_sip_call_sdp
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_call_sdp.c ward_sip)
# Seeds: tests/fuzz/corpus/sip_uac_auth/ (trunks' 401/407 responses).
ward_fuzz_target(fuzz_sip_uac_auth
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_uac_auth.c ward_sip)
# The caller assertion between nodes. Seeds: tests/fuzz/corpus/sip_call_node/.
ward_fuzz_target(fuzz_sip_call_node
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_call_node.c ward_sip)
# The Join header of a barge (RFC 3911). Seeds: tests/fuzz/corpus/sip_call_join/.
ward_fuzz_target(fuzz_sip_call_join
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_call_join.c ward_sip)
# Presence across nodes: a member's PUBLISH body. Seeds:
# tests/fuzz/corpus/sip_presence_node/ (first byte: odd dialog, even watch).
ward_fuzz_target(fuzz_sip_presence_node
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_presence_node.c ward_sip)
# The overload probe's Call-ID check. Seeds: tests/fuzz/corpus/sip_overload/.
ward_fuzz_target(fuzz_sip_overload
  ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_sip_overload.c ward_sip)
