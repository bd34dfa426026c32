/* test_admin_wipe: the copies of a served secret are wiped (wipe.h) —
 * the reply's text handed to libevent by reference is wiped before it is
 * released, after libevent moved it between buffers (as evhttp does) and
 * drained it (as a send does), exactly once; jansson, once the wiping
 * free is set, wipes each block it frees, its intermediate buffers of a
 * dump included. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>
#include <jansson.h>

#include "node/admin/wipe.h"

static const char secret[] =
    "{\"inline\":\"WVdKaVpHVm1aMmhwYW10c2JXNXZjSEZ5YzNSMQ\"}";

static int released;
static int released_clean;

/* A release that checks the block was wiped before it came here. */
static void check_release(void *p)
{
	const char *b = p;

	released++;
	released_clean = 1;
	for (size_t i = 0; i < sizeof secret - 1; i++)
		if (b[i])
			released_clean = 0;
	free(p);
}

static void test_evbuffer_reference_is_wiped_once_sent(void **state)
{
	struct evbuffer *reply = evbuffer_new(), *conn = evbuffer_new();
	char *text = strdup(secret), got[sizeof secret];

	(void)state;
	released = released_clean = 0;
	assert_int_equal(
	    admin_evbuffer_add_wiped(reply, text, strlen(text), check_release),
	    0);
	/* evhttp_send moves the body into the connection's output */
	assert_int_equal(evbuffer_add_buffer(conn, reply), 0);
	evbuffer_free(reply);
	assert_int_equal(released, 0);
	assert_int_equal(evbuffer_copyout(conn, got, sizeof got),
			 (ev_ssize_t)(sizeof secret - 1));
	assert_memory_equal(got, secret, sizeof secret - 1);
	/* sent: drained, then wiped and released, once */
	assert_int_equal(evbuffer_drain(conn, 10), 0);
	assert_int_equal(released, 0);
	assert_int_equal(evbuffer_drain(conn, sizeof secret), 0);
	assert_int_equal(released, 1);
	assert_true(released_clean);
	evbuffer_free(conn);
	assert_int_equal(released, 1);
}

static void test_evbuffer_reference_freed_unsent_is_wiped(void **state)
{
	struct evbuffer *reply = evbuffer_new();

	(void)state;
	released = released_clean = 0;
	assert_int_equal(admin_evbuffer_add_wiped(reply, strdup(secret),
						  sizeof secret - 1,
						  check_release),
			 0);
	evbuffer_free(reply); /* the connection failed */
	assert_int_equal(released, 1);
	assert_true(released_clean);
}

static void test_wipe_block_clears_the_usable_size(void **state)
{
	char *p = malloc(40);
	size_t n = malloc_usable_size(p);

	(void)state;
	memset(p, 0xA5, n);
	admin_wipe_block(p);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(p[i], 0);
	free(p);
	admin_wipe_block(NULL);
}

/* jansson's frees, and how many freed a block holding the key. */
static size_t frees, keyed;

static void counting_free(void *p)
{
	if (p) {
		frees++;
		keyed += memmem(p, malloc_usable_size(p), "WVdKaVpHVm1a", 12) !=
			 NULL;
	}
	admin_json_wipe_free(p);
}

static void test_json_frees_go_through_the_wiping_free(void **state)
{
	json_malloc_t m;
	json_free_t f;
	json_t *doc, *list;
	char *text;
	size_t before;

	(void)state;
	admin_json_wipe_init();
	json_get_alloc_funcs(&m, &f);
	assert_ptr_equal(f, admin_json_wipe_free);
	/* wrapped to count: a dump long enough to grow jansson's buffer
	 * frees intermediate copies holding the key through the hook (which
	 * wipes them: test_wipe_block_clears_the_usable_size), and so does
	 * parsing and freeing the document */
	json_set_alloc_funcs(malloc, counting_free);
	frees = keyed = 0;
	list = json_array();
	for (int i = 0; i < 64; i++)
		json_array_append_new(list,
				      json_pack("{s:s}", "inline", secret));
	doc = json_pack("{s:o}", "entries", list);
	text = json_dumps(doc, JSON_COMPACT);
	assert_non_null(text);
	assert_true(keyed > 0); /* the dump's grown buffers */
	before = keyed;
	json_decref(doc);
	assert_true(keyed >= before + 64); /* each packed string */
	doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	before = keyed;
	json_decref(doc);
	assert_true(keyed >= before + 64);
	counting_free(text);
	admin_json_wipe_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_evbuffer_reference_is_wiped_once_sent),
	    cmocka_unit_test(test_evbuffer_reference_freed_unsent_is_wiped),
	    cmocka_unit_test(test_wipe_block_clears_the_usable_size),
	    cmocka_unit_test(test_json_frees_go_through_the_wiping_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
