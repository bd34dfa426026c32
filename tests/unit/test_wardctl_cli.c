/* The command line: dispatch, usage, global options before or after the
 * command, and secrets refused in argv. Nothing here needs a server: a
 * command that gets as far as the network meets a closed loopback port. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tools/wardctl/wardctl.h"

/* A port nothing listens on: connecting fails at once (exit code 3). */
#define CLOSED_URL "https://127.0.0.1:1"

struct run {
	struct wardctl ctx;
	char *out, *err;
	size_t out_len, err_len;
	int prompts;
};

static int prompt_no_tty(void *arg, const char *prompt, char *buf, size_t cap)
{
	struct run *r = arg;

	r->prompts++;
	errno = ENXIO;
	return -1;
}

static void env_clear(void)
{
	static const char *const vars[] = {
	    "WARD_URL",		"WARD_USER",	      "WARD_PASSWORD",
	    "WARD_CACERT",	"WARD_PASSWORD_FILE", "WARD_FINGERPRINT",
	    "WARD_NEW_PASSWORD"};

	for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
		unsetenv(vars[i]);
}

static int setup(void **state)
{
	struct run *r = calloc(1, sizeof *r);

	env_clear();
	wardctl_init(&r->ctx);
	r->ctx.out = open_memstream(&r->out, &r->out_len);
	r->ctx.err = open_memstream(&r->err, &r->err_len);
	r->ctx.prompt = prompt_no_tty;
	r->ctx.prompt_arg = r;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct run *r = *state;

	fclose(r->ctx.out);
	fclose(r->ctx.err);
	free(r->out);
	free(r->err);
	wardctl_close(&r->ctx);
	free(r);
	env_clear();
	return 0;
}

/* Runs wardctl with the NULL-terminated words after "wardctl". */
static int run(struct run *r, ...)
{
	char *argv[32] = {"wardctl"};
	int argc = 1;
	va_list ap;
	int rc;

	va_start(ap, r);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	rc = wardctl_run(&r->ctx, argc, argv);
	fflush(r->ctx.out);
	fflush(r->ctx.err);
	return rc;
}

static void test_unknown_command_exits_1_with_usage(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "frobnicate", NULL), WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "wardctl: unknown command: frobnicate"));
	assert_non_null(strstr(r->err, "usage: wardctl [OPTIONS] COMMAND"));
	assert_int_equal(r->out_len, 0);
}

static void test_no_command_exits_1_with_usage(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, NULL), WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "usage: wardctl"));
}

static void test_unknown_subcommand_lists_the_group(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "node", "explode", NULL), WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "unknown command: node explode"));
	assert_non_null(strstr(r->err, "usage: wardctl node add NAME ADDRESS"));
	assert_non_null(strstr(r->err, "usage: wardctl node list"));
	assert_null(strstr(r->err, "admin add"));
}

static void test_group_without_subcommand_exits_1(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "param", NULL), WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "param needs a subcommand"));
	assert_non_null(strstr(r->err, "usage: wardctl param set NAME VALUE"));
}

static void test_help_lists_commands_and_exit_codes(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "--help", NULL), WARDCTL_OK);
	assert_non_null(strstr(r->out, "cluster init --token-file FILE"));
	assert_non_null(strstr(r->out, "leader transfer [NAME]"));
	assert_non_null(strstr(r->out, "Exit codes:"));
	assert_non_null(strstr(r->out, "  2  the server refused"));
	assert_non_null(strstr(r->out, "  5  authentication failed"));
	assert_int_equal(r->err_len, 0);
}

static void test_command_help_prints_its_usage_and_exits_0(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "node", "add", "--help", NULL), WARDCTL_OK);
	assert_string_equal(r->out, "usage: wardctl node add NAME ADDRESS\n"
				    "       let a new server join; prints its "
				    "one-time join command\n");
	assert_int_equal(r->prompts, 0);
}

static void test_wrong_number_of_operands_is_a_usage_error(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "node", "add", "n2", NULL), WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "missing argument"));
	assert_int_equal(run(r, "node", "remove", "a", "b", NULL),
			 WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "too many arguments"));
	assert_int_equal(run(r, "cluster", "status", "x", NULL),
			 WARDCTL_EUSAGE);
	/* Refused before any password was asked for. */
	assert_int_equal(r->prompts, 0);
}

static void test_password_in_argv_is_refused_and_not_echoed(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "--password=hunter2x", "node", "list", NULL),
			 WARDCTL_EUSAGE);
	assert_int_equal(run(r, "node", "list", "--password", "hunter2x", NULL),
			 WARDCTL_EUSAGE);
	/* An abbreviation must not become --password-file hunter2x. */
	assert_int_equal(run(r, "node", "list", "--passw=hunter2x", NULL),
			 WARDCTL_EUSAGE);
	assert_int_equal(
	    run(r, "admin", "add", "--new-password=hunter2x", "bob", NULL),
	    WARDCTL_EUSAGE);
	assert_int_equal(
	    run(r, "cluster", "init", "--token=hunter2x", "--name", "c", NULL),
	    WARDCTL_EUSAGE);
	assert_null(strstr(r->err, "hunter2x"));
	assert_non_null(strstr(r->err, "not taken from the command line"));
	assert_int_equal(r->prompts, 0);
}

static void test_global_options_work_after_the_command(void **state)
{
	struct run *r = *state;

	setenv("WARD_PASSWORD", "pw-from-env", 1);
	assert_int_equal(run(r, "node", "list", "--json", "--url",
			     CLOSED_URL "/", "--timeout", "5", "--user", "ops",
			     "--consistent", NULL),
			 WARDCTL_EUNREACHABLE);
	assert_true(r->ctx.json);
	assert_true(r->ctx.consistent);
	assert_int_equal(r->ctx.timeout_s, 5);
	assert_string_equal(r->ctx.user, "ops");
	/* The trailing '/' is not part of the base URL. */
	assert_int_equal(r->ctx.url_len, strlen(CLOSED_URL));
	assert_non_null(strstr(r->err, "cannot reach " CLOSED_URL));
}

static void test_environment_gives_defaults_options_override(void **state)
{
	struct run *r = *state;

	setenv("WARD_URL", "https://127.0.0.1:2", 1);
	setenv("WARD_USER", "envuser", 1);
	setenv("WARD_FINGERPRINT", "sha256:zz", 1);
	/* A bad fingerprint from the environment is a usage error... */
	assert_int_equal(run(r, "status", NULL), WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "bad fingerprint"));
	/* ...unless an option replaces it. */
	setenv("WARD_PASSWORD", "pw", 1);
	assert_int_equal(run(r, "--fingerprint",
			     "sha256:00112233445566778899aabbccddeeff001122334"
			     "45566778899aabbccddeeff",
			     "--url", CLOSED_URL, "status", NULL),
			 WARDCTL_EUNREACHABLE);
	assert_true(r->ctx.have_pin);
	assert_int_equal(r->ctx.pin[1], 0x11);
	assert_string_equal(r->ctx.user, "envuser");
	assert_string_equal(r->ctx.url, CLOSED_URL);
}

static void test_bad_global_values_are_usage_errors(void **state)
{
	struct run *r = *state;

	assert_int_equal(
	    run(r, "--url", "http://127.0.0.1:8443", "status", NULL),
	    WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "must be https://"));
	assert_int_equal(run(r, "--timeout", "0", "status", NULL),
			 WARDCTL_EUSAGE);
	assert_int_equal(run(r, "status", "--timeout", "9x", NULL),
			 WARDCTL_EUSAGE);
	assert_int_equal(run(r, "status", "--url", NULL), WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "missing value for option --url"));
	assert_int_equal(r->prompts, 0);
}

static void test_command_options_are_checked(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "audit", "--limit", "0", NULL), WARDCTL_EUSAGE);
	assert_int_equal(run(r, "audit", "--limit", "1001", NULL),
			 WARDCTL_EUSAGE);
	assert_int_equal(run(r, "audit", "--limit", "ten", NULL),
			 WARDCTL_EUSAGE);
	assert_int_equal(run(r, "cluster", "init", "--name", "c", NULL),
			 WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "--token-file and --name are needed"));
	assert_int_equal(run(r, "cluster", "init", "--token-file",
			     "/nonexistent/init.token", "--name", "c", NULL),
			 WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "/nonexistent/init.token"));
	assert_int_equal(run(r, "node", "list", "--bogus", NULL),
			 WARDCTL_EUSAGE);
	assert_non_null(strstr(r->err, "unknown or ambiguous option --bogus"));
	assert_int_equal(r->prompts, 0);
}

static void test_no_password_and_no_terminal_is_a_usage_error(void **state)
{
	struct run *r = *state;

	assert_int_equal(run(r, "--url", CLOSED_URL, "node", "list", NULL),
			 WARDCTL_EUSAGE);
	assert_int_equal(r->prompts, 1);
	assert_non_null(strstr(r->err, "no password"));
	assert_non_null(strstr(r->err, "--password-file"));
}

static void test_every_exit_code_is_described(void **state)
{
	for (int code = 0; code <= 5; code++)
		assert_string_not_equal(wardctl_exit_describe(code), "unknown");
	assert_string_equal(wardctl_exit_describe(6), "unknown");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_unknown_command_exits_1_with_usage),
	    T(test_no_command_exits_1_with_usage),
	    T(test_unknown_subcommand_lists_the_group),
	    T(test_group_without_subcommand_exits_1),
	    T(test_help_lists_commands_and_exit_codes),
	    T(test_command_help_prints_its_usage_and_exits_0),
	    T(test_wrong_number_of_operands_is_a_usage_error),
	    T(test_password_in_argv_is_refused_and_not_echoed),
	    T(test_global_options_work_after_the_command),
	    T(test_environment_gives_defaults_options_override),
	    T(test_bad_global_values_are_usage_errors),
	    T(test_command_options_are_checked),
	    T(test_no_password_and_no_terminal_is_a_usage_error),
	    T(test_every_exit_code_is_described),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
