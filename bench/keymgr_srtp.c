/* bench_keymgr_srtp: libsrtp2 alone — protect + unprotect pairs per second
 * on one thread, for a 20 ms G.711 packet (12-byte RTP header + 160 bytes),
 * the figure the relay's is measured against.
 *   bench_keymgr_srtp [PAIRS] [RUNS]
 * Prints each run and the median per suite; time is the thread's CPU time,
 * so other load on the machine does not count against it. The first rows
 * use libsrtp2 exactly as Debian ships it (NSS primitives), before the
 * relay's first context puts OpenSSL's HMAC-SHA1 and AES-CTR in their
 * place for the AES_CM suites; the next rows are what the relay runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "node/keymgr/relay.h"

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* libsrtp2's own context, made without the relay (so before it swaps
 * primitives): the NSS baseline. */
static int stock_create(srtp_t *out, enum sdes_suite suite, uint8_t *keysalt,
			int inbound)
{
	srtp_policy_t p;

	memset(&p, 0, sizeof p);
	if (suite == SDES_AES_CM_128_HMAC_SHA1_80) {
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	} else {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	}
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.key = keysalt;
	p.window_size = 1024;
	return srtp_create(out, &p) == srtp_err_status_ok ? 0 : -1;
}

static double run(enum sdes_suite suite, long pairs, int stock)
{
	uint8_t key[SDES_KEY_MAX], salt[SDES_SALT_MAX];
	uint8_t pkt[172 + SRTP_MAX_TRAILER_LEN];
	srtp_t tx, rx;
	double t0, t1;

	RAND_bytes(key, sizeof key);
	RAND_bytes(salt, sizeof salt);
	if (stock) {
		uint8_t ks[SDES_KEY_MAX + SDES_SALT_MAX];

		memcpy(ks, key, sdes_suite_key_len(suite));
		memcpy(ks + sdes_suite_key_len(suite), salt,
		       sdes_suite_salt_len(suite));
		if (stock_create(&tx, suite, ks, 0) != 0 ||
		    stock_create(&rx, suite, ks, 1) != 0) {
			fprintf(stderr, "srtp setup failed\n");
			exit(1);
		}
	} else if (relay_srtp_create(&tx, suite, key, sdes_suite_key_len(suite),
				     salt, sdes_suite_salt_len(suite),
				     0) != KEYMGR_OK ||
		   relay_srtp_create(&rx, suite, key, sdes_suite_key_len(suite),
				     salt, sdes_suite_salt_len(suite),
				     1) != KEYMGR_OK) {
		fprintf(stderr, "srtp setup failed\n");
		exit(1);
	}
	memset(pkt, 0x55, sizeof pkt);
	pkt[0] = 0x80;
	pkt[1] = 0;
	t0 = cpu_now();
	for (long i = 0; i < pairs; i++) {
		int len = 172;

		pkt[2] = (uint8_t)(i >> 8);
		pkt[3] = (uint8_t)i;
		pkt[4] = (uint8_t)(i >> 24);
		pkt[5] = (uint8_t)(i >> 16);
		if (srtp_protect(tx, pkt, &len) != srtp_err_status_ok ||
		    srtp_unprotect(rx, pkt, &len) != srtp_err_status_ok ||
		    len != 172) {
			fprintf(stderr, "srtp failed at %ld\n", i);
			exit(1);
		}
	}
	t1 = cpu_now();
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	return (double)pairs / (t1 - t0);
}

/* AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM on libsrtp2 as shipped. */
static void stock_rows(long pairs, int runs, const enum sdes_suite *suites)
{
	double r[64];

	for (size_t s = 0; s < 2; s++) {
		for (int i = 0; i < runs; i++)
			r[i] = run(suites[s], pairs, 1);
		qsort(r, (size_t)runs, sizeof *r, cmp_double);
		printf("  %-24s median %8.0f pairs/s  (min %.0f, max %.0f)  "
		       "as shipped (NSS)\n",
		       sdes_suite_name(suites[s]), r[runs / 2], r[0],
		       r[runs - 1]);
	}
}

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? atol(argv[1]) : 500000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	enum sdes_suite suites[] = {SDES_AES_CM_128_HMAC_SHA1_80,
				    SDES_AEAD_AES_128_GCM,
				    SDES_AEAD_AES_256_GCM};
	double r[64];

	if (runs < 1 || runs > 64 || pairs < 1)
		return 2;
	printf("libsrtp2 %s alone: protect+unprotect of a 172-byte RTP packet, "
	       "one thread, %ld pairs x %d runs (thread CPU time)\n",
	       srtp_get_version_string(), pairs, runs);
	fflush(stdout);
	/* In a child: libsrtp2 initialises once per process, and the relay's
	 * initialisation in this one swaps the primitives. */
	if (fork() == 0) {
		if (srtp_init() != srtp_err_status_ok)
			_exit(1);
		stock_rows(pairs, runs, suites);
		fflush(stdout);
		_exit(0);
	}
	wait(NULL);
	for (size_t s = 0; s < sizeof suites / sizeof *suites; s++) {
		for (int i = 0; i < runs; i++)
			r[i] = run(suites[s], pairs, 0);
		qsort(r, (size_t)runs, sizeof *r, cmp_double);
		printf("  %-24s median %8.0f pairs/s  (min %.0f, max %.0f)  "
		       "as the relay runs it\n",
		       sdes_suite_name(suites[s]), r[runs / 2], r[0],
		       r[runs - 1]);
	}
	return 0;
}
