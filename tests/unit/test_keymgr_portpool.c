/* portpool: with the probe on, a pair handed out stays bound by the pool
 * until the relay claims its sockets or the port is given back; a port
 * another process holds is skipped; a relay session takes claimed
 * sockets whatever it returns. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "node/keymgr/portpool.h"
#include "node/keymgr/relay.h"

static struct sockaddr_storage lo(unsigned port)
{
	struct sockaddr_storage a;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&a;

	memset(&a, 0, sizeof a);
	a4->sin_family = AF_INET;
	a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a4->sin_port = htons((uint16_t)port);
	return a;
}

/* 1 when PORT can be bound on loopback now. */
static int bindable(unsigned port)
{
	struct sockaddr_storage a = lo(port);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), ok;

	assert_true(fd >= 0);
	ok = bind(fd, (struct sockaddr *)&a, sizeof(struct sockaddr_in)) == 0;
	close(fd);
	return ok;
}

/* A pool of NPAIRS pairs on loopback whose ports are all free now. */
static struct portpool *pool_on_free_ports(unsigned npairs, unsigned *lo_out)
{
	static int seeded;

	if (!seeded++)
		srand((unsigned)getpid());
	for (int tries = 0; tries < 200; tries++) {
		/* Above the kernel's ephemeral ports (to 60999) and the
		 * system tests' media blocks, which tests running beside
		 * this one take at any moment. */
		unsigned base = 61000 + 2 * (unsigned)(rand() % 2250);
		int ok = 1;

		for (unsigned p = base; p < base + 2 * npairs && ok; p++)
			ok = bindable(p);
		if (ok) {
			struct portpool *pp =
			    portpool_new(base, base + 2 * npairs - 1);
			struct sockaddr_storage a = lo(0);

			assert_non_null(pp);
			portpool_probe_on(pp, &a);
			*lo_out = base;
			return pp;
		}
	}
	fail_msg("no free port range");
	return NULL;
}

static void test_portpool_holds_a_pair_until_claimed_or_given(void **state)
{
	unsigned base, port;
	struct portpool *p = pool_on_free_ports(2, &base);
	int fd[2];

	(void)state;
	port = portpool_take(p);
	assert_int_equal(port, base);
	/* Reserved from the offer on: nobody else can bind it. */
	assert_false(bindable(port));
	assert_false(bindable(port + 1));
	assert_int_equal(portpool_claim(p, port, fd), 0);
	assert_true(fd[0] >= 0 && fd[1] >= 0);
	assert_true(fcntl(fd[0], F_GETFL) & O_NONBLOCK);
	/* Claimed once: the sockets are the caller's now. */
	assert_int_equal(portpool_claim(p, port, (int[2]){0, 0}), -1);
	close(fd[0]);
	close(fd[1]);
	assert_true(bindable(port));
	portpool_give(p, port);

	/* Given back unclaimed: the pool closes them. */
	port = portpool_take(p);
	assert_int_equal(port, base + 2);
	assert_false(bindable(port));
	portpool_give(p, port);
	assert_true(bindable(port));
	assert_true(bindable(port + 1));
	assert_int_equal(portpool_claim(p, port, fd), -1);
	assert_int_equal(fd[0], -1);
	assert_int_equal(portpool_used(p), 0);
	portpool_free(p);
}

static void test_portpool_skips_a_port_another_process_holds(void **state)
{
	unsigned base;
	struct portpool *p = pool_on_free_ports(2, &base);
	struct sockaddr_storage a = lo(base + 1);
	int other = socket(AF_INET, SOCK_DGRAM, 0);

	(void)state;
	assert_int_equal(
	    bind(other, (struct sockaddr *)&a, sizeof(struct sockaddr_in)), 0);
	assert_int_equal(portpool_take(p), base + 2);
	/* The skipped pair's RTP socket was not kept. */
	assert_true(bindable(base));
	assert_int_equal(portpool_take(p), 0);
	close(other);
	portpool_free(p); /* closes the held sockets */
	assert_true(bindable(base + 2));
	assert_true(bindable(base + 3));
}

static void test_relay_takes_claimed_sockets(void **state)
{
	unsigned base, pa, pb;
	struct portpool *p = pool_on_free_ports(2, &base);
	struct event_base *eb = event_base_new();
	struct relay *r;
	struct relay_session *s;
	struct relay_leg_config legs[2];
	char err[256];

	(void)state;
	assert_non_null(eb);
	assert_int_equal(relay_new(eb, &r, err, sizeof err), 0);
	pa = portpool_take(p);
	pb = portpool_take(p);
	memset(legs, 0, sizeof legs);
	legs[0].local = lo(pa);
	legs[0].remote = lo(9);
	legs[0].rtcp_mux = 1; /* its RTCP socket is closed */
	legs[1].local = lo(pb);
	legs[1].remote = lo(9);
	assert_int_equal(portpool_claim(p, pa, legs[0].fd), 0);
	assert_int_equal(portpool_claim(p, pb, legs[1].fd), 0);
	legs[0].bound = legs[1].bound = 1;
	assert_int_equal(relay_session_new(r, NULL, legs, 1, &s, err,
					   sizeof err),
			 0);
	assert_false(bindable(pa));
	assert_true(bindable(pa + 1));
	assert_false(bindable(pb));
	assert_false(bindable(pb + 1));
	relay_session_free(s);
	assert_true(bindable(pa) && bindable(pb) && bindable(pb + 1));

	/* Refused (a bridge not allowed): the sockets are closed all the
	 * same. */
	assert_int_equal(portpool_claim(p, pa, legs[0].fd), -1);
	portpool_give(p, pa);
	portpool_give(p, pb);
	pa = portpool_take(p);
	pb = portpool_take(p);
	assert_int_equal(portpool_claim(p, pa, legs[0].fd), 0);
	assert_int_equal(portpool_claim(p, pb, legs[1].fd), 0);
	legs[0].local = lo(pa);
	legs[1].local = lo(pb);
	legs[0].srtp = 1;
	assert_int_not_equal(relay_session_new(r, NULL, legs, 0, &s, err,
					       sizeof err),
			     0);
	assert_true(bindable(pa) && bindable(pa + 1) && bindable(pb) &&
		    bindable(pb + 1));
	portpool_give(p, pa);
	portpool_give(p, pb);
	relay_free(r);
	event_base_free(eb);
	portpool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_portpool_holds_a_pair_until_claimed_or_given),
	    cmocka_unit_test(test_portpool_skips_a_port_another_process_holds),
	    cmocka_unit_test(test_relay_takes_claimed_sockets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
