/* Replacing a file atomically: the new bytes under the exact mode asked
 * for, nothing left behind, and a failure that names the file. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/file.h"

struct fx {
	char dir[64];
	char path[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/ward_test_file.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof f->path, "%s/out", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	struct dirent *e;
	DIR *d = opendir(f->dir);
	char p[512];

	while (d && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static size_t entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void expect_file(const char *path, const char *want, mode_t mode)
{
	char got[64] = "";
	struct stat st;
	FILE *fp = fopen(path, "r");
	size_t n;

	assert_non_null(fp);
	n = fread(got, 1, sizeof got - 1, fp);
	fclose(fp);
	assert_int_equal(n, strlen(want));
	assert_string_equal(got, want);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

static void test_file_replaces_content_with_the_exact_mode(void **state)
{
	struct fx *f = *state;
	mode_t old = umask(077);
	char err[256] = "";

	assert_int_equal(
	    file_write_atomic(f->path, "first", 5, 0644, err, sizeof err), 0);
	expect_file(f->path, "first", 0644);
	assert_int_equal(
	    file_write_atomic(f->path, "second", 6, 0600, err, sizeof err), 0);
	expect_file(f->path, "second", 0600);
	assert_int_equal(entries(f->dir), 1);
	umask(old);
}

static void test_file_writes_nothing_empty_as_an_empty_file(void **state)
{
	struct fx *f = *state;

	assert_int_equal(file_write_atomic(f->path, "", 0, 0600, NULL, 0), 0);
	expect_file(f->path, "", 0600);
}

static void test_file_failure_names_the_path_and_leaves_it(void **state)
{
	struct fx *f = *state;
	char missing[192], err[256] = "";

	snprintf(missing, sizeof missing, "%s/no/such/dir/out", f->dir);
	assert_int_equal(
	    file_write_atomic(missing, "x", 1, 0600, err, sizeof err), -1);
	assert_non_null(strstr(err, missing));
	assert_non_null(strstr(err, strerror(ENOENT)));
	assert_int_equal(file_write_atomic(missing, "x", 1, 0600, NULL, 0), -1);
	assert_int_equal(entries(f->dir), 0);
}

static void test_file_refuses_a_path_too_long(void **state)
{
	size_t cap = 8192;
	char *path = malloc(cap), *err = malloc(cap + 64);

	(void)state;
	assert_non_null(path);
	assert_non_null(err);
	memset(path, 'a', cap - 1);
	path[cap - 1] = '\0';
	assert_int_equal(file_write_atomic(path, "x", 1, 0600, err, cap + 64),
			 -1);
	assert_non_null(strstr(err, strerror(ENAMETOOLONG)));
	free(err);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	    T(test_file_replaces_content_with_the_exact_mode),
	    T(test_file_writes_nothing_empty_as_an_empty_file),
	    T(test_file_failure_names_the_path_and_leaves_it),
	    T(test_file_refuses_a_path_too_long),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
