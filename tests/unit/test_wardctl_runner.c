/* test_wardctl_runner: see test_wardctl_runner.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/unit/test_wardctl_runner.h"
#include "tools/wardctl/pin.h"
#include "tools/wardctl/wardctl.h"

char *wr_out, *wr_err;
static size_t out_len, err_len;
static char url[64], fp[PIN_TEXT_LEN];

static int no_prompt(void *arg, const char *prompt, char *buf, size_t cap)
{
	(void)arg;
	(void)prompt;
	(void)buf;
	(void)cap;
	errno = ENXIO;
	return -1;
}

void wr_target(const char *to, const uint8_t raw[32])
{
	pin_format(raw, fp);
	snprintf(url, sizeof url, "%s", to);
}

void wr_reset(void)
{
	free(wr_out);
	free(wr_err);
	wr_out = wr_err = NULL;
}

int wr_run(const char *first, ...)
{
	char *argv[40] = {"wardctl", "--url", url, "--fingerprint", fp};
	int argc = 5, rc;
	struct wardctl ctx;
	va_list ap;

	wr_reset();
	wardctl_init(&ctx);
	ctx.out = open_memstream(&wr_out, &out_len);
	ctx.err = open_memstream(&wr_err, &err_len);
	ctx.prompt = no_prompt;
	argv[argc++] = (char *)first;
	va_start(ap, first);
	while ((argv[argc] = va_arg(ap, char *))) {
		argc++;
		assert_true(argc < 40); /* room for the next word or NULL */
	}
	va_end(ap);
	rc = wardctl_run(&ctx, argc, argv);
	fclose(ctx.out);
	fclose(ctx.err);
	wardctl_close(&ctx);
	return rc;
}

void wr_expect(int rc, int want)
{
	if (rc != want)
		fail_msg("exit %d, not %d; out: %s; err: %s", rc, want,
			 wr_out ? wr_out : "", wr_err ? wr_err : "");
}
