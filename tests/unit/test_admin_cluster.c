/* End-to-end tests of the admin API on two nodes in one process: joining
 * with a token, writes relayed from the follower to the pinned leader,
 * audits of failures seen by a follower, leadership transfer, and a leader
 * that removes itself. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "node/admin/admin.h"
#include "node/admin/admin_int.h"
#include "node/tlscert.h"
#include "tests/unit/test_admin_harness.h"

static void test_follower_forwards_to_the_pinned_leader(void **s)
{
	char errmsg[256];
	long status;
	json_t *j, *m;
	size_t i;

	(void)s;
	init_cluster();
	join_n2();
	j = call("POST", "/v1/join", join_body, NULL, NULL, &status);
	assert_int_equal(status, 409); /* the token is spent */
	json_decref(j);

	j = call_node(N2, "PUT", "/v1/params/sip_keepalive_s",
		      "{\"value\":\"45\"}", ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(last_leader_hdr, "n1");
	assert_string_equal(str(j, "value"), "45");
	json_decref(j);
	j = call("GET", "/v1/params/sip_keepalive_s", NULL, ADMIN, &status);
	assert_string_equal(str(j, "value"), "45");
	json_decref(j);
	j = call_node(N2, "GET", "/v1/params/sip_keepalive_s?consistent=1",
		      NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "value"), "45");
	json_decref(j);

	/* Only the leader writes audit records: n2 counts the failure and
	 * hands its summary to the leader. */
	j = call_node(N2, "GET", "/v1/nodes", NULL, "root", "wrong-password",
		      &status);
	assert_int_equal(status, 401);
	json_decref(j);
	assert_true(audit_has("login.fail", "(seen by n2)"));

	j = call("GET", "/v1/cluster/status", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "members")), 2);
	json_array_foreach(json_object_get(j, "members"), i, m)
	{
		assert_true(json_is_true(json_object_get(m, "reachable")));
		assert_string_equal(str(m, "role"), "voter");
		assert_string_equal(str(m, "state"), "voter");
		assert_string_equal(str(m, "health"), "ok");
	}
	assert_string_equal(str(json_object_get(j, "leader"), "name"), "n1");
	json_decref(j);

	/* A leader whose certificate is not the one on record is not
	 * trusted with credentials: nothing is relayed. */
	unlink(N1->cert);
	unlink(N1->key);
	assert_int_equal(tlscert_ensure(N1->cert, N1->key, "n1", "127.0.0.1",
					errmsg, sizeof errmsg),
			 0);
	assert_int_equal(reload_n1(), 0);
	j = call_node(N2, "PUT", "/v1/params/sip_keepalive_s",
		      "{\"value\":\"46\"}", ADMIN, &status);
	assert_int_equal(status, 503);
	assert_non_null(strstr(str(j, "error"),
			       "leader n1 unreachable: its certificate is not "
			       "the one on record (pin mismatch)"));
	json_decref(j);
	j = call("GET", "/v1/params/sip_keepalive_s", NULL, ADMIN, &status);
	assert_string_equal(str(j, "value"), "45");
	json_decref(j);
}

/* ---- a member's post to the leader (admin_member_post) ----------------- */

struct post_probe {
	const char *uri, *doc;
	int stop; /* break N2's loop right after sending */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int sent, rc, answered, dropped, status;
	char body[512];
};

static void post_answered(void *arg, int status, const char *body, size_t len)
{
	struct post_probe *p = arg;

	pthread_mutex_lock(&p->lock);
	p->answered++;
	p->status = status;
	snprintf(p->body, sizeof p->body, "%.*s", (int)len, body ? body : "");
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void post_dropped(void *arg)
{
	struct post_probe *p = arg;

	pthread_mutex_lock(&p->lock);
	p->dropped++;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* On N2's loop thread, as every admin call is made. */
static void post_send(evutil_socket_t fd, short what, void *arg)
{
	struct post_probe *p = arg;
	int rc;

	(void)fd;
	(void)what;
	rc = admin_member_post(N2->admin, p->uri, json_loads(p->doc, 0, NULL),
			       post_answered, post_dropped, p);
	if (p->stop)
		event_base_loopbreak(N2->base);
	pthread_mutex_lock(&p->lock);
	p->rc = rc;
	p->sent = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Posts DOC to URI from N2; waits until it was sent, and unless STOP for
 * the answer. */
static void post_from_n2(struct post_probe *p, const char *uri, const char *doc,
			 int stop)
{
	struct timeval zero = {0, 0};

	memset(p, 0, sizeof *p);
	p->uri = uri;
	p->doc = doc;
	p->stop = stop;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	assert_int_equal(
	    event_base_once(N2->base, -1, EV_TIMEOUT, post_send, p, &zero), 0);
	pthread_mutex_lock(&p->lock);
	while (!p->sent || (!stop && p->rc == 0 && !p->answered))
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

static void post_probe_fini(struct post_probe *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

static void test_a_members_post_gets_the_answer_or_is_dropped(void **s)
{
	struct post_probe p;

	(void)s;
	init_cluster();
	join_n2();
	post_from_n2(&p, "/v1/audit/failures",
		     "{\"records\": [{\"action\": \"login.fail\", \"detail\": "
		     "\"peer=192.0.2.1 count=1\"}]}",
		     0);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.status, 200);
	assert_non_null(strstr(p.body, "\"written\""));
	assert_int_equal(p.dropped, 0);
	post_probe_fini(&p);
	assert_true(audit_has("login.fail", "peer=192.0.2.1 count=1"));

	/* A refusal reaches the caller with the leader's reason. */
	post_from_n2(&p, "/v1/audit/failures", "{\"records\": []}", 0);
	assert_int_equal(p.rc, 0);
	assert_int_equal(p.status, 400);
	assert_non_null(strstr(p.body, "want {"));
	post_probe_fini(&p);

	/* The admin goes while the post is in flight: the drop callback runs
	 * instead of the answer, once. */
	post_from_n2(&p, "/v1/audit/failures",
		     "{\"records\": [{\"action\": \"login.fail\", \"detail\": "
		     "\"peer=192.0.2.2 count=1\"}]}",
		     1);
	assert_int_equal(p.rc, 0);
	node_stop(N2);
	assert_int_equal(p.dropped, 1);
	assert_int_equal(p.answered, 0);
	post_probe_fini(&p);
}

static void test_leadership_moves_and_the_old_leader_leaves(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	join_n2();
	/* Asked of the follower, done by the leader. */
	j = call_node(N2, "POST", "/v1/leader/transfer", "{\"node\":\"n2\"}",
		      ADMIN, &status);
	if (status != 200)
		fail_msg("transfer: %ld %s", status, str(j, "error"));
	assert_string_equal(str(j, "leader"), "n2");
	json_decref(j);
	j = call("PUT", "/v1/params/sip_keepalive_s", "{\"value\":\"50\"}",
		 ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(last_leader_hdr, "n2");
	json_decref(j);
	/* Back to n1, then n1 removes itself: it hands leadership over
	 * first and the new leader takes it out. */
	j = call("POST", "/v1/leader/transfer", "{}", ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "leader"), "n1");
	json_decref(j);
	j = call("DELETE", "/v1/nodes/n1", NULL, ADMIN, &status);
	if (status != 200)
		fail_msg("remove: %ld %s", status, str(j, "error"));
	assert_string_equal(str(j, "removed"), "n1");
	json_decref(j);
	j = call_node(N2, "GET", "/v1/nodes", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "nodes")), 1);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_follower_forwards_to_the_pinned_leader, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_leadership_moves_and_the_old_leader_leaves, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_members_post_gets_the_answer_or_is_dropped, setup,
		teardown),
	};
	int rc;

	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
