/* test_trustlist_fixture: the committed test keys and certificates
 * (tests/unit/data/trustlist/), the standard CTL/ITL of the tests, files
 * and temporary directories. Every helper fails the running cmocka test
 * instead of returning an error. */
#ifndef WARD_TEST_TRUSTLIST_FIXTURE_H
#define WARD_TEST_TRUSTLIST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "trustlist/sgn.h"
#include "trustlist/trustlist.h"

/* Fixed timestamp of every golden file: 2023-11-14 22:13:20 UTC. */
#define TLF_TIMESTAMP 1700000000u

/* Absolute path of a file in the data directory (static buffer, valid
 * for the next 7 calls). */
const char *tlf_path(const char *name);

/* Reads a whole file; malloc'd, caller frees. */
uint8_t *tlf_read(const char *path, size_t *len);
void tlf_write(const char *path, const void *buf, size_t len);

struct tlf_cert {
	uint8_t *der; /* owned */
	size_t len;
};

/* NAME.crt from the data directory, as DER. */
void tlf_cert_load(const char *name, struct tlf_cert *out);
void tlf_cert_free(struct tlf_cert *c);
/* NAME.key from the data directory; caller frees (EVP_PKEY_free). */
EVP_PKEY *tlf_key_load(const char *name);

#define TLF_SET_MAX 16

/* A list of entries with the certificates they borrow. */
struct tlf_set {
	struct tlf_cert certs[TLF_SET_MAX];
	struct trustlist_entry e[TLF_SET_MAX];
	size_t n;
};

void tlf_set_add(struct tlf_set *s, unsigned function, const char *cert,
		 const char *dns, const char *ip);
void tlf_set_free(struct tlf_set *s);

/* The tests' CTL: SAST_A and SAST_B as SAST, node1 and node2 (ccm1,
 * ccm2) as CCM+TFTP with DNS names and addresses, CAPF, HTTPS. */
void tlf_ctl_set(struct tlf_set *s, const char *sast_a, const char *sast_b);
/* The tests' ITL: TFTP (the signer), CAPF, and ccm1, ccm2 as CCM. */
void tlf_itl_set(struct tlf_set *s, const char *tftp);

/* Builds KIND from SET signed by SIGNER (NAME.crt + NAME.key) with SIG at
 * TLF_TIMESTAMP; asserts success. Caller frees the result. */
uint8_t *tlf_build(enum trustlist_kind kind, const struct tlf_set *set,
		   const char *signer, enum trustlist_sig sig, size_t *len);

/* The name and CONTENT of the tests' signed file, and the .sgn of it. */
#define TLF_SGN_NAME "SEP001122334455.cnf.xml"
extern const char tlf_sgn_content[];
uint8_t *tlf_build_sgn(const char *signer, enum trustlist_sig sig, size_t *len);

/* Re-signs a file changed in place with NAME.key (same signature length:
 * RSA only), so tests can check what the parser or verifier say about a
 * well-signed file with odd content. Fixes nothing else. */
void tlf_resign(uint8_t *buf, size_t len, const char *name);

/* Offset of the first top-level header TLV with TAG in a file ward wrote
 * (walked without the parser); fails the test if there is none. */
size_t tlf_header_field(const uint8_t *buf, size_t len, uint8_t tag);

/* Replaces DEL bytes at OFF of *BUF by INS (LEN bytes); *LEN updated. */
void tlf_splice(uint8_t **buf, size_t *len, size_t off, size_t del,
		const void *ins, size_t ins_len);

/* A fresh temporary directory (malloc'd) and its recursive removal
 * (frees DIR; accepts NULL). */
char *tlf_tmpdir(void);
void tlf_rmdir(char *dir);

/* Parses (as a list, or a .sgn) and asserts success. */
struct trustlist *tlf_parse(const uint8_t *buf, size_t len, int sgn);

/* SoftHSM2 security tokens for tests. */
#define TLF_SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
/* Makes DIR/tokens and DIR/softhsm2.conf and points SOFTHSM2_CONF at it;
 * the tools' output goes to DIR/tools.log. 0 or -1. */
int tlf_softhsm_init(const char *dir);
/* Token LABEL (user PIN 1234, SO PIN 5678) holding the test key and
 * certificate NAME under ID (hex). 0 or -1 (see DIR/tools.log). */
int tlf_token_make(const char *dir, const char *label, const char *name,
		   const char *id);

#endif
