/* nodepki: role sets, the new cluster's PKI, certificate checks, store
 * records and the ITL. Files are in nodepki_files.c. */
#include "node/nodepki.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "common/addr.h"
#include "common/errmsg.h"
#include "trustlist/trustlist.h"

const enum pki_role nodepki_roles[NODEPKI_ROLES] = {
    PKI_ROLE_HTTPS, PKI_ROLE_CALLMANAGER, PKI_ROLE_TFTP,
    PKI_ROLE_CAPF,  PKI_ROLE_IPSEC,	  PKI_ROLE_NODE,
};

int nodepki_role_index(enum pki_role role)
{
	for (int i = 0; i < NODEPKI_ROLES; i++)
		if (nodepki_roles[i] == role)
			return i;
	return -1;
}

/* ---- names ------------------------------------------------------------ */

/* A DNS name as pki accepts it: labels of letters, digits and '-'. */
static int nodepki_dns_ok(const char *s)
{
	size_t label = 0;

	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
		label++;
	}
	return label > 0;
}

/* The host of "host:port" or "[v6]:port" if it is an IP address that can
 * be dialled (not a wildcard). */
static int nodepki_addr_ip(const char *addr, char *out, size_t cap)
{
	struct addr a;

	if (!addr || addr_parse(addr, ADDR_PORT_OPTIONAL, &a) != ADDR_OK ||
	    !addr_is_dialable_ip(&a) || strlen(a.host) >= cap)
		return -1;
	snprintf(out, cap, "%s", a.host);
	return 0;
}

void nodepki_names_make(const char *name, const char *admin_addr,
			const char *raft_addr, const char *cluster_id,
			uint64_t node_id, struct nodepki_names *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->cn, sizeof out->cn, "%s", name);
	if (nodepki_dns_ok(name))
		snprintf(out->dns, sizeof out->dns, "%s", name);
	if (nodepki_addr_ip(admin_addr, out->ip, sizeof out->ip) != 0 &&
	    nodepki_addr_ip(raft_addr, out->ip, sizeof out->ip) != 0)
		out->ip[0] = '\0';
	snprintf(out->cluster_id, sizeof out->cluster_id, "%s",
		 cluster_id ? cluster_id : "");
	out->node_id = node_id;
}

void nodepki_subject(const struct nodepki_names *n, struct pki_subject *subj)
{
	memset(subj, 0, sizeof *subj);
	subj->common_name = n->cn;
	subj->dns = n->dns[0] ? n->dns : NULL;
	subj->ip = n->ip[0] ? n->ip : NULL;
	subj->cluster_id = n->cluster_id;
	subj->node_id = n->node_id;
}

/* ---- role sets and the new cluster ------------------------------------ */

void nodepki_set_clear(struct nodepki_set *s)
{
	if (!s)
		return;
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		EVP_PKEY_free(s->key[i]);
		X509_free(s->cert[i]);
	}
	memset(s, 0, sizeof *s);
}

struct keygen_job {
	enum pki_key_type type;
	EVP_PKEY *key;
	pthread_t thread;
	int started;
};

static void *keygen_run(void *arg)
{
	struct keygen_job *j = arg;

	if (pki_key_generate(j->type, &j->key) != 0)
		j->key = NULL;
	return NULL;
}

enum pki_key_type nodepki_role_key_type(enum pki_role role,
					enum pki_key_type cluster)
{
	return role == PKI_ROLE_TFTP ? PKI_KEY_RSA2048 : cluster;
}

/* N keys of type T into KEYS, generated in parallel: an RSA key takes a
 * good fraction of a second, and a node needs seven. Key FIRST + i is
 * for role nodepki_roles[i] (FIRST: 1 when keys[0] is the CA's). */
static int keygen_many(EVP_PKEY **keys, int n, enum pki_key_type t, int first)
{
	struct keygen_job jobs[NODEPKI_ROLES + 1];
	int ok = 1;

	if (n > NODEPKI_ROLES + 1)
		return -1;
	for (int i = 0; i < n; i++) {
		int r = i - first;

		jobs[i] = (struct keygen_job){
		    .type = r >= 0 ? nodepki_role_key_type(nodepki_roles[r], t)
				   : t};
		jobs[i].started = pthread_create(&jobs[i].thread, NULL,
						 keygen_run, &jobs[i]) == 0;
		if (!jobs[i].started)
			keygen_run(&jobs[i]);
	}
	for (int i = 0; i < n; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		EVP_PKEY_free(keys[i]);
		keys[i] = jobs[i].key;
		ok = ok && keys[i];
	}
	return ok ? 0 : -1;
}

int nodepki_set_keygen(struct nodepki_set *s, enum pki_key_type t, char *errmsg,
		       size_t errcap)
{
	if (keygen_many(s->key, NODEPKI_ROLES, t, 0) != 0) {
		errmsg_set(errmsg, errcap, "generating %s keys: %s",
			   pki_key_type_name(t), pki_strerror(PKI_ECRYPTO));
		return -1;
	}
	return 0;
}

int nodepki_set_issue(struct nodepki_set *s, X509 *ca, EVP_PKEY *ca_key,
		      const struct nodepki_names *n, char *errmsg,
		      size_t errcap)
{
	struct pki_subject subj;
	char why[256] = "";

	nodepki_subject(n, &subj);
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		X509_free(s->cert[i]);
		s->cert[i] = NULL;
		if (pki_issue(ca, ca_key, s->key[i], nodepki_roles[i], &subj, 0,
			      &s->cert[i], why, sizeof why) != 0) {
			errmsg_set(errmsg, errcap,
				   "issuing the %s certificate of %s: %s",
				   pki_role_name(nodepki_roles[i]), n->cn, why);
			return -1;
		}
	}
	return 0;
}

void nodepki_cluster_clear(struct nodepki_cluster *c)
{
	if (!c)
		return;
	keystore_kek_release(c->ks);
	EVP_PKEY_free(c->ca_key);
	X509_free(c->ca);
	nodepki_set_clear(&c->node);
	OPENSSL_cleanse(c, sizeof *c);
}

static int nodepki_sha256(X509 *x, uint8_t out[32])
{
	unsigned int n = 32;

	return X509_digest(x, EVP_sha256(), out, &n) && n == 32 ? 0 : -1;
}

int nodepki_cluster_create(struct keystore *ks, enum pki_key_type t,
			   const char *cluster_name,
			   const struct nodepki_names *n,
			   struct nodepki_cluster *out, char *errmsg,
			   size_t errcap)
{
	char why[256] = "";

	memset(out, 0, sizeof *out);
	if (keystore_kek_generate(ks, out->kek_id) != KEYSTORE_OK) {
		errmsg_set(errmsg, errcap,
			   "making the KEK failed (one is held already, or no "
			   "randomness)");
		return -1;
	}
	out->ks = ks;
	{
		EVP_PKEY *keys[NODEPKI_ROLES + 1] = {NULL};

		if (keygen_many(keys, NODEPKI_ROLES + 1, t, 1) != 0) {
			for (int i = 0; i <= NODEPKI_ROLES; i++)
				EVP_PKEY_free(keys[i]);
			errmsg_set(errmsg, errcap, "generating %s keys failed",
				   pki_key_type_name(t));
			goto err;
		}
		out->ca_key = keys[0];
		memcpy(out->node.key, keys + 1, sizeof out->node.key);
	}
	if (pki_ca_create(out->ca_key, n->cluster_id, cluster_name, 0, &out->ca,
			  why, sizeof why) != 0) {
		errmsg_set(errmsg, errcap, "making the cluster CA: %s", why);
		goto err;
	}
	if (nodepki_sha256(out->ca, out->ca_sha256) != 0) {
		errmsg_set(errmsg, errcap, "hashing the CA failed");
		goto err;
	}
	if (nodepki_set_issue(&out->node, out->ca, out->ca_key, n, errmsg,
			      errcap) != 0)
		goto err;
	return 0;
err:
	nodepki_cluster_clear(out);
	return -1;
}

/* ---- checks ----------------------------------------------------------- */

/* 1 if the first NID entry of NAME is exactly TEXT. */
static int nodepki_name_is(X509_NAME *name, int nid, const char *text)
{
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	const ASN1_STRING *v;

	if (i < 0 || X509_NAME_get_index_by_NID(name, nid, i) >= 0)
		return 0;
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return v && (size_t)ASN1_STRING_length(v) == strlen(text) &&
	       memcmp(ASN1_STRING_get0_data(v), text, strlen(text)) == 0;
}

int nodepki_check_issued(X509 *ca, X509 *cert, enum pki_role role,
			 const char *name, const char *cluster_id,
			 uint64_t node_id, char *errmsg, size_t errcap)
{
	X509_STORE *trust = NULL;
	X509_NAME *subj = X509_get_subject_name(cert);
	char why[256] = "";
	int rc;

	if (pki_trust_new(&ca, 1, &trust) != 0) {
		errmsg_set(errmsg, errcap, "out of memory");
		return -1;
	}
	if (role == PKI_ROLE_NODE)
		rc = pki_verify_node(trust, cert, cluster_id, node_id, why,
				     sizeof why);
	else
		rc = pki_verify(trust, cert, NULL, 0, why, sizeof why);
	X509_STORE_free(trust);
	if (rc != 0) {
		errmsg_set(errmsg, errcap, "the %s certificate: %s",
			   pki_role_name(role), why);
		return -1;
	}
	if (!subj || !nodepki_name_is(subj, NID_commonName, name) ||
	    !nodepki_name_is(subj, NID_organizationalUnitName,
			     pki_role_name(role))) {
		errmsg_set(errmsg, errcap,
			   "the %s certificate is not the %s certificate of "
			   "node %s",
			   pki_role_name(role), pki_role_name(role), name);
		return -1;
	}
	return 0;
}

/* ---- store records ---------------------------------------------------- */

X509 *nodepki_x509(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;

	if (!der || len == 0 || len > PKI_CERT_DER_MAX)
		return NULL;
	x = d2i_X509(NULL, &p, (long)len);
	if (x && p != der + len) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int nodepki_cert_record(X509 *x, uint64_t owner, enum pki_role role,
			uint32_t generation, uint64_t now_ms,
			struct store_cert *out, uint8_t **der, char *errmsg,
			size_t errcap)
{
	struct pki_cert_info info;
	size_t len = 0;

	*der = NULL;
	memset(out, 0, sizeof *out);
	if (pki_cert_info(x, &info, errmsg, errcap) != 0)
		return -1;
	if (pki_cert_to_der(x, der, &len) != 0) {
		errmsg_set(errmsg, errcap, "out of memory");
		return -1;
	}
	out->owner = owner;
	out->role = (uint32_t)role;
	out->der = *der;
	out->der_len = len;
	memcpy(out->sha256, info.sha256, 32);
	memcpy(out->sha1, info.sha1, 20);
	memcpy(out->subject, info.subject, sizeof out->subject);
	memcpy(out->issuer, info.issuer, sizeof out->issuer);
	out->not_before_s = info.not_before_s;
	out->not_after_s = info.not_after_s;
	out->key_type = (uint32_t)info.key_type;
	memcpy(out->serial, info.serial, sizeof out->serial);
	out->created_ms = now_ms;
	out->generation = generation;
	return 0;
}

int nodepki_cmd_put_set(struct store_cmd *cmd, struct keystore *ks,
			uint64_t owner, const struct nodepki_set *s,
			uint64_t now_ms, char *errmsg, size_t errcap)
{
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		struct store_cert cert;
		struct store_key key;
		uint8_t *der = NULL, *wrapped = NULL;
		int rc;

		if (nodepki_cert_record(s->cert[i], owner, nodepki_roles[i], 1,
					now_ms, &cert, &der, errmsg,
					errcap) != 0)
			return -1;
		rc = keystore_key_wrap(ks, owner, nodepki_roles[i], s->key[i],
				       &key, &wrapped);
		if (rc == 0)
			rc = store_cmd_put_cert(cmd, STORE_OP_PUT, &cert);
		if (rc == 0)
			rc = store_cmd_put_key(cmd, &key);
		free(der);
		free(wrapped);
		if (rc != 0) {
			errmsg_set(errmsg, errcap,
				   "recording the %s certificate failed",
				   pki_role_name(nodepki_roles[i]));
			return -1;
		}
	}
	return 0;
}

struct ca_use {
	X509 *ca;
	nodepki_ca_fn fn;
	void *arg;
};

static int ca_use_lend(EVP_PKEY *key, void *arg)
{
	struct ca_use *u = arg;

	return u->fn(u->ca, key, u->arg);
}

int nodepki_ca_use(struct store_read *r, struct keystore *ks, nodepki_ca_fn fn,
		   void *arg, char *errmsg, size_t errcap)
{
	struct store_cert cert;
	struct store_key key;
	struct ca_use u = {.fn = fn, .arg = arg};
	int rc;

	if (store_cert_get(r, 0, STORE_CERT_CA, &cert) != 0 ||
	    !(u.ca = nodepki_x509(cert.der, cert.der_len))) {
		errmsg_set(errmsg, errcap,
			   "the cluster CA certificate is missing");
		return -1;
	}
	if (store_key_get(r, 0, STORE_CERT_CA, &key) != 0) {
		errmsg_set(errmsg, errcap, "the cluster CA key is missing");
		X509_free(u.ca);
		return -1;
	}
	rc = keystore_key_use_wrapped(ks, 0, PKI_ROLE_CA, key.wrapped,
				      key.wrapped_len, ca_use_lend, &u, errmsg,
				      errcap);
	X509_free(u.ca);
	return rc;
}

/* ---- the ITL ---------------------------------------------------------- */

int nodepki_itl_build(X509 *tftp, EVP_PKEY *tftp_key, X509 *callmanager,
		      X509 *capf, const struct nodepki_names *n, uint8_t **out,
		      size_t *len, char *errmsg, size_t errcap)
{
	static const unsigned fns[3] = {TRUSTLIST_FN_TFTP, TRUSTLIST_FN_CCM,
					TRUSTLIST_FN_CAPF};
	X509 *certs[3] = {tftp, callmanager, capf};
	uint8_t *der[3] = {NULL, NULL, NULL};
	size_t der_len[3] = {0, 0, 0};
	struct trustlist_entry e[3];
	struct trustlist_signer signer;
	int rc = -1;

	*out = NULL;
	*len = 0;
	for (int i = 0; i < 3; i++) {
		if (pki_cert_to_der(certs[i], &der[i], &der_len[i]) != 0) {
			errmsg_set(errmsg, errcap, "out of memory");
			goto out;
		}
		e[i] = (struct trustlist_entry){
		    .function = fns[i],
		    .cert_der = der[i],
		    .cert_len = der_len[i],
		    .dns_name = n && n->dns[0] ? n->dns : NULL,
		    .ip = n && n->ip[0] ? n->ip : NULL,
		};
	}
	signer = (struct trustlist_signer){der[0], der_len[0], tftp_key};
	rc = trustlist_build(TRUSTLIST_ITL, e, 3, &signer, NULL, out, len,
			     errmsg, errcap) == 0
		 ? 0
		 : -1;
out:
	for (int i = 0; i < 3; i++)
		free(der[i]);
	return rc;
}

static int nodepki_bytes_eq(const struct trustlist_bytes *b, const uint8_t *p,
			    size_t len)
{
	return b->len == len && memcmp(b->data, p, len) == 0;
}

int nodepki_itl_current(const uint8_t *file, size_t len, const uint8_t *tftp,
			size_t tftp_len, const uint8_t *callmanager,
			size_t cm_len, const uint8_t *capf, size_t capf_len)
{
	/* The builder lists the signer (the TFTP key) as SAST too. */
	static const unsigned fns[4] = {TRUSTLIST_FN_SAST, TRUSTLIST_FN_TFTP,
					TRUSTLIST_FN_CCM, TRUSTLIST_FN_CAPF};
	const uint8_t *want[4] = {tftp, tftp, callmanager, capf};
	const size_t want_len[4] = {tftp_len, tftp_len, cm_len, capf_len};
	struct trustlist *tl = NULL;
	int seen[4] = {0, 0, 0, 0}, ok = 0;

	if (!file || trustlist_parse(file, len, &tl, NULL, 0) != 0)
		return 0;
	if (tl->n_records != 4 ||
	    trustlist_verify_cert(tl, tftp, tftp_len, NULL, 0) != 0)
		goto out;
	for (size_t r = 0; r < tl->n_records; r++) {
		const struct trustlist_record *rec = &tl->records[r];
		int i;

		for (i = 0; i < 4; i++)
			if (!seen[i] && rec->function == fns[i] &&
			    nodepki_bytes_eq(&rec->cert, want[i], want_len[i]))
				break;
		if (i == 4)
			goto out;
		seen[i] = 1;
	}
	ok = 1;
out:
	trustlist_free(tl);
	return ok;
}
