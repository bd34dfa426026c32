# Presence's system tests (included from tests/CMakeLists.txt): SIPp
# watchers against ward_sipd (sip.cmake builds it) and against wardd.
ward_system_test(system_sip_presence system/test_sip_presence.sh)
ward_system_test(system_sip_presence_wardd system/test_sip_presence_wardd.sh)
set_tests_properties(system_sip_presence_wardd PROPERTIES RESOURCE_LOCK wardd)
