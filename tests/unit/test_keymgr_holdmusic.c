/* holdmusic: the operator's file read within bounds, and µ-law turned
 * into A-law the way G.711 says (silence stays silence, the loudest
 * samples stay the loudest, signs are kept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "node/keymgr/holdmusic.h"

static void write_file(const char *path, size_t n, uint8_t byte)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc(byte, f);
	fclose(f);
}

static void test_holdmusic_ulaw_to_alaw_known_values(void **state)
{
	(void)state;
	/* µ-law's two zeros (0xFF, 0x7F) are linear 0: A-law's 0xD5 */
	assert_int_equal(holdmusic_ulaw_to_alaw(0xff), 0xd5);
	assert_int_equal(holdmusic_ulaw_to_alaw(0x7f), 0xd5);
	/* µ-law's loudest (0x80 +32124, 0x00 -32124) are A-law's top
	 * codes, 0xAA and 0x2A */
	assert_int_equal(holdmusic_ulaw_to_alaw(0x80), 0xaa);
	assert_int_equal(holdmusic_ulaw_to_alaw(0x00), 0x2a);
	/* a small positive sample stays small and positive: µ 0xF0 is
	 * +120, A-law segment 0 step 7 (120 / 16), 0x07 ^ 0xD5 = 0xD2 */
	assert_int_equal(holdmusic_ulaw_to_alaw(0xf0), 0xd2);
}

static void test_holdmusic_loads_both_laws_within_bounds(void **state)
{
	char path[] = "/tmp/test_holdmusic.XXXXXX";
	int fd = mkstemp(path);
	struct holdmusic m;
	char err[256];

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, 1600, 0xff); /* 200 ms of silence */
	assert_int_equal(holdmusic_load(&m, path, err, sizeof err), 0);
	assert_int_equal(m.len, 1600);
	assert_int_equal(m.pcmu[0], 0xff);
	assert_int_equal(m.pcma[1599], 0xd5);
	holdmusic_free(&m);
	holdmusic_free(&m); /* a freed one is zeroed: again is fine */

	write_file(path, 100, 0xff); /* shorter than one packet */
	assert_int_equal(holdmusic_load(&m, path, err, sizeof err), -1);
	assert_non_null(strstr(err, "100 bytes"));
	assert_null(m.pcmu);
	unlink(path);
	assert_int_equal(holdmusic_load(&m, path, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_holdmusic_ulaw_to_alaw_known_values),
	    cmocka_unit_test(test_holdmusic_loads_both_laws_within_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
