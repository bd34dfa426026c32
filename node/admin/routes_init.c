/* routes_init: POST /v1/cluster/init — turns an uninitialized node into the
 * first voter of a new cluster. The one-time token from DATA/init.token
 * proves the caller can read this node's data directory.
 *
 * The cluster is born with its PKI: before Raft starts, this node makes the
 * cluster key-encryption key (DATA/kek), the cluster CA and its own six
 * role certificates (files in DATA/pki, so that Raft can start with its node
 * certificate); one command then writes the cluster record, the
 * certificates, the keys wrapped under the KEK, the CA's trust-store entry
 * and this node's ITL with the first admin; once committed, the admin API
 * switches to its CA-issued certificate. */
#include "node/admin/admin_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/hex.h"
#include "common/log.h"
#include "node/nodepki.h"
#include "node/provdefaults.h"

#define INIT_POLL_MS 100
#define INIT_POLLS 100 /* up to 10 s to win the first election */

static int uuid_v4(char out[37])
{
	uint8_t b[16];
	char hex[33];

	if (RAND_bytes(b, sizeof b) != 1)
		return -1;
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	hex_encode(b, sizeof b, hex);
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12,
		 hex + 16, hex + 20);
	return 0;
}

/* What init made before Raft started, kept for the command (op->ctx). */
struct init_pki {
	struct nodepki_cluster pki;
	struct nodepki_names names;
};

static void init_pki_free(void *ctx)
{
	struct init_pki *p = ctx;

	if (!p)
		return;
	nodepki_cluster_clear(&p->pki);
	free(p);
}

static enum pki_key_type init_key_type(struct admin *a)
{
	enum pki_key_type t = PKI_KEY_RSA2048;
	struct store_read *r;
	char v[32];

	if (store_read_begin(a->store, &r) != 0)
		return t;
	if (store_param_get(r, "cert_key_type", v, sizeof v) == 0 &&
	    pki_key_type_parse(v, &t) != 0)
		t = PKI_KEY_RSA2048;
	store_read_end(r);
	return t;
}

/* What the worker makes for init: the first admin's hash, then the KEK,
 * the CA and this node's certificates, in memory and in DATA (RSA key
 * generation and scrypt take long enough to stall every other request if
 * they ran on the event loop). Everything it reads is copied in: the admin
 * may be freed while it runs. */
struct init_job {
	char pw[ADMIN_PASSWORD_MAX + 1]; /* secret, wiped once hashed */
	size_t len;
	struct store_admin rec; /* out: hashed */
	enum pki_key_type key_type;
	char cluster_name[STORE_NAME_MAX];
	char *data_dir;	     /* owned */
	struct keystore *ks; /* borrowed: freed after the workers stop */
	struct init_pki *p;  /* out, owned until taken */
	char errmsg[256];
};

static void init_job_free(void *arg)
{
	struct init_job *job = arg;

	if (!job)
		return;
	init_pki_free(job->p);
	free(job->data_dir);
	OPENSSL_cleanse(job, sizeof *job);
	free(job);
}

/* Worker thread: 0, or 500 with job->errmsg. */
static int init_run(void *arg)
{
	struct init_job *job = arg;
	struct init_pki *p = job->p;
	char *e = job->errmsg;
	size_t ecap = sizeof job->errmsg;
	int rc;

	rc = admin_password_hash(job->pw, job->len, &job->rec);
	OPENSSL_cleanse(job->pw, sizeof job->pw);
	if (rc) {
		snprintf(e, ecap, "password hashing failed");
		return 500;
	}
	if (nodepki_cluster_create(job->ks, job->key_type, job->cluster_name,
				   &p->names, &p->pki, e, ecap) != 0 ||
	    keystore_kek_save(job->ks, e, ecap) != 0 ||
	    nodepki_write_set(job->data_dir, p->pki.ca, &p->pki.node, e,
			      ecap) != 0)
		return 500;
	return 0;
}

/* The admin API serves the CA-issued certificate from now on. A failure
 * leaves the old one; wardd's certificate watcher tries again. */
static void init_switch_https(struct admin *a)
{
	char errmsg[512] = "";

	if (nodepki_install_https(a->data_dir, a->cert_file, a->key_file,
				  errmsg, sizeof errmsg) != 0 ||
	    admin_reload(a, errmsg, sizeof errmsg) != 0)
		log_error(ADMIN_TAG,
			  "switching to the CA-issued certificate: %s", errmsg);
}

static void init_done(struct admin_op *op, int rc)
{
	struct admin *a = op->a;
	struct init_pki *p = op->ctx;
	char path[4096], ca_fp[HEX_SHA256_TEXT_LEN];

	if (rc) {
		admin_op_fail(op, rc, "writing the new cluster");
		return;
	}
	hex_sha256_text(p->pki.ca_sha256, ca_fp);
	init_switch_https(a);
	snprintf(path, sizeof path, "%s/init.token", a->data_dir);
	if (unlink(path) != 0 && errno != ENOENT)
		log_warn(ADMIN_TAG, "%s: %s (remove it by hand)", path,
			 strerror(errno));
	a->init_expected = 0;
	OPENSSL_cleanse(a->init_sha256, sizeof a->init_sha256);
	log_info(ADMIN_TAG,
		 "cluster %s (%s) initialized; first admin %s; CA %s", op->text,
		 a->cluster_id, op->rec.name, ca_fp);
	admin_op_reply(op, 200,
		       json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "cluster_id",
				 a->cluster_id, "name", op->text,
				 "cluster_name", op->text, "node_id",
				 (json_int_t)a->node_id, "node_name",
				 a->node_name, "ca_fingerprint", ca_fp));
}

/* A wildcard listen address is no address to publish: use the Raft host. */
static void public_admin_addr(struct admin *a, char *out, size_t cap)
{
	char host[STORE_ADDR_MAX], rhost[STORE_ADDR_MAX];
	unsigned port = 0, rport = 0;

	if (addr_split(a->admin_addr, ADDR_PORT_OPTIONAL, host, sizeof host,
		       &port) == 0 &&
	    (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) &&
	    addr_split(a->raft_addr, ADDR_PORT_OPTIONAL, rhost, sizeof rhost,
		       &rport) == 0)
		addr_format(rhost, port ? port : (unsigned)a->port, out, cap);
	else
		snprintf(out, cap, "%s", a->admin_addr);
}

static int trust_name_used(void *arg, const char *name)
{
	struct store_trust t;

	return store_trust_get(arg, name, &t) != STORE_ENOTFOUND;
}

/* The CA: its certificate and wrapped key (owner 0), its trust-store
 * entry. */
static int init_cmd_ca(struct store_cmd *cmd, struct admin_op *op,
		       struct init_pki *p, uint64_t now, char *errmsg,
		       size_t errcap)
{
	struct store_cert cert;
	struct store_key key;
	struct store_trust t = {0};
	struct store_read *r;
	uint8_t *der = NULL, *wrapped = NULL;
	int rc = -1;

	if (nodepki_cert_record(p->pki.ca, 0, PKI_ROLE_CA, 1, now, &cert, &der,
				errmsg, errcap) != 0)
		return -1;
	if (keystore_key_wrap(op->a->ks, 0, PKI_ROLE_CA, p->pki.ca_key, &key,
			      &wrapped) != 0)
		goto out;
	if (store_read_begin(op->a->store, &r) != 0)
		goto out;
	rc = pki_rehash_name(p->pki.ca, trust_name_used, r, t.name);
	store_read_end(r);
	if (rc != 0)
		goto out;
	t.category = STORE_TRUST_CA_ROOT;
	t.der = cert.der;
	t.der_len = cert.der_len;
	memcpy(t.sha256, cert.sha256, 32);
	memcpy(t.sha1, cert.sha1, 20);
	memcpy(t.subject, cert.subject, sizeof t.subject);
	memcpy(t.issuer, cert.issuer, sizeof t.issuer);
	t.not_after_s = cert.not_after_s;
	t.added_ms = now;
	snprintf(t.added_by, sizeof t.added_by, "%s", op->rec.name);
	rc = store_cmd_put_cert(cmd, STORE_OP_PUT_NEW, &cert) ||
	     store_cmd_put_key(cmd, &key) ||
	     store_cmd_put_trust(cmd, STORE_OP_PUT_NEW, &t);
out:
	if (rc != 0 && !errmsg[0])
		snprintf(errmsg, errcap, "recording the cluster CA failed");
	free(der);
	free(wrapped);
	return rc ? -1 : 0;
}

static int init_cmd_itl(struct store_cmd *cmd, struct init_pki *p, uint64_t now,
			char *errmsg, size_t errcap)
{
	struct nodepki_set *s = &p->pki.node;
	int tftp = nodepki_role_index(PKI_ROLE_TFTP);
	int cm = nodepki_role_index(PKI_ROLE_CALLMANAGER);
	int capf = nodepki_role_index(PKI_ROLE_CAPF);
	struct store_itl itl = {.node_id = 1, .signed_ms = now};
	uint8_t *file = NULL;
	size_t len = 0;
	unsigned int n = 32;
	int rc = -1;

	if (nodepki_itl_build(s->cert[tftp], s->key[tftp], s->cert[cm],
			      s->cert[capf], &p->names, &file, &len, errmsg,
			      errcap) != 0)
		return -1;
	itl.file = file;
	itl.file_len = len;
	if (EVP_Digest(file, len, itl.sha256, &n, EVP_sha256(), NULL) &&
	    store_cmd_put_itl(cmd, &itl) == 0)
		rc = 0;
	else
		snprintf(errmsg, errcap, "recording the ITL failed");
	free(file);
	return rc;
}

static void init_write(struct admin_op *op)
{
	struct admin *a = op->a;
	struct init_pki *p = op->ctx;
	struct store_cluster cl = {0};
	struct store_node n = {0};
	struct store_cmd *cmd;
	char detail[STORE_TEXT_MAX], errmsg[256] = "";
	uint64_t now = admin_now_ms();
	unsigned int mdlen = 32, added;

	snprintf(cl.id, sizeof cl.id, "%s", a->cluster_id);
	snprintf(cl.name, sizeof cl.name, "%.63s", op->text);
	cl.schema_version = STORE_SCHEMA_VERSION;
	cl.created_ms = now;
	cl.security_mode = STORE_SECURITY_NON_SECURE;
	memcpy(cl.kek_id, p->pki.kek_id, sizeof cl.kek_id);
	memcpy(cl.ca_sha256, p->pki.ca_sha256, sizeof cl.ca_sha256);
	n.id = a->node_id;
	snprintf(n.name, sizeof n.name, "%s", a->node_name);
	snprintf(n.raft_addr, sizeof n.raft_addr, "%s", a->raft_addr);
	public_admin_addr(a, n.admin_addr, sizeof n.admin_addr);
	n.roles = STORE_ROLE_SIP | STORE_ROLE_TFTP | STORE_ROLE_CAPF |
		  STORE_ROLE_ADMIN;
	n.state = STORE_NODE_VOTER;
	/* Members pin the certificate the node serves once this commits. */
	if (!X509_digest(p->pki.node.cert[nodepki_role_index(PKI_ROLE_HTTPS)],
			 EVP_sha256(), n.https_sha256, &mdlen)) {
		admin_op_error(op, 500, "hashing the HTTPS certificate failed");
		return;
	}
	n.created_ms = now;
	snprintf(detail, sizeof detail, "cluster=%s id=%s node=%s admin=%s",
		 cl.name, cl.id, n.name, op->rec.name);
	cmd = admin_op_cmd(op);
	if (!cmd)
		return;
	if (init_cmd_ca(cmd, op, p, now, errmsg, sizeof errmsg) != 0 ||
	    nodepki_cmd_put_set(cmd, a->ks, n.id, &p->pki.node, now, errmsg,
				sizeof errmsg) != 0 ||
	    init_cmd_itl(cmd, p, now, errmsg, sizeof errmsg) != 0 ||
	    provdefaults_cmd(cmd, NULL, a->ks, now, &added, errmsg,
			     sizeof errmsg) != 0 ||
	    store_cmd_put_cluster(cmd, &cl) ||
	    store_cmd_put_node(cmd, STORE_OP_PUT_NEW, &n) ||
	    store_cmd_put_admin(cmd, STORE_OP_PUT_NEW, &op->rec) ||
	    store_cmd_audit(cmd, "cluster.init", detail)) {
		store_cmd_free(cmd);
		admin_op_error(op, 500, "building the change failed%s%s",
			       errmsg[0] ? ": " : "", errmsg);
		return;
	}
	admin_op_propose(op, cmd, init_done);
	store_cmd_free(cmd);
}

static void init_wait_leader(struct admin_op *op, int rc)
{
	if (admin_is_leader(op->a)) {
		init_write(op);
		return;
	}
	if (op->polls++ >= INIT_POLLS) {
		admin_op_error(op, 503,
			       "bootstrapped, but this node did not become "
			       "leader in time: retry the init");
		return;
	}
	admin_op_after(op, INIT_POLL_MS, init_wait_leader);
}

/* A failed first attempt leaves no cluster id behind: the next one picks
 * its own. (After bootstrap the id is Raft's and stays.) */
static void init_forget_id(struct admin *a)
{
	if (!a->consensus)
		a->cluster_id[0] = '\0';
}

/* Back on the admin thread with the hash and the PKI made: Raft starts
 * (it needs the node certificate), and once this node leads, the command
 * is written. A retry after a failed write makes a new PKI; nothing of the
 * old one was committed. */
static void init_made(struct admin_op *op, int rc)
{
	struct admin *a = op->a;
	struct init_job *job = op->work;
	char errmsg[256] = "";

	if (rc) {
		init_forget_id(a);
		if (rc == ADMIN_WORK_CANCELLED)
			admin_op_error(op, 503, "shutting down");
		else
			admin_op_error(op, 500, "making the cluster PKI: %s",
				       job->errmsg);
		return;
	}
	op->rec = job->rec;
	if (op->ctx_free)
		op->ctx_free(op->ctx);
	op->ctx = job->p;
	op->ctx_free = init_pki_free;
	job->p = NULL;
	admin_op_work_set(op, NULL, NULL);
	if (!a->consensus) {
		if (!a->hooks.bootstrap ||
		    a->hooks.bootstrap(a->hooks.arg, a->cluster_id, errmsg,
				       sizeof errmsg) != 0 ||
		    !a->consensus) {
			a->cluster_id[0] = '\0';
			admin_op_error(op, 500, "bootstrap failed: %s",
				       a->hooks.bootstrap ? errmsg : "no hook");
			return;
		}
		log_info(ADMIN_TAG, "bootstrapped cluster %s; waiting to lead",
			 a->cluster_id);
	}
	init_wait_leader(op, 0);
}

void admin_route_init(struct admin_op *op)
{
	struct admin *a = op->a;
	struct admin_req_init *q = &op->u.init;
	struct init_job *job;
	struct store_cluster cl;
	struct store_read *r;
	char errmsg[256] = "";
	uint8_t sha[32];
	int rc, exists = 0;

	rc = admin_req_parse_init(op->body, op->body_len, q, errmsg,
				  sizeof errmsg);
	if (rc) {
		admin_op_error(op, rc, "%s", errmsg);
		return;
	}
	if (store_read_begin(a->store, &r) == 0) {
		exists = store_cluster_get(r, &cl) == 0;
		store_read_end(r);
	}
	/* A retry after a failed write may find consensus already running:
	 * only this process's own bootstrap counts then. */
	if (!a->init_expected || exists ||
	    (a->consensus && !a->cluster_id[0])) {
		admin_op_error(op, 409, "this node is initialized already");
		return;
	}
	if (a->init_op) {
		admin_op_error(op, 409, "an initialization is in progress");
		return;
	}
	rc = admin_secret_hash(q->token, strlen(q->token), sha);
	if (rc != 0 || CRYPTO_memcmp(sha, a->init_sha256, 32) != 0) {
		log_warn(ADMIN_TAG, "cluster init with a wrong token from %s",
			 op->peer);
		admin_op_error(op, 401, "wrong init token (see %s/init.token)",
			       a->data_dir);
		return;
	}
	if (!a->consensus && uuid_v4(a->cluster_id) != 0) {
		OPENSSL_cleanse(q->password, sizeof q->password);
		admin_op_error(op, 500, "no randomness");
		return;
	}
	job = calloc(1, sizeof *job);
	if (job) {
		job->p = calloc(1, sizeof *job->p);
		job->ks = a->ks;
		job->data_dir = strdup(a->data_dir);
	}
	if (!job || !job->p || !job->data_dir) {
		OPENSSL_cleanse(q->password, sizeof q->password);
		init_job_free(job);
		init_forget_id(a);
		admin_op_error(op, 500, "out of memory");
		return;
	}
	snprintf(job->rec.name, sizeof job->rec.name, "%s", q->admin);
	job->rec.created_ms = job->rec.changed_ms = admin_now_ms();
	memcpy(job->pw, q->password, q->password_len);
	job->len = q->password_len;
	OPENSSL_cleanse(q->password, sizeof q->password);
	job->key_type = init_key_type(a);
	snprintf(job->cluster_name, sizeof job->cluster_name, "%s",
		 q->cluster_name);
	nodepki_names_make(a->node_name, a->admin_addr, a->raft_addr,
			   a->cluster_id, 1, &job->p->names);
	snprintf(op->text, sizeof op->text, "%s", q->cluster_name);
	snprintf(op->actor, sizeof op->actor, "%s", q->admin);
	snprintf(op->rec.name, sizeof op->rec.name, "%s", q->admin);
	a->init_op = op;
	admin_op_work_set(op, job, init_job_free);
	if (admin_op_work(op, a->work, init_run, init_made) != 0) {
		init_forget_id(a);
		admin_op_error(op, 503,
			       "too many key operations in progress: "
			       "retry");
	}
}
