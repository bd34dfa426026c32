/* admin_pki: what the certificate, trust-store, token, CTL and
 * security-mode routes of the admin API share — exports in PEM or DER, the
 * JSON shape of a certificate, the cluster KEK, and the entries the
 * cluster's Certificate Trust List must list. Admin thread only; internal
 * to node/admin/.
 *
 * Ownership: json_t values handed out are new references (transferred);
 * byte pointers inside admin_ctl_* structs are borrowed from the read
 * transaction or the parsed trust list they were made from, as each
 * function says. */
#ifndef WARD_ADMIN_PKI_H
#define WARD_ADMIN_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "node/admin/admin_int.h"
#include "pki/pki.h"
#include "store/store.h"
#include "trustlist/trustlist.h"

/* ---- routes (docs/admin-api.md) ---------------------------------------- */

void admin_route_certs_list(struct admin_op *op);
void admin_route_cert_get(struct admin_op *op);
void admin_route_cert_regenerate(struct admin_op *op);
void admin_route_trust_list(struct admin_op *op);
void admin_route_trust_get(struct admin_op *op);
void admin_route_trust_import(struct admin_op *op);
void admin_route_trust_delete(struct admin_op *op);
void admin_route_tokens_list(struct admin_op *op);
void admin_route_token_register(struct admin_op *op);
void admin_route_token_remove(struct admin_op *op);
void admin_route_ctl_get(struct admin_op *op);
void admin_route_ctl_entries(struct admin_op *op);
void admin_route_ctl_file(struct admin_op *op);
void admin_route_ctl_upload(struct admin_op *op);
void admin_route_security_get(struct admin_op *op);
void admin_route_security_mode(struct admin_op *op);

/* ---- exports ----------------------------------------------------------- */

enum admin_format {
	ADMIN_FORMAT_JSON = 0, /* no ?format= */
	ADMIN_FORMAT_PEM,
	ADMIN_FORMAT_DER,
	ADMIN_FORMAT_RAW, /* the file as stored (CTL) */
};
#define ADMIN_FORMAT_BIT(f) (1u << (f))

/* The ?format= of OP's request ("json", "pem", "der", "raw"), which must
 * be one of ALLOWED (ADMIN_FORMAT_BIT mask); ADMIN_FORMAT_JSON when absent
 * and DEF_RAW is 0, else ADMIN_FORMAT_RAW. -1 after answering 400. */
int admin_pki_format(struct admin_op *op, unsigned allowed, int def_raw);

/* Answers 200 with LEN bytes at DATA (borrowed, copied) of CONTENT_TYPE;
 * FILENAME (may be NULL) is offered as the attachment's name. Finishes
 * OP. */
void admin_op_reply_bytes(struct admin_op *op, const char *content_type,
			  const char *filename, const void *data, size_t len);

/* A certificate (DER, borrowed) in FORMAT: JSON answers OBJ (stolen) with
 * "pem" added; PEM or DER answer the bytes, named BASENAME.pem/.der, and
 * drop OBJ. */
void admin_pki_reply_cert(struct admin_op *op, int format, json_t *obj,
			  const uint8_t *der, size_t len, const char *basename);

/* ---- JSON -------------------------------------------------------------- */

/* A JSON string holding base64 of N bytes at P; NULL on no memory. */
json_t *admin_json_b64(const uint8_t *p, size_t n);

/* The description of a certificate (DER, borrowed): subject, issuer,
 * serial, not_before / not_after (unix seconds), key_type, is_ca, sha1
 * and sha256 (as `openssl x509 -fingerprint` prints them: "AB:CD:..."),
 * subject_hash (as `openssl x509 -hash`). NULL (and ERRMSG says why) if
 * the bytes are no certificate pki accepts. */
json_t *admin_pki_cert_json(const uint8_t *der, size_t len, char *errmsg,
			    size_t errcap);

/* "AB:CD:..." of N digest bytes into OUT (PKI_FP_TEXT_MAX). */
void admin_pki_fp(const uint8_t *d, size_t n, char *out);

/* 1 if the token certificate's key is one a CTL phones accept can be
 * signed with (RSA 2048 or 4096); else 0 with the reason in ERRMSG. */
int admin_pki_signing_key_ok(X509 *cert, char *errmsg, size_t errcap);

/* ---- the cluster key-encryption key ------------------------------------ */

/* Has A's keystore hold the KEK (keystore_kek_acquire), checked to be the
 * one CL names (kek_id). 0, or -1 with the reason in ERRMSG (no file,
 * wrong permissions, another cluster's key, a cluster without a KEK).
 * After 0, call keystore_kek_release(a->ks) as soon as it has served. */
int admin_pki_kek_acquire(struct admin *a, const struct store_cluster *cl,
			  char *errmsg, size_t errcap);

/* ---- the entries of the cluster's CTL ---------------------------------- */

/* One record a CTL lists, reduced to what identifies it. */
struct admin_ctl_entry {
	unsigned function;  /* enum trustlist_function */
	uint8_t sha256[32]; /* of the certificate's DER */
	const uint8_t *der; /* borrowed, see the function that filled it */
	size_t der_len;
	char what[160]; /* for people: "n2 callmanager", "token ..." */
	char node[STORE_NAME_MAX];     /* "" unless a node's certificate */
	char role[16];		       /* "" unless a node's or the CA's */
	char token[STORE_SERIAL_MAX];  /* "" unless a registered token */
	char dns_name[STORE_NAME_MAX]; /* "" or the node's name */
	char ip[48];		       /* "" or the node's address */
};

struct admin_ctl_set {
	struct admin_ctl_entry *v; /* owned array */
	size_t n, cap;
};

/* What the cluster's CTL must list now, read in R: a SAST record per
 * registered token, per node a CCM record (its CallManager certificate), a
 * TFTP record (TFTP certificate) and an HTTPS record (HTTPS certificate),
 * and one CAPF record, the cluster CA. DERs are borrowed from R (valid
 * until store_read_end). 0, or a STORE_E* code. */
int admin_ctl_expected(struct store_read *r, struct admin_ctl_set *out);
/* The records of a parsed CTL (DERs borrowed from TL). 0 or STORE_ENOMEM. */
int admin_ctl_listed(const struct trustlist *tl, struct admin_ctl_set *out);
/* Accepts a zeroed set. */
void admin_ctl_set_free(struct admin_ctl_set *s);
/* 1 if HAVE lists exactly WANT (as multisets of function and
 * certificate); else 0 and MSG names what is missing and what is extra. */
int admin_ctl_compare(const struct admin_ctl_set *want,
		      const struct admin_ctl_set *have, char *msg, size_t cap);

/* The stored CTL and what can be said of it now. */
struct admin_ctl_status {
	int present;	      /* a CTL is stored */
	struct store_ctl rec; /* its record: pointers borrowed from the read */
	struct trustlist *tl; /* owned: the file parsed, NULL if it is not */
	int verifies;	      /* its signature and records check out */
	int current;	      /* it lists exactly today's entries */
	size_t n_sast;	      /* its SAST records */
	char problem[768];    /* why it does not verify or is not current */
};

/* Fills ST from R. 0 (also when there is no CTL), or a STORE_E* code on a
 * read error. Free with admin_ctl_status_free (also after an error). */
int admin_ctl_status_read(struct store_read *r, struct admin_ctl_status *st);
void admin_ctl_status_free(struct admin_ctl_status *st);
/* {version, size, sha256, signed_ms, signer, signers: [...], records,
 * verifies, current, problem} of a present CTL; JSON null otherwise.
 * Signers are the SAST records, with the registered token's serial and
 * label when R knows it. */
json_t *admin_ctl_status_json(struct store_read *r,
			      const struct admin_ctl_status *st);
/* 1 if the CTL of ST lists the certificate with this SHA-256 as SAST. */
int admin_ctl_lists_sast(const struct admin_ctl_status *st,
			 const uint8_t sha256[32]);

#endif
