/* admin_req: the JSON bodies the admin API accepts, parsed and validated
 * into fixed-size structs. Pure functions (no socket), so that the fuzzer
 * and the tests drive them directly. Internal to node/admin/.
 *
 * Every parser takes the raw body (borrowed, not NUL-terminated), rejects
 * more than ADMIN_BODY_MAX bytes with 413, anything but one JSON object with
 * the expected fields of the expected types with 400, and writes a reason
 * fit for the client into errmsg. Unknown fields are refused, so that a typo
 * is an error and not a silently ignored setting. */
#ifndef WARD_ADMIN_REQ_H
#define WARD_ADMIN_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "node/admin/admin_auth.h"
#include "node/nodepki.h"
#include "store/store.h"

/* A CTL may be 64 KiB, which is about 87 KiB in base64. */
#define ADMIN_BODY_MAX (128u * 1024)

/* POST /v1/cluster/init */
struct admin_req_init {
	char token[ADMIN_SECRET_TEXT_LEN + 1]; /* secret */
	char cluster_name[ADMIN_NAME_MAX + 1];
	char admin[ADMIN_NAME_MAX + 1];
	char password[ADMIN_PASSWORD_MAX + 1]; /* secret */
	size_t password_len;
};

/* POST /v1/nodes */
struct admin_req_node_add {
	char name[ADMIN_NAME_MAX + 1];
	char host[STORE_ADDR_MAX]; /* "address": a host, a port is dropped */
};

/* POST /v1/join and POST /v1/join/certs (docs/join.md): the fields both
 * phases share, and the fingerprint only phase 2 sends (zero in phase 1). */
struct admin_req_join {
	char token[ADMIN_JOIN_TOKEN_MAX]; /* secret */
	char name[ADMIN_NAME_MAX + 1];
	char raft_address[STORE_ADDR_MAX];
	char admin_address[STORE_ADDR_MAX];
	uint8_t https_sha256[32];
};

/* The joiner's per-role material comes as JSON objects keyed by exactly
 * the six role names of a node ("https", "callmanager", "tftp", "capf",
 * "ipsec", "node"); the arrays below are by role index, entry i being role
 * nodepki_roles[i]. */
#define ADMIN_JOIN_PUBKEY_MAX                                                  \
	2048 /* DER SubjectPublicKeyInfo; RSA 2048                             \
		takes 294 bytes */
#define ADMIN_JOIN_PEM_MAX                                                     \
	(8u * 1024) /* one role certificate in PEM; an                         \
			issued one is about 1.5 KiB */

/* POST /v1/join/certs, besides struct admin_req_join. Large: allocate it. */
struct admin_req_join_ask {
	uint8_t key[NODEPKI_ROLES][ADMIN_JOIN_PUBKEY_MAX]; /* "keys": DER */
	size_t key_len[NODEPKI_ROLES];
	uint8_t kex[PKI_X25519_LEN]; /* "kex": the X25519 public key */
};

/* POST /v1/join, besides struct admin_req_join: the certificates phase 1
 * issued and the keys wrapped under the KEK. Both are optional here: the
 * route refuses a join without them after the token check, so that a
 * guessed token is audited whatever else the body lacks. When present, an
 * object has every role. Large: allocate it. */
struct admin_req_join_pki {
	int has_certs, has_keys;
	char cert[NODEPKI_ROLES][ADMIN_JOIN_PEM_MAX]; /* PEM, NUL-terminated */
	size_t cert_len[NODEPKI_ROLES];
	uint8_t key[NODEPKI_ROLES][STORE_WRAPPED_MAX]; /* wrapped PKCS#8 */
	size_t key_len[NODEPKI_ROLES];
};

/* POST /v1/leader/transfer: node is "" for "any up-to-date voter". */
struct admin_req_transfer {
	char node[ADMIN_NAME_MAX + 1];
};

/* PUT /v1/params/NAME */
struct admin_req_param {
	char value[STORE_TEXT_MAX];
};

/* POST /v1/admins and PUT /v1/admins/NAME/password (name unused there). */
struct admin_req_admin {
	char name[ADMIN_NAME_MAX + 1];
	char password[ADMIN_PASSWORD_MAX + 1]; /* secret */
	size_t password_len;
};

/* A certificate as sent: PEM text (kept as is) or base64 DER (decoded).
 * Room for a 16 KiB DER certificate in PEM with text around it. */
#define ADMIN_CERT_SENT_MAX (48u * 1024)

/* POST /v1/trust. Large: allocate it. */
struct admin_req_trust {
	char category[ADMIN_NAME_MAX + 1];
	uint8_t cert[ADMIN_CERT_SENT_MAX];
	size_t cert_len;
};

/* POST /v1/tokens. Large: allocate it. */
struct admin_req_token {
	char label[ADMIN_NAME_MAX + 1]; /* printable text */
	uint8_t cert[ADMIN_CERT_SENT_MAX];
	size_t cert_len;
};

/* POST /v1/ctl: the signed file, base64. Large: allocate it. */
struct admin_req_ctl {
	uint8_t file[STORE_FILE_MAX];
	size_t file_len;
};

/* PUT /v1/security/mode */
struct admin_req_mode {
	char mode[ADMIN_NAME_MAX + 1];
};

/* Each returns 0, 400 or 413 (an HTTP status) with errmsg set. The structs
 * are zeroed first; the caller wipes the secret fields when done. */
int admin_req_parse_init(const void *body, size_t len,
			 struct admin_req_init *out, char *errmsg,
			 size_t errcap);
int admin_req_parse_node_add(const void *body, size_t len,
			     struct admin_req_node_add *out, char *errmsg,
			     size_t errcap);
/* Phase 2 of a join: OUT and PKI (both filled). Each certificate is
 * checked to be PEM text of a certificate (what it says is for pki to
 * judge), each key to be base64 of at most STORE_WRAPPED_MAX bytes. */
int admin_req_parse_join(const void *body, size_t len,
			 struct admin_req_join *out,
			 struct admin_req_join_pki *pki, char *errmsg,
			 size_t errcap);
/* Phase 1: OUT (https_sha256 zero) and ASK. Each public key is base64 of
 * at most ADMIN_JOIN_PUBKEY_MAX bytes, kex base64 of exactly
 * PKI_X25519_LEN. */
int admin_req_parse_join_certs(const void *body, size_t len,
			       struct admin_req_join *out,
			       struct admin_req_join_ask *ask, char *errmsg,
			       size_t errcap);
/* An empty body means {}. */
int admin_req_parse_transfer(const void *body, size_t len,
			     struct admin_req_transfer *out, char *errmsg,
			     size_t errcap);
int admin_req_parse_param(const void *body, size_t len,
			  struct admin_req_param *out, char *errmsg,
			  size_t errcap);
int admin_req_parse_admin_add(const void *body, size_t len,
			      struct admin_req_admin *out, char *errmsg,
			      size_t errcap);
int admin_req_parse_password(const void *body, size_t len,
			     struct admin_req_admin *out, char *errmsg,
			     size_t errcap);

/* A "cert" field is PEM text when it holds "-----BEGIN", else base64 of
 * DER (whitespace allowed); anything else is refused here, and what the
 * bytes are is for pki_cert_parse to say. */
int admin_req_parse_trust(const void *body, size_t len,
			  struct admin_req_trust *out, char *errmsg,
			  size_t errcap);
int admin_req_parse_token(const void *body, size_t len,
			  struct admin_req_token *out, char *errmsg,
			  size_t errcap);
int admin_req_parse_ctl(const void *body, size_t len, struct admin_req_ctl *out,
			char *errmsg, size_t errcap);
int admin_req_parse_mode(const void *body, size_t len,
			 struct admin_req_mode *out, char *errmsg,
			 size_t errcap);

/* base64 for the byte fields of bodies and answers (b64.c).
 * decode_loose: the standard alphabet, padded, with ASCII whitespace
 * anywhere ignored (pasted PEM bodies wrap lines); -1 if malformed or the
 * result does not fit CAP, else the length. encode_alloc: a malloc'ed,
 * NUL-terminated text (transferred), NULL on no memory. */
long admin_b64_decode_loose(const char *in, size_t n, uint8_t *out, size_t cap);
char *admin_b64_encode_alloc(const uint8_t *in, size_t n);

/* BODY (LEN bytes) as a JSON object, duplicate keys refused, into *ROOT
 * (the caller decrefs, wiping any secret first): 0; 413 if larger than
 * ADMIN_BODY_MAX, 400 if not JSON or not an object, ERRMSG saying why. */
int admin_req_object(const void *body, size_t len, json_t **root, char *errmsg,
		     size_t errcap);

/* 1 if the N bytes of S hold no control character (below 0x20, or DEL):
 * text a request may carry into a record or a log. */
int admin_text_printable(const char *s, size_t n);

/* Query string helpers. consistent: 1 if "consistent=1" (or "true") is
 * present. limit: N of "limit=N" clamped into [1, max], DEF when absent;
 * -1 if present but not a number. */
int admin_query_consistent(const char *query);
/* The value of KEY in QUERY (may be NULL) into OUT (CAP bytes, cut to
 * fit): 1 if present ("" for a bare "key"), 0 if absent. */
int admin_query_value(const char *query, const char *key, char *out,
		      size_t cap);
long admin_query_limit(const char *query, long def, long max);

/* Splits PATH into at most MAX segments of at most ADMIN_NAME_MAX bytes
 * each, into SEGS (each ADMIN_NAME_MAX + 1 bytes). Returns the count, or -1
 * if the path does not start with '/', has an empty segment (other than a
 * trailing '/'), a segment too long, more segments than MAX, or a character
 * outside the unreserved set (no percent-escapes: no name needs one). */
int admin_path_split(const char *path, char segs[][ADMIN_NAME_MAX + 1],
		     int max);

#endif
