/* Connections seen at accept (node/sip/conn.c): the per-source cap and
 * the total applied by the interposed accept(), closed sockets forgotten,
 * the first-message deadline, and other threads left alone. Real sockets
 * on loopback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "node/sip/conn.h"

static int listener(struct sockaddr_in *addr)
{
	socklen_t len = sizeof *addr;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof *addr), 0);
	assert_int_equal(listen(fd, 64), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

/* A client connected from FROM (a loopback address) to ADDR. */
static int client(const struct sockaddr_in *addr, const char *from)
{
	struct sockaddr_in src = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, from, &src.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof src), 0);
	assert_int_equal(
	    connect(fd, (const struct sockaddr *)addr, sizeof *addr), 0);
	return fd;
}

/* The server's end of the next connection, or -1 (refused). */
static int take(int l, struct sockaddr_in *peer)
{
	socklen_t len = sizeof *peer;

	return accept(l, (struct sockaddr *)peer, &len);
}

/* The peer closed (or shut down) its end: EOF within a second. */
static int ended(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char c;

	return poll(&p, 1, 1000) == 1 && recv(fd, &c, 1, 0) <= 0;
}

static void test_conn_caps_a_source_at_accept_not_another(void **s)
{
	struct sip_conn_config cfg = {.per_source = 2, .max = 16};
	struct sip_conn_stats st;
	struct sockaddr_in addr, peer;
	int l, c[4], a[3];

	(void)s;
	assert_int_equal(sip_conn_thread_begin(&cfg), 0);
	l = listener(&addr);
	c[0] = client(&addr, "127.0.0.1");
	c[1] = client(&addr, "127.0.0.1");
	c[2] = client(&addr, "127.0.0.1");
	c[3] = client(&addr, "127.0.0.2");
	a[0] = take(l, &peer);
	a[1] = take(l, &peer);
	assert_true(a[0] >= 0 && a[1] >= 0);
	/* The third from 127.0.0.1: closed at once, -1 with errno 0. */
	errno = EINVAL;
	assert_int_equal(take(l, &peer), -1);
	assert_int_equal(errno, 0);
	assert_true(ended(c[2]));
	/* Another source is served. */
	a[2] = take(l, &peer);
	assert_true(a[2] >= 0);
	assert_string_equal(inet_ntoa(peer.sin_addr), "127.0.0.2");
	sip_conn_stats(&st);
	assert_int_equal(st.refused, 1);
	assert_int_equal(st.open, 3);
	/* One of the two closes: the source may connect again at once. */
	close(a[0]);
	close(c[0]);
	c[0] = client(&addr, "127.0.0.1");
	a[0] = take(l, &peer);
	assert_true(a[0] >= 0);
	for (int i = 0; i < 4; i++)
		close(c[i]);
	for (int i = 0; i < 3; i++)
		close(a[i]);
	close(l);
	sip_conn_thread_end();
}

static void test_conn_refuses_beyond_the_total(void **s)
{
	struct sip_conn_config cfg = {.per_source = 0, .max = 16};
	struct sip_conn_stats st;
	struct sockaddr_in addr, peer;
	int l, c[17], a[16];

	(void)s;
	assert_int_equal(sip_conn_thread_begin(&cfg), 0);
	l = listener(&addr);
	for (int i = 0; i < 17; i++)
		c[i] = client(&addr, "127.0.0.1");
	for (int i = 0; i < 16; i++)
		assert_true((a[i] = take(l, &peer)) >= 0);
	assert_int_equal(take(l, &peer), -1);
	assert_true(ended(c[16]));
	sip_conn_stats(&st);
	assert_int_equal(st.full, 1);
	for (int i = 0; i < 17; i++)
		close(c[i]);
	for (int i = 0; i < 16; i++)
		close(a[i]);
	close(l);
	sip_conn_thread_end();
}

static void test_conn_shuts_down_silent_connections_only(void **s)
{
	struct sip_conn_config cfg = {
	    .per_source = 8, .max = 16, .silent_ms = 100};
	struct sip_conn_stats st;
	struct sockaddr_in addr, peer;
	struct timespec nap = {0, 200 * 1000000};
	int l, quiet, talks, a_quiet, a_talks;

	(void)s;
	assert_int_equal(sip_conn_thread_begin(&cfg), 0);
	l = listener(&addr);
	quiet = client(&addr, "127.0.0.1");
	talks = client(&addr, "127.0.0.1");
	a_quiet = take(l, &peer);
	a_talks = take(l, &peer);
	assert_true(a_quiet >= 0 && a_talks >= 0);
	sip_conn_spoke((struct sockaddr *)&peer); /* the second spoke */
	assert_int_equal(sip_conn_sweep(), 0);	  /* not yet overdue */
	nanosleep(&nap, NULL);
	assert_int_equal(sip_conn_sweep(), 1);
	assert_true(ended(quiet));
	sip_conn_stats(&st);
	assert_int_equal(st.silent, 1);
	/* The one that spoke stays open. */
	{
		struct pollfd p = {.fd = talks, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 100), 0);
	}
	close(quiet);
	close(talks);
	close(a_quiet);
	close(a_talks);
	assert_int_equal(sip_conn_sweep(), 0);
	sip_conn_stats(&st);
	assert_int_equal(st.open, 0); /* closed sockets forgotten */
	close(l);
	sip_conn_thread_end();
}

/* Among many silent connections, from several hosts, a message marks its
 * own connection and no other, also once closed ones are forgotten and
 * their slots taken again. */
static void test_conn_spoke_marks_its_own_among_many(void **s)
{
	enum { N = 40 };
	struct sip_conn_config cfg = {.max = 64, .silent_ms = 100};
	struct sip_conn_stats st;
	struct sockaddr_in addr, peer[N], stranger;
	struct timespec nap = {0, 200 * 1000000};
	int l, c[N], a[N];
	char from[16];

	(void)s;
	assert_int_equal(sip_conn_thread_begin(&cfg), 0);
	l = listener(&addr);
	for (int i = 0; i < N; i++) {
		snprintf(from, sizeof from, "127.0.0.%d", 1 + i % 4);
		c[i] = client(&addr, from);
		a[i] = take(l, &peer[i]);
		assert_true(a[i] >= 0);
	}
	/* Ten go away and are forgotten; ten new ones take their slots. */
	for (int i = 0; i < 10; i++) {
		close(c[i]);
		close(a[i]);
	}
	assert_int_equal(sip_conn_sweep(), 0);
	sip_conn_stats(&st);
	assert_int_equal(st.open, N - 10);
	for (int i = 0; i < 10; i++) {
		c[i] = client(&addr, "127.0.0.5");
		a[i] = take(l, &peer[i]);
		assert_true(a[i] >= 0);
	}
	/* A stranger's message marks nothing; three connections speak,
	 * one of them twice. */
	stranger = peer[7];
	stranger.sin_port = htons(1);
	sip_conn_spoke((struct sockaddr *)&stranger);
	sip_conn_spoke((struct sockaddr *)&peer[3]);  /* a new one */
	sip_conn_spoke((struct sockaddr *)&peer[22]); /* an old one */
	sip_conn_spoke((struct sockaddr *)&peer[39]);
	sip_conn_spoke((struct sockaddr *)&peer[39]);
	nanosleep(&nap, NULL);
	assert_int_equal(sip_conn_sweep(), N - 3);
	for (int i = 0; i < N; i++) {
		if (i == 3 || i == 22 || i == 39) {
			struct pollfd p = {.fd = c[i], .events = POLLIN};
			assert_int_equal(poll(&p, 1, 0), 0);
		} else {
			assert_true(ended(c[i]));
		}
	}
	for (int i = 0; i < N; i++) {
		close(c[i]);
		close(a[i]);
	}
	assert_int_equal(sip_conn_sweep(), 0);
	sip_conn_stats(&st);
	assert_int_equal(st.open, 0);
	close(l);
	sip_conn_thread_end();
}

static void *other_thread(void *arg)
{
	int *l = arg;
	struct sockaddr_in peer;

	return (void *)(intptr_t)take(*l, &peer);
}

static void test_conn_leaves_other_threads_accept_alone(void **s)
{
	struct sip_conn_config cfg = {.per_source = 1, .max = 16};
	struct sockaddr_in addr;
	pthread_t t;
	void *ret;
	int l, c[2], a[2];

	(void)s;
	assert_int_equal(sip_conn_thread_begin(&cfg), 0);
	l = listener(&addr);
	c[0] = client(&addr, "127.0.0.1");
	c[1] = client(&addr, "127.0.0.1");
	/* A thread that did not begin: no cap. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_create(&t, NULL, other_thread, &l), 0);
		pthread_join(t, &ret);
		a[i] = (int)(intptr_t)ret;
		assert_true(a[i] >= 0);
	}
	for (int i = 0; i < 2; i++) {
		close(c[i]);
		close(a[i]);
	}
	close(l);
	sip_conn_thread_end();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_conn_caps_a_source_at_accept_not_another),
	    cmocka_unit_test(test_conn_refuses_beyond_the_total),
	    cmocka_unit_test(test_conn_shuts_down_silent_connections_only),
	    cmocka_unit_test(test_conn_spoke_marks_its_own_among_many),
	    cmocka_unit_test(test_conn_leaves_other_threads_accept_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
