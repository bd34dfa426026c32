/* internal: what the files of pki/ share. Not for other folders. */
#ifndef WARD_PKI_INTERNAL_H
#define WARD_PKI_INTERNAL_H

#include <stddef.h>

#include "pki/pki.h"

/* printf into ERRMSG (may be NULL) and return RC, so that an error path is
 * one statement: return pki_fail(errmsg, errcap, PKI_EINVAL, "..."). */
int pki_fail(char *errmsg, size_t errcap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same, appending OpenSSL's first queued error (": reason") and
 * clearing the queue; the queue is cleared even when errmsg is NULL, so
 * that no stale error misleads a later caller on this thread. */
int pki_fail_ssl(char *errmsg, size_t errcap, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* 1 if S is canonical UUID text: 36 bytes, lower- or upper-case hex,
 * hyphens at 8, 13, 18 and 23. */
int pki_uuid_valid(const char *s);

/* What the memory BIO BIO holds, as malloc'ed text (NUL-terminated) into
 * *TEXT and its length into *LEN: PKI_OK; PKI_ECRYPTO if it holds nothing,
 * PKI_ENOMEM. The caller frees *TEXT (wiping it if it holds a secret). */
int pki_bio_text(BIO *bio, char **text, size_t *len);

/* Sets a random positive 127-bit serial number on X. */
int pki_serial_random(X509 *x);

#endif
