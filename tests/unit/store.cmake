# Unit tests of store/ (included from tests/CMakeLists.txt).
foreach(t codec pki_codec)
  ward_unit_test(test_store_${t}
    SOURCES unit/test_store_${t}.c
    LIBS ward_store)
endforeach()
foreach(t apply audit params snapshot env pki_tables prov gate tftpfiles capf
    capf_write dialplan)
  ward_unit_test(test_store_${t}
    SOURCES unit/test_store_${t}.c unit/test_store_fixture.c
    LIBS ward_store)
endforeach()
