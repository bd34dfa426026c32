/* The overload probe: it reaches the listener with a Call-ID only this
 * role knows, its delay sets the share of new dialogs admitted, a late or
 * lost probe counts as overload, and nobody else's message passes for
 * it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "node/sip/overload.h"

struct fixture {
	int fd; /* the listener stand-in */
	unsigned port;
	struct sip_overload *o;
};

static int setup(void **state)
{
	static struct fixture f;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(f.fd >= 0);
	assert_int_equal(bind(f.fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(f.fd, (struct sockaddr *)&a, &len), 0);
	f.port = ntohs(a.sin_port);
	assert_int_equal(sip_overload_new("127.0.0.1", f.port, 200, &f.o), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sip_overload_free(f->o);
	close(f->fd);
	return 0;
}

/* Receives the probe: its Call-ID into CALL_ID and its source. */
static void recv_probe(struct fixture *f, char *call_id, size_t cap,
		       struct sockaddr_storage *from)
{
	char buf[2048], *p, *e;
	socklen_t len = sizeof *from;
	ssize_t n = recvfrom(f->fd, buf, sizeof buf - 1, 0,
			     (struct sockaddr *)from, &len);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_true(strncmp(buf, "OPTIONS sip:probe@127.0.0.1:", 28) == 0);
	p = strstr(buf, "\r\nCall-ID: ");
	assert_non_null(p);
	p += 11;
	e = strstr(p, "\r\n");
	assert_non_null(e);
	assert_true((size_t)(e - p) < cap);
	memcpy(call_id, p, (size_t)(e - p));
	call_id[e - p] = '\0';
}

/* Of N requests, how many are admitted. */
static int admitted(struct sip_overload *o, int n)
{
	int k = 0;

	for (int i = 0; i < n; i++)
		k += sip_overload_admit(o);
	return k;
}

/* One probe out at T_SENT and back DELAY ms later. */
static void probe_round(struct fixture *f, uint64_t t_sent, uint64_t delay)
{
	struct sockaddr_storage from;
	char cid[128];

	sip_overload_tick(f->o, t_sent);
	recv_probe(f, cid, sizeof cid, &from);
	assert_int_equal(sip_overload_probe_seen(f->o, (struct sockaddr *)&from,
						 cid, t_sent + delay),
			 1);
}

static void test_overload_probe_delay_decides(void **state)
{
	struct fixture *f = *state;
	struct sip_overload_stats st;

	assert_int_equal(sip_overload_active(f->o), 0);
	assert_int_equal(admitted(f->o, 100), 100);
	/* Back in 150 ms: under 200, nothing changes. */
	probe_round(f, 1000, 150);
	assert_int_equal(sip_overload_active(f->o), 0);
	/* Back after 250 ms: half the new dialogs refused. */
	probe_round(f, 2000, 250);
	sip_overload_stats(f->o, &st);
	assert_int_equal(st.last_delay_ms, 250);
	assert_int_equal(st.probes, 2);
	assert_int_equal(st.admit, 512);
	assert_int_equal(sip_overload_active(f->o), 1);
	assert_int_equal(admitted(f->o, 400), 200);
	/* Late again: half of that. */
	probe_round(f, 3000, 400);
	assert_int_equal(admitted(f->o, 1024), 256);
	/* In time: up by 1/16 each, all again after 12. */
	for (int i = 0; i < 11; i++)
		probe_round(f, 4000 + 100 * i, 5);
	assert_int_equal(sip_overload_active(f->o), 1);
	probe_round(f, 5000, 5);
	assert_int_equal(sip_overload_active(f->o), 0);
	assert_int_equal(admitted(f->o, 100), 100);
}

static void test_overload_late_probe_cuts_each_tick(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	char cid[128];

	sip_overload_tick(f->o, 1000);
	recv_probe(f, cid, sizeof cid, &from);
	sip_overload_tick(f->o, 1100); /* out, not late */
	assert_int_equal(sip_overload_active(f->o), 0);
	sip_overload_tick(f->o, 1201); /* late: cut */
	assert_int_equal(sip_overload_active(f->o), 1);
	/* Stuck for good: never below 1/64 admitted. */
	for (uint64_t t = 1300; t < 60000; t += 100) {
		sip_overload_tick(f->o, t);
		if (t % 1000 == 0) /* the lost probe sent again */
			recv_probe(f, cid, sizeof cid, &from);
	}
	assert_int_equal(admitted(f->o, 6400), 100);
}

static void test_overload_lost_probe_sent_again(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from;
	struct sip_overload_stats st;
	char cid[128], first[128];

	sip_overload_tick(f->o, 10000);
	recv_probe(f, first, sizeof first, &from);
	sip_overload_tick(f->o, 10500); /* still out: nothing sent */
	assert_int_equal(sip_overload_active(f->o), 1);
	sip_overload_tick(f->o, 11000); /* a second: lost, another */
	recv_probe(f, cid, sizeof cid, &from);
	assert_string_not_equal(cid, first);
	sip_overload_stats(f->o, &st);
	assert_true(st.lost >= 1);
	/* The lost one, come late, is dropped and decides nothing. */
	assert_int_equal(sip_overload_probe_seen(f->o, (struct sockaddr *)&from,
						 first, 11001),
			 1);
	sip_overload_stats(f->o, &st);
	assert_int_equal(st.probes, 0);
	assert_int_equal(
	    sip_overload_probe_seen(f->o, (struct sockaddr *)&from, cid, 11002),
	    1);
	sip_overload_stats(f->o, &st);
	assert_int_equal(st.probes, 1);
	assert_int_equal(st.last_delay_ms, 2);
}

static void test_overload_others_are_not_the_probe(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_storage from, other;
	char cid[128], forged[128];

	sip_overload_tick(f->o, 20000);
	recv_probe(f, cid, sizeof cid, &from);
	/* The right Call-ID from another port. */
	other = from;
	((struct sockaddr_in *)&other)->sin_port ^= htons(1);
	assert_int_equal(sip_overload_probe_seen(
			     f->o, (struct sockaddr *)&other, cid, 20001),
			 0);
	/* The right source with another token. */
	snprintf(forged, sizeof forged, "%s", cid);
	forged[0] = forged[0] == 'a' ? 'b' : 'a';
	assert_int_equal(sip_overload_probe_seen(f->o, (struct sockaddr *)&from,
						 forged, 20001),
			 0);
	assert_int_equal(
	    sip_overload_probe_seen(f->o, (struct sockaddr *)&from, "x", 20001),
	    0);
	/* The probe itself is still out: 300 ms later, overloaded. */
	assert_int_equal(sip_overload_active(f->o), 0);
	sip_overload_tick(f->o, 20300);
	assert_int_equal(sip_overload_active(f->o), 1);
	assert_int_equal(
	    sip_overload_probe_seen(f->o, (struct sockaddr *)&from, cid, 20300),
	    1);
}

static void test_overload_refuses_bad_setup(void **state)
{
	struct sip_overload *o = NULL;

	(void)state;
	assert_int_equal(sip_overload_new("not-an-address", 5060, 200, &o), -1);
	assert_int_equal(sip_overload_new("127.0.0.1", 5060, 0, &o), -1);
	assert_int_equal(sip_overload_active(NULL), 0);
	assert_int_equal(sip_overload_admit(NULL), 1);
	sip_overload_tick(NULL, 0);
	sip_overload_free(NULL);
	/* A wildcard listener is probed on loopback. */
	assert_int_equal(sip_overload_new("0.0.0.0", 5060, 200, &o), 0);
	sip_overload_free(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_overload_probe_delay_decides,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_overload_late_probe_cuts_each_tick, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_overload_lost_probe_sent_again,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_overload_others_are_not_the_probe, setup, teardown),
	    cmocka_unit_test(test_overload_refuses_bad_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
