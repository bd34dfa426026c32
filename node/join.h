/* join: the joining side of "wardd --join" — two requests to a member of
 * the cluster, over HTTPS pinned to the cluster CA (or to that member's
 * certificate), authenticated by the one-time join token:
 *
 *  1. POST /v1/join/certs with the public keys this node generated and an
 *     X25519 key: the member answers with the CA, the six certificates it
 *     issued for those keys and the cluster KEK sealed to the X25519 key
 *     (join_request_certs, checked by join_grant_check);
 *  2. POST /v1/join with the certificates and the private keys wrapped
 *     under the KEK: the cluster records the node and adds it to Raft
 *     (join_cluster). Private keys never leave this node unwrapped.
 *
 * docs/join.md describes the protocol. */
#ifndef WARD_NODE_JOIN_H
#define WARD_NODE_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "node/nodepki.h"

/* The node id is the part of the token before the first '.'. 0 or -1. */
int join_token_node_id(const char *token, uint64_t *id);

/* What the joiner trusts: the cluster CA's certificate (the member's TLS
 * chain must lead to it), or one member's own certificate. */
enum join_pin_kind {
	JOIN_PIN_CA = 1,
	JOIN_PIN_LEAF,
};
struct join_pin {
	enum join_pin_kind kind;
	uint8_t sha256[32]; /* of the certificate's DER */
};

/* The pin from "--ca-fingerprint FP" (CA_FP) or "--fingerprint FP"
 * (LEAF_FP): exactly one must be given, as sha256:HEX. 0 or -1. */
int join_pin_parse(const char *ca_fp, const char *leaf_fp, struct join_pin *pin,
		   char *errmsg, size_t errcap);
/* The join token: OPT (--token), else the first line of FILE
 * (--token-file), else $WARD_JOIN_TOKEN. 0 or -1. OUT holds a secret. */
int join_token_read(const char *opt, const char *file, char *out, size_t cap,
		    char *errmsg, size_t errcap);

struct join_request {
	const char *url;	    /* https://host:port of any member */
	const struct join_pin *pin; /* borrowed */
	const char *token;	    /* secret: sent, never logged */
	const char *name;
	const char *raft_addr;
	const char *admin_addr;
	unsigned timeout_s;
};

/* This node's keys: one per role (nodepki_roles order), and an ephemeral
 * X25519 key the member seals the KEK to. */
struct join_keys {
	struct nodepki_set set; /* private keys; certificates once granted */
	EVP_PKEY *kex;		/* owned */
	uint8_t kex_pub[PKI_X25519_LEN];
};
int join_keys_generate(struct join_keys *k, enum pki_key_type t, char *errmsg,
		       size_t errcap);
/* Accepts NULL. */
void join_keys_clear(struct join_keys *k);

/* The member's answer to phase 1, as received (unchecked). */
struct join_grant {
	char cluster_id[PKI_UUID_LEN + 1];
	char cluster_name[64];
	uint64_t node_id;
	uint8_t kek_id[PKI_KEK_ID_LEN];
	X509 *ca;		   /* owned */
	X509 *cert[NODEPKI_ROLES]; /* owned, by role index */
	uint8_t kek_sealed[PKI_KEK_SEALED_LEN];
};
/* Accepts NULL. */
void join_grant_clear(struct join_grant *g);

/* join_request_certs returns 0, -1 (errmsg says why: refused, unreachable,
 * malformed answer), or JOIN_EKEYTYPE: the cluster issues keys of another
 * type, named in *want — generate those and ask again. */
#define JOIN_EKEYTYPE 2
int join_request_certs(const struct join_request *req,
		       const struct join_keys *k, struct join_grant *out,
		       enum pki_key_type *want, char *errmsg, size_t errcap);

/* Checks a grant before anything is written: the CA is a CA, and the one
 * pinned when PIN is a CA pin; the node id is TOKEN_NODE_ID; every
 * certificate chains to that CA, names NAME and its role, is for this
 * node's key of that role, and the node certificate carries (cluster,
 * node id); the sealed KEK opens with K's X25519 key and its id is the
 * grant's kek_id. On success the certificates move into K->set, KS (which
 * must hold no KEK) holds the cluster KEK as by one keystore_kek_acquire
 * (keystore_kek_release it when done), and G keeps the CA. */
int join_grant_check(struct join_grant *g, const struct join_pin *pin,
		     uint64_t token_node_id, const char *name,
		     struct join_keys *k, struct keystore *ks, char *errmsg,
		     size_t errcap);

/* Phase 1 whole, as "wardd --join" does it: keys of the type the cluster
 * issues (asked again once if it wants another type), the grant checked
 * with join_grant_check for node NODE_ID named REQ->name, then written:
 * DATA/kek, DATA/pki (CA, every role's chain and key), and the HTTPS pair
 * copied to CERT_FILE and KEY_FILE for the admin API to reload. K receives
 * the keys and certificates, KS (whose KEK file is DATA/kek) the cluster
 * KEK as join_grant_check leaves it — held until keystore_kek_release —
 * and CLUSTER_ID the cluster's id. Nothing is written unless every check
 * passed; on failure KS holds no KEK. */
int join_prepare(const struct join_request *req, uint64_t node_id,
		 const char *data_dir, const char *cert_file,
		 const char *key_file, struct join_keys *k, struct keystore *ks,
		 char cluster_id[PKI_UUID_LEN + 1], char *errmsg,
		 size_t errcap);

struct join_result {
	char cluster_id[37];
	char cluster_name[64];
	uint64_t node_id;
};

/* Phase 2. Sends the certificates of SET and its keys wrapped by KS (which
 * holds the KEK) for node NODE_ID, with HTTPS_SHA256 (the admin certificate
 * this node serves now). Blocks until the cluster answers: the member adds the
 * node to Raft and waits until it caught up, so this node's Raft server must
 * already run. errmsg carries the cluster's refusal or the transport
 * error. */
int join_cluster(const struct join_request *req, struct keystore *ks,
		 uint64_t node_id, const struct nodepki_set *set,
		 const uint8_t https_sha256[32], struct join_result *out,
		 char *errmsg, size_t errcap);

#endif
