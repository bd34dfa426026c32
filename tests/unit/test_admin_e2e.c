/* End-to-end tests of the admin API on one node: a real store, a real
 * single-node Raft (bootstrapped by the init call, on a free loopback port),
 * and the admin on its own event loop thread, driven over HTTPS with libcurl
 * exactly as a client would. */
#include <arpa/inet.h>
#include <netinet/in.h>
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
#include <event2/thread.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "common/hex.h"
#include "node/admin/admin.h"
#include "node/tlscert.h"
#include "tests/unit/test_admin_harness.h"

static void test_uninitialized_node_serves_status_and_init_only(void **s)
{
	long status;
	json_t *j;
	char body[512];

	(void)s;
	j = call("GET", "/v1/status", NULL, NULL, NULL, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(json_object_get(j, "node"), "state"),
			    "uninitialized");
	json_decref(j);
	j = call("GET", "/v1/nodes", NULL, ADMIN, &status);
	assert_int_equal(status, 503);
	json_decref(j);
	snprintf(body, sizeof body,
		 "{\"token\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		 "\"cluster_name\":\"lab\",\"admin\":\"root\",\"password\":"
		 "\"root-password-1\"}");
	j = call("POST", "/v1/cluster/init", body, NULL, NULL, &status);
	assert_int_equal(status, 401);
	json_decref(j);

	init_cluster();
	j = call("GET", "/v1/status", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(json_object_get(j, "node"), "state"),
			    "running");
	assert_string_equal(str(json_object_get(j, "node"), "role"), "leader");
	assert_string_equal(str(json_object_get(j, "cluster"), "name"), "lab");
	json_decref(j);
	/* Once is enough. */
	snprintf(body, sizeof body,
		 "{\"token\":\"%s\",\"cluster_name\":\"lab2\",\"admin\":"
		 "\"root\",\"password\":\"root-password-1\"}",
		 init_token);
	j = call("POST", "/v1/cluster/init", body, NULL, NULL, &status);
	assert_int_equal(status, 409);
	json_decref(j);
}

/* Failed logins are counted, then summarised in one record per source
 * with the count and the names tried. */
static void test_wrong_password_is_401_and_audited(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	j = call("GET", "/v1/nodes", NULL, NULL, NULL, &status);
	assert_int_equal(status, 401);
	json_decref(j);
	j = call("GET", "/v1/nodes", NULL, "root", "not-the-password", &status);
	assert_int_equal(status, 401);
	json_decref(j);
	j = call("GET", "/v1/nodes", NULL, "mallory", "whatever-pass", &status);
	assert_int_equal(status, 401);
	json_decref(j);
	assert_true(audit_has("login.fail", "peer=127.0.0.1 count=2"));
	assert_true(audit_has("login.fail", "root:1"));
	assert_true(audit_has("login.fail", "mallory:1"));
	assert_true(audit_has("login.fail.users", "root:1"));
	assert_true(audit_has("cluster.init", "cluster=lab"));
}

static void test_bad_requests_get_reasons(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	j = call("POST", "/v1/admins", "{\"name\":", ADMIN, &status);
	assert_int_equal(status, 400);
	assert_non_null(strstr(str(j, "error"), "JSON"));
	json_decref(j);
	j = call("POST", "/v1/admins", "{\"name\":\"bob\",\"password\":7}",
		 ADMIN, &status);
	assert_int_equal(status, 400);
	assert_non_null(strstr(str(j, "error"), "password"));
	json_decref(j);
	j = call("GET", "/v1/nope", NULL, ADMIN, &status);
	assert_int_equal(status, 404);
	json_decref(j);
	j = call("DELETE", "/v1/params", NULL, ADMIN, &status);
	assert_int_equal(status, 405);
	json_decref(j);
	j = call("GET", "/v1/params/no_such_param", NULL, ADMIN, &status);
	assert_int_equal(status, 404);
	json_decref(j);
	j = call("DELETE", "/v1/nodes/ghost", NULL, ADMIN, &status);
	assert_int_equal(status, 404);
	json_decref(j);
}

static void test_param_set_then_get_round_trips(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	j = call("PUT", "/v1/params/tftp_encrypted_config",
		 "{\"value\":\"yes\"}", ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "value"), "true"); /* canonical */
	json_decref(j);
	j = call("GET", "/v1/params/tftp_encrypted_config", NULL, ADMIN,
		 &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "value"), "true");
	json_decref(j);
	j = call("PUT", "/v1/params/sip_keepalive_s", "{\"value\":\"abc\"}",
		 ADMIN, &status);
	assert_int_equal(status, 400);
	json_decref(j);
	j = call("GET", "/v1/params?consistent=1", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_true(json_array_size(json_object_get(j, "params")) >= 2);
	json_decref(j);
	assert_true(audit_has("param.set", "tftp_encrypted_config=true"));
}

static void test_new_admin_can_log_in_until_removed(void **s)
{
	long status;
	json_t *j;

	(void)s;
	init_cluster();
	j = call("POST", "/v1/admins",
		 "{\"name\":\"bob\",\"password\":\"bob-password\"}", ADMIN,
		 &status);
	assert_int_equal(status, 201);
	json_decref(j);
	j = call("POST", "/v1/admins",
		 "{\"name\":\"bob\",\"password\":\"bob-password\"}", ADMIN,
		 &status);
	assert_int_equal(status, 409);
	json_decref(j);
	j = call("GET", "/v1/admins", NULL, "bob", "bob-password", &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "admins")), 2);
	json_decref(j);
	j = call("PUT", "/v1/admins/bob/password",
		 "{\"password\":\"bob-password-2\"}", "bob", "bob-password",
		 &status);
	assert_int_equal(status, 200);
	json_decref(j);
	/* The cached credential died with the old password. */
	j = call("GET", "/v1/admins", NULL, "bob", "bob-password", &status);
	assert_int_equal(status, 401);
	json_decref(j);
	j = call("GET", "/v1/admins", NULL, "bob", "bob-password-2", &status);
	assert_int_equal(status, 200);
	json_decref(j);
	j = call("DELETE", "/v1/admins/bob", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	json_decref(j);
	j = call("GET", "/v1/admins", NULL, "bob", "bob-password-2", &status);
	assert_int_equal(status, 401);
	json_decref(j);
	j = call("DELETE", "/v1/admins/root", NULL, ADMIN, &status);
	assert_int_equal(status, 409); /* the last one */
	json_decref(j);
}

static void test_node_add_returns_a_token_once(void **s)
{
	uint8_t fp[32];
	char want[80], body[512];
	long status;
	json_t *j, *n;
	size_t i;
	int seen = 0;

	(void)s;
	init_cluster();
	j = call("POST", "/v1/nodes",
		 "{\"name\":\"n2\",\"address\":\"127.0.0.9\"}", ADMIN, &status);
	assert_int_equal(status, 201);
	assert_int_equal(json_integer_value(json_object_get(j, "id")), 2);
	assert_true(strncmp(str(j, "token"), "2.", 2) == 0);
	assert_int_equal(strlen(str(j, "token")), 2 + 43);
	assert_true(json_integer_value(json_object_get(j, "expires_ms")) > 0);
	admin_fingerprint(N1->admin, fp);
	hex_sha256_text(fp, want);
	assert_string_equal(str(j, "fingerprint"), want);
	json_decref(j);

	j = call("POST", "/v1/nodes",
		 "{\"name\":\"n2\",\"address\":\"127.0.0.9\"}", ADMIN, &status);
	assert_int_equal(status, 409);
	json_decref(j);
	j = call("GET", "/v1/nodes", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	json_array_foreach(json_object_get(j, "nodes"), i, n)
	{
		if (strcmp(str(n, "name"), "n2") == 0) {
			assert_string_equal(str(n, "state"), "joining");
			seen = 1;
		}
	}
	assert_true(seen);
	json_decref(j);

	/* A guessed token is refused and audited. */
	snprintf(
	    body, sizeof body,
	    "{\"token\":\"2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
	    "\"name\":\"n2\",\"raft_address\":\"127.0.0.9:9443\","
	    "\"admin_address\":\"127.0.0.9:8443\",\"https_sha256\":\"%s\"}",
	    want);
	j = call("POST", "/v1/join", body, NULL, NULL, &status);
	assert_int_equal(status, 401);
	json_decref(j);
	assert_true(audit_has("join.fail", "names=n2:1 last=wrong token"));

	j = call("DELETE", "/v1/nodes/n2", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_string_equal(str(j, "removed"), "n2");
	json_decref(j);
	j = call("GET", "/v1/cluster/status", NULL, ADMIN, &status);
	assert_int_equal(status, 200);
	assert_int_equal(json_array_size(json_object_get(j, "members")), 1);
	n = json_array_get(json_object_get(j, "members"), 0);
	assert_string_equal(str(n, "health"), "ok");
	assert_string_equal(str(n, "role"), "voter");
	json_decref(j);
}

/* ---- TLS -------------------------------------------------------------- */

/* One raw TLS connection to N1 asking for /v1/status; returns the session
 * (caller frees) and whether it was resumed from SESS. */
static SSL_SESSION *tls_visit(SSL_CTX *ctx, SSL_SESSION *sess, int *reused,
			      int *ok)
{
	static const char req[] = "GET /v1/status HTTP/1.1\r\nHost: n1\r\n"
				  "Connection: close\r\n\r\n";
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char buf[4096];
	SSL_SESSION *out = NULL;
	SSL *ssl;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	*ok = 0;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)admin_port(N1->admin));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (sess)
		SSL_set_session(ssl, sess);
	if (SSL_connect(ssl) == 1) {
		*ok = 1;
		*reused = SSL_session_reused(ssl);
		SSL_write(ssl, req, (int)strlen(req));
		/* Reading the answer also takes in the TLS 1.3 tickets. */
		while (SSL_read(ssl, buf, sizeof buf) > 0)
			;
		out = SSL_get1_session(ssl);
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(fd);
	return out;
}

static void test_tls_sessions_resume_and_old_versions_are_refused(void **s)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL_SESSION *first, *second;
	int reused = -1, ok;

	(void)s;
	assert_non_null(ctx);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
	first = tls_visit(ctx, NULL, &reused, &ok);
	assert_true(ok);
	assert_non_null(first);
	assert_int_equal(reused, 0);
	second = tls_visit(ctx, first, &reused, &ok);
	assert_true(ok);
	assert_int_equal(reused, 1);
	SSL_SESSION_free(first);
	SSL_SESSION_free(second);
	/* TLS 1.2 resumes too (session cache or ticket). */
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	first = tls_visit(ctx, NULL, &reused, &ok);
	assert_true(ok);
	second = tls_visit(ctx, first, &reused, &ok);
	assert_true(ok);
	assert_int_equal(reused, 1);
	SSL_SESSION_free(first);
	SSL_SESSION_free(second);
	/* Nothing older than TLS 1.2. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
	SSL_CTX_set_security_level(ctx, 0);
	first = tls_visit(ctx, NULL, &reused, &ok);
	assert_false(ok);
	assert_null(first);
	SSL_CTX_free(ctx);
}

static void test_reload_swaps_the_certificate_or_keeps_the_old(void **s)
{
	uint8_t before[32], after[32];
	char errmsg[256];
	long status;
	json_t *j;
	FILE *f;

	(void)s;
	admin_fingerprint(N1->admin, before);
	/* A broken file: refused, the old certificate stays in use. */
	f = fopen(N1->key, "w");
	assert_non_null(f);
	fputs("not a key\n", f);
	fclose(f);
	assert_int_equal(reload_n1(), -1);
	admin_fingerprint(N1->admin, after);
	assert_memory_equal(before, after, 32);
	j = call("GET", "/v1/status", NULL, NULL, NULL, &status);
	assert_int_equal(status, 200);
	json_decref(j);
	/* A new pair: new connections get it (curl now trusts only it). */
	unlink(N1->cert);
	unlink(N1->key);
	assert_int_equal(tlscert_ensure(N1->cert, N1->key, "n1", "127.0.0.1",
					errmsg, sizeof errmsg),
			 0);
	assert_int_equal(reload_n1(), 0);
	admin_fingerprint(N1->admin, after);
	assert_memory_not_equal(before, after, 32);
	j = call("GET", "/v1/status", NULL, NULL, NULL, &status);
	assert_int_equal(status, 200);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_uninitialized_node_serves_status_and_init_only, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_wrong_password_is_401_and_audited, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests_get_reasons,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_param_set_then_get_round_trips,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_new_admin_can_log_in_until_removed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_add_returns_a_token_once,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_tls_sessions_resume_and_old_versions_are_refused, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_reload_swaps_the_certificate_or_keeps_the_old, setup,
		teardown),
	};
	int rc;

	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
