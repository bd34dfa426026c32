/* join: one libcurl POST; the verify callback accepts exactly the pinned
 * certificate, which is the only trust a new node has in the cluster. */
#include "node/join.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "node/tlscert.h"

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

struct join_body {
	char *buf;
	size_t len;
};

static size_t join_on_data(char *p, size_t size, size_t n, void *arg)
{
	struct join_body *b = arg;
	size_t add = size * n;
	char *nb;

	if (b->len + add > 65536)
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

static int join_verify_pin(int preverify, X509_STORE_CTX *ctx)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(
		ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	const uint8_t *pin =
		ssl ? SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)) : NULL;
	X509 *leaf = X509_STORE_CTX_get_current_cert(ctx);
	uint8_t fp[32];
	unsigned int n = sizeof fp;

	(void)preverify;
	/* Only the leaf matters: the pin replaces chain validation. */
	if (X509_STORE_CTX_get_error_depth(ctx) != 0)
		return 1;
	if (!pin || !leaf || !X509_digest(leaf, EVP_sha256(), fp, &n) ||
	    CRYPTO_memcmp(fp, pin, 32) != 0)
		return 0;
	/* A self-signed leaf fails chain checks; the pin overrides them, and
	 * libcurl reads the error left behind. */
	X509_STORE_CTX_set_error(ctx, X509_V_OK);
	return 1;
}

static CURLcode join_ssl_ctx(CURL *curl, void *sslctx, void *pin)
{
	(void)curl;
	SSL_CTX_set_app_data(sslctx, pin);
	SSL_CTX_set_verify(sslctx, SSL_VERIFY_PEER, join_verify_pin);
	return CURLE_OK;
}

int join_cluster(const struct join_request *req, struct join_result *out,
		 char *errmsg, size_t errcap)
{
	struct join_body body = {0};
	struct curl_slist *hdrs = NULL;
	char url[512], fp[80];
	json_t *rq = NULL, *rs = NULL;
	char *text = NULL;
	long status = 0;
	CURLcode cc;
	CURL *curl;
	int rc = -1;

	memset(out, 0, sizeof *out);
	curl = curl_easy_init();
	if (!curl) {
		snprintf(errmsg, errcap, "out of memory");
		return -1;
	}
	tlscert_fingerprint_text(req->https_sha256, fp, sizeof fp);
	rq = json_pack("{s:s, s:s, s:s, s:s, s:s}", "token", req->token,
		       "name", req->name, "raft_address", req->raft_addr,
		       "admin_address", req->admin_addr, "https_sha256", fp);
	text = rq ? json_dumps(rq, JSON_COMPACT) : NULL;
	if (!text) {
		snprintf(errmsg, errcap, "out of memory");
		goto out;
	}
	snprintf(url, sizeof url, "%s/v1/join", req->url);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, join_on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)req->timeout_s);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	/* The pin stands in for the chain and the host name. */
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, join_ssl_ctx);
	curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, (void *)req->pin);
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		snprintf(errmsg, errcap, "%s: %s", req->url,
			 curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	rs = body.buf ? json_loads(body.buf, 0, NULL) : NULL;
	if (status != 200) {
		json_t *e = rs ? json_object_get(rs, "error") : NULL;
		snprintf(errmsg, errcap, "the cluster refused (HTTP %ld): %s",
			 status,
			 json_is_string(e) ? json_string_value(e) : "no reason");
		goto out;
	}
	{
		json_t *cid = json_object_get(rs, "cluster_id");
		json_t *cname = json_object_get(rs, "cluster_name");
		json_t *nid = json_object_get(rs, "node_id");

		if (!json_is_string(cid) ||
		    strlen(json_string_value(cid)) != 36 ||
		    !json_is_integer(nid) || json_integer_value(nid) <= 0) {
			snprintf(errmsg, errcap,
				 "the cluster answered without a cluster id");
			goto out;
		}
		memcpy(out->cluster_id, json_string_value(cid), 37);
		if (json_is_string(cname))
			snprintf(out->cluster_name, sizeof out->cluster_name,
				 "%s", json_string_value(cname));
		out->node_id = (uint64_t)json_integer_value(nid);
	}
	rc = 0;
out:
	json_decref(rq);
	json_decref(rs);
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	free(body.buf);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	return rc;
}
