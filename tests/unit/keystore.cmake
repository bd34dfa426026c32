# keystore/: the KEK and unwrapped private keys (included from
# tests/CMakeLists.txt).
ward_unit_test(test_keystore SOURCES unit/test_keystore.c LIBS ward_keystore
  Threads::Threads)
