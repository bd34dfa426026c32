/* The ingress path against valid oddities and invalid messages (the fuzz
 * seeds in tests/fuzz/corpus/sip_ingress, in the manner of RFC 4475):
 * valid ones are answered, invalid ones get 400 or silence, none is taken
 * as a registration, and nothing crashes or leaks (run under ASan in
 * tests/run). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/core.h"
#include "node/sip/directory_mem.h"

static const char dirtext[] =
    "realm ward.test\n"
    "user alice pw\n"
    "device SEP001122334455 user=alice line=1001\n"
    "trunk closed addr=10.0.0.1\n"
    "trunk open addr=10.0.0.2 allow=refer,notify,replaces,presence\n";

static int run_seed(const char *name)
{
	static const char *const ips[] = {"192.0.2.1", "10.0.0.1", "10.0.0.2",
					  "192.0.2.9"};
	char path[512], err[128];
	struct sip_dirmem *mem;
	struct sip_directory dir;
	struct sip_core_config cfg;
	struct sip_core *core;
	struct sip_peer peer;
	struct sockaddr_in *a = (void *)&peer.addr;
	struct sip_reply rep;
	uint8_t buf[8192];
	size_t n;
	FILE *f;
	msg_t *m;

	snprintf(path, sizeof path, "%s/%s", WARD_SIP_CORPUS, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	assert_true(n > 1);
	assert_int_equal(sip_dirmem_parse(dirtext, &mem, err, sizeof err), 0);
	sip_dirmem_directory(mem, &dir);
	sip_core_config_defaults(&cfg);
	assert_int_equal(sip_core_new(&cfg, &dir, NULL, &core, err, sizeof err),
			 0);
	memset(&peer, 0, sizeof peer);
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ips[buf[0] & 3], &a->sin_addr);
	peer.transport = SIP_TP_UDP;
	m = msg_make(sip_default_mclass(), 0, buf + 1, n - 1);
	sip_core_handle(core, m ? sip_object(m) : NULL, n - 1, &peer,
			1800000000000ull, &rep);
	msg_destroy(m);
	sip_core_free(core);
	sip_dirmem_free(mem);
	return rep.status;
}

static void test_robustness_valid_oddities_are_answered(void **state)
{
	(void)state;
	assert_int_equal(run_seed("ws_folding"), 200);
	assert_int_equal(run_seed("escaped_uri"), 407);
	assert_int_equal(run_seed("register"), 401);
	assert_int_equal(run_seed("register_outbound"), 401);
	assert_int_equal(run_seed("refer_ood"), 501);
	assert_int_equal(run_seed("invite_replaces"), 403);
	assert_int_equal(run_seed("bad_version"), 505);
}

static void test_robustness_invalid_messages_get_400_or_silence(void **state)
{
	static const char *const bad[] = {"bad_cl",
					  "neg_cl",
					  "dup_cseq",
					  "cseq_mismatch",
					  "unterminated_quote",
					  "nul_byte",
					  "no_via",
					  "response",
					  "huge_expires"};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int st = run_seed(bad[i]);
		if (st != 0 && st != 400 && st != 401) {
			fprintf(stderr, "%s: %d\n", bad[i], st);
			fail();
		}
	}
}

static void test_robustness_every_seed_is_survived(void **state)
{
	DIR *d = opendir(WARD_SIP_CORPUS);
	struct dirent *e;
	int count = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		run_seed(e->d_name);
		count++;
	}
	closedir(d);
	assert_true(count >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_robustness_valid_oddities_are_answered),
	    cmocka_unit_test(
		test_robustness_invalid_messages_get_400_or_silence),
	    cmocka_unit_test(test_robustness_every_seed_is_survived),
	};
	int rc;

	su_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	su_deinit();
	return rc;
}
