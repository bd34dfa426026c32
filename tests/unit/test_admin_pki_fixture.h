/* test_admin_pki_fixture: what the admin PKI tests share, on top of
 * test_admin_harness — a cluster whose PKI is set up as cluster init sets
 * it up (KEK in DATA/kek, CA, node 1's role certificates and wrapped keys,
 * the CA's trust entry), raw (non-JSON) answers, base64, and CTLs built
 * from what the cluster asks for and signed with the committed test keys
 * (tests/unit/data/trustlist), which stand in for security tokens. Every
 * helper fails the running test instead of returning an error. */
#ifndef WARD_TEST_ADMIN_PKI_FIXTURE_H
#define WARD_TEST_ADMIN_PKI_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct store_cmd;

/* Once, in main(), before the tests: libevent's threading (Raft callbacks
 * wake the admin loop) and libcurl. */
void apki_global_init(void);

/* cmocka fixtures: N1 initialized (cluster "lab", admin root) with its
 * PKI; teardown stops it and removes its directory. */
int apki_setup(void **state);
int apki_teardown(void **state);

/* Makes N1's PKI as cluster init does, unless the store has a CA already
 * (cluster init made it, with DATA/kek). */
void apki_cluster_pki(void);

/* Proposes CMD on N1 and waits for it to apply: the store's rc. */
int apki_propose(struct store_cmd *cmd);

/* GET PATH on N1 as root: the raw body (malloc'ed, NUL-terminated beyond
 * *LEN), its status and Content-Type (into CTYPE, CAP bytes). */
uint8_t *apki_get_raw(const char *path, long *status, size_t *len, char *ctype,
		      size_t cap);

/* base64 (malloc'ed text) and back (malloc'ed bytes). */
char *apki_b64(const uint8_t *p, size_t n);
uint8_t *apki_unb64(const char *text, size_t *len);

/* Test certificate NAME (data/trustlist/NAME.crt) as DER; malloc'ed. */
uint8_t *apki_cert_der(const char *name, size_t *len);

/* POST /v1/tokens with test certificate NAME (base64 DER) and LABEL: the
 * status; the answer is dropped. */
long apki_token_register(const char *name, const char *label);

/* A CTL of what N1 asks for (GET /v1/ctl/entries), with the test
 * certificates EXTRA (NULL-terminated, may be NULL) as further SAST
 * records, signed with test key SIGNER. Malloc'ed. */
uint8_t *apki_ctl_sign(const char *signer, const char *const *extra,
		       size_t *len);

/* POST /v1/ctl {file}: the status; *ANS (may be NULL) the answer. */
long apki_ctl_upload(const uint8_t *file, size_t len, json_t **ans);

/* POST /v1/certs/NODE/ROLE/regenerate: the status. */
long apki_regenerate(const char *node, const char *role);

#endif
