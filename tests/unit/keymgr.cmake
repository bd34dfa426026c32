# node/keymgr: key sets, leg rules, call security level, the media relay.
if(TARGET ward_keymgr)
  ward_unit_test(test_keymgr SOURCES unit/test_keymgr.c LIBS ward_keymgr)
endif()
if(TARGET ward_keymgr)
  ward_unit_test(test_keymgr_relay SOURCES unit/test_keymgr_relay.c
    LIBS ward_keymgr)
  ward_unit_test(test_keymgr_mixer SOURCES unit/test_keymgr_mixer.c
    LIBS ward_keymgr m)
endif()
if(TARGET ward_keymgr)
  ward_unit_test(test_keymgr_holdmusic SOURCES unit/test_keymgr_holdmusic.c
    LIBS ward_keymgr)
  ward_unit_test(test_keymgr_sdpmap SOURCES unit/test_keymgr_sdpmap.c
    LIBS ward_keymgr)
endif()
# wardd's media table with its thread: SRTP end to end, key hygiene.
if(TARGET ward_media)
  ward_unit_test(test_wardd_media SOURCES unit/test_wardd_media.c
    LIBS ward_media)
endif()
# Authorised capture: the key log, and wardd's windows over the store.
if(TARGET ward_media)
  ward_unit_test(test_wardd_capture SOURCES unit/test_wardd_capture.c
    unit/test_store_fixture.c LIBS ward_media ward_store)
  target_compile_definitions(test_wardd_capture PRIVATE
    WARD_SRC_DIR="${CMAKE_SOURCE_DIR}")
endif()
