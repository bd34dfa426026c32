/* errmsg: see errmsg.h. */
#include "common/errmsg.h"

#include <stdarg.h>
#include <stdio.h>

void errmsg_set(char *errmsg, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (!errmsg || !errcap)
		return;
	va_start(ap, fmt);
	vsnprintf(errmsg, errcap, fmt, ap);
	va_end(ap);
}
