/* capture_keylog: what authorised capture costs a call — the look-up the
 * media table makes per leg and answer whether the leg's device is under
 * capture (one read of the local store: the whole cost while capture is
 * off), and logging one stream's four keys when it is. Prints the median
 * of RUNS runs of N operations each, in ns per operation.
 *   bench_capture_keylog N RUNS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "node/keymgr/keylog.h"
#include "node/wardd_capture.h"
#include "sdp/sdes.h"
#include "store/capture.h"
#include "store/store.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A window for DEVICE, applied as entry INDEX. */
static int window(struct store *s, uint64_t index, const char *device)
{
	struct store_capture rec = {.started_ms = wall_ms()};
	struct store_cmd *c;
	void *buf;
	size_t len;
	int rcs[1];
	unsigned n;

	rec.until_ms = rec.started_ms + 3600 * 1000;
	snprintf(rec.device, sizeof rec.device, "%s", device);
	snprintf(rec.by, sizeof rec.by, "admin");
	if (store_cmd_new(&c, 1, rec.started_ms, "admin") ||
	    store_cmd_put_capture(c, &rec) || store_cmd_finish(c, &buf, &len))
		return -1;
	store_cmd_free(c);
	if (store_apply(s, index, buf, len, rcs, 1, &n) || rcs[0]) {
		free(buf);
		return -1;
	}
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
	unsigned runs = argc > 2 ? (unsigned)atoi(argv[2]) : 5;
	char dir[] = "/tmp/bench_capture.XXXXXX", err[256], cmd[64];
	double off[64], note[64];
	struct store *s;
	struct wardd_capture *cap;
	struct keymgr *km;
	struct keymgr_call *call;
	struct keylog *kl;
	struct sdes_crypto c = {.tag = 1,
				.suite = SDES_AES_CM_128_HMAC_SHA1_80,
				.key_len = 16,
				.salt_len = 14};
	const char *const devs[2] = {"SEP0000000000A1", "SEP0000000000B2"};
	const char *const peers[2] = {"127.0.0.1:4000", "127.0.0.1:4002"};
	volatile uint64_t sink = 0;

	if (n == 0 || runs == 0 || runs > 64) {
		fprintf(stderr, "usage: bench_capture_keylog N RUNS(1..64)\n");
		return 2;
	}
	log_set_level(LOG_LVL_WARN);
	if (!mkdtemp(dir) || store_open(dir, &s, err, sizeof err)) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	/* Windows of other devices: the look-up is a keyed read, not a
	 * scan, whatever their number. */
	for (unsigned i = 0; i < 100; i++) {
		char d[32];

		snprintf(d, sizeof d, "SEP0000000%05u", i);
		if (window(s, i + 1, d))
			return 1;
	}
	cap = wardd_capture_new(s, NULL, 0, err, sizeof err);
	km = keymgr_new(64, err, sizeof err);
	kl = keylog_new(KEYLOG_DEFAULT_MAX, err, sizeof err);
	if (!cap || !km || !kl || keymgr_call_new(km, &call))
		return 1;
	for (int side = 0; side < 2; side++) {
		keymgr_call_import(call, side, &c);
		keymgr_call_generate(call, side, SDES_AES_CM_128_HMAC_SHA1_80);
	}
	for (unsigned r = 0; r < runs; r++) {
		struct keylog_stream st = {.device = devs[0],
					   .call_id = "bench@ward",
					   .leg_device = {devs[0], devs[1]},
					   .ward_port = {20480, 20482},
					   .peer = {peers[0], peers[1]},
					   .now_ms = 1000,
					   .until_ms = UINT64_MAX};
		double t0 = now();

		for (unsigned i = 0; i < n; i++)
			sink +=
			    wardd_capture_until(cap, devs[i & 1], wall_ms());
		off[r] = (now() - t0) / n * 1e9;
		/* Note a full log's worth (256 streams), wipe, again. */
		t0 = now();
		for (unsigned i = 0; i < n; i++) {
			if (i % (KEYLOG_DEFAULT_MAX / 4) == 0)
				keylog_expire(kl, UINT64_MAX, NULL, NULL);
			sink += keylog_note(kl, &st, call);
		}
		note[r] = (now() - t0) / n * 1e9;
	}
	qsort(off, runs, sizeof *off, cmp);
	qsort(note, runs, sizeof *note, cmp);
	printf("capture look-up per leg (device not under capture, 100 "
	       "windows of others): %.0f ns (min %.0f, max %.0f)\n",
	       off[runs / 2], off[0], off[runs - 1]);
	printf("logging one stream's 4 keys (log of %d, filled then wiped): "
	       "%.0f ns (min %.0f, max %.0f)\n",
	       KEYLOG_DEFAULT_MAX, note[runs / 2], note[0], note[runs - 1]);
	printf("median of %u runs of %u operations; sink %llu\n", runs, n,
	       (unsigned long long)sink);
	keymgr_call_free(call);
	keylog_free(kl);
	keymgr_free(km);
	wardd_capture_free(cap);
	store_close(s);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : 1;
}
