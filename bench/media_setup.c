/* media_setup: call setups per second through wardd's media table with
 * its media thread — per call: A's offer (SRTP, AES_CM_128_HMAC_SHA1_80
 * or AEAD_AES_128_GCM) rewritten for B with fresh keys and ports, B's
 * answer rewritten for A, the relay session opened on the media thread
 * (a socket per leg under rtcp-mux, four SRTP contexts), and the call
 * closed — what the B2BUA asks of the table for INVITE..BYE. Prints the
 * wall-clock rate and the CPU time per call of the whole process (both
 * threads); median of RUNS runs.
 *   bench_media_setup SUITE CALLS RUNS [PORT_MIN]  (4,000 ports from it) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "common/log.h"
#include "node/wardd_media.h"
#include "sdp/sdes.h"

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static size_t sdp(char *buf, size_t cap, unsigned port, enum sdes_suite s)
{
	struct sdes_crypto c = {.tag = 1, .suite = s};
	char value[SDES_VALUE_MAX];
	int n;

	c.key_len = sdes_suite_key_len(s);
	c.salt_len = sdes_suite_salt_len(s);
	RAND_bytes(c.key, (int)c.key_len);
	RAND_bytes(c.salt, (int)c.salt_len);
	sdes_format(&c, value, sizeof value);
	n = snprintf(buf, cap,
		     "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
		     "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
		     "m=audio %u RTP/SAVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\n"
		     "a=rtpmap:8 PCMA/8000\r\n"
		     "a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\n"
		     "a=rtcp-mux\r\na=crypto:%s\r\n",
		     port, value);
	sdes_crypto_wipe(&c);
	return (size_t)n;
}

int main(int argc, char **argv)
{
	const struct sip_media_leg enc = {SIP_SECMODE_ENCRYPTED, SIP_TP_TLS, 0,
					  0, ""};
	enum sdes_suite suite = argc > 1 ? sdes_suite_from_name(argv[1])
					 : SDES_AES_CM_128_HMAC_SHA1_80;
	int calls = argc > 2 ? atoi(argv[2]) : 20000;
	int runs = argc > 3 ? atoi(argv[3]) : 5;
	struct wardd_media_config mc = {.max_calls = 64, .allow_bridge = 1};
	double rate[64], cpu[64];
	struct wardd_media *m;
	struct sip_media t;
	char err[256];

	if (!suite || calls <= 0 || runs <= 0 || runs > 64) {
		fprintf(stderr, "usage: %s SUITE CALLS RUNS\n", argv[0]);
		return 2;
	}
	log_set_level(LOG_LVL_WARN);
	snprintf(mc.addr, sizeof mc.addr, "127.0.0.1");
	mc.port_min = argc > 4 ? (unsigned)atoi(argv[4]) : 16384;
	mc.port_max = mc.port_min + 3999;
	if (wardd_media_new(&mc, &m, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	wardd_media_table(m, &t);
	for (int r = 0; r < runs; r++) {
		double w0 = now(CLOCK_MONOTONIC),
		       c0 = now(CLOCK_PROCESS_CPUTIME_ID);

		for (int i = 0; i < calls; i++) {
			char in[2048], out[4096];
			size_t len, out_len;
			struct sip_media_call *call;
			enum sip_level level;

			len = sdp(in, sizeof in, 10000, suite);
			if (t.ops->offer(t.ctx, "bench", &enc, &enc, in, len,
					 out, sizeof out, &out_len, &call)) {
				fprintf(stderr, "offer refused\n");
				return 1;
			}
			len = sdp(in, sizeof in, 12000, suite);
			if (t.ops->answer(t.ctx, call, in, len, out, sizeof out,
					  &out_len, &level) ||
			    level != SIP_LEVEL_ENCRYPTED) {
				fprintf(stderr, "answer refused\n");
				return 1;
			}
			t.ops->close(t.ctx, call);
		}
		rate[r] = calls / (now(CLOCK_MONOTONIC) - w0);
		cpu[r] = (now(CLOCK_PROCESS_CPUTIME_ID) - c0) * 1e6 / calls;
	}
	qsort(rate, (size_t)runs, sizeof *rate, cmp);
	qsort(cpu, (size_t)runs, sizeof *cpu, cmp);
	printf("media table, %s, %d calls x %d runs: %.0f setups/s wall "
	       "(min %.0f, max %.0f), %.1f us CPU per call (both threads)\n",
	       sdes_suite_name(suite), calls, runs, rate[runs / 2], rate[0],
	       rate[runs - 1], cpu[runs / 2]);
	wardd_media_free(m);
	return 0;
}
