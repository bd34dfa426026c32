/* Unit tests of the admin API's request validation (node/admin/json.c):
 * every body is hostile until its fields have the right types and syntax. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "node/admin/admin_req.h"

#define PARSE(fn, text, out)                                                   \
	fn((text), strlen(text), (out), errmsg, sizeof errmsg)

static char errmsg[256];

static void test_init_body_accepted(void **state)
{
	struct admin_req_init q;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_init,
			       "{\"token\":\"abc\",\"cluster_name\":\"lab\","
			       "\"admin\":\"root\",\"password\":\"12345678\"}",
			       &q),
			 0);
	assert_string_equal(q.token, "abc");
	assert_string_equal(q.cluster_name, "lab");
	assert_string_equal(q.admin, "root");
	assert_string_equal(q.password, "12345678");
	assert_int_equal(q.password_len, 8);
}

static void test_init_body_missing_field_is_named(void **state)
{
	struct admin_req_init q;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_init,
			       "{\"token\":\"abc\",\"cluster_name\":\"lab\","
			       "\"admin\":\"root\"}",
			       &q),
			 400);
	assert_non_null(strstr(errmsg, "password"));
}

static void test_wrong_types_are_refused(void **state)
{
	struct admin_req_node_add q;
	struct admin_req_param p;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_node_add,
			       "{\"name\":5,\"address\":\"127.0.0.2\"}", &q),
			 400);
	assert_non_null(strstr(errmsg, "name"));
	assert_int_equal(PARSE(admin_req_parse_node_add,
			       "{\"name\":\"n2\",\"address\":null}", &q),
			 400);
	assert_int_equal(PARSE(admin_req_parse_param, "{\"value\":true}", &p),
			 400);
	assert_int_equal(
	    PARSE(admin_req_parse_param, "{\"value\":[\"1\"]}", &p), 400);
	assert_int_equal(PARSE(admin_req_parse_param, "[\"value\"]", &p), 400);
	assert_int_equal(PARSE(admin_req_parse_param, "\"value\"", &p), 400);
}

static void test_malformed_json_gets_a_reason(void **state)
{
	struct admin_req_param p;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_param, "{\"value\":", &p), 400);
	assert_non_null(strstr(errmsg, "malformed JSON"));
	assert_int_equal(PARSE(admin_req_parse_param, "", &p), 400);
	assert_int_equal(PARSE(admin_req_parse_param,
			       "{\"value\":\"1\",\"value\":\"2\"}", &p),
			 400);
	assert_int_equal(
	    PARSE(admin_req_parse_param, "{\"value\":\"1\"} x", &p), 400);
}

static void test_unknown_fields_are_refused(void **state)
{
	struct admin_req_param p;

	(void)state;
	assert_int_equal(PARSE(admin_req_parse_param,
			       "{\"value\":\"1\",\"valeu\":\"2\"}", &p),
			 400);
	assert_non_null(strstr(errmsg, "valeu"));
}

static void test_oversize_body_is_413(void **state)
{
	struct admin_req_param p;
	size_t n = ADMIN_BODY_MAX + 1;
	char *big = malloc(n);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	big[n - 1] = '}';
	assert_int_equal(
	    admin_req_parse_param(big, n, &p, errmsg, sizeof errmsg), 413);
	free(big);
}

static void test_bad_names_are_refused(void **state)
{
	static const char *bad[] = {
	    "{\"name\":\"\",\"password\":\"12345678\"}",
	    "{\"name\":\"a b\",\"password\":\"12345678\"}",
	    "{\"name\":\"../x\",\"password\":\"12345678\"}",
	    "{\"name\":\"\\u00e9\",\"password\":\"12345678\"}",
	    "{\"name\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaa\",\"password\":\"12345678\"}", /* 64 */
	};
	struct admin_req_admin q;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(PARSE(admin_req_parse_admin_add, bad[i], &q),
				 400);
		assert_non_null(strstr(errmsg, "name"));
	}
	/* An embedded NUL never reaches the name check: JSON refuses it. */
	assert_int_equal(
	    PARSE(admin_req_parse_admin_add,
		  "{\"name\":\"a\\u0000b\",\"password\":\"12345678\"}", &q),
	    400);
	assert_int_equal(
	    PARSE(admin_req_parse_admin_add,
		  "{\"name\":\"a.b_c-9\",\"password\":\"12345678\"}", &q),
	    0);
}

static void test_password_length_bounds(void **state)
{
	struct admin_req_admin q;
	char body[600], pw[300];

	(void)state;
	assert_int_equal(
	    PARSE(admin_req_parse_password, "{\"password\":\"1234567\"}", &q),
	    400);
	assert_int_equal(PARSE(admin_req_parse_password,
			       "{\"password\":\"1234\\u00005678\"}", &q),
			 400);
	memset(pw, 'p', 256);
	pw[256] = '\0';
	snprintf(body, sizeof body, "{\"password\":\"%s\"}", pw);
	assert_int_equal(PARSE(admin_req_parse_password, body, &q), 0);
	assert_int_equal(q.password_len, 256);
	pw[256] = 'p';
	pw[257] = '\0';
	snprintf(body, sizeof body, "{\"password\":\"%s\"}", pw);
	assert_int_equal(PARSE(admin_req_parse_password, body, &q), 400);
}

static const char join_fp[] = "sha256:000102030405060708090a0b0c0d0e0f"
			      "101112131415161718191a1b1c1d1e1f";
static const char *const join_roles[] = {"https", "callmanager", "tftp",
					 "capf",  "ipsec",	 "node"};
static const char test_pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n"
			       "-----END CERTIFICATE-----\n";

/* {role: V} for each of the six roles (V stolen). */
static json_t *by_role(json_t *v)
{
	json_t *o = json_object();

	for (size_t i = 0; i < 6; i++)
		json_object_set(o, join_roles[i], v);
	json_decref(v);
	return o;
}

/* A phase-2 body with CERTS and KEYS (stolen, either may be NULL), as
 * text (caller frees). */
static char *join_body(json_t *certs, json_t *keys)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "token", "2.x", "name", "n2",
		      "raft_address", "127.0.0.3:9443", "admin_address",
		      "127.0.0.3:8443", "https_sha256", join_fp);
	char *text;

	if (certs)
		json_object_set_new(o, "certs", certs);
	if (keys)
		json_object_set_new(o, "keys", keys);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(text);
	return text;
}

/* A phase-1 body with KEYS and KEX (stolen, either may be NULL). */
static char *ask_body(json_t *keys, json_t *kex)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "token", "2.x", "name",
			      "n2", "raft_address", "127.0.0.3:9443",
			      "admin_address", "127.0.0.3:8443");
	char *text;

	if (keys)
		json_object_set_new(o, "keys", keys);
	if (kex)
		json_object_set_new(o, "kex", kex);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_non_null(text);
	return text;
}

static json_t *pem_by_role(void)
{
	return by_role(json_string(test_pem));
}

static json_t *keys_by_role(void)
{
	return by_role(json_string("AAECAw==")); /* 00 01 02 03 */
}

/* A string of N base64 characters of zero bytes (N a multiple of 4). */
static json_t *b64_zeros(size_t n)
{
	char *t = malloc(n + 1);
	json_t *j;

	assert_non_null(t);
	memset(t, 'A', n);
	t[n] = '\0';
	j = json_string(t);
	free(t);
	return j;
}

static int parse_join(const char *body, struct admin_req_join *q,
		      struct admin_req_join_pki *pki)
{
	return admin_req_parse_join(body, strlen(body), q, pki, errmsg,
				    sizeof errmsg);
}

static int parse_ask(char *body, struct admin_req_join *q,
		     struct admin_req_join_ask *ask)
{
	int rc = admin_req_parse_join_certs(body, strlen(body), q, ask, errmsg,
					    sizeof errmsg);

	free(body);
	return rc;
}

static void test_join_body_checks_addresses_and_fingerprint(void **state)
{
	struct admin_req_join q;
	struct admin_req_join_pki *pki = malloc(sizeof *pki);
	char body[512];

	(void)state;
	assert_non_null(pki);
	snprintf(body, sizeof body,
		 "{\"token\":\"2.x\",\"name\":\"n2\",\"raft_address\":"
		 "\"127.0.0.3:9443\",\"admin_address\":\"127.0.0.3:8443\","
		 "\"https_sha256\":\"%s\"}",
		 join_fp);
	assert_int_equal(parse_join(body, &q, pki), 0);
	assert_int_equal(q.https_sha256[31], 0x1f);
	assert_string_equal(q.raft_address, "127.0.0.3:9443");
	snprintf(body, sizeof body,
		 "{\"token\":\"2.x\",\"name\":\"n2\",\"raft_address\":"
		 "\"127.0.0.3\",\"admin_address\":\"127.0.0.3:8443\","
		 "\"https_sha256\":\"%s\"}",
		 join_fp);
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "raft_address"));
	snprintf(body, sizeof body,
		 "{\"token\":\"2.x\",\"name\":\"n2\",\"raft_address\":"
		 "\"127.0.0.3:9443\",\"admin_address\":\"127.0.0.3:8443\","
		 "\"https_sha256\":\"sha256:1234\"}");
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "https_sha256"));
	free(pki);
}

static void test_join_without_certs_leaves_the_refusal_to_the_route(void **s)
{
	struct admin_req_join q;
	struct admin_req_join_pki *pki = malloc(sizeof *pki);
	char *body = join_body(NULL, NULL);

	(void)s;
	assert_non_null(pki);
	assert_int_equal(parse_join(body, &q, pki), 0);
	assert_false(pki->has_certs);
	assert_false(pki->has_keys);
	free(body);
	body = join_body(pem_by_role(), NULL);
	assert_int_equal(parse_join(body, &q, pki), 0);
	assert_true(pki->has_certs);
	assert_false(pki->has_keys);
	free(body);
	free(pki);
}

static void test_join_certs_and_keys_are_stored_by_role(void **state)
{
	struct admin_req_join q;
	struct admin_req_join_pki *pki = malloc(sizeof *pki);
	json_t *certs = pem_by_role();
	char *body;

	(void)state;
	assert_non_null(pki);
	/* Each role its own certificate, to see where each lands. */
	json_object_set_new(certs, "tftp",
			    json_string("-----BEGIN CERTIFICATE-----\nTFTP\n"
					"-----END CERTIFICATE-----\n"));
	body = join_body(certs, keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 0);
	assert_true(pki->has_certs);
	assert_true(pki->has_keys);
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		const char *role = pki_role_name(nodepki_roles[i]);

		assert_int_equal(pki->cert_len[i], strlen(pki->cert[i]));
		if (strcmp(role, "tftp") == 0)
			assert_non_null(strstr(pki->cert[i], "TFTP"));
		else
			assert_string_equal(pki->cert[i], test_pem);
		assert_int_equal(pki->key_len[i], 4);
		assert_int_equal(pki->key[i][3], 3);
	}
	free(body);
	free(pki);
}

static void test_join_refuses_unknown_and_missing_roles(void **state)
{
	struct admin_req_join q;
	struct admin_req_join_pki *pki = malloc(sizeof *pki);
	json_t *certs, *keys;
	char *body;

	(void)state;
	assert_non_null(pki);
	certs = pem_by_role();
	json_object_set_new(certs, "sip", json_string(test_pem));
	body = join_body(certs, keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "unknown role \"sip\""));
	free(body);
	/* The CA is a role, but not one a node holds. */
	keys = keys_by_role();
	json_object_set_new(keys, "ca", json_string("AAAA"));
	body = join_body(pem_by_role(), keys);
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "unknown role \"ca\""));
	free(body);
	/* Role names are exact. */
	certs = pem_by_role();
	json_object_del(certs, "https");
	json_object_set_new(certs, "HTTPS", json_string(test_pem));
	body = join_body(certs, keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "HTTPS"));
	free(body);
	keys = keys_by_role();
	json_object_del(keys, "ipsec");
	body = join_body(pem_by_role(), keys);
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "ipsec entry is missing"));
	assert_false(pki->has_certs);
	free(body);
	free(pki);
}

static void test_join_refuses_wrong_types(void **state)
{
	struct admin_req_join q;
	struct admin_req_join_pki *pki = malloc(sizeof *pki);
	json_t *certs;
	char *body;

	(void)state;
	assert_non_null(pki);
	body = join_body(json_string(test_pem), keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "\"certs\" must be an object"));
	free(body);
	body = join_body(pem_by_role(), json_pack("[s]", "AAAA"));
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "\"keys\" must be an object"));
	free(body);
	certs = pem_by_role();
	json_object_set_new(certs, "capf", json_integer(5));
	body = join_body(certs, keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "certs.capf\" must be a string"));
	free(body);
	certs = pem_by_role();
	json_object_set_new(certs, "node", json_pack("{s:s}", "pem", "x"));
	body = join_body(certs, keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "certs.node"));
	free(body);
	/* A certificate is PEM here: no base64 DER, no control characters. */
	body = join_body(by_role(json_string("MIIBAAAA")), keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 400);
	assert_non_null(strstr(errmsg, "expected a certificate in PEM"));
	free(body);
	body = join_body(by_role(json_string("-----BEGIN CERTIFICATE-----\x01"
					     "\n-----END CERTIFICATE-----")),
			 keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 400);
	free(body);
	body =
	    join_body(by_role(json_string("-----BEGIN PRIVATE KEY-----\n"
					  "MIIB\n-----END PRIVATE KEY-----")),
		      keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 400);
	free(body);
	free(pki);
}

static void test_join_refuses_keys_not_in_base64(void **state)
{
	static const char *bad[] = {"AAECAw", "AAE=CAw=", "AA*CAw==", "",
				    "AB=="};
	struct admin_req_join q;
	struct admin_req_join_pki *pki = malloc(sizeof *pki);

	(void)state;
	assert_non_null(pki);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *keys = keys_by_role();
		char *body;

		json_object_set_new(keys, "callmanager", json_string(bad[i]));
		body = join_body(pem_by_role(), keys);
		assert_int_equal(parse_join(body, &q, pki), 400);
		assert_non_null(strstr(errmsg, "keys.callmanager"));
		free(body);
	}
	free(pki);
}

static void test_join_oversize_certificate_or_key_is_413(void **state)
{
	struct admin_req_join q;
	struct admin_req_join_pki *pki = malloc(sizeof *pki);
	json_t *keys, *certs;
	char *big, *body;

	(void)state;
	assert_non_null(pki);
	big = malloc(ADMIN_JOIN_PEM_MAX + 1);
	assert_non_null(big);
	memset(big, 'A', ADMIN_JOIN_PEM_MAX);
	memcpy(big, test_pem, 28); /* the BEGIN line */
	big[ADMIN_JOIN_PEM_MAX] = '\0';
	certs = pem_by_role();
	json_object_set_new(certs, "https", json_string(big));
	body = join_body(certs, keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 413);
	assert_non_null(strstr(errmsg, "certs.https"));
	free(body);
	/* One byte less fits, NUL included. */
	big[ADMIN_JOIN_PEM_MAX - 1] = '\0';
	certs = pem_by_role();
	json_object_set_new(certs, "https", json_string(big));
	body = join_body(certs, keys_by_role());
	assert_int_equal(parse_join(body, &q, pki), 0);
	assert_int_equal(pki->cert_len[0], ADMIN_JOIN_PEM_MAX - 1);
	free(body);
	free(big);
	/* 9000 bytes of key, in base64. */
	keys = keys_by_role();
	json_object_set_new(keys, "node", b64_zeros(4 * 3000));
	body = join_body(pem_by_role(), keys);
	assert_int_equal(parse_join(body, &q, pki), 413);
	assert_non_null(strstr(errmsg, "keys.node"));
	free(body);
	free(pki);
}

static void test_join_certs_body_accepted(void **state)
{
	struct admin_req_join q;
	struct admin_req_join_ask *ask = malloc(sizeof *ask);

	(void)state;
	assert_non_null(ask);
	/* 44 characters without padding: 33 bytes, one too many. */
	assert_int_equal(
	    parse_ask(ask_body(keys_by_role(), b64_zeros(44)), &q, ask), 400);
	assert_non_null(strstr(errmsg, "kex"));
	assert_int_equal(
	    parse_ask(ask_body(keys_by_role(),
			       json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
					   "AAAAAAAAA=")),
		      &q, ask),
	    0);
	assert_string_equal(q.name, "n2");
	assert_string_equal(q.admin_address, "127.0.0.3:8443");
	for (int i = 0; i < NODEPKI_ROLES; i++)
		assert_int_equal(ask->key_len[i], 4);
	free(ask);
}

static void test_join_certs_body_refusals(void **state)
{
	static const char kex[] =
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	struct admin_req_join q;
	struct admin_req_join_ask *ask = malloc(sizeof *ask);
	json_t *keys, *o;
	char *body;

	(void)state;
	assert_non_null(ask);
	assert_int_equal(parse_ask(ask_body(NULL, json_string(kex)), &q, ask),
			 400);
	assert_non_null(strstr(errmsg, "missing field \"keys\""));
	assert_int_equal(parse_ask(ask_body(keys_by_role(), NULL), &q, ask),
			 400);
	assert_non_null(strstr(errmsg, "missing field \"kex\""));
	assert_int_equal(
	    parse_ask(ask_body(keys_by_role(), json_string("AAAA")), &q, ask),
	    400);
	assert_non_null(strstr(errmsg, "X25519"));
	assert_int_equal(
	    parse_ask(ask_body(keys_by_role(), json_integer(1)), &q, ask), 400);
	keys = keys_by_role();
	json_object_set_new(keys, "tftp", json_string("not base64"));
	assert_int_equal(parse_ask(ask_body(keys, json_string(kex)), &q, ask),
			 400);
	assert_non_null(strstr(errmsg, "keys.tftp"));
	keys = keys_by_role();
	json_object_set_new(keys, "ftp", json_string("AAAA"));
	assert_int_equal(parse_ask(ask_body(keys, json_string(kex)), &q, ask),
			 400);
	assert_non_null(strstr(errmsg, "unknown role \"ftp\""));
	keys = keys_by_role();
	json_object_set_new(keys, "https", b64_zeros(4 * 700)); /* 2100 B */
	assert_int_equal(parse_ask(ask_body(keys, json_string(kex)), &q, ask),
			 413);
	/* Phase 1 has no fingerprint to send. */
	body = ask_body(keys_by_role(), json_string(kex));
	o = json_loads(body, 0, NULL);
	free(body);
	json_object_set_new(o, "https_sha256", json_string(join_fp));
	body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	assert_int_equal(parse_ask(body, &q, ask), 400);
	assert_non_null(strstr(errmsg, "unknown field \"https_sha256\""));
	free(ask);
}

static void test_node_add_keeps_only_the_host(void **state)
{
	struct admin_req_node_add q;

	(void)state;
	assert_int_equal(
	    PARSE(admin_req_parse_node_add,
		  "{\"name\":\"n2\",\"address\":\"127.0.0.3:8443\"}", &q),
	    0);
	assert_string_equal(q.host, "127.0.0.3");
	assert_int_equal(PARSE(admin_req_parse_node_add,
			       "{\"name\":\"n2\",\"address\":\"a b\"}", &q),
			 400);
}

static void test_transfer_body_may_be_empty(void **state)
{
	struct admin_req_transfer q;

	(void)state;
	assert_int_equal(
	    admin_req_parse_transfer("", 0, &q, errmsg, sizeof errmsg), 0);
	assert_string_equal(q.node, "");
	assert_int_equal(PARSE(admin_req_parse_transfer, "{}", &q), 0);
	assert_int_equal(
	    PARSE(admin_req_parse_transfer, "{\"node\":\"n3\"}", &q), 0);
	assert_string_equal(q.node, "n3");
}

static void test_param_value_must_be_printable(void **state)
{
	struct admin_req_param p;

	(void)state;
	assert_int_equal(
	    PARSE(admin_req_parse_param, "{\"value\":\"a\\nb\"}", &p), 400);
	assert_int_equal(PARSE(admin_req_parse_param, "{\"value\":\"30\"}", &p),
			 0);
	assert_string_equal(p.value, "30");
}

static void test_paths_split_into_safe_segments(void **state)
{
	char segs[5][ADMIN_NAME_MAX + 1];

	(void)state;
	assert_int_equal(admin_path_split("/v1/admins/bob/password", segs, 5),
			 4);
	assert_string_equal(segs[2], "bob");
	assert_int_equal(admin_path_split("/v1/nodes/", segs, 5), 2);
	assert_int_equal(admin_path_split("/", segs, 5), 0);
	assert_int_equal(admin_path_split("v1/nodes", segs, 5), -1);
	assert_int_equal(admin_path_split("/v1//nodes", segs, 5), -1);
	assert_int_equal(admin_path_split("/v1/nodes/%2e%2e", segs, 5), -1);
	assert_int_equal(admin_path_split("/a/b/c/d/e/f", segs, 5), -1);
	assert_int_equal(admin_path_split(NULL, segs, 5), -1);
}

static void test_query_consistent_and_limit(void **state)
{
	(void)state;
	assert_int_equal(admin_query_consistent("consistent=1"), 1);
	assert_int_equal(admin_query_consistent("a=b&consistent=true"), 1);
	assert_int_equal(admin_query_consistent("consistent=0"), 0);
	assert_int_equal(admin_query_consistent("inconsistent=1"), 0);
	assert_int_equal(admin_query_consistent(NULL), 0);
	assert_int_equal(admin_query_limit(NULL, 100, 1000), 100);
	assert_int_equal(admin_query_limit("limit=5", 100, 1000), 5);
	assert_int_equal(admin_query_limit("limit=50000", 100, 1000), 1000);
	assert_int_equal(admin_query_limit("limit=0", 100, 1000), 1);
	assert_int_equal(admin_query_limit("limit=-3", 100, 1000), -1);
	assert_int_equal(admin_query_limit("limit=", 100, 1000), -1);
	assert_int_equal(admin_query_limit("limit=99999999999999", 100, 1000),
			 -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_body_accepted),
	    cmocka_unit_test(test_init_body_missing_field_is_named),
	    cmocka_unit_test(test_wrong_types_are_refused),
	    cmocka_unit_test(test_malformed_json_gets_a_reason),
	    cmocka_unit_test(test_unknown_fields_are_refused),
	    cmocka_unit_test(test_oversize_body_is_413),
	    cmocka_unit_test(test_bad_names_are_refused),
	    cmocka_unit_test(test_password_length_bounds),
	    cmocka_unit_test(test_join_body_checks_addresses_and_fingerprint),
	    cmocka_unit_test(
		test_join_without_certs_leaves_the_refusal_to_the_route),
	    cmocka_unit_test(test_join_certs_and_keys_are_stored_by_role),
	    cmocka_unit_test(test_join_refuses_unknown_and_missing_roles),
	    cmocka_unit_test(test_join_refuses_wrong_types),
	    cmocka_unit_test(test_join_refuses_keys_not_in_base64),
	    cmocka_unit_test(test_join_oversize_certificate_or_key_is_413),
	    cmocka_unit_test(test_join_certs_body_accepted),
	    cmocka_unit_test(test_join_certs_body_refusals),
	    cmocka_unit_test(test_node_add_keeps_only_the_host),
	    cmocka_unit_test(test_transfer_body_may_be_empty),
	    cmocka_unit_test(test_param_value_must_be_printable),
	    cmocka_unit_test(test_paths_split_into_safe_segments),
	    cmocka_unit_test(test_query_consistent_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
