/* creds: where wardctl's secrets come from — a file, the environment or a
 * prompt on the terminal, never argv — and how they are wiped. */
#ifndef WARD_TOOLS_WARDCTL_CREDS_H
#define WARD_TOOLS_WARDCTL_CREDS_H

#include <stdbool.h>
#include <stddef.h>

struct wardctl;

#define CREDS_MAX 1024 /* longest secret accepted, NUL included */

/* Sources of one secret, tried in this order; any may be NULL. */
struct creds_sources {
	const char *what;      /* for messages: "password", "init token" */
	const char *file_opt;  /* for messages: "--password-file" */
	const char *file;      /* from an option: first line of the file */
	const char *file_env;  /* names an env var holding a file name */
	const char *value_env; /* names an env var holding the secret */
	const char *prompt;    /* shown on the terminal */
	bool confirm;	       /* a new secret: prompt twice, must match */
};

/* The first source of SRC that is set (an empty env var counts as unset):
 * the secret into *OUT (transferred, free with creds_free()). Errors are
 * printed; returns an exit code (WARDCTL_EUSAGE: unreadable file, empty
 * secret, no terminal to prompt on, the two entries differ). */
int creds_get(struct wardctl *ctx, const struct creds_sources *src, char **out);

/* Makes sure ctx->password holds the password of ctx->user: from
 * --password-file, $WARD_PASSWORD_FILE, $WARD_PASSWORD, then the prompt.
 * Returns an exit code. */
int creds_password_load(struct wardctl *ctx);

/* The first line of PATH (without "\n" or "\r\n") into *OUT (transferred).
 * 0, or -1 with a reason in ERRMSG (never the content). */
int creds_read_file(const char *path, char **out, char *errmsg, size_t errcap);

/* Makes jansson wipe every block it frees: request bodies carry passwords
 * and tokens. Call before any JSON is made; harmless to call again. */
void creds_json_wipe_init(void);

/* Wipes and frees a secret. Accepts NULL. */
void creds_free(char *secret);

/* The default wardctl_prompt_fn: reads a line from /dev/tty with echo off,
 * restoring the terminal even when interrupted (the signal is then
 * delivered again). ARG is unused. */
int creds_tty_prompt(void *arg, const char *prompt, char *buf, size_t cap);

#endif
