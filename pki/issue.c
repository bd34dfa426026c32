/* issue: the self-signed cluster CA and the role certificates it signs.
 *
 * Every value that comes from outside (node names, DNS names, addresses,
 * ids) goes into the certificate through typed OpenSSL calls, never
 * through the text syntax of X509V3_EXT_nconf: a node name holding
 * ",URI:..." must not be able to add a SAN of its choosing. Only constant
 * extension values use the text syntax.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/addr.h"
#include "pki/internal.h"

#define PKI_DAYS_MAX 36500    /* 100 years: beyond that, a typo */
#define PKI_NAME_FIELD_MAX 64 /* ub-common-name, ub-organization-unit */

/* 1..64 bytes without control characters (UTF-8 allowed). */
static int pki_text_ok(const char *s)
{
	size_t n = s ? strnlen(s, PKI_NAME_FIELD_MAX + 1) : 0;

	if (n == 0 || n > PKI_NAME_FIELD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

/* A host name: labels of letters, digits and '-', 1..63 bytes each,
 * joined by single dots; 253 bytes at most. */
static int pki_dns_ok(const char *s)
{
	size_t n = strnlen(s, 254), label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

/* O=ward, OU=OU, CN=CN. */
static int pki_name_set(X509_NAME *name, const char *ou, const char *cn)
{
	return X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
					  (const unsigned char *)"ward", -1, -1,
					  0) == 1 &&
	       X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
					  (const unsigned char *)ou, -1, -1,
					  0) == 1 &&
	       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
					  (const unsigned char *)cn, -1, -1,
					  0) == 1;
}

/* A constant extension value in OpenSSL's text syntax. */
static int pki_ext_add(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok;

	if (!ext)
		return 0;
	ok = X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

/* From an hour ago (peers whose clock is a little behind) for DAYS. */
static int pki_validity(X509 *x, unsigned days)
{
	return X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
	       X509_time_adj_ex(X509_getm_notAfter(x), (int)days, 0, NULL);
}

static int pki_days(unsigned days, unsigned def)
{
	if (days == 0)
		return (int)def;
	return days > PKI_DAYS_MAX ? -1 : (int)days;
}

/* ---- subject alternative names ---------------------------------------- */

/* Appends a name of TYPE holding VALUE (an ASN1_STRING: IA5String or
 * OCTET STRING), which is consumed whatever happens. */
static int pki_gen_push(GENERAL_NAMES *gens, int type, ASN1_STRING *value)
{
	GENERAL_NAME *g = GENERAL_NAME_new();

	if (!g) {
		ASN1_STRING_free(value);
		return 0;
	}
	GENERAL_NAME_set0_value(g, type, value);
	if (!sk_GENERAL_NAME_push(gens, g)) {
		GENERAL_NAME_free(g);
		return 0;
	}
	return 1;
}

/* An IA5String name (DNS, URI). */
static int pki_gen_text(GENERAL_NAMES *gens, int type, const char *text)
{
	ASN1_IA5STRING *s = ASN1_IA5STRING_new();

	if (!s || !ASN1_STRING_set(s, text, (int)strlen(text))) {
		ASN1_IA5STRING_free(s);
		return 0;
	}
	return pki_gen_push(gens, type, s);
}

static int pki_gen_ip(GENERAL_NAMES *gens, const char *ip)
{
	ASN1_OCTET_STRING *o = a2i_IPADDRESS(ip);

	if (!o)
		return 0;
	return pki_gen_push(gens, GEN_IPADD, o);
}

/* The SANs of SUBJ in ROLE onto X; none at all leaves the extension out.
 * Returns 1 on success. */
static int pki_san_add(X509 *x, enum pki_role role,
		       const struct pki_subject *subj)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	char uri[64 + PKI_UUID_LEN];
	int ok = 0;

	if (!gens)
		return 0;
	if (subj->dns && !pki_gen_text(gens, GEN_DNS, subj->dns))
		goto out;
	if (subj->ip && !pki_gen_ip(gens, subj->ip))
		goto out;
	if (role == PKI_ROLE_NODE) {
		snprintf(uri, sizeof uri, "ward://node/%" PRIu64,
			 subj->node_id);
		if (!pki_gen_text(gens, GEN_URI, uri))
			goto out;
		snprintf(uri, sizeof uri, "ward://cluster/%s",
			 subj->cluster_id);
		if (!pki_gen_text(gens, GEN_URI, uri))
			goto out;
	}
	ok = sk_GENERAL_NAME_num(gens) == 0 ||
	     X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
			       X509V3_ADD_DEFAULT) == 1;
out:
	GENERAL_NAMES_free(gens);
	return ok;
}

/* ---- the CA ----------------------------------------------------------- */

int pki_ca_create(EVP_PKEY *key, const char *cluster_id,
		  const char *cluster_name, unsigned days, X509 **out,
		  char *errmsg, size_t errcap)
{
	char cn[16 + PKI_UUID_LEN];
	X509V3_CTX ctx;
	X509 *x;
	int d = pki_days(days, PKI_CA_DAYS);

	*out = NULL;
	if (!pki_uuid_valid(cluster_id))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"cluster id is not a UUID");
	if (!pki_text_ok(cluster_name))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"cluster name must be 1..64 printable bytes");
	if (d < 0)
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"validity of %u days is too long", days);
	if (!pki_key_type_of(key))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"CA key must be RSA 2048 or EC P-256");
	snprintf(cn, sizeof cn, "ward CA %s", cluster_id);
	x = X509_new();
	if (!x)
		return PKI_ENOMEM;
	if (!X509_set_version(x, X509_VERSION_3) || pki_serial_random(x) ||
	    !pki_validity(x, (unsigned)d) ||
	    !pki_name_set(X509_get_subject_name(x), cluster_name, cn) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(x)) ||
	    !X509_set_pubkey(x, key))
		goto err_after_new;
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	/* pathlen 0: it signs end-entity certificates (roles, device
	 * LSCs), never another CA. */
	if (!pki_ext_add(x, &ctx, NID_basic_constraints,
			 "critical,CA:TRUE,pathlen:0") ||
	    !pki_ext_add(x, &ctx, NID_key_usage,
			 "critical,keyCertSign,cRLSign") ||
	    !pki_ext_add(x, &ctx, NID_subject_key_identifier, "hash"))
		goto err_after_new;
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		goto err_after_new;
	*out = x;
	return PKI_OK;

err_after_new:
	X509_free(x);
	return pki_fail_ssl(errmsg, errcap, PKI_ECRYPTO, "making the CA");
}

/* ---- role certificates ------------------------------------------------ */

static const char *pki_role_eku(enum pki_role role)
{
	switch (role) {
	case PKI_ROLE_HTTPS:
	case PKI_ROLE_CAPF:
		return "serverAuth";
	case PKI_ROLE_CALLMANAGER:
	case PKI_ROLE_NODE:
		return "serverAuth,clientAuth";
	case PKI_ROLE_TFTP:
		return "codeSigning";
	case PKI_ROLE_IPSEC:
		return "ipsecIKE,serverAuth,clientAuth";
	default:
		return NULL;
	}
}

static int pki_subject_check(enum pki_role role, const struct pki_subject *subj,
			     char *errmsg, size_t errcap)
{
	if (!pki_role_eku(role))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"role %d cannot be issued", (int)role);
	if (!subj || !pki_text_ok(subj->common_name))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"common name must be 1..64 printable bytes");
	if (subj->dns && !pki_dns_ok(subj->dns))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"\"%.64s\" is not a DNS name", subj->dns);
	if (subj->ip && !addr_host_is_ip(subj->ip))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"\"%.64s\" is not an IP address", subj->ip);
	if (role == PKI_ROLE_NODE &&
	    (subj->node_id == 0 || !pki_uuid_valid(subj->cluster_id)))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"a node certificate needs a node id and the "
				"cluster id");
	return PKI_OK;
}

int pki_issue(X509 *ca_cert, EVP_PKEY *ca_key, EVP_PKEY *pubkey,
	      enum pki_role role, const struct pki_subject *subj, unsigned days,
	      X509 **out, char *errmsg, size_t errcap)
{
	X509V3_CTX ctx;
	X509 *x;
	int d = pki_days(days, PKI_ROLE_DAYS), rc;

	*out = NULL;
	if ((rc = pki_subject_check(role, subj, errmsg, errcap)))
		return rc;
	if (d < 0)
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"validity of %u days is too long", days);
	if (!pki_key_type_of(pubkey))
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"key must be RSA 2048 or EC P-256");
	if (X509_check_ca(ca_cert) == 0 ||
	    X509_check_private_key(ca_cert, ca_key) != 1) {
		ERR_clear_error();
		return pki_fail(errmsg, errcap, PKI_EINVAL,
				"the issuer is not a CA or its key does not "
				"match");
	}
	x = X509_new();
	if (!x)
		return PKI_ENOMEM;
	if (!X509_set_version(x, X509_VERSION_3) || pki_serial_random(x) ||
	    !pki_validity(x, (unsigned)d) ||
	    !pki_name_set(X509_get_subject_name(x), pki_role_name(role),
			  subj->common_name) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca_cert)) ||
	    !X509_set_pubkey(x, pubkey))
		goto err_after_new;
	/* Not past the CA: a chain is only as valid as its issuer. */
	if (ASN1_TIME_compare(X509_get0_notAfter(x),
			      X509_get0_notAfter(ca_cert)) > 0 &&
	    !X509_set1_notAfter(x, X509_get0_notAfter(ca_cert)))
		goto err_after_new;
	X509V3_set_ctx(&ctx, ca_cert, x, NULL, NULL, 0);
	if (!pki_ext_add(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
	    !pki_ext_add(x, &ctx, NID_key_usage,
			 pki_key_type_of(pubkey) == PKI_KEY_RSA2048
			     ? "critical,digitalSignature,keyEncipherment"
			     : "critical,digitalSignature") ||
	    !pki_ext_add(x, &ctx, NID_ext_key_usage, pki_role_eku(role)) ||
	    !pki_ext_add(x, &ctx, NID_subject_key_identifier, "hash") ||
	    !pki_ext_add(x, &ctx, NID_authority_key_identifier, "keyid") ||
	    !pki_san_add(x, role, subj))
		goto err_after_new;
	if (X509_sign(x, ca_key, EVP_sha256()) <= 0)
		goto err_after_new;
	*out = x;
	return PKI_OK;

err_after_new:
	X509_free(x);
	return pki_fail_ssl(errmsg, errcap, PKI_ECRYPTO,
			    "issuing the %s "
			    "certificate",
			    pki_role_name(role));
}
