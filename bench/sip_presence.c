/* bench_sip_presence: presence's own cost on one thread, without sockets —
 * SUBSCRIBEs (parsed by sofia, authorised through the in-memory directory,
 * answered, the initial NOTIFY rendered) per second, and NOTIFYs per
 * second when watched phones change state (event, PIDF or dialog-info
 * body, the NOTIFY handed to a sender that only counts, its 200 fed back).
 *   bench_sip_presence [SUBSCRIPTIONS] [RUNS]
 * Prints each run and the medians; time is the thread's CPU time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/core.h"
#include "node/sip/directory_mem.h"
#include "node/sip/presence.h"

#define DEVICES 1000

static unsigned long sent;
/* NOTIFYs sent and not yet answered. */
static struct {
	char call[40];
	uint32_t cseq;
} * open_tx;
static size_t nopen, capopen;

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

static int on_send(void *arg, const struct sip_presence_notify *n)
{
	(void)arg;
	sent++;
	if (nopen == capopen)
		return -1;
	snprintf(open_tx[nopen].call, sizeof open_tx[nopen].call, "%s",
		 n->call_id);
	open_tx[nopen++].cseq = n->cseq;
	return 0;
}

/* Every NOTIFY answered 200, and what that lets go sent and answered. */
static void answer_all(struct sip_presence *p)
{
	while (nopen > 0) {
		size_t n = nopen;

		nopen = 0;
		for (size_t i = 0; i < n; i++)
			sip_presence_on_response(p, open_tx[i].call,
						 open_tx[i].cseq, 200);
		sip_presence_flush(p);
		if (nopen > n) /* cannot happen: one per subscription */
			break;
	}
}

static int on_registered(void *arg, const char *device)
{
	(void)arg;
	(void)device;
	return 1;
}

/* One run: SUBS subscriptions (watcher i%200 watches phone i%DEVICES, half
 * presence, half dialog), then every phone rings, talks and hangs up.
 * Fills the two rates. */
static int run(const struct sip_directory *dir, long subs, double *sub_rate,
	       double *notify_rate)
{
	struct sip_presence_config cfg;
	struct sip_presence *p;
	char text[1024], dev[32], call[32];
	double t0, t1;
	unsigned long before;

	sip_presence_config_defaults(&cfg);
	cfg.max_subs = (size_t)subs;
	cfg.max_per_watcher = (unsigned)(subs / 200 + 1);
	if (sip_presence_new(&cfg, dir, on_registered, NULL, &p) != 0)
		return -1;
	sip_presence_set_sender(p, on_send, NULL);
	t0 = cpu_now();
	for (long i = 0; i < subs; i++) {
		struct sip_reply rep;
		char watcher[16];
		msg_t *m;

		snprintf(watcher, sizeof watcher, "u%ld", i % 200);
		snprintf(text, sizeof text,
			 "SUBSCRIBE sip:d%ld@ward.test SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1:5062;branch=z9hG4bK%ld\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:%s@ward.test>;tag=w%ld\r\n"
			 "To: <sip:d%ld@ward.test>\r\n"
			 "Call-ID: sub-%ld@bench\r\n"
			 "CSeq: 1 SUBSCRIBE\r\n"
			 "Contact: <sip:%s@192.0.2.1:5062>\r\n"
			 "Event: %s\r\n"
			 "Expires: 3600\r\n"
			 "Content-Length: 0\r\n\r\n",
			 i % DEVICES, i, watcher, i, i % DEVICES, i, watcher,
			 i % 2 ? "dialog" : "presence");
		m = msg_make(sip_default_mclass(), 0, text, strlen(text));
		memset(&rep, 0, sizeof rep);
		sip_presence_subscribe(p, sip_object(m), watcher, NULL,
				       1800000000000ull, &rep);
		msg_destroy(m);
		if (rep.status != 200) {
			fprintf(stderr, "SUBSCRIBE %ld: %d\n", i, rep.status);
			sip_presence_free(p);
			return -1;
		}
		sip_presence_flush(p);
		answer_all(p);
	}
	t1 = cpu_now();
	*sub_rate = (double)subs / (t1 - t0);
	before = sent;
	t0 = cpu_now();
	for (int d = 0; d < DEVICES; d++) {
		static const enum sip_dialog_state states[] = {
		    SIP_DLG_EARLY, SIP_DLG_CONFIRMED, SIP_DLG_TERMINATED};

		snprintf(dev, sizeof dev, "d%d", d);
		snprintf(call, sizeof call, "call-%d", d);
		for (int k = 0; k < 3; k++) {
			struct sip_dialog_event ev = {
			    .device = dev,
			    .line = "",
			    .call_id = call,
			    .peer = "2000",
			    .state = states[k],
			};

			sip_presence_on_event(p, &ev);
			sip_presence_flush(p);
			answer_all(p);
		}
	}
	t1 = cpu_now();
	*notify_rate = (double)(sent - before) / (t1 - t0);
	sip_presence_free(p);
	return 0;
}

int main(int argc, char **argv)
{
	long subs = argc > 1 ? atol(argv[1]) : 10000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	struct sip_dirmem *mem;
	struct sip_directory dir;
	char *text, err[128];
	size_t cap = 256 * 1024, o = 0;
	double *sr, *nr;

	if (subs < 200 || runs < 1 || runs > 99)
		return 2;
	su_init();
	capopen = (size_t)subs;
	open_tx = calloc(capopen, sizeof *open_tx);
	text = malloc(cap);
	sr = calloc((size_t)runs, sizeof *sr);
	nr = calloc((size_t)runs, sizeof *nr);
	if (!text || !sr || !nr || !open_tx)
		return 1;
	o += (size_t)snprintf(text + o, cap - o,
			      "realm ward.test\npresence_default allow\n");
	for (int i = 0; i < 200; i++)
		o += (size_t)snprintf(text + o, cap - o, "user u%d pw\n", i);
	for (int i = 0; i < DEVICES; i++)
		o += (size_t)snprintf(text + o, cap - o,
				      "device d%d user=u%d\n", i, i % 200);
	if (sip_dirmem_parse(text, &mem, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	sip_dirmem_directory(mem, &dir);
	printf("presence, one thread, %ld subscriptions on %d phones "
	       "(half PIDF, half dialog-info), %d runs\n",
	       subs, DEVICES, runs);
	for (int r = 0; r < runs; r++) {
		if (run(&dir, subs, &sr[r], &nr[r]) != 0)
			return 1;
		printf("run %d: %.0f SUBSCRIBEs/s, %.0f NOTIFYs/s\n", r + 1,
		       sr[r], nr[r]);
	}
	qsort(sr, (size_t)runs, sizeof *sr, cmp_double);
	qsort(nr, (size_t)runs, sizeof *nr, cmp_double);
	printf("median: %.0f SUBSCRIBEs/s (parse, authorise, answer, initial "
	       "NOTIFY), %.0f NOTIFYs/s on state changes\n",
	       sr[runs / 2], nr[runs / 2]);
	sip_dirmem_free(mem);
	free(text);
	free(sr);
	free(nr);
	free(open_tx);
	su_deinit();
	return 0;
}
