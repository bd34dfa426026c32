/* certs: the watcher. See certs.h for what it does and why. */
#include "node/certs.h"
#include "node/provdefaults.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/hex.h"
#include "common/log.h"
#include "keystore/keystore.h"
#include "node/nodepki.h"
#include "store/store.h"

#define TAG "certs"
/* ITLs found current, remembered so that they are not parsed again. */
#define CERTS_ITL_CACHE 64

struct certs_itl_ok {
	uint64_t node_id;
	uint8_t digest[32]; /* of the three certificates and the ITL */
};

struct certs {
	char *data_dir, *cert_file, *key_file, *node_name; /* owned */
	uint64_t node_id;
	struct store *store;
	struct keystore *ks; /* borrowed, or owned if ks_owned */
	int ks_owned;
	struct certs_hooks hooks;

	/* What the services use now, by role index; the CA of the chains. */
	uint8_t in_use[NODEPKI_ROLES][32];
	int have[NODEPKI_ROLES];
	uint8_t ca_in_use[32];
	int have_ca;

	uint64_t seen_index; /* applied index at the last look */
	int looked;	     /* a look happened */
	int retry;	     /* something failed: look again */
	int kek_ok;	     /* DATA/kek checked against the cluster */
	int was_leader;	     /* at the last look */

	atomic_int itl_busy; /* an ITL proposal is in flight */
	atomic_int itl_done; /* it completed: look again */
	struct certs_itl_ok itl_ok[CERTS_ITL_CACHE];
	unsigned n_itl_ok;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- the KEK ---------------------------------------------------------- */

int certs_kek_check(struct keystore *ks, const char *data_dir, struct store *s,
		    char *errmsg, size_t errcap)
{
	static const uint8_t zero[PKI_KEK_ID_LEN];
	char path[NODEPKI_PATH_MAX], why[256] = "", have[17], want[17];
	uint8_t id[PKI_KEK_ID_LEN];
	struct store_cluster cl;
	struct store_read *r;
	int rc;

	if (store_read_begin(s, &r) != 0) {
		snprintf(errmsg, errcap, "the store cannot be read");
		return -1;
	}
	rc = store_cluster_get(r, &cl);
	store_read_end(r);
	if (rc == STORE_ENOTFOUND)
		return 1;
	if (rc != 0) {
		snprintf(errmsg, errcap, "the cluster record: %s",
			 store_strerror(rc));
		return -1;
	}
	if (memcmp(cl.kek_id, zero, sizeof zero) == 0) {
		snprintf(errmsg, errcap,
			 "cluster %s predates the cluster PKI: it has no "
			 "key-encryption key nor CA, and this wardd cannot "
			 "run it; make a new cluster and move its data over",
			 cl.id);
		return -1;
	}
	nodepki_kek_path(data_dir, path, sizeof path);
	if (keystore_kek_acquire(ks, NULL, why, sizeof why) != 0) {
		snprintf(errmsg, errcap,
			 "%s; without the cluster's key-encryption key this "
			 "node cannot use its keys: restore the file (mode "
			 "0600) from a backup of this node, or remove the node "
			 "and join it again",
			 why);
		return -1;
	}
	rc = keystore_kek_id(ks, id);
	keystore_kek_release(ks);
	if (rc != 0 || CRYPTO_memcmp(id, cl.kek_id, sizeof id) != 0) {
		hex_encode(id, sizeof id, have);
		hex_encode(cl.kek_id, sizeof cl.kek_id, want);
		snprintf(errmsg, errcap,
			 "%s is not the key-encryption key of cluster %s "
			 "(its id is %s, the cluster's is %s)",
			 path, cl.id, have, want);
		return -1;
	}
	return 0;
}

/* ---- start ------------------------------------------------------------ */

/* The file a role's service uses. */
static void in_use_path(const struct certs *w, int i, char *out, size_t cap)
{
	char name[32];

	if (nodepki_roles[i] == PKI_ROLE_HTTPS) {
		snprintf(out, cap, "%s", w->cert_file);
		return;
	}
	snprintf(name, sizeof name, "%s.pem", pki_role_name(nodepki_roles[i]));
	nodepki_path(w->data_dir, name, out, cap);
}

int certs_new(const struct certs_config *cfg, struct certs **out, char *errmsg,
	      size_t errcap)
{
	struct certs *w = calloc(1, sizeof *w);
	char path[NODEPKI_PATH_MAX];

	*out = NULL;
	if (!w) {
		snprintf(errmsg, errcap, "out of memory");
		return -1;
	}
	w->data_dir = strdup(cfg->data_dir);
	w->cert_file = strdup(cfg->cert_file);
	w->key_file = strdup(cfg->key_file);
	w->node_name = strdup(cfg->node_name ? cfg->node_name : "-");
	if (!w->data_dir || !w->cert_file || !w->key_file || !w->node_name) {
		certs_free(w);
		snprintf(errmsg, errcap, "out of memory");
		return -1;
	}
	w->node_id = cfg->node_id;
	w->store = cfg->store;
	w->hooks = cfg->hooks;
	w->ks = cfg->keystore;
	if (!w->ks) {
		nodepki_kek_path(w->data_dir, path, sizeof path);
		if (keystore_new(path, &w->ks) != KEYSTORE_OK) {
			certs_free(w);
			snprintf(errmsg, errcap, "out of memory");
			return -1;
		}
		w->ks_owned = 1;
	}
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		in_use_path(w, i, path, sizeof path);
		w->have[i] = nodepki_file_sha256(path, w->in_use[i]) == 0;
	}
	nodepki_path(w->data_dir, "ca.pem", path, sizeof path);
	w->have_ca = nodepki_file_sha256(path, w->ca_in_use) == 0;
	*out = w;
	return 0;
}

void certs_free(struct certs *w)
{
	if (!w)
		return;
	free(w->data_dir);
	free(w->cert_file);
	free(w->key_file);
	free(w->node_name);
	if (w->ks_owned)
		keystore_free(w->ks);
	free(w);
}

int certs_in_use(const struct certs *w, enum pki_role role, uint8_t out[32])
{
	int i = nodepki_role_index(role);

	if (role == PKI_ROLE_CA && w->have_ca) {
		memcpy(out, w->ca_in_use, 32);
		return 0;
	}
	if (i < 0 || !w->have[i])
		return -1;
	memcpy(out, w->in_use[i], 32);
	return 0;
}

/* ---- the KEK, held while a look unwraps keys -------------------------- */

struct certs_kek {
	struct keystore *ks;
	int state; /* 0 not acquired, 1 acquired, -1 unreadable */
};

/* 1 if the keystore holds the KEK for this look (acquired once, released
 * by kek_done), else 0. */
static int kek_get(struct certs_kek *k)
{
	char why[256] = "";

	if (k->state == 0) {
		k->state = keystore_kek_acquire(k->ks, NULL, why, sizeof why) ==
				   KEYSTORE_OK
			       ? 1
			       : -1;
		if (k->state < 0)
			log_error(TAG, "%s", why);
	}
	return k->state > 0;
}

static void kek_done(struct certs_kek *k)
{
	if (k->state > 0)
		keystore_kek_release(k->ks);
	k->state = 0;
}

/* ---- this node's certificates ----------------------------------------- */

/* A certificate that changed in the store, copied out of the read. */
struct certs_change {
	uint8_t *der, *wrapped; /* owned */
	size_t der_len, wrapped_len;
	uint8_t sha256[32];
	uint32_t generation;
};

static void change_clear(struct certs_change *c)
{
	free(c->der);
	free(c->wrapped);
	memset(c, 0, sizeof *c);
}

static int copy_bytes(uint8_t **dst, const uint8_t *src, size_t len)
{
	*dst = malloc(len ? len : 1);
	if (!*dst)
		return -1;
	memcpy(*dst, src, len);
	return 0;
}

/* Reads what changed: the CA into CA, roles into CH. */
static int collect(struct certs *w, struct certs_change *ca,
		   struct certs_change ch[NODEPKI_ROLES], int *n)
{
	struct store_read *r;
	struct store_cert c;
	struct store_key k;
	int rc = 0;

	*n = 0;
	if (w->hooks.https_served) {
		int i = nodepki_role_index(PKI_ROLE_HTTPS);

		w->hooks.https_served(w->hooks.arg, w->in_use[i]);
		w->have[i] = 1;
	}
	if (store_read_begin(w->store, &r) != 0)
		return -1;
	if (store_cert_get(r, 0, STORE_CERT_CA, &c) == 0 &&
	    (!w->have_ca || memcmp(c.sha256, w->ca_in_use, 32) != 0)) {
		if (copy_bytes(&ca->der, c.der, c.der_len) != 0)
			rc = -1;
		ca->der_len = c.der_len;
		memcpy(ca->sha256, c.sha256, 32);
		/* Every chain names the CA: all are rewritten. */
		memset(w->have, 0, sizeof w->have);
	}
	for (int i = 0; rc == 0 && i < NODEPKI_ROLES; i++) {
		enum store_cert_role role =
		    (enum store_cert_role)nodepki_roles[i];

		if (store_cert_get(r, w->node_id, role, &c) != 0)
			continue;
		if (w->have[i] && memcmp(c.sha256, w->in_use[i], 32) == 0)
			continue;
		if (store_key_get(r, w->node_id, role, &k) != 0) {
			log_warn(TAG, "the %s certificate has no key yet",
				 pki_role_name(nodepki_roles[i]));
			continue;
		}
		if (copy_bytes(&ch[i].der, c.der, c.der_len) != 0 ||
		    copy_bytes(&ch[i].wrapped, k.wrapped, k.wrapped_len) != 0)
			rc = -1;
		ch[i].der_len = c.der_len;
		ch[i].wrapped_len = k.wrapped_len;
		memcpy(ch[i].sha256, c.sha256, 32);
		ch[i].generation = c.generation;
		(*n)++;
	}
	store_read_end(r);
	return rc;
}

static int ca_current(struct certs *w, X509 **out)
{
	struct store_read *r;
	struct store_cert c;

	*out = NULL;
	if (store_read_begin(w->store, &r) != 0)
		return -1;
	if (store_cert_get(r, 0, STORE_CERT_CA, &c) == 0)
		*out = nodepki_x509(c.der, c.der_len);
	store_read_end(r);
	return *out ? 0 : -1;
}

/* DATA/pki/<role>.key and .pem, with the key the keystore lends. */
struct role_files {
	const char *data_dir;
	enum pki_role role;
	X509 *leaf, *ca;
	char *errmsg;
	size_t errcap;
};

static int role_files_write(EVP_PKEY *key, void *arg)
{
	struct role_files *f = arg;

	return nodepki_write_role(f->data_dir, f->role, f->leaf, f->ca, key,
				  f->errmsg, f->errcap);
}

/* Has the keystore hold the role's new key, writes the role's files and
 * switches its service. */
static int deploy(struct certs *w, int i, struct certs_change *c, X509 *ca,
		  struct certs_kek *k)
{
	int have_kek = kek_get(k);
	enum pki_role role = nodepki_roles[i];
	char errmsg[512] = "", fp[HEX_SHA256_TEXT_LEN];
	X509 *x = nodepki_x509(c->der, c->der_len);
	struct role_files f = {.data_dir = w->data_dir,
			       .role = role,
			       .leaf = x,
			       .ca = ca,
			       .errmsg = errmsg,
			       .errcap = sizeof errmsg};
	int rc = -1;

	if (!x || !have_kek) {
		log_error(TAG, "switching the %s certificate: %s",
			  pki_role_name(role),
			  x ? "no KEK"
			    : "the stored certificate is unreadable");
		goto out;
	}
	/* Checked before it replaces the key held for the role. */
	rc = keystore_key_check(w->ks, w->node_id, role, c->wrapped,
				c->wrapped_len, x, errmsg, sizeof errmsg);
	if (rc == KEYSTORE_EMISMATCH)
		snprintf(errmsg, sizeof errmsg,
			 "the stored %s key does not match its certificate",
			 pki_role_name(role));
	rc = -1;
	if (errmsg[0] ||
	    keystore_key_load(w->ks, w->node_id, role, c->wrapped,
			      c->wrapped_len, errmsg, sizeof errmsg) != 0 ||
	    keystore_key_use(w->ks, w->node_id, role, role_files_write, &f) !=
		0)
		goto fail;
	if (role == PKI_ROLE_HTTPS &&
	    (nodepki_install_https(w->data_dir, w->cert_file, w->key_file,
				   errmsg, sizeof errmsg) != 0 ||
	     (w->hooks.https &&
	      w->hooks.https(w->hooks.arg, errmsg, sizeof errmsg) != 0)))
		goto fail;
	if (role == PKI_ROLE_NODE && w->hooks.node &&
	    w->hooks.node(w->hooks.arg, errmsg, sizeof errmsg) != 0)
		goto fail;
	if (role == PKI_ROLE_CAPF && w->hooks.capf &&
	    w->hooks.capf(w->hooks.arg, errmsg, sizeof errmsg) != 0)
		goto fail;
	hex_sha256_text(c->sha256, fp);
	log_info(TAG, "%s certificate: now generation %" PRIu32 " (%s)",
		 pki_role_name(role), c->generation, fp);
	memcpy(w->in_use[i], c->sha256, 32);
	w->have[i] = 1;
	rc = 0;
	goto out;
fail:
	log_error(TAG, "switching the %s certificate: %s", pki_role_name(role),
		  errmsg);
out:
	X509_free(x);
	return rc;
}

/* 0 done (or nothing to do), -1 something failed: look again later. */
static int sync_own(struct certs *w, struct certs_kek *k)
{
	struct certs_change ca = {0}, ch[NODEPKI_ROLES];
	char errmsg[512] = "";
	X509 *cax = NULL;
	int n = 0, rc = 0;

	memset(ch, 0, sizeof ch);
	if (collect(w, &ca, ch, &n) != 0) {
		rc = -1;
		goto out;
	}
	if (!ca.der && n == 0)
		goto out;
	if (ca.der) {
		cax = nodepki_x509(ca.der, ca.der_len);
		if (!cax ||
		    nodepki_write_ca(w->data_dir, cax, errmsg, sizeof errmsg)) {
			log_error(TAG, "writing the CA certificate: %s",
				  cax ? errmsg : "unreadable in the store");
			rc = -1;
			goto out;
		}
		memcpy(w->ca_in_use, ca.sha256, 32);
		w->have_ca = 1;
	} else if (ca_current(w, &cax) != 0) {
		log_error(TAG, "the store holds no cluster CA certificate");
		rc = -1;
		goto out;
	}
	for (int i = 0; i < NODEPKI_ROLES; i++)
		if (ch[i].der && deploy(w, i, &ch[i], cax, k) != 0)
			rc = -1;
out:
	X509_free(cax);
	change_clear(&ca);
	for (int i = 0; i < NODEPKI_ROLES; i++)
		change_clear(&ch[i]);
	return rc;
}

/* ---- ITLs (leader) ---------------------------------------------------- */

struct itl_job {
	struct certs *w;
	struct store_read *r;
	int found; /* a node whose ITL must be rebuilt */
	struct store_node node;
	struct certs_change cert[3]; /* tftp (with key), callmanager, capf */
};

static int itl_cached(struct certs *w, uint64_t id, const uint8_t d[32])
{
	for (unsigned i = 0; i < w->n_itl_ok; i++)
		if (w->itl_ok[i].node_id == id)
			return memcmp(w->itl_ok[i].digest, d, 32) == 0;
	return 0;
}

static void itl_remember(struct certs *w, uint64_t id, const uint8_t d[32])
{
	unsigned i;

	for (i = 0; i < w->n_itl_ok; i++)
		if (w->itl_ok[i].node_id == id)
			break;
	if (i == w->n_itl_ok) {
		if (w->n_itl_ok == CERTS_ITL_CACHE)
			return;
		w->n_itl_ok++;
	}
	w->itl_ok[i].node_id = id;
	memcpy(w->itl_ok[i].digest, d, 32);
}

static int itl_visit(void *arg, const void *key, size_t klen, const void *val,
		     size_t vlen)
{
	static const enum store_cert_role roles[3] = {
	    STORE_CERT_TFTP, STORE_CERT_CALLMANAGER, STORE_CERT_CAPF};
	struct itl_job *j = arg;
	struct store_cert c[3];
	struct store_itl itl;
	struct store_key k;
	EVP_MD_CTX *md;
	uint8_t d[32];
	int have_itl;

	if (store_node_decode(val, vlen, &j->node) != 0 ||
	    (j->node.state != STORE_NODE_SPARE &&
	     j->node.state != STORE_NODE_VOTER))
		return 0;
	for (int i = 0; i < 3; i++)
		if (store_cert_get(j->r, j->node.id, roles[i], &c[i]) != 0)
			return 0;
	have_itl = store_itl_get(j->r, j->node.id, &itl) == 0;
	md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return 0;
	}
	for (int i = 0; i < 3; i++)
		EVP_DigestUpdate(md, c[i].sha256, 32);
	if (have_itl)
		EVP_DigestUpdate(md, itl.sha256, 32);
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	if (itl_cached(j->w, j->node.id, d))
		return 0;
	if (have_itl && nodepki_itl_current(
			    itl.file, itl.file_len, c[0].der, c[0].der_len,
			    c[1].der, c[1].der_len, c[2].der, c[2].der_len)) {
		itl_remember(j->w, j->node.id, d);
		return 0;
	}
	if (store_key_get(j->r, j->node.id, STORE_CERT_TFTP, &k) != 0)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (copy_bytes(&j->cert[i].der, c[i].der, c[i].der_len) != 0)
			return -1;
		j->cert[i].der_len = c[i].der_len;
	}
	if (copy_bytes(&j->cert[0].wrapped, k.wrapped, k.wrapped_len) != 0)
		return -1;
	j->cert[0].wrapped_len = k.wrapped_len;
	j->found = 1;
	return 1; /* one at a time */
}

static void itl_on_done(void *arg, int rc)
{
	struct certs *w = arg;

	/* Any thread. */
	if (rc != 0)
		log_warn(TAG, "ITL update not committed (code %d): will retry",
			 rc);
	atomic_store(&w->itl_done, 1);
	atomic_store(&w->itl_busy, 0);
}

/* The ITL built and signed with the node's TFTP key, lent by the
 * keystore. */
struct itl_sign {
	X509 **x; /* tftp, callmanager, capf */
	const struct nodepki_names *names;
	uint8_t **file;
	size_t *len;
	char *errmsg;
	size_t errcap;
};

static int itl_sign(EVP_PKEY *key, void *arg)
{
	struct itl_sign *s = arg;

	return nodepki_itl_build(s->x[0], key, s->x[1], s->x[2], s->names,
				 s->file, s->len, s->errmsg, s->errcap);
}

static int itl_propose(struct certs *w, struct itl_job *j)
{
	struct nodepki_names names;
	struct store_itl rec = {0};
	struct store_cmd *cmd = NULL;
	char errmsg[512] = "", actor[STORE_NAME_MAX], detail[STORE_TEXT_MAX];
	char fp[HEX_SHA256_TEXT_LEN];
	X509 *x[3] = {NULL, NULL, NULL};
	uint8_t *file = NULL;
	void *buf = NULL;
	size_t len = 0, blen = 0;
	unsigned int mdlen = 32;
	struct itl_sign sign = {.x = x,
				.names = &names,
				.file = &file,
				.len = &len,
				.errmsg = errmsg,
				.errcap = sizeof errmsg};
	int rc = -1;

	for (int i = 0; i < 3; i++)
		if (!(x[i] = nodepki_x509(j->cert[i].der, j->cert[i].der_len)))
			goto out;
	nodepki_names_make(j->node.name, j->node.admin_addr, j->node.raft_addr,
			   NULL, j->node.id, &names);
	if (keystore_key_use_wrapped(w->ks, j->node.id, PKI_ROLE_TFTP,
				     j->cert[0].wrapped, j->cert[0].wrapped_len,
				     itl_sign, &sign, errmsg,
				     sizeof errmsg) != 0)
		goto out;
	rec.node_id = j->node.id;
	rec.file = file;
	rec.file_len = len;
	rec.signed_ms = now_ms();
	if (!EVP_Digest(file, len, rec.sha256, &mdlen, EVP_sha256(), NULL))
		goto out;
	hex_sha256_text(rec.sha256, fp);
	snprintf(actor, sizeof actor, "node:%.58s", w->node_name);
	snprintf(detail, sizeof detail, "node=%s bytes=%zu sha256=%s",
		 j->node.name, len, fp + 7);
	if (store_cmd_new(&cmd, w->node_id, rec.signed_ms, actor) != 0 ||
	    store_cmd_put_itl(cmd, &rec) != 0 ||
	    store_cmd_audit(cmd, "itl.update", detail) != 0 ||
	    store_cmd_finish(cmd, &buf, &blen) != 0) {
		snprintf(errmsg, sizeof errmsg, "building the command failed");
		goto out;
	}
	atomic_store(&w->itl_busy, 1);
	if (w->hooks.propose(w->hooks.arg, buf, blen, itl_on_done, w) != 0) {
		atomic_store(&w->itl_busy, 0);
		snprintf(errmsg, sizeof errmsg, "not proposed (leadership?)");
		goto out;
	}
	log_info(TAG, "ITL of %s rebuilt (%zu bytes, %s)", j->node.name, len,
		 fp);
	rc = 0;
out:
	if (rc != 0)
		log_warn(TAG, "ITL of %s: %s", j->node.name,
			 errmsg[0] ? errmsg : "unreadable certificates");
	free(buf);
	store_cmd_free(cmd);
	free(file);
	for (int i = 0; i < 3; i++)
		X509_free(x[i]);
	return rc;
}

/* 0 done or nothing to do, -1 look again later. */
static int sync_itls(struct certs *w, struct certs_kek *k)
{
	struct itl_job j;
	int rc = 0;

	memset(&j, 0, sizeof j);
	j.w = w;
	if (store_read_begin(w->store, &j.r) != 0)
		return -1;
	if (store_each(j.r, STORE_T_NODES, NULL, 0, itl_visit, &j) < 0)
		rc = -1;
	store_read_end(j.r);
	if (rc == 0 && j.found && (!kek_get(k) || itl_propose(w, &j) != 0))
		rc = -1;
	for (int i = 0; i < 3; i++)
		change_clear(&j.cert[i]);
	return rc;
}

/* ---- provisioning defaults --------------------------------------------- */

/* A cluster made before the default profiles and the digest nonce secret
 * existed gets them from its leader (one proposal, shared with the ITLs'
 * in-flight flag). 0 done or nothing to do, -1 look again later. */
static int sync_prov(struct certs *w, struct certs_kek *k)
{
	struct store_cluster cl;
	struct store_read *r;
	struct store_cmd *cmd = NULL;
	char errmsg[256] = "", actor[STORE_NAME_MAX];
	void *buf = NULL;
	size_t blen = 0;
	unsigned added = 0;
	uint64_t now = now_ms();
	int rc = -1;

	if (store_read_begin(w->store, &r) != 0)
		return -1;
	if (!provdefaults_missing(r)) {
		store_read_end(r);
		return 0;
	}
	snprintf(actor, sizeof actor, "node:%.58s", w->node_name);
	if (store_cluster_get(r, &cl) != 0 || !kek_get(k) ||
	    store_cmd_new(&cmd, w->node_id, now, actor) != 0 ||
	    provdefaults_cmd(cmd, r, w->ks, now, &added, errmsg,
			     sizeof errmsg) != 0 ||
	    store_cmd_audit(cmd, "provisioning.defaults",
			    "default profiles and digest nonce secret") != 0 ||
	    store_cmd_finish(cmd, &buf, &blen) != 0)
		goto out;
	atomic_store(&w->itl_busy, 1);
	if (w->hooks.propose(w->hooks.arg, buf, blen, itl_on_done, w) != 0) {
		atomic_store(&w->itl_busy, 0);
		goto out;
	}
	log_info(TAG, "adding %u missing provisioning defaults", added);
	rc = 0;
out:
	store_read_end(r);
	store_cmd_free(cmd);
	free(buf);
	return rc;
}

/* ---- a look ----------------------------------------------------------- */

int certs_check(struct certs *w, char *errmsg, size_t errcap)
{
	uint64_t index = store_applied_index(w->store);
	int leader = w->hooks.is_leader && w->hooks.propose &&
		     w->hooks.is_leader(w->hooks.arg);
	int itl_done = atomic_exchange(&w->itl_done, 0);
	struct certs_kek k = {.ks = w->ks};
	int rc;

	/* A new leader looks at the ITLs even if nothing was applied: its
	 * predecessor may have left one stale. */
	if (w->looked && index == w->seen_index && !w->retry && !itl_done &&
	    leader == w->was_leader)
		return 0;
	w->looked = 1;
	w->was_leader = leader;
	w->seen_index = index;
	w->retry = 0;
	if (!w->kek_ok) {
		rc = certs_kek_check(w->ks, w->data_dir, w->store, errmsg,
				     errcap);
		if (rc < 0)
			return -1;
		if (rc > 0)
			return 0; /* no cluster record yet */
		w->kek_ok = 1;
	}
	if (sync_own(w, &k) != 0)
		w->retry = 1;
	if (leader && !atomic_load(&w->itl_busy) && sync_itls(w, &k) != 0)
		w->retry = 1;
	if (leader && !atomic_load(&w->itl_busy) && sync_prov(w, &k) != 0)
		w->retry = 1;
	kek_done(&k);
	return 0;
}
