# libFuzzer target of node/keymgr/'s SDP rewrite (included from
# tests/fuzz/CMakeLists.txt). Seeds: tests/fuzz/corpus/keymgr_sdpmap/.
if(TARGET ward_keymgr)
  ward_fuzz_target(fuzz_keymgr_sdpmap
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_keymgr_sdpmap.c ward_keymgr)
endif()
# The RTP header the conference mixer reads. Seeds:
# tests/fuzz/corpus/keymgr_mixer_rtp/.
if(TARGET ward_keymgr)
  ward_fuzz_target(fuzz_keymgr_mixer_rtp
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_keymgr_mixer_rtp.c ward_keymgr)
endif()
# The RTCP a conference party sends the mixer, and the mixer's own
# report. Seeds: tests/fuzz/corpus/keymgr_mixer_rtcp/.
if(TARGET ward_keymgr)
  ward_fuzz_target(fuzz_keymgr_mixer_rtcp
    ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_keymgr_mixer_rtcp.c ward_keymgr)
endif()
