/* wardctl's provisioning groups end to end: wardctl in this process against
 * a real node (store, single-node Raft, the admin API over HTTPS, as
 * cluster init makes it) — options turned into fields, passwords from the
 * environment and never from argv, CSV imports with quoting, CRLF, blank
 * lines and bad rows, and the renderers on hostile answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <event2/thread.h>
#include <jansson.h>

#include "node/admin/admin.h"
#include "pki/pki.h"
#include "store/presence.h"
#include "store/prov.h"
#include "tests/unit/test_admin_harness.h"
#include "tests/unit/test_wardctl_runner.h"
#include "tools/wardctl/pin.h"
#include "tools/wardctl/prov.h"
#include "tools/wardctl/wardctl.h"

static int test_setup(void **state)
{
	uint8_t raw[32];

	setup(state);
	init_cluster();
	setenv("WARD_USER", "root", 1);
	setenv("WARD_PASSWORD", "root-password-1", 1);
	unsetenv("WARD_NEW_PASSWORD");
	admin_fingerprint(N1->admin, raw);
	wr_target(N1->url, raw);
	return 0;
}

static int test_teardown(void **state)
{
	unsetenv("WARD_NEW_PASSWORD");
	wr_reset();
	return teardown(state);
}

static void out_has(const char *needle)
{
	if (!strstr(wr_out, needle))
		fail_msg("stdout lacks \"%s\": %s", needle, wr_out);
}

static void err_has(const char *needle)
{
	if (!strstr(wr_err, needle))
		fail_msg("stderr lacks \"%s\": %s", needle, wr_err);
}

/* The device as the store holds it. */
static void stored_device(const char *name, struct store_device *d)
{
	struct store_read *r;

	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_device_get(r, name, d), 0);
	store_read_end(r);
}

static void test_options_become_fields(void **s)
{
	struct store_device d;
	json_t *j;

	(void)s;
	wr_expect(wr_run("device", "add", "gw1", "--kind", "trunk", "--profile",
			 "trunk-non-secure", "--peer-host", "127.0.0.1",
			 "--peer-port", "5080", "--capabilities", "tls; srtp",
			 "--lines", "100,200", NULL),
		  0);
	out_has("Device gw1 added.");
	stored_device("gw1", &d);
	assert_int_equal(d.kind, STORE_DEVICE_TRUNK);
	assert_int_equal(d.peer_port, 5080);
	assert_int_equal(d.caps, STORE_CAP_TLS | STORE_CAP_SRTP);
	assert_int_equal(d.n_lines, 2);
	assert_string_equal(d.lines[1], "200");
	/* set touches only what it names; an empty list empties. */
	wr_expect(wr_run("device", "set", "gw1", "--lines", "", "--description",
			 "carrier", NULL),
		  0);
	stored_device("gw1", &d);
	assert_int_equal(d.n_lines, 0);
	assert_string_equal(d.description, "carrier");
	assert_int_equal(d.peer_port, 5080);

	wr_expect(wr_run("profile", "add", "p1", "--digest-auth", "on",
			 "--exclude-digest-credentials", "yes", "--key-size",
			 "1024", NULL),
		  0);
	wr_expect(wr_run("--json", "profile", "show", "p1", NULL), 0);
	j = json_loads(wr_out, 0, NULL);
	assert_non_null(j);
	assert_true(json_is_true(json_object_get(j, "digest_auth")));
	assert_int_equal(json_integer_value(json_object_get(j, "key_size")),
			 1024);
	json_decref(j);
	wr_expect(wr_run("profile", "show", "p1", NULL), 0);
	out_has("digest_auth: yes");
	out_has("mode: non-secure");
	wr_expect(wr_run("profile", "list", NULL), 0);
	out_has("standard-encrypted");
	out_has("p1");
	wr_expect(wr_run("profile", "delete", "p1", NULL), 0);
	out_has("Profile p1 removed.");

	/* Usage errors never reach the server. */
	wr_expect(
	    wr_run("profile", "add", "p2", "--digest-auth", "maybe", NULL), 1);
	err_has("yes or no");
	wr_expect(wr_run("profile", "add", "p2", "--key-size", "big", NULL), 1);
	wr_expect(wr_run("profile", "add", "p2", "--colour", "red", NULL), 1);
	wr_expect(wr_run("profile", "add", NULL), 1);
	wr_expect(wr_run("profile", "show", "p2", NULL), 2);
}

static void test_passwords_come_from_the_environment_not_argv(void **s)
{
	uint8_t kek[PKI_KEK_LEN], aad[64], set[STORE_HA1_SET_LEN + 16];
	uint8_t want[STORE_HA1_SET_LEN];
	struct store_read *r;
	struct store_user u;
	char path[160];
	size_t aad_len, n;

	(void)s;
	/* No terminal and no source: refused before anything is sent. */
	wr_expect(wr_run("user", "add", "carol", NULL), 1);
	wr_expect(wr_run("user", "add", "carol", "--password", "x", NULL), 1);
	setenv("WARD_NEW_PASSWORD", "carol-secret-1", 1);
	wr_expect(wr_run("user", "add", "carol", NULL), 0);
	unsetenv("WARD_NEW_PASSWORD");
	wr_expect(wr_run("user", "add", "dave", "--no-password", NULL), 0);
	wr_expect(wr_run("user", "show", "dave", NULL), 0);
	out_has("credentials: no");

	snprintf(path, sizeof path, "%s/kek", N1->dir);
	assert_int_equal(pki_kek_load(path, kek, NULL, 0), 0);
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_user_get(r, "carol", &u), 0);
	store_read_end(r);
	assert_int_equal(
	    pki_aad("users", "carol", 5, aad, sizeof aad, &aad_len), 0);
	assert_int_equal(pki_unwrap(kek, aad, aad_len, u.ha1_wrapped, u.ha1_len,
				    set, sizeof set, &n),
			 0);
	assert_int_equal(
	    store_ha1_compute("carol", "lab", "carol-secret-1", want), 0);
	assert_memory_equal(set, want, sizeof want);

	/* set changes the password only when asked to. */
	setenv("WARD_NEW_PASSWORD", "carol-secret-2", 1);
	wr_expect(wr_run("presence-group", "add", "x", NULL), 0);
	wr_expect(wr_run("user", "set", "carol", "--presence-group", "x", NULL),
		  0);
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_user_get(r, "carol", &u), 0);
	store_read_end(r);
	assert_int_equal(pki_unwrap(kek, aad, aad_len, u.ha1_wrapped, u.ha1_len,
				    set, sizeof set, &n),
			 0);
	assert_memory_equal(set, want, sizeof want);
	wr_expect(wr_run("user", "set", "carol", "--change-password", NULL), 0);
	unsetenv("WARD_NEW_PASSWORD");
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_user_get(r, "carol", &u), 0);
	store_read_end(r);
	assert_int_equal(pki_unwrap(kek, aad, aad_len, u.ha1_wrapped, u.ha1_len,
				    set, sizeof set, &n),
			 0);
	assert_memory_not_equal(set, want, sizeof want);
}

static char *write_tmp(const char *text)
{
	static char path[160];
	FILE *f;

	snprintf(path, sizeof path, "%s/import.csv", N1->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_csv_import_gives_a_verdict_per_row(void **s)
{
	struct store_device d;
	struct store_read *r;
	char *path;

	(void)s;
	path = write_tmp("Name,Model,capabilities,Digest-User,lines\r\n"
			 "SEP000000000001,7970,\"tls;srtp\",,\"1001,1002\"\r\n"
			 "\r\n"
			 "SEP000000000002,\"79\"\"70\",,ghost,2001\r\n"
			 "SEP000000000003,7970,,,\"30\n01\"\r\n"
			 "SEP000000000004,7970\r\n"
			 "SEP000000000005,7970,tls,,5001");
	wr_expect(wr_run("device", "import", path, NULL), 2);
	out_has("row 2 SEP000000000001: added");
	out_has("row 3 SEP000000000002: refused: no end user \"ghost\"");
	out_has("row 4 SEP000000000003: refused:");
	out_has("row 5 SEP000000000004: refused: 2 cells");
	out_has("row 6 SEP000000000005: added");
	out_has("5 rows: 2 added, 3 refused.");
	stored_device("SEP000000000001", &d);
	assert_int_equal(d.n_lines, 2);
	assert_int_equal(d.caps, STORE_CAP_TLS | STORE_CAP_SRTP);
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_device_get(r, "SEP000000000002", &d),
			 STORE_ENOTFOUND);
	store_read_end(r);

	/* A bad header or an unclosed quote: nothing is sent. */
	path = write_tmp("name,colour\nSEP000000000009,red\n");
	wr_expect(wr_run("device", "import", path, NULL), 1);
	err_has("no field \"colour\"");
	path = write_tmp("name,name\nSEP000000000009,x\n");
	wr_expect(wr_run("device", "import", path, NULL), 1);
	path = write_tmp("model\n7970\n");
	wr_expect(wr_run("device", "import", path, NULL), 1);
	err_has("\"name\"");
	path = write_tmp("name,model\nSEP000000000009,\"7970\n");
	wr_expect(wr_run("device", "import", path, NULL), 1);
	err_has("not closed");
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_device_get(r, "SEP000000000009", &d),
			 STORE_ENOTFOUND);
	store_read_end(r);
	wr_expect(wr_run("device", "import", "/nonexistent/x.csv", NULL), 1);

	wr_expect(wr_run("presence-group", "add", "staff", NULL), 0);
	path = write_tmp("name,password,presence_group\n"
			 "u1,user-secret-1,staff\n"
			 "u2,short,staff\n");
	wr_expect(wr_run("user", "import", path, NULL), 2);
	out_has("row 2 u1: added");
	out_has("row 3 u2: refused:");
	/* The password is not echoed in the verdicts. */
	assert_null(strstr(wr_out, "user-secret-1"));
	assert_null(strstr(wr_err, "user-secret-1"));
}

/* Presence groups: rules by list, references checked, a group in use
 * cannot go, every change audited. */
static void test_presence_groups_rules_and_in_use(void **s)
{
	struct store_presence_group g;
	struct store_read *r;
	int audited = 0;

	(void)s;
	wr_expect(wr_run("presence-group", "add", "staff", "--description",
			 "everyone", NULL),
		  0);
	wr_expect(wr_run("presence-group", "add", "execs", "--allow", "staff",
			 "--disallow", "nobody", NULL),
		  2);
	err_has("no presence group \"nobody\"");
	wr_expect(wr_run("presence-group", "add", "execs", "--allow",
			 "staff,execs", NULL),
		  0);
	wr_expect(wr_run("presence-group", "set", "staff", "--disallow",
			 "execs", NULL),
		  0);
	wr_expect(
	    wr_run("presence-group", "set", "staff", "--allow", "execs", NULL),
	    2);
	err_has("more than one rule");
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_presence_group_get(r, "staff", &g), 0);
	assert_int_equal(store_presence_rule_of(&g, "execs"), 0);
	assert_int_equal(store_presence_group_get(r, "execs", &g), 0);
	assert_int_equal(store_presence_rule_of(&g, "staff"), 1);
	assert_int_equal(store_presence_rule_of(&g, "execs"), 1);
	assert_int_equal(store_presence_rule_of(&g, "other"), -1);
	store_read_end(r);
	wr_expect(wr_run("presence-group", "show", "execs", NULL), 0);
	out_has("allow: staff,execs");
	wr_expect(wr_run("presence-group", "list", NULL), 0);
	out_has("staff");
	out_has("execs");

	setenv("WARD_NEW_PASSWORD", "dave-secret-1", 1);
	wr_expect(
	    wr_run("user", "add", "dave", "--presence-group", "ghosts", NULL),
	    2);
	err_has("no presence group \"ghosts\"");
	wr_expect(
	    wr_run("user", "add", "dave", "--presence-group", "execs", NULL),
	    0);
	/* In use by a user, then by another group's rule. */
	wr_expect(wr_run("presence-group", "delete", "execs", NULL), 2);
	err_has("in use by user dave");
	wr_expect(wr_run("user", "set", "dave", "--presence-group", "", NULL),
		  0);
	wr_expect(wr_run("presence-group", "delete", "execs", NULL), 2);
	err_has("in use by the rules of presence group staff");
	wr_expect(
	    wr_run("presence-group", "set", "staff", "--disallow", "", NULL),
	    0);
	wr_expect(wr_run("presence-group", "delete", "execs", NULL), 0);
	assert_int_equal(store_read_begin(N1->store, &r), 0);
	assert_int_equal(store_presence_group_get(r, "execs", &g),
			 STORE_ENOTFOUND);
	store_read_end(r);
	wr_expect(wr_run("audit", NULL), 0);
	audited = strstr(wr_out, "presence-group.add") != NULL &&
		  strstr(wr_out, "presence-group.delete") != NULL &&
		  strstr(wr_out, "rules=staff:allow,execs:allow") != NULL;
	if (!audited)
		fail_msg("audit lacks presence-group changes: %s", wr_out);
}

static void test_renderers_clean_hostile_answers(void **s)
{
	json_t *doc =
	    json_pack("{s:[{s:s, s:s, s:[s,s]}]}", "devices", "name",
		      "SEP\x1b[2J", "kind", "phone", "lines", "1", "2");
	json_t *odd = json_string("not an object");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)s;
	prov_list_render(&prov_group_device, f, doc);
	prov_show_render(f, json_array_get(json_object_get(doc, "devices"), 0));
	prov_show_render(f, odd);
	prov_list_render(&prov_group_device, f, odd);
	prov_warnings_print(f, json_object_get(doc, "devices"));
	fclose(f);
	assert_null(strchr(buf, '\x1b'));
	assert_non_null(strstr(buf, "1,2"));
	assert_non_null(strstr(buf, "lines: 1,2"));
	free(buf);
	json_decref(odd);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_options_become_fields,
					    test_setup, test_teardown),
	    cmocka_unit_test_setup_teardown(
		test_passwords_come_from_the_environment_not_argv, test_setup,
		test_teardown),
	    cmocka_unit_test_setup_teardown(
		test_csv_import_gives_a_verdict_per_row, test_setup,
		test_teardown),
	    cmocka_unit_test_setup_teardown(
		test_presence_groups_rules_and_in_use, test_setup,
		test_teardown),
	    cmocka_unit_test(test_renderers_clean_hostile_answers),
	};

	int rc;

	evthread_use_pthreads();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
