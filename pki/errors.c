/* errors: the error table, the errmsg helpers and the names of key types
 * and roles. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "pki/internal.h"
#include "store/store.h"

/* Roles and key types are stored by number in the store's keys and
 * records: the two enums must agree. */
_Static_assert((int)PKI_ROLE_CA == (int)STORE_CERT_CA &&
		   (int)PKI_ROLE_HTTPS == (int)STORE_CERT_HTTPS &&
		   (int)PKI_ROLE_CALLMANAGER == (int)STORE_CERT_CALLMANAGER &&
		   (int)PKI_ROLE_TFTP == (int)STORE_CERT_TFTP &&
		   (int)PKI_ROLE_CAPF == (int)STORE_CERT_CAPF &&
		   (int)PKI_ROLE_IPSEC == (int)STORE_CERT_IPSEC &&
		   (int)PKI_ROLE_NODE == (int)STORE_CERT_NODE &&
		   (int)PKI_ROLE_LAST == (int)STORE_CERT_ROLE_LAST,
	       "pki and store roles");
_Static_assert((int)PKI_KEY_RSA2048 == (int)STORE_KEY_RSA2048 &&
		   (int)PKI_KEY_ECDSA_P256 == (int)STORE_KEY_ECDSA_P256,
	       "pki and store key types");
_Static_assert(PKI_TEXT_MAX == STORE_TEXT_MAX &&
		   PKI_SERIAL_MAX == STORE_SERIAL_MAX &&
		   PKI_REHASH_NAME_MAX == STORE_TRUST_NAME_MAX &&
		   PKI_CERT_DER_MAX == STORE_DER_MAX,
	       "pki and store field sizes");

static const char *const pki_errors[] = {
#define PKI_X_MSG(code, msg) [code - PKI__BASE] = msg,
    PKI_ERRORS(PKI_X_MSG)
#undef PKI_X_MSG
};

const char *pki_strerror(int rc)
{
	if (rc == PKI_OK)
		return "success";
	if (rc <= PKI__BASE ||
	    (size_t)(rc - PKI__BASE) >= sizeof pki_errors / sizeof *pki_errors)
		return "unknown pki error";
	return pki_errors[rc - PKI__BASE];
}

static void pki_vfmt(char *errmsg, size_t errcap, const char *fmt, va_list ap)
{
	if (!errmsg || errcap == 0)
		return;
	vsnprintf(errmsg, errcap, fmt, ap);
}

int pki_fail(char *errmsg, size_t errcap, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pki_vfmt(errmsg, errcap, fmt, ap);
	va_end(ap);
	return rc;
}

int pki_fail_ssl(char *errmsg, size_t errcap, int rc, const char *fmt, ...)
{
	unsigned long e = ERR_peek_error();
	char reason[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	pki_vfmt(errmsg, errcap, fmt, ap);
	va_end(ap);
	if (errmsg && errcap && e) {
		ERR_error_string_n(e, reason, sizeof reason);
		n = strlen(errmsg);
		if (n < errcap)
			snprintf(errmsg + n, errcap - n, ": %s", reason);
	}
	ERR_clear_error();
	return rc;
}

int pki_uuid_valid(const char *s)
{
	if (!s || strnlen(s, PKI_UUID_LEN + 1) != PKI_UUID_LEN)
		return 0;
	for (int i = 0; i < PKI_UUID_LEN; i++) {
		int hyphen = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];

		if (hyphen
			? c != '-'
			: !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			    (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

int pki_serial_random(X509 *x)
{
	unsigned char raw[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(raw, sizeof raw) != 1)
		return PKI_ECRYPTO;
	/* Positive (RFC 5280 4.1.2.2) and never zero. */
	raw[0] = (raw[0] & 0x7f) | 0x40;
	bn = BN_bin2bn(raw, sizeof raw, NULL);
	if (!bn)
		return PKI_ENOMEM;
	ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? PKI_OK : PKI_ENOMEM;
}

/* ---- names ------------------------------------------------------------ */

static const char *const key_type_names[] = {
    [PKI_KEY_RSA2048] = "rsa2048",
    [PKI_KEY_ECDSA_P256] = "ecdsa-p256",
};

const char *pki_key_type_name(enum pki_key_type t)
{
	if (t < PKI_KEY_RSA2048 || t > PKI_KEY_ECDSA_P256)
		return "unknown";
	return key_type_names[t];
}

int pki_key_type_parse(const char *name, enum pki_key_type *out)
{
	for (int t = PKI_KEY_RSA2048; name && t <= PKI_KEY_ECDSA_P256; t++) {
		if (strcasecmp(name, key_type_names[t]) == 0) {
			*out = (enum pki_key_type)t;
			return PKI_OK;
		}
	}
	return PKI_EINVAL;
}

/* The same spellings as the store's (store_cert_role_name; a test checks
 * it), kept here so that pki needs no store library. */
static const char *const role_names[] = {
    [PKI_ROLE_CA] = "ca",
    [PKI_ROLE_HTTPS] = "https",
    [PKI_ROLE_CALLMANAGER] = "callmanager",
    [PKI_ROLE_TFTP] = "tftp",
    [PKI_ROLE_CAPF] = "capf",
    [PKI_ROLE_IPSEC] = "ipsec",
    [PKI_ROLE_NODE] = "node",
};

const char *pki_role_name(enum pki_role role)
{
	if (role < PKI_ROLE_CA || role > PKI_ROLE_LAST)
		return "unknown";
	return role_names[role];
}
