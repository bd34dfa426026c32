/* bench_tftp_serve: files served per second by a node's TFTP role, over
 * TFTP and over HTTP, with many clients at once.
 *
 *   bench_tftp_serve tftp HOST PORT NAME CLIENTS SECONDS [BLKSIZE]
 *   bench_tftp_serve http HOST PORT NAME CLIENTS SECONDS
 *
 * TFTP: CLIENTS sockets, each bound to its own loopback address
 * (127.0.1.x, as phones each have their own), fetch NAME over and over
 * (RRQ, then DATA/ACK until the short block; with BLKSIZE, the option is
 * negotiated with tsize first). HTTP: CLIENTS keep-alive connections GET
 * /NAME over and over. One thread, epoll. Prints completed files/s, the
 * bytes of one file and the failures (timeouts are retried by
 * re-requesting after 1 s). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 4096

struct client {
	int fd;
	int http;
	uint16_t expect;	/* TFTP: next block */
	size_t got;		/* bytes of the current file */
	double started;		/* time of the current request */
	struct sockaddr_in tid; /* TFTP: the transfer's address */
	char buf[70000];
	size_t have; /* HTTP: bytes buffered */
	long body;   /* HTTP: body bytes still to read, -1: in headers */
};

static const char *host, *name;
static int port, blksize;
static uint64_t done, failed;
static size_t file_len;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tftp_request(struct client *c)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	char pkt[512];
	int n;

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
	c->started = now();
}

static void tftp_ack(struct client *c, uint16_t block)
{
	uint8_t ack[4] = {0, 4, (uint8_t)(block >> 8), (uint8_t)block};

	sendto(c->fd, ack, 4, 0, (struct sockaddr *)&c->tid, sizeof c->tid);
}

static void tftp_on_read(struct client *c)
{
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	uint8_t *p = (uint8_t *)c->buf;

	for (;;) {
		fl = sizeof from;
		n = recvfrom(c->fd, p, sizeof c->buf, MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 4)
			return;
		if (p[1] == 6) { /* OACK */
			c->tid = from;
			tftp_ack(c, 0);
			continue;
		}
		if (p[1] == 5) { /* ERROR: busy or gone; ask again */
			failed++;
			tftp_request(c);
			continue;
		}
		if (p[1] != 3)
			continue;
		uint16_t blk = (uint16_t)(p[2] << 8 | p[3]);
		c->tid = from;
		if (blk != c->expect) {
			tftp_ack(c, (uint16_t)(c->expect - 1));
			continue;
		}
		c->got += (size_t)n - 4;
		tftp_ack(c, blk);
		c->expect++;
		if ((size_t)n - 4 < (size_t)(blksize ? blksize : 512)) {
			file_len = c->got;
			done++;
			tftp_request(c);
		}
	}
}

static void http_request(struct client *c)
{
	char req[600];
	int n = snprintf(req, sizeof req,
			 "GET /%s HTTP/1.1\r\nHost: %s\r\n\r\n", name, host);

	if (write(c->fd, req, (size_t)n) != n)
		failed++;
	c->have = 0;
	c->body = -1;
	c->started = now();
}

static void http_on_read(struct client *c)
{
	ssize_t n;

	for (;;) {
		n = read(c->fd, c->buf + c->have, sizeof c->buf - c->have - 1);
		if (n <= 0)
			return;
		c->have += (size_t)n;
		if (c->body < 0) {
			char *end;

			c->buf[c->have] = '\0';
			end = strstr(c->buf, "\r\n\r\n");
			if (!end)
				continue;
			char *cl = strcasestr(c->buf, "Content-Length:");
			if (!cl || strncmp(c->buf, "HTTP/1.1 200", 12) != 0) {
				failed++;
				c->body = cl ? atol(cl + 15) : 0;
			} else {
				c->body = atol(cl + 15);
			}
			size_t head = (size_t)(end + 4 - c->buf);
			memmove(c->buf, end + 4, c->have - head);
			c->have -= head;
		}
		if ((long)c->have >= c->body) {
			file_len = (size_t)c->body;
			done++;
			http_request(c);
		}
	}
}

static int http_connect(void)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, host, &to.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) != 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

int main(int argc, char **argv)
{
	static struct client clients[MAX_CLIENTS];
	struct epoll_event ev, evs[256];
	int http, n_clients, seconds, ep;
	double start, end, last_check;

	if (argc < 7) {
		fprintf(stderr,
			"usage: %s tftp|http HOST PORT NAME CLIENTS "
			"SECONDS [BLKSIZE]\n",
			argv[0]);
		return 2;
	}
	http = strcmp(argv[1], "http") == 0;
	host = argv[2];
	port = atoi(argv[3]);
	name = argv[4];
	n_clients = atoi(argv[5]);
	seconds = atoi(argv[6]);
	blksize = argc > 7 ? atoi(argv[7]) : 0;
	if (n_clients < 1 || n_clients > MAX_CLIENTS)
		return 2;
	ep = epoll_create1(0);
	for (int i = 0; i < n_clients; i++) {
		struct client *c = &clients[i];

		c->http = http;
		if (http) {
			c->fd = http_connect();
		} else {
			struct sockaddr_in me = {.sin_family = AF_INET};

			c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
			me.sin_addr.s_addr =
			    htonl(0x7f000100u + 1 + (uint32_t)(i % 250));
			if (c->fd >= 0 &&
			    bind(c->fd, (struct sockaddr *)&me, sizeof me) != 0)
				c->fd = -1;
		}
		if (c->fd < 0) {
			perror("socket");
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
	}
	start = last_check = now();
	for (int i = 0; i < n_clients; i++)
		http ? http_request(&clients[i]) : tftp_request(&clients[i]);
	end = start + seconds;
	while (now() < end) {
		int n = epoll_wait(ep, evs, 256, 100);

		for (int i = 0; i < n; i++) {
			struct client *c = evs[i].data.ptr;

			c->http ? http_on_read(c) : tftp_on_read(c);
		}
		if (!http && now() - last_check > 0.5) {
			/* a lost packet: ask again after a second */
			last_check = now();
			for (int i = 0; i < n_clients; i++)
				if (last_check - clients[i].started > 1.0) {
					failed++;
					tftp_request(&clients[i]);
				}
		}
	}
	printf("%s %s: %d clients, %ds: %llu files (%zu bytes each), "
	       "%.0f files/s, %llu retried or refused\n",
	       http ? "http" : "tftp", name, n_clients, seconds,
	       (unsigned long long)done, file_len,
	       (double)done / (now() - start), (unsigned long long)failed);
	return 0;
}
