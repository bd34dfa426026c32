/* creds: a secret on the command line is visible to every user through
 * /proc and lands in shell histories, so wardctl takes none there. */
#include "tools/wardctl/creds.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tools/wardctl/wardctl.h"

void creds_free(char *secret)
{
	if (!secret)
		return;
	OPENSSL_cleanse(secret, strlen(secret));
	free(secret);
}

static void json_wipe_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

void creds_json_wipe_init(void)
{
	json_set_alloc_funcs(malloc, json_wipe_free);
}

int creds_read_file(const char *path, char **out, char *errmsg, size_t errcap)
{
	char buf[CREDS_MAX];
	size_t len = 0;
	char *nl = NULL;
	int fd, rc = -1;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(errmsg, errcap, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	/* Stop at the first newline: the file may be a pipe. */
	while (len < sizeof buf && !(nl = memchr(buf, '\n', len))) {
		ssize_t n = read(fd, buf + len, sizeof buf - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(errmsg, errcap, "cannot read %s: %s", path,
				 strerror(errno));
			goto cleanup;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!nl)
		nl = memchr(buf, '\n', len);
	if (nl)
		len = (size_t)(nl - buf);
	else if (len == sizeof buf) {
		snprintf(errmsg, errcap, "%s: first line longer than %d bytes",
			 path, CREDS_MAX - 1);
		goto cleanup;
	}
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	*out = malloc(len + 1);
	if (!*out) {
		snprintf(errmsg, errcap, "out of memory");
		goto cleanup;
	}
	memcpy(*out, buf, len);
	(*out)[len] = '\0';
	rc = 0;
cleanup:
	OPENSSL_cleanse(buf, sizeof buf);
	close(fd);
	return rc;
}

static const char *env_get(const char *name)
{
	const char *v = name ? getenv(name) : NULL;

	return v && *v ? v : NULL;
}

/* Both entries of a new secret must match; compared without leaking where
 * they differ. */
static bool secrets_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

static int prompt_fail(struct wardctl *ctx, const struct creds_sources *src,
		       int err)
{
	if (err == EOVERFLOW)
		wardctl_errorf(ctx, "the %s is longer than %d bytes", src->what,
			       CREDS_MAX - 1);
	else if (err == EINTR)
		wardctl_errorf(ctx, "interrupted");
	else
		wardctl_errorf(
		    ctx, "no %s: no terminal to ask on; use %s FILE%s%s",
		    src->what, src->file_opt, src->value_env ? " or set " : "",
		    src->value_env ? src->value_env : "");
	return WARDCTL_EUSAGE;
}

int creds_get(struct wardctl *ctx, const struct creds_sources *src, char **out)
{
	char errmsg[256];
	const char *path = src->file ? src->file : env_get(src->file_env);
	const char *value = env_get(src->value_env);
	char *s = NULL, *again = NULL;
	int rc = WARDCTL_EUSAGE;

	*out = NULL;
	if (path) {
		if (creds_read_file(path, &s, errmsg, sizeof errmsg) != 0) {
			wardctl_errorf(ctx, "%s", errmsg);
			goto cleanup;
		}
	} else if (value) {
		s = strdup(value);
		if (!s) {
			wardctl_errorf(ctx, "out of memory");
			goto cleanup;
		}
	} else {
		s = calloc(1, CREDS_MAX);
		again = calloc(1, CREDS_MAX);
		if (!s || !again) {
			wardctl_errorf(ctx, "out of memory");
			goto cleanup;
		}
		if (ctx->prompt(ctx->prompt_arg, src->prompt, s, CREDS_MAX)) {
			rc = prompt_fail(ctx, src, errno);
			goto cleanup;
		}
		if (src->confirm && *s) {
			if (ctx->prompt(ctx->prompt_arg, "Again: ", again,
					CREDS_MAX)) {
				rc = prompt_fail(ctx, src, errno);
				goto cleanup;
			}
			if (!secrets_equal(s, again)) {
				wardctl_errorf(ctx, "the two entries differ");
				goto cleanup;
			}
		}
	}
	if (!*s) {
		wardctl_errorf(ctx, "empty %s", src->what);
		goto cleanup;
	}
	*out = s;
	s = NULL;
	rc = WARDCTL_OK;
cleanup:
	creds_free(s);
	creds_free(again);
	return rc;
}

int creds_password_load(struct wardctl *ctx)
{
	char prompt[128];
	struct creds_sources src = {
	    .what = "password",
	    .file_opt = "--password-file",
	    .file = ctx->password_file,
	    .file_env = "WARD_PASSWORD_FILE",
	    .value_env = "WARD_PASSWORD",
	    .prompt = prompt,
	};

	if (ctx->password)
		return WARDCTL_OK;
	snprintf(prompt, sizeof prompt, "Password for admin %s: ", ctx->user);
	return creds_get(ctx, &src, &ctx->password);
}

/* Signals that would leave the terminal without echo if they killed or
 * stopped us mid-prompt: caught, then delivered again once it is back. */
static const int prompt_signals[] = {SIGINT,  SIGTERM, SIGHUP, SIGQUIT,
				     SIGTSTP, SIGTTIN, SIGTTOU};
#define N_PROMPT_SIGNALS (sizeof prompt_signals / sizeof *prompt_signals)
static volatile sig_atomic_t prompt_caught[N_PROMPT_SIGNALS];

static void prompt_on_signal(int sig)
{
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		if (prompt_signals[i] == sig)
			prompt_caught[i] = 1;
}

static int tty_read_line(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	bool overflow = false;
	char c;

	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0)
			return -1; /* EINTR included: a signal came */
		if (n == 0 || c == '\n')
			break;
		if (len + 1 < cap)
			buf[len++] = c;
		else
			overflow = true;
	}
	buf[len] = '\0';
	if (overflow) {
		errno = EOVERFLOW;
		return -1;
	}
	return 0;
}

int creds_tty_prompt(void *arg, const char *prompt, char *buf, size_t cap)
{
	struct sigaction sa, old[N_PROMPT_SIGNALS];
	struct termios saved, quiet;
	int fd, rc = -1, err = 0;

	(void)arg;
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (tcgetattr(fd, &saved) != 0) {
		err = errno;
		goto err_after_open;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = prompt_on_signal; /* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++) {
		prompt_caught[i] = 0;
		sigaction(prompt_signals[i], &sa, &old[i]);
	}
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ICANON;
	if (write(fd, prompt, strlen(prompt)) < 0 ||
	    tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		err = errno;
		goto err_after_signals;
	}
	rc = tty_read_line(fd, buf, cap);
	err = errno;
	tcsetattr(fd, TCSAFLUSH, &saved);
	if (write(fd, "\n", 1) < 0) {
		/* the echo of the newline is cosmetic */
	}
err_after_signals:
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		sigaction(prompt_signals[i], &old[i], NULL);
	for (size_t i = 0; i < N_PROMPT_SIGNALS; i++)
		if (prompt_caught[i])
			raise(prompt_signals[i]);
err_after_open:
	close(fd);
	if (rc != 0)
		OPENSSL_cleanse(buf, cap);
	errno = err;
	return rc;
}
