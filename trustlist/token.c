/* token: PKCS#11 tokens through libp11 (see token.h).
 *
 * Measured with libp11 0.4.12 and OpenSSL 3.0: PKCS11_get_private_key()
 * returns a new reference to an EVP_PKEY carrying libp11's RSA or EC
 * method; OpenSSL treats it as a "foreign" legacy key and routes
 * EVP_DigestSign* to that method, which signs with C_Sign in the token. No
 * engine and no provider are needed. The key calls back into the slot
 * objects, so the module, the slot list and the key live and die together
 * in struct trustlist_token.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/types.h>
#include <openssl/x509.h>

/* libp11.h names these two types in prototypes ward never calls;
 * OPENSSL_NO_DEPRECATED hides their typedefs, so name the incomplete
 * types here rather than lift the flag for this file. */
typedef struct rsa_meth_st RSA_METHOD;
typedef struct ec_key_method_st EC_KEY_METHOD;
#include <libp11.h>

#include "trustlist/internal.h"
#include "trustlist/token.h"

/* PKCS#11 return values for PIN failures (pkcs11t.h); libp11 reports them
 * as the reason of an error in its CKR library. */
#define TOKEN_CKR_PIN_INCORRECT 0xa0
#define TOKEN_CKR_PIN_INVALID 0xa1
#define TOKEN_CKR_PIN_LEN_RANGE 0xa2
#define TOKEN_CKR_PIN_EXPIRED 0xa3
#define TOKEN_CKR_PIN_LOCKED 0xa4

struct trustlist_token {
	PKCS11_CTX *ctx;    /* owned */
	PKCS11_SLOT *slots; /* owned, n_slots */
	unsigned int n_slots;
	EVP_PKEY *key; /* owned reference; NULL without login */
	uint8_t *cert; /* owned, DER */
	size_t cert_len;
	struct trustlist_token_info info;
};

static void copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	memcpy(dst, src ? src : "", n);
	while (n > 0 && dst[n - 1] == ' ')
		n--;
	dst[n] = 0;
}

static void fill_info(struct trustlist_token_info *info,
		      const PKCS11_TOKEN *tok)
{
	copy_field(info->label, sizeof info->label, tok->label);
	copy_field(info->serial, sizeof info->serial, tok->serialnr);
	copy_field(info->manufacturer, sizeof info->manufacturer,
		   tok->manufacturer);
	copy_field(info->model, sizeof info->model, tok->model);
}

/* The last OpenSSL/libp11 error as text, and the queue cleared. */
static const char *last_error(char *buf, size_t cap)
{
	unsigned long e = ERR_peek_last_error();

	buf[0] = 0;
	if (e)
		ERR_error_string_n(e, buf, cap);
	ERR_clear_error();
	return buf[0] ? buf : "no detail";
}

/* Modules in use in this process. libp11 finalizes a module (C_Finalize)
 * when its context is unloaded, and closes every session of every slot
 * when its slot list is released — which would log out and cut the key of
 * any other handle on that module. So a module serves one handle at a
 * time, and a second open says so instead of breaking the first. */
struct module_ref {
	char *path;	 /* owned */
	PKCS11_CTX *ctx; /* owned */
	struct module_ref *next;
};

static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static struct module_ref *modules;

static int module_get(const char *path, PKCS11_CTX **ctx, char *errmsg,
		      size_t errcap)
{
	struct module_ref *m;
	char why[160];
	int rc;

	pthread_mutex_lock(&modules_lock);
	for (m = modules; m; m = m->next)
		if (strcmp(m->path, path) == 0)
			break;
	if (m) {
		pthread_mutex_unlock(&modules_lock);
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "PKCS#11 module %s is already in use in this "
			      "process: close its token first",
			      path);
	}
	if ((m = calloc(1, sizeof *m)) == NULL ||
	    (m->path = strdup(path)) == NULL ||
	    (m->ctx = PKCS11_CTX_new()) == NULL) {
		rc = tl_err(TRUSTLIST_ENOMEM, errmsg, errcap, "out of memory");
		goto err_after_alloc;
	}
	if (PKCS11_CTX_load(m->ctx, path) != 0) {
		rc = tl_err(TRUSTLIST_ETOKEN, errmsg, errcap,
			    "cannot load PKCS#11 module %s (%s)", path,
			    last_error(why, sizeof why));
		goto err_after_alloc;
	}
	m->next = modules;
	modules = m;
	*ctx = m->ctx;
	pthread_mutex_unlock(&modules_lock);
	return 0;

err_after_alloc:
	if (m) {
		PKCS11_CTX_free(m->ctx);
		free(m->path);
		free(m);
	}
	pthread_mutex_unlock(&modules_lock);
	return rc;
}

static void module_put(PKCS11_CTX *ctx)
{
	struct module_ref **pm, *m;

	pthread_mutex_lock(&modules_lock);
	for (pm = &modules; (m = *pm) != NULL; pm = &m->next)
		if (m->ctx == ctx)
			break;
	if (m) {
		*pm = m->next;
		PKCS11_CTX_unload(m->ctx);
		PKCS11_CTX_free(m->ctx);
		free(m->path);
		free(m);
	}
	pthread_mutex_unlock(&modules_lock);
	ERR_clear_error();
}

static int load(const char *module, PKCS11_CTX **ctx, PKCS11_SLOT **slots,
		unsigned int *n, char *errmsg, size_t errcap)
{
	char why[160], path[PATH_MAX];
	int rc;

	if (module == NULL || module[0] == 0)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "no PKCS#11 module given");
	/* Resolved here so that one module has one name in the registry,
	 * and so that a missing file gets a message naming the cause instead
	 * of libp11 printing dlopen()'s complaint on stderr. */
	if (realpath(module, path) == NULL || access(path, R_OK) != 0)
		return tl_err(TRUSTLIST_ETOKEN, errmsg, errcap,
			      "cannot load PKCS#11 module %s (%s)", module,
			      strerror(errno));
	*ctx = NULL;
	if ((rc = module_get(path, ctx, errmsg, errcap)))
		return rc;
	*slots = NULL;
	*n = 0;
	if (PKCS11_enumerate_slots(*ctx, slots, n) != 0) {
		last_error(why, sizeof why);
		module_put(*ctx);
		*ctx = NULL;
		return tl_err(TRUSTLIST_ETOKEN, errmsg, errcap,
			      "cannot list the slots of %s (%s)", module, why);
	}
	return 0;
}

static void unload(PKCS11_CTX *ctx, PKCS11_SLOT *slots, unsigned int n)
{
	if (ctx == NULL)
		return;
	if (slots)
		PKCS11_release_all_slots(ctx, slots, n);
	module_put(ctx);
}

static int usable(const PKCS11_SLOT *s)
{
	return s->token != NULL && s->token->initialized;
}

int trustlist_token_list(const char *module, struct trustlist_token_info **out,
			 size_t *n, char *errmsg, size_t errcap)
{
	PKCS11_CTX *ctx;
	PKCS11_SLOT *slots;
	unsigned int nslots;
	size_t count = 0;
	int rc;

	if (out == NULL || n == NULL)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "missing argument");
	*out = NULL;
	*n = 0;
	if ((rc = load(module, &ctx, &slots, &nslots, errmsg, errcap)))
		return rc;
	for (unsigned int i = 0; i < nslots; i++)
		count += usable(&slots[i]);
	if (count && (*out = calloc(count, sizeof **out)) == NULL) {
		unload(ctx, slots, nslots);
		return tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			      "out of memory");
	}
	for (unsigned int i = 0; i < nslots; i++)
		if (usable(&slots[i]))
			fill_info(&(*out)[(*n)++], slots[i].token);
	unload(ctx, slots, nslots);
	return 0;
}

/* "tokA, tokB" or "none", for the not-found message. */
static void present_labels(const PKCS11_SLOT *slots, unsigned int n, char *buf,
			   size_t cap)
{
	size_t o = 0;

	buf[0] = 0;
	for (unsigned int i = 0; i < n && o + 1 < cap; i++) {
		struct trustlist_token_info info;

		if (!usable(&slots[i]))
			continue;
		fill_info(&info, slots[i].token);
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", o ? ", " : "",
				      info.label);
	}
	if (buf[0] == 0)
		snprintf(buf, cap, "none");
}

static PKCS11_SLOT *find_slot(PKCS11_SLOT *slots, unsigned int n,
			      const char *label)
{
	for (unsigned int i = 0; i < n; i++) {
		struct trustlist_token_info info;

		if (!usable(&slots[i]))
			continue;
		fill_info(&info, slots[i].token);
		if (strcmp(info.label, label) == 0)
			return &slots[i];
	}
	return NULL;
}

static int login(PKCS11_SLOT *slot, char *pin, const char *label, char *errmsg,
		 size_t errcap)
{
	unsigned long e;
	char why[160];
	int rc;

	rc = PKCS11_login(slot, 0, pin);
	OPENSSL_cleanse(pin, strlen(pin));
	if (rc == 0)
		return 0;
	e = ERR_peek_last_error();
	last_error(why, sizeof why);
	if (ERR_GET_LIB(e) == ERR_get_CKR_code()) {
		switch (ERR_GET_REASON(e)) {
		case TOKEN_CKR_PIN_INCORRECT:
			return tl_err(TRUSTLIST_EPIN, errmsg, errcap,
				      "wrong PIN for token %s", label);
		case TOKEN_CKR_PIN_INVALID:
		case TOKEN_CKR_PIN_LEN_RANGE:
			return tl_err(TRUSTLIST_EPIN, errmsg, errcap,
				      "token %s refuses the PIN as invalid "
				      "(characters or length)",
				      label);
		case TOKEN_CKR_PIN_EXPIRED:
			return tl_err(TRUSTLIST_EPIN, errmsg, errcap,
				      "the PIN of token %s has expired", label);
		case TOKEN_CKR_PIN_LOCKED:
			return tl_err(TRUSTLIST_EPIN, errmsg, errcap,
				      "the PIN of token %s is locked", label);
		}
	}
	return tl_err(TRUSTLIST_ETOKEN, errmsg, errcap,
		      "cannot log in to token %s (%s)", label, why);
}

static void id_hex(const PKCS11_CERT *c, char *buf, size_t cap)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < c->id_len && o + 3 < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%02x", c->id[i]);
}

static int id_matches(const PKCS11_CERT *c, const char *key_id)
{
	char id[2 * 64 + 1];

	if (key_id == NULL)
		return 1;
	if (c->id_len > 64)
		return 0;
	id_hex(c, id, sizeof id);
	return strcasecmp(id, key_id) == 0;
}

/* Picks the certificate (with a private key of the same ID when logged
 * in) and, when logged in, takes a reference to the key. */
static int pick(struct trustlist_token *t, PKCS11_SLOT *slot,
		const char *key_id, int logged_in, char *errmsg, size_t errcap)
{
	PKCS11_CERT *certs, *chosen = NULL;
	PKCS11_KEY *chosen_key = NULL;
	unsigned int n;
	char why[160], ids[160] = "";
	size_t o = 0, matches = 0;
	unsigned char *der = NULL;
	int len;

	if (PKCS11_enumerate_certs(slot->token, &certs, &n) != 0)
		return tl_err(TRUSTLIST_ETOKEN, errmsg, errcap,
			      "cannot list the certificates of token %s (%s)",
			      t->info.label, last_error(why, sizeof why));
	for (unsigned int i = 0; i < n; i++) {
		PKCS11_KEY *k = logged_in ? PKCS11_find_key(&certs[i]) : NULL;
		char id[64];

		if (!id_matches(&certs[i], key_id) || certs[i].x509 == NULL ||
		    (logged_in && (k == NULL || !k->isPrivate)))
			continue;
		id_hex(&certs[i], id, sizeof id);
		if (o + 1 < sizeof ids)
			o += (size_t)snprintf(ids + o, sizeof ids - o, "%s%s",
					      o ? ", " : "", id);
		chosen = &certs[i];
		chosen_key = k;
		matches++;
	}
	ERR_clear_error();
	if (matches == 0)
		return tl_err(
		    TRUSTLIST_ENOTFOUND, errmsg, errcap,
		    "token %s holds no certificate%s%s%s", t->info.label,
		    logged_in ? " with a private key of the same ID" : "",
		    key_id ? " with ID " : "", key_id ? key_id : "");
	if (matches > 1)
		return tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			      "token %s holds %zu candidate certificates (IDs "
			      "%s): name one by its ID",
			      t->info.label, matches, ids);
	if ((len = i2d_X509(chosen->x509, &der)) <= 0)
		return tl_err(TRUSTLIST_ETOKEN, errmsg, errcap,
			      "cannot encode the certificate of token %s",
			      t->info.label);
	t->cert = malloc((size_t)len);
	if (t->cert == NULL) {
		OPENSSL_free(der);
		return tl_err(TRUSTLIST_ENOMEM, errmsg, errcap,
			      "out of memory");
	}
	memcpy(t->cert, der, (size_t)len);
	t->cert_len = (size_t)len;
	OPENSSL_free(der);
	if (chosen_key && (t->key = PKCS11_get_private_key(chosen_key)) == NULL)
		return tl_err(TRUSTLIST_ETOKEN, errmsg, errcap,
			      "cannot use the private key of token %s (%s)",
			      t->info.label, last_error(why, sizeof why));
	return 0;
}

int trustlist_token_open(const char *module, const char *label, char *pin,
			 const char *key_id, struct trustlist_token **out,
			 char *errmsg, size_t errcap)
{
	struct trustlist_token *t;
	PKCS11_SLOT *slot;
	char present[256];
	int rc;

	if (out)
		*out = NULL;
	if (out == NULL || label == NULL) {
		rc = tl_err(TRUSTLIST_EINVAL, errmsg, errcap,
			    "missing argument");
		goto err_wipe_pin;
	}
	if ((t = calloc(1, sizeof *t)) == NULL) {
		rc = tl_err(TRUSTLIST_ENOMEM, errmsg, errcap, "out of memory");
		goto err_wipe_pin;
	}
	if ((rc =
		 load(module, &t->ctx, &t->slots, &t->n_slots, errmsg, errcap)))
		goto err_after_alloc;
	if ((slot = find_slot(t->slots, t->n_slots, label)) == NULL) {
		present_labels(t->slots, t->n_slots, present, sizeof present);
		rc = tl_err(TRUSTLIST_ENOTFOUND, errmsg, errcap,
			    "token %s not found in %s; tokens present: %s",
			    label, module, present);
		goto err_after_load;
	}
	fill_info(&t->info, slot->token);
	if (pin && (rc = login(slot, pin, t->info.label, errmsg, errcap)))
		goto err_after_load;
	if ((rc = pick(t, slot, key_id, pin != NULL, errmsg, errcap)))
		goto err_after_load;
	*out = t;
	return 0;

err_after_load:
	trustlist_token_close(t);
	t = NULL;
err_after_alloc:
	free(t);
err_wipe_pin:
	if (pin)
		OPENSSL_cleanse(pin, strlen(pin));
	return rc;
}

const uint8_t *trustlist_token_cert(const struct trustlist_token *t,
				    size_t *len)
{
	*len = t->cert_len;
	return t->cert;
}

EVP_PKEY *trustlist_token_key(const struct trustlist_token *t)
{
	return t->key;
}

const struct trustlist_token_info *
trustlist_token_info(const struct trustlist_token *t)
{
	return &t->info;
}

void trustlist_token_close(struct trustlist_token *t)
{
	if (t == NULL)
		return;
	/* The key first: it points into the slots released next. */
	EVP_PKEY_free(t->key);
	unload(t->ctx, t->slots, t->n_slots);
	free(t->cert);
	free(t);
}
