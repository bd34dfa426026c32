# Benchmarks of the key manager's media relay (included from
# bench/CMakeLists.txt). Not tests: bench/keymgr.sh runs them.
if(TARGET ward_keymgr)
  add_executable(bench_keymgr_srtp ${CMAKE_CURRENT_LIST_DIR}/keymgr_srtp.c)
  target_link_libraries(bench_keymgr_srtp PRIVATE ward_keymgr)
  add_executable(bench_keymgr_relay ${CMAKE_CURRENT_LIST_DIR}/keymgr_relay.c
    ${CMAKE_CURRENT_LIST_DIR}/relay_bench.c)
  target_link_libraries(bench_keymgr_relay PRIVATE ward_keymgr
    PkgConfig::EVENT)
  add_executable(bench_keymgr_jitter ${CMAKE_CURRENT_LIST_DIR}/keymgr_jitter.c
    ${CMAKE_CURRENT_LIST_DIR}/relay_bench.c)
  target_link_libraries(bench_keymgr_jitter PRIVATE ward_keymgr
    PkgConfig::EVENT Threads::Threads m)
  add_executable(bench_keymgr_mixer ${CMAKE_CURRENT_LIST_DIR}/keymgr_mixer.c
    ${CMAKE_CURRENT_LIST_DIR}/relay_bench.c)
  target_link_libraries(bench_keymgr_mixer PRIVATE ward_keymgr
    PkgConfig::EVENT)
endif()
if(TARGET ward_media)
  add_executable(bench_media_setup ${CMAKE_CURRENT_LIST_DIR}/media_setup.c)
  target_link_libraries(bench_media_setup PRIVATE ward_media)
endif()
if(TARGET ward_media)
  add_executable(bench_capture_keylog
    ${CMAKE_CURRENT_LIST_DIR}/capture_keylog.c)
  target_link_libraries(bench_capture_keylog PRIVATE ward_media ward_store)
endif()
