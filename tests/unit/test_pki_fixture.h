/* test_pki_fixture: helpers shared by the pki test programs. */
#ifndef WARD_TEST_PKI_FIXTURE_H
#define WARD_TEST_PKI_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "pki/pki.h"

#define PKI_FX_CLUSTER "0b1c5a9e-8f43-4d2a-9c1e-2f7e8a6b5d10"

/* A fresh empty directory; malloc'ed, transferred. */
char *pki_fx_tmpdir(void);
/* Removes DIR and its content, frees DIR. Accepts NULL. */
void pki_fx_rmdir(char *dir);
/* Writes N bytes at P to PATH; 0 or -1. */
int pki_fx_write(const char *path, const void *p, size_t n);
/* Runs a shell command (printf format) and returns its standard output
 * without trailing newlines, malloc'ed; NULL if it failed or exited
 * non-zero. */
char *pki_fx_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A new key of TYPE (*key, transferred) and a CA for cluster
 * PKI_FX_CLUSTER signed with it; NULL on failure. */
X509 *pki_fx_ca(enum pki_key_type type, EVP_PKEY **key);
/* A certificate for KEY in ROLE, node "node1" at node1.example.net and
 * 127.0.0.2, with NODE_ID for PKI_ROLE_NODE; NULL on failure. */
X509 *pki_fx_issue(X509 *ca, EVP_PKEY *ca_key, EVP_PKEY *key,
		   enum pki_role role, uint64_t node_id);
/* Writes X as PEM to DIR/NAME; the path, malloc'ed, or NULL. */
char *pki_fx_write_cert(const char *dir, const char *name, X509 *x);

#endif
