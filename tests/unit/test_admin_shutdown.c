/* test_admin_shutdown: admin_free() while other threads still owe it an
 * answer — a Raft callback, a password check on the login thread. Run under
 * AddressSanitizer and ThreadSanitizer by tests/run: a use of the mailbox
 * after it was freed, or a race on it, fails there. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>

#include "consensus/consensus.h"
#include "node/admin/admin.h"
#include "node/admin/admin_int.h"
#include "store/store.h"
#include "tests/unit/test_admin_harness.h"

/* Enough delivered-but-not-run callbacks that admin_free() is still busy
 * freeing them when the owed one lands. */
#define QUEUED_OPS 20000

static void step_never(struct admin_op *op, int rc)
{
	(void)op;
	(void)rc;
	fail_msg("a step ran after the admin was freed");
}

struct late_post {
	struct admin_mailbox *mb;
	struct admin_op *op;
};

/* The Raft thread: answers the moment the admin closes its mailbox. */
static void *post_when_closed(void *arg)
{
	struct late_post *lp = arg;
	int closed = 0;

	while (!closed) {
		pthread_mutex_lock(&lp->mb->lock);
		closed = lp->mb->closed;
		pthread_mutex_unlock(&lp->mb->lock);
	}
	admin_op_post(lp->op, 0);
	return NULL;
}

/* The rest of node_stop() once the admin is gone (admin_free(NULL) is a
 * no-op). */
static void node_free_rest(struct node *n)
{
	n->admin = NULL;
	n->running = 0;
	node_stop(n);
}

static void test_free_with_a_callback_landing_during_the_close(void **state)
{
	struct admin *a;
	struct late_post lp;
	pthread_t t;

	(void)state;
	node_make(N1, "n1");
	a = N1->admin;
	/* Callbacks delivered while the loop was not running. */
	for (int i = 0; i < QUEUED_OPS; i++) {
		struct admin_op *op = admin_op_new(a, NULL);

		assert_non_null(op);
		admin_op_hold(op, step_never);
		admin_op_post(op, 0);
	}
	lp.mb = a->mb;
	lp.op = admin_op_new(a, NULL);
	assert_non_null(lp.op);
	admin_op_hold(lp.op, step_never);
	assert_int_equal(pthread_create(&t, NULL, post_when_closed, &lp), 0);
	admin_free(a);
	assert_int_equal(pthread_join(t, NULL), 0);
	node_free_rest(N1);
}

/* Fires one request with credentials; the answer is lost in the shutdown. */
static void *login_call(void *arg)
{
	struct node *n = arg;
	char url[128];
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	snprintf(url, sizeof url, "%s/v1/admins", n->url);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(h, CURLOPT_USERPWD, "root:wrong-password-9");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_perform(h);
	curl_easy_cleanup(h);
	return NULL;
}

static int login_busy(struct admin *a)
{
	struct admin_mailbox *mb = a->mb;
	unsigned refs;

	pthread_mutex_lock(&mb->lock);
	refs = mb->refs;
	pthread_mutex_unlock(&mb->lock);
	return refs > 1;
}

static void test_free_while_logins_are_checked(void **state)
{
	pthread_t t[4];
	int i, waited;

	(void)state;
	init_cluster();
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, login_call, N1),
				 0);
	/* Stop once the login thread holds a job: its answer comes after. */
	for (waited = 0; !login_busy(N1->admin) && waited < 5000; waited++)
		usleep(1000);
	assert_true(login_busy(N1->admin));
	event_base_loopexit(N1->base, NULL);
	pthread_join(N1->thread, NULL);
	N1->running = 0;
	/* wardd's order: Raft stops first, then the admin. */
	admin_attach(N1->admin, NULL, 0);
	consensus_stop(N1->consensus);
	N1->consensus = NULL;
	admin_free(N1->admin);
	N1->admin = NULL;
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	node_free_rest(N1);
}

static void test_free_with_a_raft_barrier_owed(void **state)
{
	struct admin_op *op;

	(void)state;
	init_cluster();
	event_base_loopexit(N1->base, NULL);
	pthread_join(N1->thread, NULL);
	N1->running = 0;
	op = admin_op_new(N1->admin, NULL);
	assert_non_null(op);
	admin_op_hold(op, step_never);
	if (consensus_barrier(N1->consensus, admin_op_post, op) != 0)
		fail_msg("barrier refused");
	/* The admin goes while Raft still owes the barrier's answer; the
	 * answer lands in the closed mailbox when Raft stops. */
	admin_free(N1->admin);
	N1->admin = NULL;
	node_free_rest(N1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
		test_free_with_a_callback_landing_during_the_close),
	    cmocka_unit_test_setup(test_free_while_logins_are_checked, setup),
	    cmocka_unit_test_setup(test_free_with_a_raft_barrier_owed, setup),
	};

	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
