/* test_certs_fixture: what the tests of wardd's PKI plumbing share — a data
 * directory with a store holding a cluster made as cluster init makes it
 * (ECDSA keys: fast), commands applied straight to the store, and
 * regeneration of one certificate. */
#ifndef WARD_TEST_CERTS_FIXTURE_H
#define WARD_TEST_CERTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "node/nodepki.h"
#include "store/store.h"

#define CFX_CLUSTER "6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e"

struct cfx {
	char *dir;	     /* DATA, malloc'ed */
	char store_dir[600]; /* DATA/store */
	char kek_path[600];  /* DATA/kek */
	char cert_file[600]; /* DATA/https.pem */
	char key_file[600];  /* DATA/https.key */
	struct store *s;
	uint64_t index;	     /* last applied */
	uint64_t node_id;    /* the node the set belongs to */
	struct keystore *ks; /* for DATA/kek; holds the KEK until cfx_free */
	struct nodepki_cluster pki;
	struct nodepki_names names;
};

/* A fresh empty directory; malloc'ed, transferred. */
char *cfx_tmpdir(void);
/* Removes DIR and what it holds, frees DIR. Accepts NULL. */
void cfx_rmdir(char *dir);

/* DATA with DATA/kek and a store holding the cluster record, the CA, and
 * node NODE_ID ("n<id>", a voter) with its six certificates and wrapped
 * keys. Fails the test on error. */
void cfx_make(struct cfx *f, uint64_t node_id);
/* Closes the store and removes DATA. */
void cfx_free(struct cfx *f);

/* Applies CMD (freed) as the next entry; returns its result. */
int cfx_apply(struct cfx *f, struct store_cmd *cmd);
/* Applies LEN encoded bytes as the next entry; returns its result. */
int cfx_apply_raw(struct cfx *f, const void *buf, size_t len);
/* A new command stamped by node 1. */
struct store_cmd *cfx_cmd(void);

/* Regenerates ROLE of node OWNER as the admin API does: a new key and
 * certificate (generation + 1) and its wrapped key, applied. *key (may be
 * NULL) receives the new key (transferred). Returns the new generation. */
uint32_t cfx_regenerate(struct cfx *f, uint64_t owner, enum pki_role role,
			EVP_PKEY **key);

/* SHA-256 of the first certificate of PATH; fails the test if none. */
void cfx_file_sha(const char *path, uint8_t out[32]);
/* The number of certificates in PEM file PATH. */
int cfx_pem_count(const char *path);

#endif
