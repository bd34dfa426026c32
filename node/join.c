/* join: two libcurl POSTs. The certificate verification of the TLS
 * connection is ours alone: the member's chain must lead to the pinned
 * cluster CA (or its leaf be the pinned certificate), which is the only
 * trust a new node has in the cluster. */
#include "node/join.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/hex.h"
#include "common/tlspin.h"

#define JOIN_ANSWER_MAX (256u * 1024)

int join_token_node_id(const char *token, uint64_t *id)
{
	const char *dot = strchr(token, '.');
	char *end;

	if (!dot || dot == token || dot - token > 20 || !dot[1])
		return -1;
	errno = 0;
	*id = strtoull(token, &end, 10);
	if (errno || end != dot || *id == 0)
		return -1;
	return 0;
}

/* ---- what the operator gives ------------------------------------------- */

int join_token_read(const char *opt, const char *file, char *out, size_t cap,
		    char *errmsg, size_t errcap)
{
	const char *env = getenv("WARD_JOIN_TOKEN");
	FILE *f;
	size_t n;

	if (opt) {
		snprintf(out, cap, "%s", opt);
		return 0;
	}
	if (file) {
		f = fopen(file, "r");
		if (!f) {
			snprintf(errmsg, errcap, "%s: %s", file,
				 strerror(errno));
			return -1;
		}
		n = fread(out, 1, cap - 1, f);
		fclose(f);
		out[n] = '\0';
		out[strcspn(out, "\r\n")] = '\0';
		return 0;
	}
	if (env) {
		snprintf(out, cap, "%s", env);
		return 0;
	}
	snprintf(errmsg, errcap,
		 "--join needs a token: --token, --token-file or "
		 "WARD_JOIN_TOKEN");
	return -1;
}

int join_pin_parse(const char *ca_fp, const char *leaf_fp, struct join_pin *pin,
		   char *errmsg, size_t errcap)
{
	const char *text = ca_fp ? ca_fp : leaf_fp;

	if (!text || (ca_fp && leaf_fp)) {
		snprintf(errmsg, errcap,
			 "--join needs --ca-fingerprint sha256:HEX (the "
			 "cluster CA, printed by 'wardctl node add') or "
			 "--fingerprint sha256:HEX (that member's certificate)"
			 ", not both");
		return -1;
	}
	pin->kind = ca_fp ? JOIN_PIN_CA : JOIN_PIN_LEAF;
	if (hex_sha256_parse(text, pin->sha256) != 0) {
		snprintf(errmsg, errcap, "%s: expected sha256:<64 hex digits>",
			 ca_fp ? "--ca-fingerprint" : "--fingerprint");
		return -1;
	}
	return 0;
}

/* ---- keys ------------------------------------------------------------- */

int join_keys_generate(struct join_keys *k, enum pki_key_type t, char *errmsg,
		       size_t errcap)
{
	join_keys_clear(k);
	if (nodepki_set_keygen(&k->set, t, errmsg, errcap) != 0)
		return -1;
	if (pki_kex_keygen(&k->kex, k->kex_pub) != 0) {
		snprintf(errmsg, errcap, "generating the X25519 key failed");
		return -1;
	}
	return 0;
}

void join_keys_clear(struct join_keys *k)
{
	if (!k)
		return;
	nodepki_set_clear(&k->set);
	EVP_PKEY_free(k->kex);
	memset(k, 0, sizeof *k);
}

void join_grant_clear(struct join_grant *g)
{
	if (!g)
		return;
	X509_free(g->ca);
	for (int i = 0; i < NODEPKI_ROLES; i++)
		X509_free(g->cert[i]);
	memset(g, 0, sizeof *g);
}

/* ---- base64 and hex --------------------------------------------------- */

/* Standard base64 with padding, malloc'ed; NULL if out of memory. */
static char *b64_encode(const uint8_t *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

/* Decodes TEXT into OUT (CAP bytes); the length, or -1. */
static long b64_decode(const char *text, uint8_t *out, size_t cap)
{
	size_t n = strlen(text), pad = 0;
	uint8_t *tmp;
	int got;

	if (n == 0 || n % 4 != 0 || n / 4 * 3 > cap + 2)
		return -1;
	if (text[n - 1] == '=')
		pad++;
	if (text[n - 2] == '=')
		pad++;
	tmp = malloc(n / 4 * 3);
	if (!tmp)
		return -1;
	got = EVP_DecodeBlock(tmp, (const unsigned char *)text, (int)n);
	if (got < 0 || (size_t)got < pad || (size_t)got - pad > cap) {
		OPENSSL_cleanse(tmp, n / 4 * 3);
		free(tmp);
		return -1;
	}
	memcpy(out, tmp, (size_t)got - pad);
	OPENSSL_cleanse(tmp, n / 4 * 3);
	free(tmp);
	return (long)((size_t)got - pad);
}

/* ---- the pinned HTTPS client ------------------------------------------ */

/* The whole verification of the member's certificate is common/tlspin's
 * (it replaces OpenSSL's): a leaf pin compares the leaf; a CA pin finds the
 * pinned CA among the certificates the member sent and verifies the leaf
 * against it alone. The host name is not checked: the pin says who the
 * member is. */
static CURLcode join_ssl_ctx(CURL *curl, void *sslctx, void *check)
{
	(void)curl;
	return tlspin_install(sslctx, check) == 0 ? CURLE_OK
						  : CURLE_SSL_CONNECT_ERROR;
}

struct join_body {
	char *buf;
	size_t len;
};

static size_t join_on_data(char *p, size_t size, size_t n, void *arg)
{
	struct join_body *b = arg;
	size_t add = size * n;
	char *nb;

	if (b->len + add > JOIN_ANSWER_MAX)
		return 0;
	nb = realloc(b->buf, b->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + b->len, p, add);
	b->buf = nb;
	b->len += add;
	b->buf[b->len] = '\0';
	return add;
}

/* POSTs RQ to URL/PATH. 0 with *status and *answer (a JSON object or
 * NULL; caller decrefs), or -1 with the transport error. The request text
 * holds the token: it is wiped. */
static int join_post(const struct join_request *req, const char *path,
		     json_t *rq, long *status, json_t **answer, char *errmsg,
		     size_t errcap)
{
	struct join_body body = {0};
	struct tlspin_check check = {0};
	struct curl_slist *hdrs = NULL;
	char url[512];
	char *text = json_dumps(rq, JSON_COMPACT);
	CURLcode cc;
	CURL *curl = curl_easy_init();
	int rc = -1;

	*answer = NULL;
	*status = 0;
	if (!curl || !text) {
		snprintf(errmsg, errcap, "out of memory");
		goto out;
	}
	check.pin.kind =
	    req->pin->kind == JOIN_PIN_CA ? TLSPIN_CA : TLSPIN_LEAF;
	memcpy(check.pin.sha256, req->pin->sha256, sizeof check.pin.sha256);
	snprintf(url, sizeof url, "%s%s", req->url, path);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, join_on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)req->timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	/* A resumed session would skip the verification. */
	curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, join_ssl_ctx);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &check);
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		snprintf(errmsg, errcap, "%s: %s%s", req->url,
			 curl_easy_strerror(cc),
			 cc == CURLE_PEER_FAILED_VERIFICATION ||
				 cc == CURLE_SSL_CONNECT_ERROR
			     ? " (the member's certificate is not the "
			       "pinned one, nor issued by the pinned CA)"
			     : "");
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	*answer = body.buf ? json_loads(body.buf, 0, NULL) : NULL;
	if (*answer && !json_is_object(*answer)) {
		json_decref(*answer);
		*answer = NULL;
	}
	rc = 0;
out:
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	free(body.buf);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	return rc;
}

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void refusal(long status, json_t *rs, char *errmsg, size_t errcap)
{
	const char *e = rs ? json_str(rs, "error") : NULL;

	snprintf(errmsg, errcap, "the cluster refused (HTTP %ld): %s", status,
		 e ? e : "no reason");
}

/* Frees a request, wiping the token it holds first. Accepts NULL. */
static void request_free(json_t *rq)
{
	json_t *t = rq ? json_object_get(rq, "token") : NULL;

	if (json_is_string(t))
		OPENSSL_cleanse((char *)json_string_value(t),
				json_string_length(t));
	json_decref(rq);
}

/* The fields common to both phases. */
static json_t *join_base(const struct join_request *req)
{
	return json_pack("{s:s, s:s, s:s, s:s}", "token", req->token, "name",
			 req->name, "raft_address", req->raft_addr,
			 "admin_address", req->admin_addr);
}

/* ---- phase 1 ---------------------------------------------------------- */

static int grant_parse(json_t *rs, struct join_grant *g, char *errmsg,
		       size_t errcap)
{
	const char *cid = json_str(rs, "cluster_id");
	const char *cname = json_str(rs, "cluster_name");
	const char *ca = json_str(rs, "ca");
	const char *kek_id = json_str(rs, "kek_id");
	const char *sealed = json_str(rs, "kek_sealed");
	json_t *nid = json_object_get(rs, "node_id");
	json_t *certs = json_object_get(rs, "certs");
	char why[256] = "";

	if (!cid || strlen(cid) != PKI_UUID_LEN || !json_is_integer(nid) ||
	    json_integer_value(nid) <= 0 || !ca || !kek_id || !sealed ||
	    !json_is_object(certs)) {
		snprintf(errmsg, errcap,
			 "the cluster's answer lacks fields (cluster_id, "
			 "node_id, ca, certs, kek_id, kek_sealed)");
		return -1;
	}
	memcpy(g->cluster_id, cid, PKI_UUID_LEN + 1);
	snprintf(g->cluster_name, sizeof g->cluster_name, "%s",
		 cname ? cname : "");
	g->node_id = (uint64_t)json_integer_value(nid);
	if (hex_decode(kek_id, g->kek_id, sizeof g->kek_id) != 0 ||
	    b64_decode(sealed, g->kek_sealed, sizeof g->kek_sealed) !=
		(long)sizeof g->kek_sealed) {
		snprintf(errmsg, errcap,
			 "the cluster's answer holds a "
			 "malformed kek_id or kek_sealed");
		return -1;
	}
	if (pki_cert_parse(ca, strlen(ca), &g->ca, why, sizeof why) != 0) {
		snprintf(errmsg, errcap, "the cluster's CA: %s", why);
		return -1;
	}
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		const char *role = pki_role_name(nodepki_roles[i]);
		const char *pem = json_str(certs, role);

		if (!pem || pki_cert_parse(pem, strlen(pem), &g->cert[i], why,
					   sizeof why) != 0) {
			snprintf(errmsg, errcap,
				 "the cluster's answer: the %s certificate: "
				 "%s",
				 role, pem ? why : "missing");
			return -1;
		}
	}
	return 0;
}

int join_request_certs(const struct join_request *req,
		       const struct join_keys *k, struct join_grant *out,
		       enum pki_key_type *want, char *errmsg, size_t errcap)
{
	json_t *rq = join_base(req), *keys = json_object(), *rs = NULL;
	char *text;
	long status;
	int rc = -1;

	memset(out, 0, sizeof *out);
	if (!rq || !keys)
		goto oom;
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		uint8_t *der = NULL;
		size_t len = 0;

		if (pki_pubkey_to_der(k->set.key[i], &der, &len) != 0)
			goto oom;
		text = b64_encode(der, len);
		free(der);
		if (!text ||
		    json_object_set_new(keys, pki_role_name(nodepki_roles[i]),
					json_string(text)) != 0) {
			free(text);
			goto oom;
		}
		free(text);
	}
	text = b64_encode(k->kex_pub, sizeof k->kex_pub);
	if (!text || json_object_set(rq, "keys", keys) != 0 ||
	    json_object_set_new(rq, "kex", json_string(text)) != 0) {
		free(text);
		goto oom;
	}
	free(text);
	if (join_post(req, "/v1/join/certs", rq, &status, &rs, errmsg,
		      errcap) != 0)
		goto out;
	if (status == 409 && json_str(rs, "key_type") &&
	    pki_key_type_parse(json_str(rs, "key_type"), want) == 0) {
		rc = JOIN_EKEYTYPE;
		goto out;
	}
	if (status != 200) {
		refusal(status, rs, errmsg, errcap);
		goto out;
	}
	if (!rs) {
		snprintf(errmsg, errcap, "the cluster's answer is not JSON");
		goto out;
	}
	rc = grant_parse(rs, out, errmsg, errcap);
	if (rc != 0)
		join_grant_clear(out);
	goto out;
oom:
	snprintf(errmsg, errcap, "out of memory");
out:
	json_decref(keys);
	request_free(rq);
	json_decref(rs);
	return rc;
}

int join_grant_check(struct join_grant *g, const struct join_pin *pin,
		     uint64_t token_node_id, const char *name,
		     struct join_keys *k, struct keystore *ks, char *errmsg,
		     size_t errcap)
{
	struct pki_cert_info info;
	char a[65], b[65];

	if (pki_cert_info(g->ca, &info, errmsg, errcap) != 0)
		return -1;
	if (!info.is_ca) {
		snprintf(errmsg, errcap,
			 "the certificate the cluster calls its CA is no CA");
		return -1;
	}
	if (pin->kind == JOIN_PIN_CA &&
	    !hex_sha256_equal(info.sha256, pin->sha256)) {
		hex_encode(info.sha256, 32, a);
		hex_encode(pin->sha256, 32, b);
		snprintf(errmsg, errcap,
			 "the cluster's CA is sha256:%s, not the one pinned "
			 "(sha256:%s)",
			 a, b);
		return -1;
	}
	if (g->node_id != token_node_id) {
		snprintf(errmsg, errcap,
			 "the cluster answered for node %llu, the token is "
			 "for node %llu",
			 (unsigned long long)g->node_id,
			 (unsigned long long)token_node_id);
		return -1;
	}
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		enum pki_role role = nodepki_roles[i];

		if (nodepki_check_issued(g->ca, g->cert[i], role, name,
					 g->cluster_id, g->node_id, errmsg,
					 errcap) != 0)
			return -1;
		if (EVP_PKEY_eq(X509_get0_pubkey(g->cert[i]), k->set.key[i]) !=
		    1) {
			snprintf(errmsg, errcap,
				 "the %s certificate the cluster issued is "
				 "for another key than this node's",
				 pki_role_name(role));
			return -1;
		}
	}
	if (keystore_kek_open(ks, k->kex, g->cluster_id, g->node_id,
			      g->kek_sealed, sizeof g->kek_sealed, g->kek_id,
			      errmsg, errcap) != 0)
		return -1;
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		X509_free(k->set.cert[i]);
		k->set.cert[i] = g->cert[i];
		g->cert[i] = NULL;
	}
	return 0;
}

int join_prepare(const struct join_request *req, uint64_t node_id,
		 const char *data_dir, const char *cert_file,
		 const char *key_file, struct join_keys *k, struct keystore *ks,
		 char cluster_id[PKI_UUID_LEN + 1], char *errmsg, size_t errcap)
{
	enum pki_key_type type = PKI_KEY_RSA2048, want = type;
	struct join_grant grant;
	int rc, held;

	for (int attempt = 0;; attempt++) {
		if (join_keys_generate(k, type, errmsg, errcap) != 0)
			return -1;
		rc = join_request_certs(req, k, &grant, &want, errmsg, errcap);
		if (rc != JOIN_EKEYTYPE)
			break;
		if (attempt > 0 || want == type) {
			snprintf(errmsg, errcap,
				 "the cluster wants %s keys and refused them",
				 pki_key_type_name(want));
			return -1;
		}
		type = want;
	}
	if (rc != 0)
		return -1;
	rc = join_grant_check(&grant, req->pin, node_id, req->name, k, ks,
			      errmsg, errcap);
	held = rc == 0;
	if (rc == 0 && keystore_kek_save(ks, errmsg, errcap) != 0)
		rc = -1;
	if (rc == 0)
		rc = nodepki_write_set(data_dir, grant.ca, &k->set, errmsg,
				       errcap);
	if (rc == 0)
		rc = nodepki_install_https(data_dir, cert_file, key_file,
					   errmsg, errcap);
	memcpy(cluster_id, grant.cluster_id, PKI_UUID_LEN + 1);
	join_grant_clear(&grant);
	if (rc != 0 && held)
		keystore_kek_release(ks);
	return rc;
}

/* ---- phase 2 ---------------------------------------------------------- */

static int put_cert_and_key(json_t *certs, json_t *keys, struct keystore *ks,
			    uint64_t node_id, const struct nodepki_set *set,
			    int i)
{
	enum pki_role role = nodepki_roles[i];
	struct store_key rec;
	uint8_t *wrapped = NULL;
	char *pem = NULL, *text = NULL;
	size_t len = 0;
	int rc = -1;

	if (pki_cert_to_pem(set->cert[i], &pem, &len) != 0 ||
	    keystore_key_wrap(ks, node_id, role, set->key[i], &rec, &wrapped) !=
		0 ||
	    !(text = b64_encode(rec.wrapped, rec.wrapped_len)))
		goto out;
	if (json_object_set_new(certs, pki_role_name(role), json_string(pem)) !=
		0 ||
	    json_object_set_new(keys, pki_role_name(role), json_string(text)) !=
		0)
		goto out;
	rc = 0;
out:
	free(text);
	free(wrapped);
	free(pem);
	return rc;
}

int join_cluster(const struct join_request *req, struct keystore *ks,
		 uint64_t node_id, const struct nodepki_set *set,
		 const uint8_t https_sha256[32], struct join_result *out,
		 char *errmsg, size_t errcap)
{
	json_t *rq = join_base(req), *rs = NULL;
	json_t *certs = json_object(), *keys = json_object();
	char fp[HEX_SHA256_TEXT_LEN];
	long status;
	int rc = -1;

	memset(out, 0, sizeof *out);
	hex_sha256_text(https_sha256, fp);
	if (!rq || !certs || !keys ||
	    json_object_set_new(rq, "https_sha256", json_string(fp)) != 0)
		goto oom;
	for (int i = 0; i < NODEPKI_ROLES; i++)
		if (put_cert_and_key(certs, keys, ks, node_id, set, i) != 0)
			goto oom;
	if (json_object_set(rq, "certs", certs) != 0 ||
	    json_object_set(rq, "keys", keys) != 0)
		goto oom;
	if (join_post(req, "/v1/join", rq, &status, &rs, errmsg, errcap) != 0)
		goto out;
	if (status != 200) {
		refusal(status, rs, errmsg, errcap);
		goto out;
	}
	{
		const char *cid = json_str(rs, "cluster_id");
		const char *cname = json_str(rs, "cluster_name");
		json_t *nid = json_object_get(rs, "node_id");

		if (!cid || strlen(cid) != 36 || !json_is_integer(nid) ||
		    json_integer_value(nid) <= 0) {
			snprintf(errmsg, errcap,
				 "the cluster answered without a cluster id");
			goto out;
		}
		memcpy(out->cluster_id, cid, 37);
		snprintf(out->cluster_name, sizeof out->cluster_name, "%s",
			 cname ? cname : "");
		out->node_id = (uint64_t)json_integer_value(nid);
	}
	rc = 0;
	goto out;
oom:
	snprintf(errmsg, errcap, "out of memory");
out:
	json_decref(certs);
	json_decref(keys);
	request_free(rq);
	json_decref(rs);
	return rc;
}
