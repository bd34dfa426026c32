/* json: parsing and validating request bodies, paths and query strings.
 * Each endpoint's body is described by a small table of fields; one walker
 * checks presence, type and syntax, so the rules are the same everywhere. */
#include "node/admin/admin_req.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "common/errmsg.h"

enum field_kind {
	F_NAME,	    /* [A-Za-z0-9._-]{1,63} */
	F_PASSWORD, /* 8-256 bytes, no NUL */
	F_SECRET,   /* a one-time token: printable ASCII */
	F_ADDR,	    /* host:port */
	F_HOST,	    /* host, or host:port whose port is dropped */
	F_TEXT,	    /* printable text, no control characters */
	F_SHA256,   /* sha256:HEX */
	F_BYTES,    /* base64, decoded into out (cap bytes), *len */
	F_CERT,	    /* PEM text as is, or base64 DER decoded; *len */
	F_PEM,	    /* PEM text of a certificate, NUL-terminated; *len */
	/* An object of exactly the node roles (node/nodepki.h), entry i
	 * (role nodepki_roles[i]) stored as F_BYTES or F_PEM at out + i * cap,
	 * its length in len[i]. */
	F_ROLES_BYTES,
	F_ROLES_PEM,
};

struct field {
	const char *key;
	enum field_kind kind;
	int required;
	void *out;
	size_t cap;
	size_t *len; /* F_PASSWORD, F_BYTES, F_CERT, F_PEM: receives the
			length; F_ROLES_*: NODEPKI_ROLES lengths */
};

int admin_text_printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/* F_BYTES and F_CERT: what the bytes are is judged later (pki_cert_parse,
 * trustlist_parse); here only the transport encoding. */
static int field_bytes(const struct field *f, const char *s, size_t n,
		       char *errmsg, size_t errcap)
{
	long got;

	if (f->kind == F_CERT && memmem(s, n, "-----BEGIN", 10)) {
		if (n > f->cap) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\": more than %zu bytes", f->key,
				   f->cap);
			return 413;
		}
		memcpy(f->out, s, n);
		*f->len = n;
		return 0;
	}
	got = admin_b64_decode_loose(s, n, f->out, f->cap);
	if (got < 0 && n / 4 * 3 > f->cap + 3) {
		errmsg_set(errmsg, errcap,
			   "field \"%s\": more than %zu bytes once decoded",
			   f->key, f->cap);
		return 413;
	}
	if (got <= 0) {
		errmsg_set(errmsg, errcap,
			   f->kind == F_CERT
			       ? "field \"%s\": neither PEM text nor base64 of "
				 "DER"
			       : "field \"%s\": expected base64 (standard "
				 "alphabet, padded)",
			   f->key);
		return 400;
	}
	*f->len = (size_t)got;
	return 0;
}

/* PEM wraps lines: printable text, line breaks and tabs. */
static int text_pem(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') ||
		    c == 0x7f)
			return 0;
	}
	return 1;
}

static int field_pem(const struct field *f, const char *s, size_t n,
		     char *errmsg, size_t errcap)
{
	static const char begin[] = "-----BEGIN CERTIFICATE-----";

	if (n >= f->cap) {
		errmsg_set(errmsg, errcap, "field \"%s\": more than %zu bytes",
			   f->key, f->cap - 1);
		return 413;
	}
	if (!text_pem(s, n) || !memmem(s, n, begin, sizeof begin - 1)) {
		errmsg_set(errmsg, errcap,
			   "field \"%s\": expected a certificate in PEM",
			   f->key);
		return 400;
	}
	memcpy(f->out, s, n);
	((char *)f->out)[n] = '\0';
	*f->len = n;
	return 0;
}

static int field_store(const struct field *f, const char *s, size_t n,
		       char *errmsg, size_t errcap)
{
	char host[STORE_ADDR_MAX];
	unsigned port;

	switch (f->kind) {
	case F_BYTES:
	case F_CERT:
		return field_bytes(f, s, n, errmsg, errcap);
	case F_PEM:
		return field_pem(f, s, n, errmsg, errcap);
	case F_PASSWORD:
		if (n < ADMIN_PASSWORD_MIN || n > ADMIN_PASSWORD_MAX ||
		    memchr(s, '\0', n)) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\": a password is %d to %d bytes",
				   f->key, ADMIN_PASSWORD_MIN,
				   ADMIN_PASSWORD_MAX);
			return 400;
		}
		memcpy(f->out, s, n);
		((char *)f->out)[n] = '\0';
		*f->len = n;
		return 0;
	case F_SHA256:
		if (n > 200 || memchr(s, '\0', n) ||
		    admin_sha256_parse(s, f->out) != 0) {
			errmsg_set(
			    errmsg, errcap,
			    "field \"%s\": expected sha256:<64 hex digits>",
			    f->key);
			return 400;
		}
		return 0;
	default:
		break;
	}
	if (n >= f->cap || memchr(s, '\0', n) || !admin_text_printable(s, n)) {
		errmsg_set(errmsg, errcap,
			   "field \"%s\": too long or not printable text",
			   f->key);
		return 400;
	}
	switch (f->kind) {
	case F_NAME:
		if (!admin_name_valid(s)) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\": a name is 1-63 characters of "
				   "A-Z a-z 0-9 . _ -",
				   f->key);
			return 400;
		}
		break;
	case F_SECRET:
		if (n == 0) {
			errmsg_set(errmsg, errcap, "field \"%s\" is empty",
				   f->key);
			return 400;
		}
		break;
	case F_ADDR:
		if (!addr_valid(s, 0)) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\": expected host:port", f->key);
			return 400;
		}
		break;
	case F_HOST:
		if (addr_split(s, ADDR_PORT_OPTIONAL, host, sizeof host,
			       &port) != 0) {
			errmsg_set(
			    errmsg, errcap,
			    "field \"%s\": expected a host name or address",
			    f->key);
			return 400;
		}
		snprintf(f->out, f->cap, "%s", host);
		return 0;
	default:
		break;
	}
	memcpy(f->out, s, n);
	((char *)f->out)[n] = '\0';
	return 0;
}

static int role_index(const char *name)
{
	for (int i = 0; i < NODEPKI_ROLES; i++)
		if (strcmp(pki_role_name(nodepki_roles[i]), name) == 0)
			return i;
	return -1;
}

/* F_ROLES_*: every key a node role, every role there, every value a
 * string of the element kind. */
static int field_roles(const struct field *f, json_t *obj, char *errmsg,
		       size_t errcap)
{
	const char *key;
	json_t *val;

	if (!json_is_object(obj)) {
		errmsg_set(errmsg, errcap,
			   "field \"%s\" must be an object keyed by role",
			   f->key);
		return 400;
	}
	json_object_foreach(obj, key, val)
	{
		if (role_index(key) < 0) {
			errmsg_set(
			    errmsg, errcap,
			    "field \"%s\": unknown role \"%.32s\" (a node's "
			    "roles: https, callmanager, tftp, capf, ipsec, "
			    "node)",
			    f->key, key);
			return 400;
		}
	}
	for (int i = 0; i < NODEPKI_ROLES; i++) {
		const char *role = pki_role_name(nodepki_roles[i]);
		char sub[64];
		struct field e = {
		    .key = sub,
		    .kind = f->kind == F_ROLES_PEM ? F_PEM : F_BYTES,
		    .required = 1,
		    .out = (uint8_t *)f->out + (size_t)i * f->cap,
		    .cap = f->cap,
		    .len = &f->len[i],
		};
		int rc;

		snprintf(sub, sizeof sub, "%s.%s", f->key, role);
		val = json_object_get(obj, role);
		if (!val) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\": the %s entry is missing",
				   f->key, role);
			return 400;
		}
		if (!json_is_string(val)) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\" must be a string", sub);
			return 400;
		}
		rc = field_store(&e, json_string_value(val),
				 json_string_length(val), errmsg, errcap);
		if (rc)
			return rc;
	}
	return 0;
}

/* Tokens and passwords passed through jansson's buffers. */
static void json_wipe(json_t *obj)
{
	const char *key;
	json_t *val;

	json_object_foreach(obj, key, val)
	{
		if (json_is_string(val))
			OPENSSL_cleanse((char *)json_string_value(val),
					json_string_length(val));
		else if (json_is_object(val))
			json_wipe(val);
	}
}

int admin_req_object(const void *body, size_t len, json_t **root, char *errmsg,
		     size_t errcap)
{
	json_error_t jerr;

	*root = NULL;
	if (len > ADMIN_BODY_MAX) {
		errmsg_set(errmsg, errcap, "body larger than %u bytes",
			   ADMIN_BODY_MAX);
		return 413;
	}
	*root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*root) {
		errmsg_set(errmsg, errcap,
			   "malformed JSON at line %d column %d: %s", jerr.line,
			   jerr.column, jerr.text);
		return 400;
	}
	if (!json_is_object(*root)) {
		errmsg_set(errmsg, errcap, "the body must be a JSON object");
		json_decref(*root);
		*root = NULL;
		return 400;
	}
	return 0;
}

static int parse_fields(const void *body, size_t len, int empty_ok,
			const struct field *fields, size_t nf, char *errmsg,
			size_t errcap)
{
	json_t *root;
	const char *key;
	json_t *val;
	int rc = 0;

	if (len == 0 && empty_ok)
		return 0;
	if (len == 0) {
		errmsg_set(errmsg, errcap, "a JSON object body is required");
		return 400;
	}
	if ((rc = admin_req_object(body, len, &root, errmsg, errcap)))
		return rc;
	json_object_foreach(root, key, val)
	{
		size_t i;

		for (i = 0; i < nf; i++)
			if (strcmp(fields[i].key, key) == 0)
				break;
		if (i == nf) {
			errmsg_set(errmsg, errcap, "unknown field \"%.64s\"",
				   key);
			rc = 400;
			goto out;
		}
	}
	for (size_t i = 0; i < nf; i++) {
		const struct field *f = &fields[i];

		val = json_object_get(root, f->key);
		if (!val) {
			if (!f->required)
				continue;
			errmsg_set(errmsg, errcap, "missing field \"%s\"",
				   f->key);
			rc = 400;
			goto out;
		}
		if (f->kind == F_ROLES_BYTES || f->kind == F_ROLES_PEM) {
			rc = field_roles(f, val, errmsg, errcap);
			if (rc)
				goto out;
			continue;
		}
		if (!json_is_string(val)) {
			errmsg_set(errmsg, errcap,
				   "field \"%s\" must be a string", f->key);
			rc = 400;
			goto out;
		}
		rc = field_store(f, json_string_value(val),
				 json_string_length(val), errmsg, errcap);
		if (rc)
			goto out;
	}
out:
	json_wipe(root);
	json_decref(root);
	return rc;
}

#define NF(a) (sizeof(a) / sizeof((a)[0]))

int admin_req_parse_init(const void *body, size_t len,
			 struct admin_req_init *out, char *errmsg,
			 size_t errcap)
{
	const struct field f[] = {
	    {"token", F_SECRET, 1, out->token, sizeof out->token, NULL},
	    {"cluster_name", F_NAME, 1, out->cluster_name,
	     sizeof out->cluster_name, NULL},
	    {"admin", F_NAME, 1, out->admin, sizeof out->admin, NULL},
	    {"password", F_PASSWORD, 1, out->password, sizeof out->password,
	     &out->password_len},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
}

int admin_req_parse_node_add(const void *body, size_t len,
			     struct admin_req_node_add *out, char *errmsg,
			     size_t errcap)
{
	const struct field f[] = {
	    {"name", F_NAME, 1, out->name, sizeof out->name, NULL},
	    {"address", F_HOST, 1, out->host, sizeof out->host, NULL},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
}

int admin_req_parse_join(const void *body, size_t len,
			 struct admin_req_join *out,
			 struct admin_req_join_pki *pki, char *errmsg,
			 size_t errcap)
{
	const struct field f[] = {
	    {"token", F_SECRET, 1, out->token, sizeof out->token, NULL},
	    {"name", F_NAME, 1, out->name, sizeof out->name, NULL},
	    {"raft_address", F_ADDR, 1, out->raft_address,
	     sizeof out->raft_address, NULL},
	    {"admin_address", F_ADDR, 1, out->admin_address,
	     sizeof out->admin_address, NULL},
	    {"https_sha256", F_SHA256, 1, out->https_sha256, 32, NULL},
	    {"certs", F_ROLES_PEM, 0, pki->cert, sizeof pki->cert[0],
	     pki->cert_len},
	    {"keys", F_ROLES_BYTES, 0, pki->key, sizeof pki->key[0],
	     pki->key_len},
	};
	int rc;

	memset(out, 0, sizeof *out);
	memset(pki, 0, sizeof *pki);
	rc = parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
	/* A role's entry is never empty, so a first length says it all. */
	pki->has_certs = rc == 0 && pki->cert_len[0] > 0;
	pki->has_keys = rc == 0 && pki->key_len[0] > 0;
	return rc;
}

int admin_req_parse_join_certs(const void *body, size_t len,
			       struct admin_req_join *out,
			       struct admin_req_join_ask *ask, char *errmsg,
			       size_t errcap)
{
	/* Room for more than a key, so that a wrong length is a 400 that
	 * says so and not a 413. */
	uint8_t kex[2 * PKI_X25519_LEN];
	size_t kex_len = 0;
	const struct field f[] = {
	    {"token", F_SECRET, 1, out->token, sizeof out->token, NULL},
	    {"name", F_NAME, 1, out->name, sizeof out->name, NULL},
	    {"raft_address", F_ADDR, 1, out->raft_address,
	     sizeof out->raft_address, NULL},
	    {"admin_address", F_ADDR, 1, out->admin_address,
	     sizeof out->admin_address, NULL},
	    {"keys", F_ROLES_BYTES, 1, ask->key, sizeof ask->key[0],
	     ask->key_len},
	    {"kex", F_BYTES, 1, kex, sizeof kex, &kex_len},
	};
	int rc;

	memset(out, 0, sizeof *out);
	memset(ask, 0, sizeof *ask);
	rc = parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
	if (rc == 0 && kex_len != PKI_X25519_LEN) {
		errmsg_set(errmsg, errcap,
			   "field \"kex\": expected an X25519 public key (%d "
			   "bytes) in base64",
			   PKI_X25519_LEN);
		rc = 400;
	}
	if (rc == 0)
		memcpy(ask->kex, kex, PKI_X25519_LEN);
	return rc;
}

int admin_req_parse_transfer(const void *body, size_t len,
			     struct admin_req_transfer *out, char *errmsg,
			     size_t errcap)
{
	const struct field f[] = {
	    {"node", F_NAME, 0, out->node, sizeof out->node, NULL},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 1, f, NF(f), errmsg, errcap);
}

int admin_req_parse_param(const void *body, size_t len,
			  struct admin_req_param *out, char *errmsg,
			  size_t errcap)
{
	const struct field f[] = {
	    {"value", F_TEXT, 1, out->value, sizeof out->value, NULL},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
}

int admin_req_parse_admin_add(const void *body, size_t len,
			      struct admin_req_admin *out, char *errmsg,
			      size_t errcap)
{
	const struct field f[] = {
	    {"name", F_NAME, 1, out->name, sizeof out->name, NULL},
	    {"password", F_PASSWORD, 1, out->password, sizeof out->password,
	     &out->password_len},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
}

int admin_req_parse_password(const void *body, size_t len,
			     struct admin_req_admin *out, char *errmsg,
			     size_t errcap)
{
	const struct field f[] = {
	    {"password", F_PASSWORD, 1, out->password, sizeof out->password,
	     &out->password_len},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
}

int admin_req_parse_trust(const void *body, size_t len,
			  struct admin_req_trust *out, char *errmsg,
			  size_t errcap)
{
	const struct field f[] = {
	    {"category", F_NAME, 1, out->category, sizeof out->category, NULL},
	    {"cert", F_CERT, 1, out->cert, sizeof out->cert, &out->cert_len},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
}

int admin_req_parse_token(const void *body, size_t len,
			  struct admin_req_token *out, char *errmsg,
			  size_t errcap)
{
	const struct field f[] = {
	    {"label", F_TEXT, 1, out->label, sizeof out->label, NULL},
	    {"cert", F_CERT, 1, out->cert, sizeof out->cert, &out->cert_len},
	};
	int rc;

	memset(out, 0, sizeof *out);
	rc = parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
	if (rc == 0 && !out->label[0]) {
		errmsg_set(errmsg, errcap, "field \"label\" is empty");
		rc = 400;
	}
	return rc;
}

int admin_req_parse_ctl(const void *body, size_t len, struct admin_req_ctl *out,
			char *errmsg, size_t errcap)
{
	const struct field f[] = {
	    {"file", F_BYTES, 1, out->file, sizeof out->file, &out->file_len},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
}

int admin_req_parse_mode(const void *body, size_t len,
			 struct admin_req_mode *out, char *errmsg,
			 size_t errcap)
{
	const struct field f[] = {
	    {"mode", F_NAME, 1, out->mode, sizeof out->mode, NULL},
	};

	memset(out, 0, sizeof *out);
	return parse_fields(body, len, 0, f, NF(f), errmsg, errcap);
}

/* Finds KEY=VALUE in a query string; VALUE into out. 1 found, 0 not. */
static int query_get(const char *query, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key);
	const char *p = query;

	while (p && *p) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);

		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t vlen = n - klen - 1;

			if (vlen >= cap)
				vlen = cap - 1;
			memcpy(out, p + klen + 1, vlen);
			out[vlen] = '\0';
			return 1;
		}
		if (n == klen && strncmp(p, key, klen) == 0) {
			out[0] = '\0';
			return 1;
		}
		p = amp ? amp + 1 : NULL;
	}
	return 0;
}

int admin_query_value(const char *query, const char *key, char *out, size_t cap)
{
	return query ? query_get(query, key, out, cap) : 0;
}

int admin_query_consistent(const char *query)
{
	char v[8];

	if (!query || !query_get(query, "consistent", v, sizeof v))
		return 0;
	return strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
}

long admin_query_limit(const char *query, long def, long max)
{
	char v[24];
	long n = 0;

	if (!query || !query_get(query, "limit", v, sizeof v))
		return def;
	if (!v[0] || strlen(v) > 9)
		return -1;
	for (const char *p = v; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (n < 1)
		n = 1;
	return n > max ? max : n;
}

int admin_path_split(const char *path, char segs[][ADMIN_NAME_MAX + 1], int max)
{
	const char *p = path;
	int n = 0;

	if (!path || *p != '/')
		return -1;
	p++;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (len == 0 || len > ADMIN_NAME_MAX || n == max)
			return -1;
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];

			if (!isalnum(c) && c != '.' && c != '_' && c != '-')
				return -1;
		}
		memcpy(segs[n], p, len);
		segs[n][len] = '\0';
		n++;
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}
