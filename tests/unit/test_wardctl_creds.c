/* Where a password comes from: --password-file, then $WARD_PASSWORD_FILE,
 * then $WARD_PASSWORD, then the prompt — and new passwords asked twice. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/wardctl/creds.h"
#include "tools/wardctl/wardctl.h"

struct fixture {
	struct wardctl ctx;
	char *err;
	size_t err_len;
	char dir[64];
	char path_a[96], path_b[96];
	/* What the fake terminal types, one answer per prompt. */
	const char *typed[2];
	int prompts;
	char last_prompt[160];
};

static int fake_prompt(void *arg, const char *prompt, char *buf, size_t cap)
{
	struct fixture *f = arg;

	snprintf(f->last_prompt, sizeof f->last_prompt, "%s", prompt);
	if (f->prompts >= 2 || !f->typed[f->prompts]) {
		errno = ENXIO; /* as with no terminal */
		return -1;
	}
	snprintf(buf, cap, "%s", f->typed[f->prompts++]);
	return 0;
}

static void write_file(const char *path, const char *content)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(content, fp);
	fclose(fp);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	unsetenv("WARD_PASSWORD");
	unsetenv("WARD_PASSWORD_FILE");
	unsetenv("WARD_NEW_PASSWORD");
	strcpy(f->dir, "/tmp/test_wardctl_creds.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path_a, sizeof f->path_a, "%s/a", f->dir);
	snprintf(f->path_b, sizeof f->path_b, "%s/b", f->dir);
	wardctl_init(&f->ctx);
	f->ctx.err = open_memstream(&f->err, &f->err_len);
	f->ctx.prompt = fake_prompt;
	f->ctx.prompt_arg = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path_a);
	unlink(f->path_b);
	rmdir(f->dir);
	wardctl_close(&f->ctx);
	fclose(f->ctx.err);
	free(f->err);
	free(f);
	unsetenv("WARD_PASSWORD");
	unsetenv("WARD_PASSWORD_FILE");
	unsetenv("WARD_NEW_PASSWORD");
	return 0;
}

static void test_password_file_option_comes_first(void **state)
{
	struct fixture *f = *state;

	write_file(f->path_a, "from-option-file\nsecond line\n");
	write_file(f->path_b, "from-env-file\n");
	setenv("WARD_PASSWORD_FILE", f->path_b, 1);
	setenv("WARD_PASSWORD", "from-env", 1);
	f->typed[0] = "typed";
	f->ctx.password_file = f->path_a;
	assert_int_equal(creds_password_load(&f->ctx), WARDCTL_OK);
	assert_string_equal(f->ctx.password, "from-option-file");
	assert_int_equal(f->prompts, 0);
}

static void test_password_file_env_comes_before_password_env(void **state)
{
	struct fixture *f = *state;

	write_file(f->path_b, "from-env-file\r\n");
	setenv("WARD_PASSWORD_FILE", f->path_b, 1);
	setenv("WARD_PASSWORD", "from-env", 1);
	assert_int_equal(creds_password_load(&f->ctx), WARDCTL_OK);
	assert_string_equal(f->ctx.password, "from-env-file");
}

static void test_password_env_comes_before_the_prompt(void **state)
{
	struct fixture *f = *state;

	setenv("WARD_PASSWORD", "from env with spaces ", 1);
	f->typed[0] = "typed";
	assert_int_equal(creds_password_load(&f->ctx), WARDCTL_OK);
	assert_string_equal(f->ctx.password, "from env with spaces ");
	assert_int_equal(f->prompts, 0);
}

static void test_prompt_is_last_and_names_the_user(void **state)
{
	struct fixture *f = *state;

	setenv("WARD_PASSWORD", "", 1); /* empty counts as unset */
	f->ctx.user = "ops";
	f->typed[0] = "typed-secret";
	assert_int_equal(creds_password_load(&f->ctx), WARDCTL_OK);
	assert_string_equal(f->ctx.password, "typed-secret");
	assert_int_equal(f->prompts, 1);
	assert_string_equal(f->last_prompt, "Password for admin ops: ");
	/* Loaded once per run. */
	assert_int_equal(creds_password_load(&f->ctx), WARDCTL_OK);
	assert_int_equal(f->prompts, 1);
}

static void test_no_source_and_no_terminal_says_what_to_do(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(creds_password_load(&f->ctx), WARDCTL_EUSAGE);
	assert_null(f->ctx.password);
	fflush(f->ctx.err);
	assert_non_null(strstr(f->err, "no password"));
	assert_non_null(strstr(f->err, "--password-file FILE"));
	assert_non_null(strstr(f->err, "WARD_PASSWORD"));
}

static void test_unreadable_or_empty_file_is_a_usage_error(void **state)
{
	struct fixture *f = *state;

	f->ctx.password_file = f->path_a; /* does not exist */
	setenv("WARD_PASSWORD", "never-used", 1);
	assert_int_equal(creds_password_load(&f->ctx), WARDCTL_EUSAGE);
	write_file(f->path_a, "\nsecret on line two\n");
	assert_int_equal(creds_password_load(&f->ctx), WARDCTL_EUSAGE);
	fflush(f->ctx.err);
	assert_non_null(strstr(f->err, f->path_a));
	assert_non_null(strstr(f->err, "empty password"));
	assert_null(strstr(f->err, "secret on line two"));
	assert_null(strstr(f->err, "never-used"));
}

static void test_read_file_takes_the_first_line_only(void **state)
{
	struct fixture *f = *state;
	char errmsg[256], *s = NULL;

	write_file(f->path_a, "no newline at end");
	assert_int_equal(creds_read_file(f->path_a, &s, errmsg, sizeof errmsg),
			 0);
	assert_string_equal(s, "no newline at end");
	creds_free(s);
	write_file(f->path_a, " keep  spaces \r\nrest");
	assert_int_equal(creds_read_file(f->path_a, &s, errmsg, sizeof errmsg),
			 0);
	assert_string_equal(s, " keep  spaces ");
	creds_free(s);
}

static void test_read_file_refuses_a_line_longer_than_the_limit(void **state)
{
	struct fixture *f = *state;
	char errmsg[256], *s = (char *)1;
	char *big = malloc(CREDS_MAX + 10);

	memset(big, 'x', CREDS_MAX + 9);
	big[CREDS_MAX + 9] = '\0';
	write_file(f->path_a, big);
	free(big);
	assert_int_equal(creds_read_file(f->path_a, &s, errmsg, sizeof errmsg),
			 -1);
	assert_null(s);
	assert_non_null(strstr(errmsg, "longer than"));
}

static void test_new_password_is_asked_twice(void **state)
{
	struct fixture *f = *state;
	struct creds_sources src = {.what = "new password",
				    .file_opt = "--new-password-file",
				    .value_env = "WARD_NEW_PASSWORD",
				    .prompt = "New: ",
				    .confirm = true};
	char *pw = NULL;

	f->typed[0] = "correct horse";
	f->typed[1] = "correct horse";
	assert_int_equal(creds_get(&f->ctx, &src, &pw), WARDCTL_OK);
	assert_string_equal(pw, "correct horse");
	assert_int_equal(f->prompts, 2);
	creds_free(pw);
}

static void test_new_password_entries_that_differ_are_refused(void **state)
{
	struct fixture *f = *state;
	struct creds_sources src = {.what = "new password",
				    .file_opt = "--new-password-file",
				    .value_env = "WARD_NEW_PASSWORD",
				    .prompt = "New: ",
				    .confirm = true};
	char *pw = NULL;

	f->typed[0] = "correct horse";
	f->typed[1] = "correct horsf";
	assert_int_equal(creds_get(&f->ctx, &src, &pw), WARDCTL_EUSAGE);
	assert_null(pw);
	fflush(f->ctx.err);
	assert_non_null(strstr(f->err, "differ"));
	assert_null(strstr(f->err, "horse"));
}

static void test_new_password_from_env_is_not_confirmed(void **state)
{
	struct fixture *f = *state;
	struct creds_sources src = {.what = "new password",
				    .file_opt = "--new-password-file",
				    .value_env = "WARD_NEW_PASSWORD",
				    .prompt = "New: ",
				    .confirm = true};
	char *pw = NULL;

	setenv("WARD_NEW_PASSWORD", "from-env-new", 1);
	setenv("WARD_PASSWORD", "the-old-one", 1);
	assert_int_equal(creds_get(&f->ctx, &src, &pw), WARDCTL_OK);
	assert_string_equal(pw, "from-env-new");
	assert_int_equal(f->prompts, 0);
	creds_free(pw);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_password_file_option_comes_first),
	    T(test_password_file_env_comes_before_password_env),
	    T(test_password_env_comes_before_the_prompt),
	    T(test_prompt_is_last_and_names_the_user),
	    T(test_no_source_and_no_terminal_says_what_to_do),
	    T(test_unreadable_or_empty_file_is_a_usage_error),
	    T(test_read_file_takes_the_first_line_only),
	    T(test_read_file_refuses_a_line_longer_than_the_limit),
	    T(test_new_password_is_asked_twice),
	    T(test_new_password_entries_that_differ_are_refused),
	    T(test_new_password_from_env_is_not_confirmed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
