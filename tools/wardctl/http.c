/* http: one libcurl easy handle per call — wardctl makes one or two calls a
 * run, so nothing is kept between them. */
#include "tools/wardctl/http.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/http_reason.h"
#include "tools/wardctl/creds.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/pin.h"
#include "tools/wardctl/wardctl.h"

int http_status_exit(long status)
{
	if (status >= 200 && status < 300)
		return WARDCTL_OK;
	if (status == 401)
		return WARDCTL_EAUTH;
	if (status >= 400 && status < 500)
		return WARDCTL_EREFUSED;
	return WARDCTL_EUNAVAILABLE;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

char *http_path(const char *prefix, const char *name, const char *suffix)
{
	static const char hex[] = "0123456789ABCDEF";
	/* "." and ".." would be read as the dot segments of the path. */
	bool dots = strspn(name, ".") == strlen(name);
	size_t cap = strlen(prefix) + 3 * strlen(name) + strlen(suffix) + 8;
	char *s = malloc(cap);
	char *p;

	if (!s)
		return NULL;
	p = s + snprintf(s, cap, "/v1/%s/", prefix);
	for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
		if (unreserved(*c) && !dots) {
			*p++ = (char)*c;
		} else {
			*p++ = '%';
			*p++ = hex[*c >> 4];
			*p++ = hex[*c & 15];
		}
	}
	strcpy(p, suffix);
	return s;
}

struct answer_buf {
	char *data; /* owned */
	size_t len;
	bool too_big;
};

static size_t answer_write(char *data, size_t size, size_t n, void *arg)
{
	struct answer_buf *b = arg;
	size_t add = size * n;
	char *p;

	if (add > HTTP_MAX_ANSWER - b->len) {
		b->too_big = true;
		return 0; /* aborts the transfer */
	}
	p = realloc(b->data, b->len + add + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, data, add);
	b->len += add;
	p[b->len] = '\0';
	b->data = p;
	return add;
}

static void status_error_print(struct wardctl *ctx, CURL *curl, long status,
			       const json_t *doc, enum http_auth auth)
{
	const char *reason = http_reason_phrase(
	    status >= 100 && status <= 599 ? (int)status : 0);
	const char *msg = out_str(doc, "error");
	char *location = NULL;
	char clean[512];

	if (status >= 300 && status < 400) {
		curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location);
		wardctl_errorf(
		    ctx,
		    "the server redirects to %s; wardctl follows "
		    "no redirects (HTTP %ld)",
		    out_clean(clean, sizeof clean, location ? location : "?"),
		    status);
		return;
	}
	if (status == 401 && auth == HTTP_AUTH_BASIC) {
		wardctl_errorf(ctx,
			       "authentication failed for admin %s (HTTP 401)",
			       out_clean(clean, sizeof clean, ctx->user));
		return;
	}
	if (msg)
		wardctl_errorf(ctx, "%s (HTTP %ld%s%s)",
			       out_clean(clean, sizeof clean, msg), status,
			       *reason ? " " : "", reason);
	else
		wardctl_errorf(ctx, "the server answered HTTP %ld%s%s", status,
			       *reason ? " " : "", reason);
}

static int transport_error_print(struct wardctl *ctx, CURLcode cc,
				 const char *errbuf,
				 const struct answer_buf *ans,
				 const struct tlspin_check *check)
{
	const char *detail = *errbuf ? errbuf : curl_easy_strerror(cc);
	char fp[PIN_TEXT_LEN];

	if (check->seen)
		pin_format(check->seen_fp, fp);
	if (ans->too_big) {
		wardctl_errorf(ctx, "the answer is larger than %u bytes",
			       HTTP_MAX_ANSWER);
		return WARDCTL_EUNAVAILABLE;
	}
	if (check->refused && check->pin.kind == TLSPIN_CA) {
		wardctl_errorf(ctx,
			       "the server's certificate %s is not issued by "
			       "the CA of the fingerprint given",
			       fp);
		return WARDCTL_EUNREACHABLE;
	}
	if (check->refused) {
		wardctl_errorf(ctx,
			       "the server's certificate %s does not match "
			       "the fingerprint given",
			       fp);
		return WARDCTL_EUNREACHABLE;
	}
	if (cc == CURLE_SSL_CACERT_BADFILE) {
		wardctl_errorf(ctx, "cannot use the CA file %s: %s",
			       ctx->cacert ? ctx->cacert : "(system)", detail);
		return WARDCTL_EUSAGE;
	}
	if (cc == CURLE_PEER_FAILED_VERIFICATION) {
		wardctl_errorf(
		    ctx, "the server's certificate is not trusted: %s", detail);
		if (check->seen && check->pin.kind == TLSPIN_NONE)
			fprintf(
			    ctx->err,
			    "wardctl: it presented %s; once checked to "
			    "be the node's own, pin it with --fingerprint\n",
			    fp);
		return WARDCTL_EUNREACHABLE;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		wardctl_errorf(ctx, "no answer from %.*s within %ld s",
			       (int)ctx->url_len, ctx->url, ctx->timeout_s);
		return WARDCTL_EUNREACHABLE;
	}
	wardctl_errorf(ctx, "cannot reach %.*s: %s", (int)ctx->url_len,
		       ctx->url, detail);
	return WARDCTL_EUNREACHABLE;
}

/* With neither --cacert nor a pin: the system's CAs and the host name, as
 * any HTTPS client. With a pin alone (--fingerprint or --ca-fingerprint):
 * the pin instead of both. With --cacert and a pin: all three. Never
 * nothing. */
static int tls_setup(struct wardctl *ctx, CURL *curl,
		     struct tlspin_check *check)
{
	bool pinned = ctx->have_pin || ctx->have_ca_pin;
	bool chain = !pinned || ctx->cacert;

	if (ctx->have_pin) {
		check->pin.kind = TLSPIN_LEAF;
		memcpy(check->pin.sha256, ctx->pin, sizeof ctx->pin);
	} else if (ctx->have_ca_pin) {
		check->pin.kind = TLSPIN_CA;
		memcpy(check->pin.sha256, ctx->ca_pin, sizeof ctx->ca_pin);
	}
	check->chain = chain;
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, chain ? 1L : 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, chain ? 2L : 0L);
	if (ctx->cacert) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, ctx->cacert);
		curl_easy_setopt(curl, CURLOPT_CAPATH, NULL);
	}
	/* A resumed session skips certificate verification: never resume. */
	curl_easy_setopt(curl, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	if (curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION,
			     pin_curl_ssl_ctx) != CURLE_OK ||
	    curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, check) != CURLE_OK) {
		if (!pinned)
			return WARDCTL_OK; /* only the recording is lost */
		wardctl_errorf(ctx, "this libcurl cannot pin a certificate "
				    "(its TLS library is not OpenSSL)");
		return WARDCTL_EUSAGE;
	}
	return WARDCTL_OK;
}

static char *url_make(const struct wardctl *ctx, const char *method,
		      const char *path)
{
	const char *extra = "";
	char *url;

	if (ctx->consistent && strcmp(method, "GET") == 0)
		extra = strchr(path, '?') ? "&consistent=1" : "?consistent=1";
	if (asprintf(&url, "%.*s%s%s", (int)ctx->url_len, ctx->url, path,
		     extra) < 0)
		return NULL;
	return url;
}

int http_call(struct wardctl *ctx, const char *method, const char *path,
	      const json_t *body, enum http_auth auth, json_t **answer)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	char timeout_hdr[48];
	struct answer_buf ans = {0};
	struct tlspin_check check = {0};
	struct curl_slist *hdrs = NULL, *h;
	char *url = NULL, *req = NULL;
	json_t *doc = NULL;
	CURL *curl = NULL;
	long status = 0;
	CURLcode cc;
	int rc;

	*answer = NULL;
	if (auth == HTTP_AUTH_BASIC && (rc = creds_password_load(ctx)) != 0)
		return rc;
	rc = WARDCTL_EUNREACHABLE;
	url = url_make(ctx, method, path);
	curl = curl_easy_init();
	hdrs = curl_slist_append(NULL, "Accept: application/json");
	/* No "Expect: 100-continue" round trip before a body. */
	h = hdrs ? curl_slist_append(hdrs, "Expect:") : NULL;
	/* A follower relaying to the leader gives up before we do, and says
	 * why, rather than leave us to time out. */
	snprintf(timeout_hdr, sizeof timeout_hdr, "X-Ward-Timeout: %ld",
		 ctx->timeout_s);
	h = h ? curl_slist_append(h, timeout_hdr) : NULL;
	if (body) {
		req = json_dumps(body, JSON_COMPACT);
		h = h ? curl_slist_append(h, "Content-Type: application/json")
		      : NULL;
	}
	if (!url || !curl || !h || (body && !req)) {
		wardctl_errorf(ctx, "out of memory");
		goto cleanup;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, ctx->timeout_s);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "wardctl");
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, answer_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ans);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (req) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
				 (long)strlen(req));
	}
	if (auth == HTTP_AUTH_BASIC) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, ctx->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, ctx->password);
	}
	if ((rc = tls_setup(ctx, curl, &check)) != 0)
		goto cleanup;
	cc = curl_easy_perform(curl);
	if (check.seen) {
		ctx->have_peer_fp = true;
		memcpy(ctx->peer_fp, check.seen_fp, sizeof ctx->peer_fp);
	}
	if (cc != CURLE_OK) {
		rc = transport_error_print(ctx, cc, errbuf, &ans, &check);
		goto cleanup;
	}
	if ((ctx->have_pin || ctx->have_ca_pin) && !check.seen) {
		/* Fail closed if the hook never ran. */
		wardctl_errorf(ctx, "the server's certificate was not checked");
		rc = WARDCTL_EUNREACHABLE;
		goto cleanup;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (ans.len > 0)
		doc = json_loadb(ans.data, ans.len, 0, NULL);
	rc = http_status_exit(status);
	if (rc != WARDCTL_OK) {
		status_error_print(ctx, curl, status, doc, auth);
	} else if (!json_is_object(doc)) {
		wardctl_errorf(ctx,
			       "the server's answer is not a JSON object "
			       "(HTTP %ld)",
			       status);
		rc = WARDCTL_EUNAVAILABLE;
	} else {
		*answer = doc;
		doc = NULL;
	}
cleanup:
	json_decref(doc);
	free(ans.data);
	if (req)
		OPENSSL_cleanse(req, strlen(req)); /* may hold a password */
	free(req);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	free(url);
	return rc;
}
