/* errmsg: the one way a failing call fills its caller's errmsg buffer. */
#ifndef WARD_COMMON_ERRMSG_H
#define WARD_COMMON_ERRMSG_H

#include <stddef.h>

/* printf into ERRMSG (caller's, ERRCAP bytes), truncated to fit. ERRMSG may
 * be NULL or ERRCAP 0: the caller did not ask why, and nothing is written. */
void errmsg_set(char *errmsg, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
