# The signaling role's system tests (included from tests/CMakeLists.txt):
# ward_sipd runs the role over an in-memory directory; SIPp and our own
# clients talk to it on loopback.
if(TARGET ward_sip)
  add_executable(ward_sipd ${CMAKE_CURRENT_LIST_DIR}/ward_sipd.c)
  target_link_libraries(ward_sipd PRIVATE ward_sip)
endif()
ward_system_test(system_sip_digest system/test_sip_digest.sh)
ward_system_test(system_sip_tls system/test_sip_tls.sh)
ward_system_test(system_sip_linphone system/test_sip_linphone.sh)
ward_system_test(system_sip_trunk_tls system/test_sip_trunk_tls.sh)
ward_system_test(system_sip_torture system/test_sip_torture.sh)
ward_system_test(system_sip_trunk_wardd system/test_sip_trunk_wardd.sh)
set_tests_properties(system_sip_trunk_wardd PROPERTIES RESOURCE_LOCK wardd)
ward_system_test(system_sip_wardd system/test_sip_wardd.sh)
set_tests_properties(system_sip_wardd PROPERTIES RESOURCE_LOCK wardd)
ward_system_test(system_sip_call system/test_sip_call.sh)
ward_system_test(system_sip_call_wardd system/test_sip_call_wardd.sh)
set_tests_properties(system_sip_call_wardd PROPERTIES RESOURCE_LOCK wardd)
ward_system_test(system_media_wardd system/test_media_wardd.sh)
set_tests_properties(system_media_wardd PROPERTIES RESOURCE_LOCK wardd)
# One phone's SRTP media for test_media_keys_wardd.sh (srtpcall.py runs
# two).
if(TARGET ward_keymgr)
  add_executable(srtp_peer ${CMAKE_CURRENT_LIST_DIR}/srtp_peer.c)
  target_link_libraries(srtp_peer PRIVATE ward_keymgr)
endif()
ward_system_test(system_media_keys_wardd system/test_media_keys_wardd.sh)
set_tests_properties(system_media_keys_wardd PROPERTIES RESOURCE_LOCK wardd)
