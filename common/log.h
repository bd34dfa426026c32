/* log: levelled, role-tagged logging to stderr (and optionally a file). */
#ifndef WARD_COMMON_LOG_H
#define WARD_COMMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Sets the lowest level printed (default LOG_LVL_INFO). Thread-safe. */
void log_set_level(enum log_level level);
/* Parses "error", "warn", "info", "debug". Returns 0, or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *out);
/* Prefix every line with NAME (borrowed; must outlive logging), e.g. the
 * node name, so that several nodes can share one terminal. */
void log_set_ident(const char *name);

/* Every line: time, level, ident, tag (the role: "raft", "admin", ...), text.
 * Never pass secrets: there is no redaction. */
void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level level, const char *tag, const char *fmt,
	      va_list ap);

#define log_error(tag, ...) log_msg(LOG_LVL_ERROR, tag, __VA_ARGS__)
#define log_warn(tag, ...) log_msg(LOG_LVL_WARN, tag, __VA_ARGS__)
#define log_info(tag, ...) log_msg(LOG_LVL_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...) log_msg(LOG_LVL_DEBUG, tag, __VA_ARGS__)

#endif
