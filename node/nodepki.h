/* nodepki: a node's share of the cluster PKI, as cluster init, joining and
 * wardd's certificate watcher use it — the six role certificates of a node,
 * their store records (certificates, keys wrapped under the KEK), the files
 * in DATA/pki, and the node's ITL. Built on pki/ (the cryptography) and
 * trustlist (the ITL codec); no logging, no global state.
 *
 * Ownership: OpenSSL objects passed in are borrowed for the call. Structs
 * named _set and _cluster own what they point to (free with their _clear).
 * Byte buffers handed out are malloc'ed and transferred (free()).
 *
 * Errors: 0, or -1 with a one-line reason for an operator in errmsg (never
 * key material). */
#ifndef WARD_NODE_NODEPKI_H
#define WARD_NODE_NODEPKI_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "keystore/keystore.h"
#include "pki/pki.h"
#include "store/store.h"

/* The roles every node holds a certificate for; index i is role
 * nodepki_roles[i]. The CA (owner 0) is not one of them. */
#define NODEPKI_ROLES 6
extern const enum pki_role nodepki_roles[NODEPKI_ROLES];
/* Index of ROLE in nodepki_roles, or -1. */
int nodepki_role_index(enum pki_role role);

/* What a node's certificates name. */
struct nodepki_names {
	char cn[STORE_NAME_MAX];  /* the node name */
	char dns[STORE_NAME_MAX]; /* the node name if it is a DNS name, "" */
	char ip[STORE_ADDR_MAX];  /* its address, "" if none is known */
	char cluster_id[PKI_UUID_LEN + 1];
	uint64_t node_id;
};
/* The IP is the admin API's host, or the Raft host when the admin API
 * listens on a wildcard address; a host name there is not used. */
void nodepki_names_make(const char *name, const char *admin_addr,
			const char *raft_addr, const char *cluster_id,
			uint64_t node_id, struct nodepki_names *out);
/* SUBJ points into N: valid as long as N is. */
void nodepki_subject(const struct nodepki_names *n, struct pki_subject *subj);

/* A node's keys (private on the node itself, public on a member issuing
 * for a joiner) and certificates, by role index. */
struct nodepki_set {
	EVP_PKEY *key[NODEPKI_ROLES]; /* owned */
	X509 *cert[NODEPKI_ROLES];    /* owned */
};
/* Frees everything and zeroes S. Accepts NULL. */
void nodepki_set_clear(struct nodepki_set *s);
/* The key type of ROLE in a cluster of CLUSTER type: the TFTP role's key
 * signs the files phones read (ITL, .sgn), which phones verify with RSA
 * only, so it is RSA-2048 whatever the cluster's type. */
enum pki_key_type nodepki_role_key_type(enum pki_role role,
					enum pki_key_type cluster);
/* Fresh keys for every role: of type T, but see nodepki_role_key_type. */
int nodepki_set_keygen(struct nodepki_set *s, enum pki_key_type t, char *errmsg,
		       size_t errcap);
/* Issues a certificate for every key of S with the CA (replacing any). */
int nodepki_set_issue(struct nodepki_set *s, X509 *ca, EVP_PKEY *ca_key,
		      const struct nodepki_names *n, char *errmsg,
		      size_t errcap);

/* A new cluster's PKI: the KEK (made in and held by KS, see
 * nodepki_cluster_create), the CA, and the first node's role set. */
struct nodepki_cluster {
	struct keystore *ks; /* borrowed: holds the KEK until _clear */
	uint8_t kek_id[PKI_KEK_ID_LEN];
	uint8_t ca_sha256[32];
	EVP_PKEY *ca_key; /* owned */
	X509 *ca;	  /* owned */
	struct nodepki_set node;
};
/* Makes the KEK in KS (which must hold none; it holds it until
 * nodepki_cluster_clear), the CA and the first node's role set. */
int nodepki_cluster_create(struct keystore *ks, enum pki_key_type t,
			   const char *cluster_name,
			   const struct nodepki_names *n,
			   struct nodepki_cluster *out, char *errmsg,
			   size_t errcap);
/* Releases the KEK, frees the rest. Accepts NULL. */
void nodepki_cluster_clear(struct nodepki_cluster *c);

/* Checks that CERT is the CA's certificate for this node in ROLE: it
 * chains to CA, is valid now, names NAME (CN) and the role (OU), and for
 * PKI_ROLE_NODE carries the identity (CLUSTER_ID, NODE_ID). */
int nodepki_check_issued(X509 *ca, X509 *cert, enum pki_role role,
			 const char *name, const char *cluster_id,
			 uint64_t node_id, char *errmsg, size_t errcap);

/* ---- store records ---------------------------------------------------- */

/* The certs record of X at (OWNER, ROLE). *der receives the DER (the
 * record's der points to it): malloc'ed, transferred. */
int nodepki_cert_record(X509 *x, uint64_t owner, enum pki_role role,
			uint32_t generation, uint64_t now_ms,
			struct store_cert *out, uint8_t **der, char *errmsg,
			size_t errcap);
/* Adds certs and keys records of every role of S (generation 1) for node
 * OWNER to CMD, the keys wrapped by KS (which must hold the KEK). */
int nodepki_cmd_put_set(struct store_cmd *cmd, struct keystore *ks,
			uint64_t owner, const struct nodepki_set *s,
			uint64_t now_ms, char *errmsg, size_t errcap);
/* FN's result after lending it the CA's certificate and key, read from
 * the store (R) and unwrapped by KS (which must hold the KEK) for the call
 * only; both are borrowed by FN. -1 with the reason if either is missing
 * or the key does not unwrap. */
typedef int (*nodepki_ca_fn)(X509 *ca, EVP_PKEY *ca_key, void *arg);
int nodepki_ca_use(struct store_read *r, struct keystore *ks, nodepki_ca_fn fn,
		   void *arg, char *errmsg, size_t errcap);
/* A certificate from DER. */
X509 *nodepki_x509(const uint8_t *der, size_t len);

/* ---- the ITL ---------------------------------------------------------- */

/* The node's Initial Trust List: its TFTP (function TFTP), CallManager
 * (CCM) and CAPF (CAPF) certificates, signed with its TFTP key. N (may be
 * NULL) gives the DNS name and address of the records. *out malloc'ed,
 * transferred. */
int nodepki_itl_build(X509 *tftp, EVP_PKEY *tftp_key, X509 *callmanager,
		      X509 *capf, const struct nodepki_names *n, uint8_t **out,
		      size_t *len, char *errmsg, size_t errcap);
/* 1 if FILE is an ITL signed by the TFTP certificate listing exactly these
 * three certificates in those functions (so it need not be rebuilt), 0
 * otherwise. The DER arguments are borrowed. */
int nodepki_itl_current(const uint8_t *file, size_t len, const uint8_t *tftp,
			size_t tftp_len, const uint8_t *callmanager,
			size_t cm_len, const uint8_t *capf, size_t capf_len);

/* ---- files in the data directory -------------------------------------- */

#define NODEPKI_PATH_MAX 600

/* DATA/kek, DATA/pki/NAME. */
void nodepki_kek_path(const char *data_dir, char *out, size_t cap);
void nodepki_path(const char *data_dir, const char *name, char *out,
		  size_t cap);
/* Writes DATA/pki/ca.pem (creating DATA/pki 0700). */
int nodepki_write_ca(const char *data_dir, X509 *ca, char *errmsg,
		     size_t errcap);
/* Writes DATA/pki/<role>.key (0600) then DATA/pki/<role>.pem (the leaf,
 * then CA), each atomically (temporary file, fsync, rename). */
int nodepki_write_role(const char *data_dir, enum pki_role role, X509 *leaf,
		       X509 *ca, EVP_PKEY *key, char *errmsg, size_t errcap);
/* ca.pem and every role of S. */
int nodepki_write_set(const char *data_dir, X509 *ca,
		      const struct nodepki_set *s, char *errmsg, size_t errcap);
/* Copies DATA/pki/https.key and https.pem to KEY_FILE (0600) and
 * CERT_FILE, atomically: what the admin API serves. */
int nodepki_install_https(const char *data_dir, const char *cert_file,
			  const char *key_file, char *errmsg, size_t errcap);
/* SHA-256 of the first certificate in PATH: 0, 1 if there is no such
 * file, -1 if it holds no certificate. */
int nodepki_file_sha256(const char *path, uint8_t out[32]);

#endif
