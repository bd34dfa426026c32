/* errors: error strings, error-message formatting and names of codes. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trustlist/internal.h"

const char *trustlist_strerror(int rc)
{
	switch (rc) {
	case TRUSTLIST_OK:
		return "ok";
#define TRUSTLIST_X_CASE(code, msg)                                            \
	case code:                                                             \
		return msg;
		TRUSTLIST_ERRORS(TRUSTLIST_X_CASE)
#undef TRUSTLIST_X_CASE
	}
	return "unknown error";
}

int tl_err(int rc, char *errmsg, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (errmsg == NULL || errcap == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(errmsg, errcap, fmt, ap);
	va_end(ap);
	return rc;
}

const char *tl_printable(const char *s, char *out, size_t cap)
{
	size_t i = 0;

	if (cap == 0)
		return "";
	for (; s && *s && i + 1 < cap; s++)
		out[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[i] = 0;
	if (s && *s && cap > 4)
		memcpy(out + cap - 4, "...", 4);
	return out;
}

const char *trustlist_function_name(unsigned function)
{
	switch (function) {
	case TRUSTLIST_FN_SAST:
		return "SAST";
	case TRUSTLIST_FN_CCM:
		return "CCM";
	case TRUSTLIST_FN_CCM_TFTP:
		return "CCM+TFTP";
	case TRUSTLIST_FN_TFTP:
		return "TFTP";
	case TRUSTLIST_FN_CAPF:
		return "CAPF";
	case TRUSTLIST_FN_HTTPS:
		return "HTTPS";
	case TRUSTLIST_FN_TVS:
		return "TVS";
	}
	return "unknown";
}
