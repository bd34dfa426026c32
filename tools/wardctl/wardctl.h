/* wardctl: the state of one wardctl run, its exit codes and the helpers the
 * subcommands share (option parsing, error reporting). */
#ifndef WARD_TOOLS_WARDCTL_H
#define WARD_TOOLS_WARDCTL_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Every function of wardctl that can fail returns one of these; main()
 * returns it as the exit status, so scripts can rely on the numbers. */
#define WARDCTL_EXITS(X)                                                       \
	X(WARDCTL_OK, 0, "success")                                            \
	X(WARDCTL_EUSAGE, 1,                                                   \
	  "usage error (bad arguments, unreadable file, no password)")         \
	X(WARDCTL_EREFUSED, 2, "the server refused the request (HTTP 4xx)")    \
	X(WARDCTL_EUNREACHABLE, 3,                                             \
	  "cannot reach the server, or TLS verification failed")               \
	X(WARDCTL_EUNAVAILABLE, 4,                                             \
	  "server or cluster unavailable (HTTP 5xx, no leader)")               \
	X(WARDCTL_EAUTH, 5, "authentication failed (HTTP 401)")

enum wardctl_exit {
#define WARDCTL_EXIT_ENUM(name, value, text) name = value,
	WARDCTL_EXITS(WARDCTL_EXIT_ENUM)
#undef WARDCTL_EXIT_ENUM
	/* Not an exit code: a command's --help was printed, stop now.
	 * wardctl_run() returns WARDCTL_OK for it. */
	WARDCTL_HELP_SHOWN = -1,
};

/* A static description of exit code CODE ("unknown" for others). */
const char *wardctl_exit_describe(int code);

#define WARDCTL_DEFAULT_URL "https://127.0.0.1:8443"
#define WARDCTL_DEFAULT_USER "admin"
#define WARDCTL_DEFAULT_TIMEOUT_S 30
/* For calls the server itself gives a minute (node remove). */
#define WARDCTL_SLOW_TIMEOUT_S 90

/* Reads one secret line into BUF (CAP bytes, NUL-terminated, without the
 * newline) after showing PROMPT, without echo. 0, or -1 with errno set. */
typedef int (*wardctl_prompt_fn)(void *arg, const char *prompt, char *buf,
				 size_t cap);

struct wardctl;

/* One row of the dispatch table: "wardctl GROUP [SUB] ARGS". RUN gets the
 * words from SUB on (or from GROUP when SUB is NULL) as its argv. */
struct wardctl_command {
	const char *group;
	const char *sub; /* NULL: the group is the command ("audit") */
	int (*run)(struct wardctl *ctx, int argc, char **argv);
	const char *args; /* operands and options, for the usage */
	const char *help; /* one line */
};

struct wardctl {
	/* Global options. Strings are borrowed from argv or the environment
	 * and stay valid for the whole run. */
	const char *url; /* see url_len */
	size_t url_len;	 /* length of url without trailing '/' */
	const char *user;
	const char *password_file; /* NULL: not given; see creds.h */
	const char *cacert;	   /* NULL: not given */
	const char *fingerprint;   /* NULL: not given; parsed into pin */
	bool have_pin;
	uint8_t pin[32]; /* SHA-256 of the server's leaf certificate */
	const char *ca_fingerprint; /* NULL: not given; parsed into ca_pin */
	bool have_ca_pin;
	uint8_t ca_pin[32]; /* SHA-256 of the CA the server's chain leads to */
	bool json;
	bool consistent; /* reads with ?consistent=1 */
	long timeout_s;
	bool timeout_given; /* by --timeout, rather than the default */

	/* The command being run (borrowed from the static table), and what a
	 * command returns when wardctl_getopt() gave '?': WARDCTL_HELP_SHOWN
	 * after --help, WARDCTL_EUSAGE after an error. */
	const struct wardctl_command *cmd;
	int opt_rc;

	/* Where output goes; borrowed (stdout/stderr, or memory streams in
	 * tests). */
	FILE *out;
	FILE *err;

	/* How to ask for a password; tests replace the terminal. */
	wardctl_prompt_fn prompt;
	void *prompt_arg;

	char *password; /* owned, wiped on free; read on first need */

	/* SHA-256 of the leaf certificate of the last server talked to (valid
	 * when have_peer_fp), whatever the trust mode: what "wardd --join"
	 * must pin to reach the same URL. */
	bool have_peer_fp;
	uint8_t peer_fp[32];
};

/* Sets the defaults: stdout/stderr, the terminal prompt, no options. */
void wardctl_init(struct wardctl *ctx);
/* Wipes and frees what CTX owns (not CTX itself). Accepts NULL. */
void wardctl_close(struct wardctl *ctx);

/* Parses the global options and runs the subcommand in ARGV (argv[0] is the
 * program name). CTX must have been initialised; its out/err/prompt may be
 * replaced before the call. Returns an exit code. */
int wardctl_run(struct wardctl *ctx, int argc, char **argv);

/* Prints "wardctl: " + the message + "\n" on ctx->err. */
void wardctl_errorf(struct wardctl *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* getopt_long over a subcommand's own OPTS (NULL or terminated by a zero
 * entry; vals below 256) and the global options, so that "wardctl node list
 * --json" works too. Global options are applied to CTX here and never
 * returned; at the end the global options are checked. Returns the option's
 * val, -1 at the end of the options (the operands are then argv[*state ..
 * argc)), or '?' after --help or a usage error: the command then returns
 * ctx->opt_rc. ARGV[0] must be the subcommand's name; start with *STATE = 0
 * and pass the same STATE on every call. */
int wardctl_getopt(struct wardctl *ctx, int argc, char **argv,
		   const struct option *opts, int *state);

/* Parses every option of a command that has none of its own and checks the
 * number of operands (MIN..MAX). 0 (the operands are argv[*first ..
 * argc)), or what the command must return at once (usage or help already
 * printed). */
int wardctl_args(struct wardctl *ctx, int argc, char **argv, int min, int max,
		 int *first);

/* Prints the usage of the current command on ctx->err and returns
 * WARDCTL_EUSAGE. */
int wardctl_usage_cmd(struct wardctl *ctx);

#endif
