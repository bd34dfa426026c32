/* routes_certs: the certificates of the cluster — the CA and every node's
 * role certificates — listed, exported (JSON, PEM, DER; private keys are
 * never served), and regenerated: a fresh key of the cluster's key type and
 * a certificate the CA issues for the same subject, written in one command
 * guarded on the certificate it replaces. The owning node switches to it
 * once the command has applied (published before used). */
#include "node/admin/admin_pki.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "common/log.h"
#include "node/nodepki.h"

#define CLUSTER_OWNER "cluster" /* the owner name of the CA */

static json_t *cert_json(const struct store_cert *c, const char *owner)
{
	char sha1[PKI_FP_TEXT_MAX], sha256[PKI_FP_TEXT_MAX];

	admin_pki_fp(c->sha1, sizeof c->sha1, sha1);
	admin_pki_fp(c->sha256, sizeof c->sha256, sha256);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, "
			 "s:i, s:I}",
			 "node", owner, "role", store_cert_role_name(c->role),
			 "subject", c->subject, "issuer", c->issuer, "serial",
			 c->serial, "not_before", (json_int_t)c->not_before_s,
			 "not_after", (json_int_t)c->not_after_s, "key_type",
			 pki_key_type_name((enum pki_key_type)c->key_type),
			 "sha1", sha1, "sha256", sha256, "generation",
			 (int)c->generation, "created_ms",
			 (json_int_t)c->created_ms);
}

static void owner_name(struct store_read *r, uint64_t owner, char *out,
		       size_t cap)
{
	struct store_node n;

	if (owner == 0)
		snprintf(out, cap, CLUSTER_OWNER);
	else if (store_node_get(r, owner, &n) == 0)
		snprintf(out, cap, "%s", n.name);
	else
		snprintf(out, cap, "node-%" PRIu64, owner);
}

struct list_ctx {
	struct store_read *r;
	json_t *list;
};

static int list_cert(void *arg, const struct store_cert *c)
{
	struct list_ctx *l = arg;
	char owner[STORE_NAME_MAX];

	owner_name(l->r, c->owner, owner, sizeof owner);
	json_array_append_new(l->list, cert_json(c, owner));
	return 0;
}

void admin_route_certs_list(struct admin_op *op)
{
	struct list_ctx l = {NULL, json_array()};
	int rc;

	if (admin_op_read_begin(op, &l.r) != 0) {
		json_decref(l.list);
		return;
	}
	rc = store_cert_each(l.r, list_cert, &l);
	store_read_end(l.r);
	if (rc) {
		json_decref(l.list);
		admin_op_fail(op, rc, "reading the certificates");
		return;
	}
	admin_op_reply(op, 200, json_pack("{s:o}", "certs", l.list));
}

/* The certificate the path names: /v1/certs/NODE/ROLE, NODE "cluster"
 * for the CA. 0, or -1 after answering. */
static int cert_find(struct admin_op *op, struct store_read *r,
		     struct store_node *node, struct store_cert *out)
{
	enum store_cert_role role;
	int rc;

	memset(node, 0, sizeof *node);
	if (store_cert_role_parse(op->args[1], &role) != 0) {
		admin_op_error(op, 404,
			       "no role \"%s\" (ca, https, callmanager, tftp, "
			       "capf, ipsec, node)",
			       op->args[1]);
		return -1;
	}
	if (role == STORE_CERT_CA) {
		if (strcmp(op->args[0], CLUSTER_OWNER) != 0) {
			admin_op_error(op, 404,
				       "the CA is the cluster's: "
				       "/v1/certs/" CLUSTER_OWNER "/ca");
			return -1;
		}
	} else if (store_node_find(r, op->args[0], node) != 0) {
		admin_op_error(op, 404, "no node \"%s\"", op->args[0]);
		return -1;
	}
	rc = store_cert_get(r, node->id, role, out);
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 404, "%s has no %s certificate (yet)",
			       op->args[0], store_cert_role_name(role));
		return -1;
	}
	if (rc) {
		admin_op_fail(op, rc, "reading the certificate");
		return -1;
	}
	return 0;
}

void admin_route_cert_get(struct admin_op *op)
{
	struct store_node node;
	struct store_cert c;
	struct store_read *r;
	char base[2 * STORE_NAME_MAX];
	int format;

	format = admin_pki_format(op,
				  ADMIN_FORMAT_BIT(ADMIN_FORMAT_JSON) |
				      ADMIN_FORMAT_BIT(ADMIN_FORMAT_PEM) |
				      ADMIN_FORMAT_BIT(ADMIN_FORMAT_DER),
				  0);
	if (format < 0)
		return;
	if (admin_op_read_begin(op, &r) != 0)
		return;
	if (cert_find(op, r, &node, &c) != 0) {
		store_read_end(r);
		return;
	}
	snprintf(base, sizeof base, "%s-%s", op->args[0],
		 store_cert_role_name(c.role));
	admin_pki_reply_cert(op, format, cert_json(&c, op->args[0]), c.der,
			     c.der_len, base);
	store_read_end(r);
}

/* ---- regenerate -------------------------------------------------------- */

/* The subject of OLD, to be issued again: CN, the first DNS and IP SAN,
 * and for a node certificate its identity. Strings point into BUF. */
struct subject_buf {
	char cn[STORE_NAME_MAX + 1];
	char dns[254];
	char ip[INET6_ADDRSTRLEN];
	char cluster_id[PKI_UUID_LEN + 1];
};

static int subject_of(X509 *old, enum store_cert_role role,
		      const char *node_name, struct subject_buf *b,
		      struct pki_subject *s, char *errmsg, size_t errcap)
{
	X509_NAME *name = X509_get_subject_name(old);
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	GENERAL_NAMES *sans;
	unsigned char *utf8 = NULL;
	int n;

	memset(b, 0, sizeof *b);
	memset(s, 0, sizeof *s);
	n = i < 0
		? -1
		: ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(
						 X509_NAME_get_entry(name, i)));
	if (n > 0 && (size_t)n < sizeof b->cn && !memchr(utf8, 0, (size_t)n))
		memcpy(b->cn, utf8, (size_t)n);
	else
		snprintf(b->cn, sizeof b->cn, "%s", node_name);
	OPENSSL_free(utf8);
	sans = X509_get_ext_d2i(old, NID_subject_alt_name, NULL, NULL);
	for (int k = 0; sans && k < sk_GENERAL_NAME_num(sans); k++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, k);
		const ASN1_STRING *v;

		if (g->type == GEN_DNS && !b->dns[0]) {
			v = g->d.dNSName;
			if ((size_t)ASN1_STRING_length(v) < sizeof b->dns)
				memcpy(b->dns, ASN1_STRING_get0_data(v),
				       (size_t)ASN1_STRING_length(v));
		} else if (g->type == GEN_IPADD && !b->ip[0]) {
			v = g->d.iPAddress;
			if (ASN1_STRING_length(v) == 4)
				inet_ntop(AF_INET, ASN1_STRING_get0_data(v),
					  b->ip, sizeof b->ip);
			else if (ASN1_STRING_length(v) == 16)
				inet_ntop(AF_INET6, ASN1_STRING_get0_data(v),
					  b->ip, sizeof b->ip);
		}
	}
	GENERAL_NAMES_free(sans);
	s->common_name = b->cn;
	s->dns = b->dns[0] ? b->dns : NULL;
	s->ip = b->ip[0] ? b->ip : NULL;
	if (role == STORE_CERT_NODE) {
		if (pki_node_identity(old, b->cluster_id, &s->node_id, errmsg,
				      errcap) != 0)
			return -1;
		s->cluster_id = b->cluster_id;
	}
	return 0;
}

/* What regenerating needs from the store, read in one transaction. */
struct regen_in {
	struct store_read *r;
	struct store_cluster cl;
	struct store_node node;
	struct store_cert old;
	const void *node_raw; /* the node record as stored, for the guard */
	size_t node_raw_len;
	enum pki_key_type key_type;
};

/* The new certificate and its key, wrapped. Everything owned. */
struct regen_out {
	EVP_PKEY *key;
	X509 *cert;
	uint8_t *der, *wrapped;
	struct store_cert rec;	  /* der points to DER */
	struct store_key key_rec; /* wrapped points to WRAPPED */
};

static void regen_out_free(struct regen_out *o)
{
	EVP_PKEY_free(o->key);
	X509_free(o->cert);
	free(o->der);
	free(o->wrapped);
}

/* What regen_issue_with_ca needs, with the CA key lent by the keystore. */
struct regen_issue {
	struct regen_out *o;
	enum pki_role role;
	const struct pki_subject *subj;
	int called;
	char *errmsg;
	size_t errcap;
};

static int regen_issue_with_ca(X509 *ca, EVP_PKEY *ca_key, void *arg)
{
	struct regen_issue *ri = arg;

	ri->called = 1;
	return pki_issue(ca, ca_key, ri->o->key, ri->role, ri->subj, 0,
			 &ri->o->cert, ri->errmsg, ri->errcap);
}

/* Issues the new certificate for KEY (transferred: generated on the
 * worker) with the CA key, unwrapped by the keystore for as long as it
 * takes. 0, or an HTTP status with ERRMSG. */
static int regen_issue(struct admin *a, const struct regen_in *in,
		       EVP_PKEY *key, struct regen_out *o, char *errmsg,
		       size_t errcap)
{
	enum pki_role role = (enum pki_role)in->old.role;
	struct subject_buf sb;
	struct pki_subject subj;
	struct regen_issue ri = {.o = o,
				 .role = role,
				 .subj = &subj,
				 .errmsg = errmsg,
				 .errcap = errcap};
	X509 *old = NULL;
	int status = 500;

	memset(o, 0, sizeof *o);
	o->key = key;
	if (admin_pki_kek_acquire(a, &in->cl, errmsg, errcap) != 0)
		return 503;
	old = nodepki_x509(in->old.der, in->old.der_len);
	if (!old) {
		snprintf(errmsg, errcap,
			 "the stored certificate is unreadable");
		goto out;
	}
	if (subject_of(old, in->old.role, in->node.name, &sb, &subj, errmsg,
		       errcap) != 0)
		goto out;
	if (pki_key_type_of(o->key) !=
	    (int)nodepki_role_key_type(role, in->key_type)) {
		/* cert_key_type changed while the key was made. */
		snprintf(errmsg, errcap,
			 "cert_key_type changed meanwhile: retry");
		status = 409;
		goto out;
	}
	if (nodepki_ca_use(in->r, a->ks, regen_issue_with_ca, &ri, errmsg,
			   errcap) != 0) {
		if (!ri.called)
			status = 503; /* no CA, or its key does not unwrap */
		else if (!errmsg[0])
			snprintf(errmsg, errcap, "issuing failed");
		goto out;
	}
	if (nodepki_cert_record(o->cert, in->old.owner, role,
				in->old.generation + 1, admin_now_ms(), &o->rec,
				&o->der, errmsg, errcap) != 0 ||
	    keystore_key_wrap(a->ks, in->old.owner, role, o->key, &o->key_rec,
			      &o->wrapped) != 0) {
		if (!errmsg[0])
			snprintf(errmsg, errcap, "issuing failed");
		goto out;
	}
	status = 0;
out:
	keystore_kek_release(a->ks);
	X509_free(old);
	return status;
}

static void regenerated(struct admin_op *op, int rc)
{
	if (rc == STORE_ENOTFOUND) {
		admin_op_error(op, 409,
			       "the certificate or its node changed meanwhile: "
			       "retry");
		return;
	}
	if (rc) {
		admin_op_fail(op, rc, "regenerating the certificate");
		return;
	}
	log_info(ADMIN_TAG, "%s", op->text);
	admin_op_reply_kept(op, 200);
}

/* Reads what regenerating needs. 0, or -1 after answering. */
static int regen_read(struct admin_op *op, struct store_read *r,
		      struct regen_in *in)
{
	enum store_cert_role role;
	char kt[32];
	uint8_t key[8];
	int rc;

	memset(in, 0, sizeof *in);
	if (store_cert_role_parse(op->args[1], &role) == 0 &&
	    role == STORE_CERT_CA) {
		admin_op_error(op, 400,
			       "the cluster CA is not regenerated: every "
			       "certificate, the CTL and the phones depend "
			       "on it");
		return -1;
	}
	if (cert_find(op, r, &in->node, &in->old) != 0)
		return -1;
	in->r = r;
	rc = store_cluster_get(r, &in->cl);
	store_key_u64(in->node.id, key);
	if (rc == 0)
		rc = store_get(r, STORE_T_NODES, key, sizeof key, &in->node_raw,
			       &in->node_raw_len);
	if (rc == 0)
		rc = store_param_get(r, "cert_key_type", kt, sizeof kt);
	if (rc) {
		admin_op_fail(op, rc, "reading the cluster");
		return -1;
	}
	if (pki_key_type_parse(kt, &in->key_type) != 0) {
		admin_op_error(op, 500, "cert_key_type \"%s\" unknown", kt);
		return -1;
	}
	return 0;
}

/* The command: the certificate (guarded on the old one), its key, for an
 * HTTPS certificate the fingerprint members pin, and the audit record. */
static struct store_cmd *regen_cmd(struct admin_op *op,
				   const struct regen_in *in,
				   const struct regen_out *o)
{
	struct store_node n = in->node;
	char detail[STORE_TEXT_MAX], fp[PKI_FP_TEXT_MAX];
	uint8_t key[8];
	struct store_cmd *cmd = admin_op_cmd(op);

	if (!cmd)
		return NULL;
	admin_pki_fp(o->rec.sha256, 32, fp);
	snprintf(detail, sizeof detail,
		 "node=%s role=%s generation=%u key=%s sha256=%s",
		 in->node.name, store_cert_role_name(in->old.role),
		 o->rec.generation,
		 pki_key_type_name((enum pki_key_type)o->rec.key_type), fp);
	snprintf(op->text, sizeof op->text,
		 "certificate regenerated by %.63s: %.400s", op->actor, detail);
	store_key_u64(in->node.id, key);
	memcpy(n.https_sha256, o->rec.sha256, 32);
	if (store_cmd_replace_cert(cmd, &in->old, &o->rec) ||
	    store_cmd_put_key(cmd, &o->key_rec) ||
	    (in->old.role == STORE_CERT_HTTPS &&
	     (store_cmd_op(cmd, STORE_OP_EXPECT, STORE_T_NODES, key, sizeof key,
			   in->node_raw, in->node_raw_len) ||
	      store_cmd_put_node(cmd, STORE_OP_PUT, &n))) ||
	    store_cmd_audit(cmd, "cert.regenerate", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed");
		return NULL;
	}
	return cmd;
}

/* A key to generate on the worker: RSA key generation takes from tens of
 * milliseconds to seconds, which the event loop must not spend. */
struct keygen_job {
	enum pki_key_type type;
	EVP_PKEY *key; /* out, owned until taken */
};

static void keygen_job_free(void *p)
{
	struct keygen_job *job = p;

	if (!job)
		return;
	EVP_PKEY_free(job->key);
	free(job);
}

/* Worker thread. */
static int keygen_run(void *p)
{
	struct keygen_job *job = p;

	return pki_key_generate(job->type, &job->key) == 0 ? 0 : 500;
}

/* Back on the admin thread with the new key: read again (the store may
 * have changed meanwhile; the command is guarded on what is read now),
 * issue and write. */
static void regen_keyed(struct admin_op *op, int rc)
{
	struct keygen_job *job = op->work;
	struct regen_in in;
	struct regen_out o;
	struct store_read *r;
	struct store_cmd *cmd;
	char errmsg[512] = "", sha1[PKI_FP_TEXT_MAX], sha256[PKI_FP_TEXT_MAX];
	EVP_PKEY *key;
	int status;

	if (rc) {
		admin_op_error(op, rc == ADMIN_WORK_CANCELLED ? 503 : 500, "%s",
			       rc == ADMIN_WORK_CANCELLED
				   ? "shutting down"
				   : "key generation failed");
		return;
	}
	key = job->key;
	job->key = NULL;
	admin_op_work_set(op, NULL, NULL);
	if (admin_op_read_begin(op, &r) != 0) {
		EVP_PKEY_free(key);
		return;
	}
	if (regen_read(op, r, &in) != 0) {
		store_read_end(r);
		EVP_PKEY_free(key);
		return;
	}
	status = regen_issue(op->a, &in, key, &o, errmsg, sizeof errmsg);
	if (status) {
		store_read_end(r);
		regen_out_free(&o);
		admin_op_error(op, status, "%s", errmsg);
		return;
	}
	cmd = regen_cmd(op, &in, &o);
	store_read_end(r);
	if (!cmd) {
		regen_out_free(&o);
		return;
	}
	admin_pki_fp(o.rec.sha1, 20, sha1);
	admin_pki_fp(o.rec.sha256, 32, sha256);
	admin_op_keep_answer(
	    op,
	    json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:I, s:s}", "node",
		      op->args[0], "role", store_cert_role_name(o.rec.role),
		      "generation", (int)o.rec.generation, "subject",
		      o.rec.subject, "sha1", sha1, "sha256", sha256,
		      "not_after", (json_int_t)o.rec.not_after_s, "key_type",
		      pki_key_type_name((enum pki_key_type)o.rec.key_type)));
	regen_out_free(&o);
	admin_op_propose(op, cmd, regenerated);
	store_cmd_free(cmd);
}

void admin_route_cert_regenerate(struct admin_op *op)
{
	struct regen_in in;
	struct store_read *r;
	struct keygen_job *job;

	if (op->body_len && strspn(op->body, " \t\r\n{}") != op->body_len) {
		admin_op_error(op, 400, "no body expected (or {})");
		return;
	}
	if (admin_op_read_begin(op, &r) != 0)
		return;
	if (regen_read(op, r, &in) != 0) {
		store_read_end(r);
		return;
	}
	store_read_end(r);
	job = calloc(1, sizeof *job);
	if (!job) {
		admin_op_error(op, 500, "out of memory");
		return;
	}
	job->type =
	    nodepki_role_key_type((enum pki_role)in.old.role, in.key_type);
	admin_op_work_set(op, job, keygen_job_free);
	if (admin_op_work(op, op->a->work, keygen_run, regen_keyed) != 0)
		admin_op_error(op, 503,
			       "too many key operations in progress: retry");
}
