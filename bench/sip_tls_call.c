/* bench_sip_tls_call: call set-ups per second over persistent TLS
 * connections. PAIRS caller devices (PREFIX0, PREFIX1, ...) connect to
 * CALLER_HOST:CALLER_PORT and PAIRS callee devices (PREFIX<PAIRS>, ...)
 * to CALLEE_HOST:CALLEE_PORT, one connection each; each registers with
 * MD5 digest. Then caller i calls line FIRST_LINE + PAIRS + i (callee i)
 * over and over, one call at a time: INVITE with credentials on its
 * nonce (nc rising; a 407 brings a new nonce and the INVITE again), 100,
 * 180, 200, ACK, BYE, 200; the callee answers 180 and 200 with SDP,
 * takes the ACK and answers the BYE with 200. Counts the calls completed
 * (BYE answered) in SECONDS once every caller completed one (on two nodes,
 * once the callees' registrations reached the callers' node); prints
 * calls/s, the other outcomes, and for each PID given the CPU that
 * process used per call (/proc/PID/stat, user + system). One thread,
 * poll(2).
 *   bench_sip_tls_call CALLER_HOST CALLER_PORT CALLEE_HOST CALLEE_PORT
 *                      PAIRS SECONDS PREFIX PASSWORD REALM FIRST_LINE [PID...]
 * PREFIX is DEVICES or DEVICES,USERS when the digest users are not named
 * as the devices; each is a prefix the number follows, or a printf format
 * of it ("SEP0000000010%02d"). REALM "-": the realm of the challenge.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "sip_tls_client.h"

#define MSG_MAX 8192
#define STALL_S 30.0

enum state {
	REGISTERING,
	IDLE,	   /* registered; a caller places its next call */
	INVITING,  /* INVITE sent, its final answer awaited */
	HANGING_UP /* BYE sent, its answer awaited */
};

struct phone {
	struct bench_tls t;
	int callee;
	char user[80];	    /* the device */
	char auth_user[80]; /* its digest user */
	const char *host;
	int port;
	enum state state;
	char nonce[128]; /* the last challenge's */
	unsigned nc;
	unsigned cseq;
	unsigned long calls; /* this caller's calls */
	unsigned long done;  /* of them, hung up with the BYE answered */
	int number;	     /* the line it calls */
	char call_id[64];
	char from_tag[32];
	char to_tag[128];
	char remote[256]; /* the callee's side: ward's Contact URI */
};

static const char *realm, *password;
static unsigned long branch_seq;
static long completed, refused, other;
/* The other outcomes by status: [0] the INVITE's final answer, [1] the
 * BYE's. */
static long other_by[2][700];

static const char sdp[] = "v=0\r\n"
			  "o=- 1 1 IN IP4 127.0.0.1\r\n"
			  "s=-\r\n"
			  "c=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\n"
			  "m=audio 40000 RTP/AVP 0\r\n"
			  "a=rtpmap:0 PCMU/8000\r\n";

static int send_text(struct phone *p, const char *buf, int n)
{
	if (n <= 0 || n >= MSG_MAX)
		return -1;
	return bench_tls_send(&p->t, buf, n);
}

static int send_register(struct phone *p)
{
	char msg[MSG_MAX], auth[BENCH_SIP_AUTH_MAX] = "", uri[128];

	snprintf(uri, sizeof uri, "sip:%s:%d", p->host, p->port);
	if (p->nonce[0] &&
	    bench_sip_digest(auth, sizeof auth, "Authorization", p->auth_user,
			     realm, password, p->nonce, ++p->nc, "REGISTER",
			     uri) != 0)
		return -1;
	p->cseq++;
	return send_text(
	    p, msg,
	    snprintf(
		msg, sizeof msg,
		"REGISTER %s SIP/2.0\r\n"
		"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKr%lu;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:%s@%s>;tag=r%s\r\n"
		"To: <sip:%s@%s>\r\n"
		"Call-ID: %s-reg@bench\r\n"
		"CSeq: %u REGISTER\r\n"
		"Contact: <sip:%s@127.0.0.1:5061;transport=tls>\r\n"
		"Expires: 3600\r\n"
		"%s"
		"Content-Length: 0\r\n\r\n",
		uri, ++branch_seq, p->user, p->host, p->user, p->user, p->host,
		p->user, p->cseq, p->user, auth));
}

static int send_invite(struct phone *p)
{
	char msg[MSG_MAX], auth[BENCH_SIP_AUTH_MAX] = "", uri[128];

	snprintf(uri, sizeof uri, "sip:%d@%s:%d", p->number, p->host, p->port);
	if (p->nonce[0] &&
	    bench_sip_digest(auth, sizeof auth, "Proxy-Authorization",
			     p->auth_user, realm, password, p->nonce, ++p->nc,
			     "INVITE", uri) != 0)
		return -1;
	p->cseq++;
	p->state = INVITING;
	return send_text(
	    p, msg,
	    snprintf(
		msg, sizeof msg,
		"INVITE %s SIP/2.0\r\n"
		"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKi%lu;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:%s@%s>;tag=%s\r\n"
		"To: <sip:%d@%s>\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u INVITE\r\n"
		"Contact: <sip:%s@127.0.0.1:5061;transport=tls>\r\n"
		"%s"
		"Content-Type: application/sdp\r\n"
		"Content-Length: %zu\r\n\r\n%s",
		uri, ++branch_seq, p->user, p->host, p->from_tag, p->number,
		p->host, p->call_id, p->cseq, p->user, auth, sizeof sdp - 1,
		sdp));
}

static int new_call(struct phone *p)
{
	p->calls++;
	snprintf(p->call_id, sizeof p->call_id, "%s-%lu-%x@bench", p->user,
		 p->calls, (unsigned)rand());
	snprintf(p->from_tag, sizeof p->from_tag, "%x", (unsigned)rand());
	p->to_tag[0] = p->remote[0] = '\0';
	return send_invite(p);
}

/* ACK (the same branch for a non-2xx, RFC 3261 17.1.1.3; a new one for
 * a 2xx) and, for a 2xx, the BYE at once. */
static int send_ack(struct phone *p, const char *resp, int ok)
{
	char msg[MSG_MAX], via[512], to[256], ruri[256];

	if (!bench_sip_hdr(resp, "To", to, sizeof to))
		return -1;
	if (ok)
		snprintf(via, sizeof via,
			 "Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKa%lu;"
			 "rport\r\n",
			 ++branch_seq);
	else
		bench_sip_vias(resp, via, sizeof via);
	snprintf(ruri, sizeof ruri, "%s", ok && p->remote[0] ? p->remote : "");
	if (!ruri[0])
		snprintf(ruri, sizeof ruri, "sip:%d@%s:%d", p->number, p->host,
			 p->port);
	return send_text(p, msg,
			 snprintf(msg, sizeof msg,
				  "ACK %s SIP/2.0\r\n"
				  "%s"
				  "Max-Forwards: 70\r\n"
				  "From: <sip:%s@%s>;tag=%s\r\n"
				  "To: %s\r\n"
				  "Call-ID: %s\r\n"
				  "CSeq: %u ACK\r\n"
				  "Content-Length: 0\r\n\r\n",
				  ruri, via, p->user, p->host, p->from_tag, to,
				  p->call_id, p->cseq));
}

static int send_bye(struct phone *p, const char *to)
{
	char msg[MSG_MAX];

	p->cseq++;
	p->state = HANGING_UP;
	return send_text(
	    p, msg,
	    snprintf(
		msg, sizeof msg,
		"BYE %s SIP/2.0\r\n"
		"Via: SIP/2.0/TLS 127.0.0.1:5061;branch=z9hG4bKb%lu;rport\r\n"
		"Max-Forwards: 70\r\n"
		"From: <sip:%s@%s>;tag=%s\r\n"
		"To: %s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %u BYE\r\n"
		"Content-Length: 0\r\n\r\n",
		p->remote, ++branch_seq, p->user, p->host, p->from_tag, to,
		p->call_id, p->cseq));
}

/* The callee's answer to ward's request REQ: STATUS, with a To tag and a
 * Contact for a dialog-creating 1xx/2xx, and SDP for the 200 to INVITE. */
static int answer(struct phone *p, const char *req, int status,
		  const char *phrase, int invite)
{
	char msg[MSG_MAX], vias[2048], from[256], to[256], cid[256], cseq[64];

	bench_sip_vias(req, vias, sizeof vias);
	if (!bench_sip_hdr(req, "From", from, sizeof from) ||
	    !bench_sip_hdr(req, "To", to, sizeof to) ||
	    !bench_sip_hdr(req, "Call-ID", cid, sizeof cid) ||
	    !bench_sip_hdr(req, "CSeq", cseq, sizeof cseq))
		return -1;
	return send_text(
	    p, msg,
	    snprintf(
		msg, sizeof msg,
		"SIP/2.0 %d %s\r\n"
		"%s"
		"From: %s\r\n"
		"To: %s%s\r\n"
		"Call-ID: %s\r\n"
		"CSeq: %s\r\n"
		"%s%s%s"
		"%s"
		"Content-Length: %zu\r\n\r\n%s",
		status, phrase, vias, from, to,
		invite && !strstr(to, "tag=") ? ";tag=callee" : "", cid, cseq,
		invite ? "Contact: <sip:" : "", invite ? p->user : "",
		invite ? "@127.0.0.1:5061;transport=tls>\r\n" : "",
		invite && status == 200 ? "Content-Type: application/sdp\r\n"
					: "",
		invite && status == 200 ? sizeof sdp - 1 : 0,
		invite && status == 200 ? sdp : ""));
}

/* The URI inside a Contact value's <>, or the whole value. */
static void contact_uri(const char *v, char *out, size_t cap)
{
	const char *a = strchr(v, '<'), *b = a ? strchr(a, '>') : NULL;

	if (a && b && (size_t)(b - a - 1) < cap) {
		memcpy(out, a + 1, (size_t)(b - a - 1));
		out[b - a - 1] = '\0';
	} else {
		snprintf(out, cap, "%s", v);
	}
}

/* REALM "-": the first challenge names it. */
static int learn_realm(const char *msg)
{
	static char learnt[128];

	if (strcmp(realm, "-") == 0) {
		const char *r = strstr(msg, "realm=\""), *q;
		if (!r || !(q = strchr(r + 7, '"')) ||
		    (size_t)(q - r - 7) >= sizeof learnt)
			return -1;
		memcpy(learnt, r + 7, (size_t)(q - r - 7));
		learnt[q - r - 7] = '\0';
		realm = learnt;
	}
	return 0;
}

/* NAME for number I from SPEC: a printf format of I, or a prefix. */
static void name_of(char *out, size_t cap, const char *spec, size_t len,
		    int i)
{
	char fmt[64];

	snprintf(fmt, sizeof fmt, "%.*s", (int)len, spec);
	if (strchr(fmt, '%'))
		snprintf(out, cap, fmt, i);
	else
		snprintf(out, cap, "%s%d", fmt, i);
}

/* One message on P's connection: -1 ends the run. */
static int on_msg(struct phone *p, const char *msg, int counting)
{
	int status = bench_sip_status(msg);
	char cseq[64], to[256], v[256];

	if (!status) { /* a request from ward: to a callee */
		if (strncmp(msg, "INVITE ", 7) == 0)
			return answer(p, msg, 180, "Ringing", 1) ||
			       answer(p, msg, 200, "OK", 1);
		if (strncmp(msg, "ACK ", 4) == 0)
			return 0;
		return answer(p, msg, 200, "OK", 0);
	}
	if (!bench_sip_hdr(msg, "CSeq", cseq, sizeof cseq))
		return -1;
	if (strstr(cseq, "REGISTER")) {
		if (status == 401) {
			if (bench_sip_nonce(msg, p->nonce, sizeof p->nonce) ||
			    learn_realm(msg) != 0)
				return -1;
			p->nc = 0;
			return send_register(p);
		}
		if (status != 200)
			return -1;
		p->state = IDLE;
		p->nonce[0] = '\0'; /* the INVITEs get their own */
		return 0;
	}
	if (strstr(cseq, "INVITE")) {
		if (status < 200 || p->state != INVITING ||
		    (unsigned)atoi(cseq) != p->cseq)
			return 0;
		if (status == 407) {
			if (bench_sip_nonce(msg, p->nonce, sizeof p->nonce))
				return -1;
			p->nc = 0;
			return send_ack(p, msg, 0) || send_invite(p);
		}
		if (status >= 300) {
			if (status == 503) {
				refused += counting;
			} else {
				other += counting;
				other_by[0][status % 700] += counting;
			}
			p->state = IDLE;
			return send_ack(p, msg, 0);
		}
		if (!bench_sip_hdr(msg, "To", to, sizeof to) ||
		    !bench_sip_hdr(msg, "Contact", v, sizeof v))
			return -1;
		contact_uri(v, p->remote, sizeof p->remote);
		return send_ack(p, msg, 1) || send_bye(p, to);
	}
	if (strstr(cseq, "BYE") && p->state == HANGING_UP &&
	    (unsigned)atoi(cseq) == p->cseq) {
		if (status == 200) {
			completed += counting;
			p->done++;
		}
		else {
			other += counting;
			other_by[1][status % 700] += counting;
		}
		p->state = IDLE;
	}
	return 0;
}

/* This process's CPU time, user and system, in seconds. */
static double own_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long cpu_ticks(const char *pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%s/stat", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	p = fgets(buf, sizeof buf, f);
	fclose(f);
	/* Past "(comm)": state is field 3, utime 14, stime 15. */
	if (!p || !(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
		   &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

int main(int argc, char **argv)
{
	struct phone *ph;
	struct pollfd *pf;
	SSL_CTX *ctx;
	struct rlimit rl;
	double secs, t0 = 0, t_end = 0, last_progress, own0 = 0;
	long ticks0[8] = {0};
	int pairs, n, counting = 0, npid, first_line;
	long done_before = 0;

	if (argc < 11) {
		fprintf(stderr,
			"usage: %s CALLER_HOST CALLER_PORT CALLEE_HOST "
			"CALLEE_PORT PAIRS SECONDS PREFIX PASSWORD REALM "
			"FIRST_LINE [PID...]\n",
			argv[0]);
		return 2;
	}
	pairs = atoi(argv[5]);
	secs = atof(argv[6]);
	realm = argv[9];
	password = argv[8];
	first_line = atoi(argv[10]);
	npid = argc - 11 < 8 ? argc - 11 : 8;
	n = 2 * pairs;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ph = calloc((size_t)n, sizeof *ph);
	pf = calloc((size_t)n, sizeof *pf);
	if (!ctx || !ph || !pf)
		return 1;
	/* The callees first: they are registered before a caller calls. */
	for (int k = 0; k < n; k++) {
		int i = (k + pairs) % n;
		struct phone *p = &ph[i];

		p->callee = i >= pairs;
		p->host = argv[p->callee ? 3 : 1];
		p->port = atoi(argv[p->callee ? 4 : 2]);
		p->number = first_line + pairs + i;
		const char *comma = strchr(argv[7], ',');

		name_of(p->user, sizeof p->user, argv[7],
			comma ? (size_t)(comma - argv[7]) : strlen(argv[7]), i);
		if (comma)
			name_of(p->auth_user, sizeof p->auth_user, comma + 1,
				strlen(comma + 1), i);
		else
			snprintf(p->auth_user, sizeof p->auth_user, "%s",
				 p->user);
		if (bench_tls_connect(&p->t, ctx, p->host, p->port) != 0 ||
		    send_register(p) != 0) {
			fprintf(stderr, "phone %d: cannot connect\n", i);
			return 1;
		}
		pf[i].fd = p->t.fd;
		pf[i].events = POLLIN;
	}
	last_progress = bench_now_s();
	for (;;) {
		int r = poll(pf, (nfds_t)n, 200), all_idle = 1, ready = 1;
		double t = bench_now_s();

		if (r < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n && r > 0; i++) {
			struct phone *p = &ph[i];
			char msg[MSG_MAX];
			int m;

			if (!(pf[i].revents & (POLLIN | POLLERR | POLLHUP)))
				continue;
			if (bench_tls_read(&p->t) != 0) {
				fprintf(stderr, "phone %d: connection closed\n",
					i);
				return 1;
			}
			while ((m = bench_sip_take(&p->t, msg, sizeof msg)) > 0)
				if (on_msg(p, msg, counting) != 0) {
					fprintf(stderr,
						"phone %d: cannot go on "
						"after:\n%s\n",
						i, msg);
					return 1;
				}
			if (m < 0) {
				fprintf(stderr, "phone %d: bad message\n", i);
				return 1;
			}
		}
		for (int i = 0; i < n; i++)
			all_idle &= ph[i].state != REGISTERING;
		/* Every phone registered: each caller calls again as soon as
		 * its last call ended. */
		for (int i = 0; all_idle && i < pairs; i++) {
			if (ph[i].state == IDLE && new_call(&ph[i]) != 0)
				return 1;
			ready &= ph[i].done > 0;
		}
		if (completed + refused + other != done_before ||
		    (!counting && ready && all_idle))
			last_progress = t;
		done_before = completed + refused + other;
		if (t - last_progress > STALL_S) {
			fprintf(stderr, "no call ended for %.0f s\n", STALL_S);
			return 1;
		}
		if (!counting && all_idle && ready) {
			counting = 1;
			t0 = t;
			t_end = t0 + secs;
			own0 = own_cpu_s();
			for (int k = 0; k < npid; k++)
				ticks0[k] = cpu_ticks(argv[11 + k]);
		} else if (counting && t >= t_end) {
			break;
		}
	}
	t_end = bench_now_s() - t0;
	printf("%d caller and %d callee connections: %.0f calls/s completed "
	       "(%ld in %.1f s), %ld refused 503, %ld other outcomes\n",
	       pairs, pairs, completed / t_end, completed, t_end, refused,
	       other);
	for (int k = 0; k < 2; k++)
		for (int st = 0; st < 700; st++)
			if (other_by[k][st])
				printf("  other: %ld %s answered %d\n",
				       other_by[k][st], k ? "BYEs" : "INVITEs",
				       st);
	/* The client shares the machine: what it took is the nodes' less. */
	printf("  the client's own CPU: %.1f us a call\n",
	       completed ? (own_cpu_s() - own0) * 1e6 / (double)completed
			 : 0.0);
	for (int k = 0; k < npid; k++) {
		long t1 = cpu_ticks(argv[11 + k]);
		printf("  CPU per call of pid %s: %.1f us\n", argv[11 + k],
		       completed ? (double)(t1 - ticks0[k]) /
				       (double)sysconf(_SC_CLK_TCK) * 1e6 /
				       (double)completed
				 : 0.0);
	}
	return 0;
}
