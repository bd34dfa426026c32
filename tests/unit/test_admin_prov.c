/* test_admin_prov: the provisioning routes end to end on one node (real
 * store, single-node Raft, HTTPS): round trips, refusals with reasons,
 * deletions refused while in use, credentials that are wrapped HA1 values
 * and never come back, warnings about digest credentials in clear, and
 * the audit of every change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/thread.h>
#include <jansson.h>

#include "pki/pki.h"
#include "store/prov.h"
#include "tests/unit/test_admin_harness.h"

/* Sends and expects STATUS; returns the answer (caller decrefs). */
static json_t *expect(long want, const char *method, const char *path,
		      const char *body)
{
	long status = 0;
	json_t *j = call(method, path, body, ADMIN, &status);

	if (status != want)
		fail_msg("%s %s: %ld, wanted %ld: %s", method, path, status,
			 want, str(j, "error"));
	return j;
}

static void ok(long want, const char *method, const char *path,
	       const char *body)
{
	json_decref(expect(want, method, path, body));
}

/* The error of a refused request must contain NEEDLE. */
static void refused(long want, const char *method, const char *path,
		    const char *body, const char *needle)
{
	json_t *j = expect(want, method, path, body);

	if (!strstr(str(j, "error"), needle))
		fail_msg("%s %s: error \"%s\" lacks \"%s\"", method, path,
			 str(j, "error"), needle);
	json_decref(j);
}

static void test_default_profiles_exist_and_profiles_round_trip(void **s)
{
	json_t *j, *list;

	(void)s;
	init_cluster();
	j = expect(200, "GET", "/v1/profiles", NULL);
	list = json_object_get(j, "profiles");
	assert_int_equal(json_array_size(list), 3);
	json_decref(j);
	/* Pages: at most LIMIT, and where the next one starts. */
	j = expect(200, "GET", "/v1/profiles?limit=2", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "profiles")), 2);
	assert_string_equal(str(j, "next"), "standard-encrypted");
	json_decref(j);
	j = expect(200, "GET", "/v1/profiles?limit=2&after=standard-encrypted",
		   NULL);
	assert_int_equal(json_array_size(json_object_get(j, "profiles")), 1);
	assert_string_equal(
	    str(json_array_get(json_object_get(j, "profiles"), 0), "name"),
	    "standard-non-secure");
	assert_null(json_object_get(j, "next"));
	json_decref(j);
	refused(400, "GET", "/v1/profiles?limit=x", NULL, "limit");
	refused(400, "GET", "/v1/profiles?after=a/b", NULL, "after");
	j = expect(200, "GET", "/v1/trunk-profiles", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "trunk_profiles")),
			 3);
	json_decref(j);
	j = expect(200, "GET", "/v1/profiles/standard-encrypted", NULL);
	assert_string_equal(str(j, "mode"), "encrypted");
	assert_string_equal(str(j, "transport"), "tls");
	assert_true(json_is_true(json_object_get(j, "tftp_encrypted_config")));
	json_decref(j);

	j = expect(201, "POST", "/v1/profiles",
		   "{\"name\":\"lobby\",\"mode\":\"authenticated\","
		   "\"transport\":\"tls\",\"pc_port\":false,"
		   "\"settings_access\":\"restricted\",\"key_size\":1024,"
		   "\"capf_auth\":\"auth-string\",\"nonce_validity_s\":300}");
	assert_string_equal(str(j, "name"), "lobby");
	assert_true(json_is_false(json_object_get(j, "pc_port")));
	assert_true(json_is_false(json_object_get(j, "encrypted_or_reject")));
	json_decref(j);
	j = expect(200, "PUT", "/v1/profiles/lobby",
		   "{\"encrypted_or_reject\":true}");
	assert_true(json_is_true(json_object_get(j, "encrypted_or_reject")));
	assert_string_equal(str(j, "settings_access"), "restricted");
	json_decref(j);
	ok(200, "PUT", "/v1/profiles/lobby", "{\"encrypted_or_reject\":false}");
	/* A change keeps what it does not name. */
	j = expect(200, "PUT", "/v1/profiles/lobby",
		   "{\"description\":\"front desk\",\"web_access\":false}");
	assert_string_equal(str(j, "description"), "front desk");
	assert_string_equal(str(j, "settings_access"), "restricted");
	assert_string_equal(str(j, "capf_auth"), "auth-string");
	assert_int_equal(json_integer_value(json_object_get(j, "key_size")),
			 1024);
	json_decref(j);
	refused(400, "PUT", "/v1/profiles/lobby", "{\"name\":\"other\"}",
		"renamed");
	refused(400, "POST", "/v1/profiles",
		"{\"name\":\"x\",\"mode\":\"paranoid\"}", "one of");
	refused(400, "POST", "/v1/profiles", "{\"name\":\"x\",\"colour\":1}",
		"unknown field");
	refused(409, "POST", "/v1/profiles", "{\"name\":\"lobby\"}", "exists");
	refused(404, "GET", "/v1/profiles/nothing", NULL, "no profile");
	ok(200, "DELETE", "/v1/profiles/lobby", NULL);
	refused(404, "DELETE", "/v1/profiles/lobby", NULL, "no profile");
	assert_true(audit_has("profile.add", "name=lobby"));
	assert_true(audit_has("profile.set", "name=lobby"));
	assert_true(audit_has("profile.delete", "name=lobby"));
}

static void test_devices_are_refused_with_reasons(void **s)
{
	json_t *j;

	(void)s;
	init_cluster();
	refused(400, "POST", "/v1/devices", "{\"name\":\"SEP00112233\"}",
		"MAC");
	refused(400, "POST", "/v1/devices", "{\"name\":\"SEP00112233445G\"}",
		"MAC");
	refused(400, "POST", "/v1/devices",
		"{\"name\":\"SEP001122334455\",\"profile\":\"nope\"}",
		"no profile \"nope\"");
	refused(400, "POST", "/v1/devices",
		"{\"name\":\"SEP001122334455\",\"profile\":"
		"\"standard-encrypted\",\"capabilities\":[\"tls\"]}",
		"SRTP");
	refused(400, "POST", "/v1/devices",
		"{\"name\":\"SEP001122334455\",\"profile\":"
		"\"standard-authenticated\"}",
		"TLS");
	refused(400, "POST", "/v1/devices",
		"{\"name\":\"SEP001122334455\",\"lines\":[\"12a\"]}",
		"directory number");
	refused(400, "POST", "/v1/devices",
		"{\"name\":\"SEP001122334455\",\"digest_user\":\"ghost\"}",
		"no end user \"ghost\"");
	refused(400, "POST", "/v1/devices",
		"{\"name\":\"SEP001122334455\",\"node_group\":\"ghost\"}",
		"no node group");
	refused(400, "POST", "/v1/devices",
		"{\"name\":\"sip-gw\",\"kind\":\"trunk\",\"profile\":"
		"\"trunk-non-secure\"}",
		"peer_host");

	ok(201, "POST", "/v1/users",
	   "{\"name\":\"alice\",\"password\":\"alice-secret-1\"}");
	ok(201, "POST", "/v1/node-groups",
	   "{\"name\":\"g1\",\"nodes\":[\"n1\"]}");
	j = expect(
	    201, "POST", "/v1/devices",
	    "{\"name\":\"SEP001122334455\",\"model\":\"7970\","
	    "\"capabilities\":[\"tls\",\"srtp\",\"encrypted-config\"],"
	    "\"profile\":\"standard-encrypted\",\"lines\":[\"1001\","
	    "\"1002\"],\"digest_user\":\"alice\",\"node_group\":\"g1\"}");
	assert_int_equal(json_array_size(json_object_get(j, "lines")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "capabilities")),
			 3);
	json_decref(j);
	refused(409, "POST", "/v1/devices", "{\"name\":\"SEP001122334455\"}",
		"exists");
	/* A profile change that the device cannot follow is refused. */
	ok(201, "POST", "/v1/profiles",
	   "{\"name\":\"p2\",\"mode\":\"non-secure\"}");
	ok(200, "PUT", "/v1/devices/SEP001122334455", "{\"profile\":\"p2\"}");
	ok(201, "POST", "/v1/devices",
	   "{\"name\":\"SEP0011223344AA\",\"profile\":\"p2\"}");
	refused(400, "PUT", "/v1/profiles/p2",
		"{\"mode\":\"encrypted\",\"transport\":\"tls\"}",
		"device SEP0011223344AA uses it");
	ok(200, "DELETE", "/v1/devices/SEP0011223344AA", NULL);
	ok(200, "PUT", "/v1/profiles/p2",
	   "{\"mode\":\"encrypted\",\"transport\":\"tls\"}");
	ok(201, "POST", "/v1/devices",
	   "{\"name\":\"sip-gw\",\"kind\":\"trunk\",\"profile\":"
	   "\"trunk-non-secure\",\"peer_host\":\"127.0.0.1\",\"peer_port\":"
	   "5070}");

	/* In use: refused, naming the user. */
	refused(409, "DELETE", "/v1/profiles/p2", NULL, "SEP001122334455");
	refused(409, "DELETE", "/v1/trunk-profiles/trunk-non-secure", NULL,
		"sip-gw");
	refused(409, "DELETE", "/v1/users/alice", NULL, "SEP001122334455");
	refused(409, "DELETE", "/v1/node-groups/g1", NULL, "SEP001122334455");
	ok(200, "DELETE", "/v1/devices/SEP001122334455", NULL);
	ok(200, "DELETE", "/v1/users/alice", NULL);
	ok(200, "DELETE", "/v1/profiles/p2", NULL);
	ok(200, "DELETE", "/v1/node-groups/g1", NULL);
	assert_true(audit_has("device.add", "name=SEP001122334455"));
	assert_true(audit_has("device.delete", "name=SEP001122334455"));
}

static void hexs(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* The stored credentials unwrap (under the node's KEK, bound to the
 * user's key) to the HA1 set of the name, the realm and the password. */
static void assert_ha1_of(const char *user, const char *realm,
			  const char *password)
{
	uint8_t kek[PKI_KEK_LEN], aad[128], set[STORE_HA1_SET_LEN + 32];
	uint8_t want[STORE_HA1_SET_LEN];
	char path[160];
	struct store_read *r;
	struct store_user u;
	size_t aad_len, n = 0;

	snprintf(path, sizeof path, "%s/kek", N1->dir);
	assert_int_equal(pki_kek_load(path, kek, NULL, 0), 0);
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_user_get(r, user, &u), 0);
	store_read_end(r);
	assert_string_equal(u.realm, realm);
	assert_int_equal(
	    pki_aad("users", user, strlen(user), aad, sizeof aad, &aad_len), 0);
	assert_int_equal(pki_unwrap(kek, aad, aad_len, u.ha1_wrapped, u.ha1_len,
				    set, sizeof set, &n),
			 0);
	assert_int_equal(n, STORE_HA1_SET_LEN);
	assert_int_equal(store_ha1_compute(user, realm, password, want), 0);
	assert_memory_equal(set, want, sizeof want);
	/* Moved to another user's key, it does not unwrap. */
	assert_int_equal(
	    pki_aad("users", "mallory", 7, aad, sizeof aad, &aad_len), 0);
	assert_int_not_equal(pki_unwrap(kek, aad, aad_len, u.ha1_wrapped,
					u.ha1_len, set, sizeof set, &n),
			     0);
}

static void test_credentials_are_wrapped_ha1_and_never_returned(void **s)
{
	json_t *j;
	char *text;
	char fp[2 * STORE_HA1_SET_LEN + 1];
	uint8_t ha1[STORE_HA1_SET_LEN];

	(void)s;
	init_cluster();
	json_decref(expect(201, "POST", "/v1/presence-groups",
			   "{\"name\":\"staff\",\"allow\":[\"staff\"]}"));
	refused(400, "POST", "/v1/users",
		"{\"name\":\"bob\",\"password\":\"bob-secret-12\","
		"\"presence_group\":\"nobody\"}",
		"no presence group");
	j = expect(201, "POST", "/v1/users",
		   "{\"name\":\"bob\",\"password\":\"bob-secret-12\","
		   "\"presence_group\":\"staff\"}");
	assert_true(json_is_true(json_object_get(j, "credentials")));
	assert_string_equal(str(j, "realm"), "lab");
	json_decref(j);
	assert_ha1_of("bob", "lab", "bob-secret-12");
	/* A new realm needs the password; with it, new HA1 values. */
	refused(400, "PUT", "/v1/users/bob", "{\"realm\":\"other\"}",
		"password");
	refused(400, "PUT", "/v1/users/bob",
		"{\"realm\":\"a\\\"b\",\"password\":\"bob-secret-56\"}",
		"realm");
	ok(200, "PUT", "/v1/users/bob",
	   "{\"realm\":\"other\",\"password\":\"bob-secret-34\"}");
	assert_ha1_of("bob", "other", "bob-secret-34");
	refused(400, "POST", "/v1/users",
		"{\"name\":\"carol\",\"password\":\"short\"}", "password");

	ok(201, "POST", "/v1/app-users",
	   "{\"name\":\"gw-app\",\"password\":\"gw-secret-123\","
	   "\"methods\":[\"invite\",\"refer\",\"replaces\"]}");
	ok(201, "POST", "/v1/realms",
	   "{\"name\":\"carrier.example\",\"user\":\"ward\","
	   "\"password\":\"trunk-secret-1\"}");
	refused(400, "POST", "/v1/realms",
		"{\"name\":\"r2\",\"user\":\"ward\"}", "password");
	/* End users and app users are separate collections. */
	refused(404, "GET", "/v1/users/gw-app", NULL, "no user");
	j = expect(200, "GET", "/v1/app-users/gw-app", NULL);
	assert_int_equal(json_array_size(json_object_get(j, "methods")), 3);
	json_decref(j);

	/* Nothing secret in any answer: no password, no HA1 in hex. */
	assert_int_equal(
	    store_ha1_compute("bob", "other", "bob-secret-34", ha1), 0);
	hexs(ha1, 16, fp);
	for (int i = 0; i < 4; i++) {
		static const char *const paths[] = {
		    "/v1/users", "/v1/users/bob", "/v1/app-users",
		    "/v1/realms/carrier.example"};

		j = expect(200, "GET", paths[i], NULL);
		text = json_dumps(j, 0);
		assert_non_null(text);
		assert_null(strstr(text, "secret"));
		assert_null(strstr(text, "password"));
		assert_null(strstr(text, "ha1"));
		assert_null(strstr(text, fp));
		free(text);
		json_decref(j);
	}
	assert_true(audit_has("user.set", "credentials=set"));
	assert_true(audit_has("realm.add", "name=carrier.example"));
}

static void test_digest_credentials_in_clear_are_warned_about(void **s)
{
	json_t *j;

	(void)s;
	init_cluster();
	j = expect(201, "POST", "/v1/profiles",
		   "{\"name\":\"dig\",\"digest_auth\":true}");
	assert_int_equal(json_array_size(json_object_get(j, "warnings")), 1);
	json_decref(j);
	ok(201, "POST", "/v1/users",
	   "{\"name\":\"dan\",\"password\":\"dan-secret-12\"}");
	j = expect(201, "POST", "/v1/devices",
		   "{\"name\":\"SEP00000000000A\",\"profile\":\"dig\","
		   "\"digest_user\":\"dan\"}");
	assert_non_null(strstr(json_string_value(json_array_get(
				   json_object_get(j, "warnings"), 0)),
			       "in clear"));
	json_decref(j);
	/* Credentials left out of the file, or the file encrypted: quiet. */
	j = expect(200, "PUT", "/v1/profiles/dig",
		   "{\"exclude_digest_credentials\":true}");
	assert_null(json_object_get(j, "warnings"));
	json_decref(j);
	ok(200, "PUT", "/v1/profiles/dig",
	   "{\"exclude_digest_credentials\":false}");
	ok(200, "PUT", "/v1/params/tftp_encrypted_config",
	   "{\"value\":\"true\"}");
	j = expect(200, "PUT", "/v1/devices/SEP00000000000A",
		   "{\"description\":\"x\"}");
	assert_null(json_object_get(j, "warnings"));
	json_decref(j);
}

static void test_node_groups_name_known_distinct_nodes(void **s)
{
	json_t *j;

	(void)s;
	init_cluster();
	refused(400, "POST", "/v1/node-groups",
		"{\"name\":\"g\",\"nodes\":[\"n9\"]}", "no node \"n9\"");
	refused(400, "POST", "/v1/node-groups",
		"{\"name\":\"g\",\"nodes\":[\"n1\",\"n1\"]}", "twice");
	refused(400, "POST", "/v1/node-groups", "{\"name\":\"g\"}", "1 to 3");
	refused(400, "POST", "/v1/node-groups",
		"{\"name\":\"g\",\"nodes\":[\"a\",\"b\",\"c\",\"d\"]}",
		"at most 3");
	ok(201, "POST", "/v1/node-groups",
	   "{\"name\":\"g\",\"nodes\":[\"n1\"],\"description\":\"main\"}");
	/* A node a group lists cannot be removed. */
	refused(409, "DELETE", "/v1/nodes/n1", NULL, "node group g");
	j = expect(200, "GET", "/v1/node-groups/g", NULL);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(j, "nodes"), 0)),
	    "n1");
	json_decref(j);
}

static long row_status(json_t *j, size_t i)
{
	return (long)json_integer_value(json_object_get(
	    json_array_get(json_object_get(j, "results"), i), "status"));
}

static void test_batch_applies_each_row_whole_or_not_at_all(void **s)
{
	struct store_read *r;
	struct store_device d;
	json_t *j;
	char *big;
	size_t n = 0;

	(void)s;
	init_cluster();
	j = expect(200, "POST", "/v1/devices/batch",
		   "{\"rows\":["
		   "{\"name\":\"SEP000000000001\",\"lines\":[\"1\"]},"
		   "{\"name\":\"SEP0001\"},"
		   "{\"name\":\"SEP000000000001\",\"lines\":[\"2\"]},"
		   "{\"name\":\"SEP000000000003\",\"profile\":\"x\","
		   "\"lines\":[\"3\"]},"
		   "7,"
		   "{\"name\":\"SEP000000000005\",\"lines\":[\"5\"]}]}");
	assert_int_equal(row_status(j, 0), 201);
	assert_int_equal(row_status(j, 1), 400);
	assert_int_equal(row_status(j, 2), 409);
	assert_int_equal(row_status(j, 3), 400);
	assert_int_equal(row_status(j, 4), 400);
	assert_int_equal(row_status(j, 5), 201);
	assert_int_equal(json_integer_value(json_object_get(j, "added")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "refused")), 4);
	assert_non_null(strstr(
	    str(json_array_get(json_object_get(j, "results"), 3), "error"),
	    "no profile"));
	json_decref(j);
	/* The duplicate left the first row's line alone. */
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_device_get(r, "SEP000000000001", &d), 0);
	assert_string_equal(d.lines[0], "1");
	assert_int_equal(store_device_get(r, "SEP000000000003", &d),
			 STORE_ENOTFOUND);
	store_read_end(r);
	assert_true(audit_has("device.add", "name=SEP000000000005"));

	/* Users in a batch get their credentials wrapped like single adds. */
	j = expect(200, "POST", "/v1/users/batch",
		   "{\"rows\":[{\"name\":\"b1\",\"password\":"
		   "\"b1-secret-123\"}]}");
	json_decref(j);
	assert_ha1_of("b1", "lab", "b1-secret-123");

	refused(400, "POST", "/v1/devices/batch", "{\"rows\":[]}", "1 to 500");
	refused(400, "POST", "/v1/devices/batch", "[]", "rows");
	refused(400, "POST", "/v1/devices/batch", "{\"rows\":[],\"x\":1}",
		"rows");
	big = malloc(600 * 4 + 32);
	assert_non_null(big);
	n += (size_t)sprintf(big, "{\"rows\":[");
	for (int i = 0; i < 501; i++)
		n += (size_t)sprintf(big + n, "%s{}", i ? "," : "");
	sprintf(big + n, "]}");
	refused(400, "POST", "/v1/devices/batch", big, "1 to 500");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
		test_default_profiles_exist_and_profiles_round_trip, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_devices_are_refused_with_reasons, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_credentials_are_wrapped_ha1_and_never_returned, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_digest_credentials_in_clear_are_warned_about, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_node_groups_name_known_distinct_nodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_batch_applies_each_row_whole_or_not_at_all, setup,
		teardown),
	};
	int rc;

	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
