/* bench_tftp_fleet: a fleet of phones each downloading its own signed
 * configuration once, as after a cluster-wide security-mode change.
 *
 *   bench_tftp_fleet HOST PORT MAC_PREFIX COUNT CLIENTS LIMIT_S [BLKSIZE]
 *
 * Phone i (0 <= i < COUNT) fetches SEP<MAC_PREFIX><i as 6 hex digits>
 * .cnf.xml.sgn. CLIENTS transfers are in flight at once, each from a
 * socket of its own bound to a loopback address of its own (127.0.2.x,
 * 127.0.3.x, ...: a phone has its own address), so the server's
 * per-address limit is not what is measured. A transfer answered with an
 * ERROR (file not found yet: the node has not applied the change; server
 * busy) is asked again 50 ms later; one that stalls for 1 s is asked
 * again. One thread, epoll, pipelined: as one phone finishes the next
 * starts on the same socket.
 *
 * Prints the phones served, the wall-clock time (CLOCK_REALTIME, in ns)
 * of the first request and of the last completed download, so a script
 * can measure from an event before this program started, and the
 * retries. Exit 0 when every phone got a file that starts like an .sgn
 * (header tag 1, version), 1 otherwise. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 4000

struct client {
	int fd;
	long phone;		/* -1: idle */
	uint16_t expect;	/* next block */
	size_t got;		/* bytes of the current file */
	double started;		/* of the current request */
	double retry_at;	/* 0: none pending */
	int sgn_ok;		/* first block looked like an .sgn */
	struct sockaddr_in tid; /* the transfer's address */
};

static const char *host, *prefix;
static int port, blksize;
static long count, next_phone, done, bad;
static uint64_t retries, refused;
static size_t min_len = SIZE_MAX, max_len;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void request(struct client *c)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	char pkt[512], name[64];
	int n;

	snprintf(name, sizeof name, "SEP%s%06lX.cnf.xml.sgn", prefix, c->phone);
	inet_pton(AF_INET, host, &to.sin_addr);
	if (blksize)
		n = snprintf(pkt + 2, sizeof pkt - 2,
			     "%s%coctet%cblksize%c%d%ctsize%c0", name, 0, 0, 0,
			     blksize, 0, 0);
	else
		n = snprintf(pkt + 2, sizeof pkt - 2, "%s%coctet", name, 0);
	pkt[0] = 0;
	pkt[1] = 1;
	sendto(c->fd, pkt, (size_t)n + 3, 0, (struct sockaddr *)&to, sizeof to);
	c->expect = 1;
	c->got = 0;
	c->sgn_ok = 0;
	c->started = now();
	c->retry_at = 0;
}

/* The next phone on this socket, or idle. */
static void next(struct client *c)
{
	if (next_phone >= count) {
		c->phone = -1;
		return;
	}
	c->phone = next_phone++;
	request(c);
}

static void ack(struct client *c, uint16_t block)
{
	uint8_t a[4] = {0, 4, (uint8_t)(block >> 8), (uint8_t)block};

	sendto(c->fd, a, 4, 0, (struct sockaddr *)&c->tid, sizeof c->tid);
}

static long long last_done_ns;

static void on_read(struct client *c)
{
	uint8_t p[70000];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof from;
		n = recvfrom(c->fd, p, sizeof p, MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 4)
			return;
		if (c->phone < 0 || c->retry_at)
			continue; /* late packet of an abandoned try */
		if (p[1] == 6) {  /* OACK */
			c->tid = from;
			ack(c, 0);
			continue;
		}
		if (p[1] == 5) { /* not there yet, or busy: again soon */
			refused++;
			c->retry_at = now() + 0.05;
			continue;
		}
		if (p[1] != 3)
			continue;
		uint16_t blk = (uint16_t)(p[2] << 8 | p[3]);

		c->tid = from;
		if (blk != c->expect) {
			ack(c, (uint16_t)(c->expect - 1));
			continue;
		}
		if (blk == 1)
			c->sgn_ok = n >= 8 && p[4] == 1; /* tag 1: version */
		c->got += (size_t)n - 4;
		ack(c, blk);
		c->expect++;
		c->started = now();
		if ((size_t)n - 4 < (size_t)(blksize ? blksize : 512)) {
			done++;
			bad += !c->sgn_ok;
			if (c->got < min_len)
				min_len = c->got;
			if (c->got > max_len)
				max_len = c->got;
			last_done_ns = wall_ns();
			next(c);
		}
	}
}

int main(int argc, char **argv)
{
	static struct client clients[MAX_CLIENTS];
	struct epoll_event ev, evs[256];
	int n_clients, ep;
	double limit, start, last_check;
	long long first_ns;

	if (argc < 7) {
		fprintf(stderr,
			"usage: %s HOST PORT MAC_PREFIX COUNT CLIENTS LIMIT_S "
			"[BLKSIZE]\n",
			argv[0]);
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	prefix = argv[3];
	count = atol(argv[4]);
	n_clients = atoi(argv[5]);
	limit = atof(argv[6]);
	blksize = argc > 7 ? atoi(argv[7]) : 0;
	if (strlen(prefix) != 6 || count < 1 || count > 0xffffff ||
	    n_clients < 1 || n_clients > MAX_CLIENTS)
		return 2;
	ep = epoll_create1(0);
	for (int i = 0; i < n_clients; i++) {
		struct client *c = &clients[i];
		struct sockaddr_in me = {.sin_family = AF_INET};

		c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		me.sin_addr.s_addr =
		    htonl(0x7f000200u + (uint32_t)(i / 250) * 256u + 1 +
			  (uint32_t)(i % 250));
		if (c->fd < 0 ||
		    bind(c->fd, (struct sockaddr *)&me, sizeof me) != 0) {
			perror("socket");
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	start = last_check = now();
	first_ns = wall_ns();
	for (int i = 0; i < n_clients; i++)
		next(&clients[i]);
	while (done < count && now() - start < limit) {
		int n = epoll_wait(ep, evs, 256, 10);
		double t;

		for (int i = 0; i < n; i++)
			on_read(evs[i].data.ptr);
		t = now();
		if (t - last_check < 0.01)
			continue;
		last_check = t;
		for (int i = 0; i < n_clients; i++) {
			struct client *c = &clients[i];

			if (c->phone < 0)
				continue;
			if (c->retry_at && t >= c->retry_at) {
				retries++;
				request(c);
			} else if (!c->retry_at && t - c->started > 1.0) {
				retries++; /* lost: ask again */
				request(c);
			}
		}
	}
	printf("phones %ld/%ld files %zu..%zu bytes, not-sgn %ld, "
	       "refused %llu, retried %llu, first_ns %lld, last_ns %lld, "
	       "%.3f s\n",
	       done, count, min_len == SIZE_MAX ? 0 : min_len, max_len, bad,
	       (unsigned long long)refused, (unsigned long long)retries,
	       first_ns, last_done_ns,
	       done ? (double)(last_done_ns - first_ns) / 1e9 : 0.0);
	return done == count && bad == 0 ? 0 : 1;
}
