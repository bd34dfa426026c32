/* log: one line per message, written with a single write(2) so that lines of
 * different threads never interleave. */
#include "common/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = LOG_LVL_INFO;
static const char *log_ident = "";

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
	atomic_store(&log_level, (int)level);
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (unsigned i = 0; i < sizeof level_names / sizeof *level_names;
	     i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_set_ident(const char *name)
{
	log_ident = name ? name : "";
}

void log_vmsg(enum log_level level, const char *tag, const char *fmt,
	      va_list ap)
{
	char line[2048];
	struct timeval tv;
	struct tm tm;
	size_t n;
	int k;

	if ((int)level > atomic_load(&log_level))
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
	k = snprintf(line + n, sizeof line - n, ".%03ldZ %-5s %s%s%s: ",
		     (long)tv.tv_usec / 1000, level_names[level], log_ident,
		     *log_ident ? " " : "", tag);
	if (k > 0 && (size_t)k < sizeof line - n)
		n += (size_t)k;
	k = vsnprintf(line + n, sizeof line - n, fmt, ap);
	if (k < 0)
		k = 0;
	n += (size_t)k;
	if (n > sizeof line - 2)
		n = sizeof line - 2;
	/* Keep one record per line whatever the caller formatted. */
	for (size_t i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0) {
		/* Nowhere left to report it. */
	}
}

void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, tag, fmt, ap);
	va_end(ap);
}
