/* tlscert: OpenSSL 3 EVP only. */
#include "node/tlscert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/addr.h"

static void tlscert_err(char *errmsg, size_t errcap, const char *what)
{
	char buf[200];

	ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
	snprintf(errmsg, errcap, "%s: %s", what, buf);
	ERR_clear_error();
}

static int tlscert_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_nconf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int tlscert_write_key(const char *path, EVP_PKEY *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *f;
	int ok;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -1;
	}
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	fclose(f);
	return ok ? 0 : -1;
}

int tlscert_ensure(const char *cert_path, const char *key_path,
		   const char *name, const char *host, char *errmsg,
		   size_t errcap)
{
	char san[512];
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *subj;
	FILE *f = NULL;
	int rc = -1;

	if (access(cert_path, R_OK) == 0 && access(key_path, R_OK) == 0)
		return 0;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!key) {
		tlscert_err(errmsg, errcap, "key generation");
		goto out;
	}
	x = X509_new();
	if (!x)
		goto err_openssl;
	X509_set_version(x, 2);
	{
		unsigned char serial[16];
		BIGNUM *bn;

		if (RAND_bytes(serial, sizeof serial) != 1)
			goto err_openssl;
		serial[0] &= 0x7f;
		bn = BN_bin2bn(serial, sizeof serial, NULL);
		if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x))) {
			BN_free(bn);
			goto err_openssl;
		}
		BN_free(bn);
	}
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 5L * 365 * 24 * 3600);
	subj = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC,
				   (const unsigned char *)"ward", -1, -1, 0);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
				   (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, subj);
	X509_set_pubkey(x, key);
	if (addr_host_is_ip(host))
		snprintf(san, sizeof san, "IP:%s,DNS:%s,DNS:localhost", host,
			 name);
	else
		snprintf(san, sizeof san, "DNS:%s,DNS:%s,DNS:localhost", host,
			 name);
	if (tlscert_add_ext(x, NID_subject_alt_name, san) != 0 ||
	    tlscert_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    tlscert_add_ext(x, NID_key_usage, "critical,digitalSignature") ||
	    tlscert_add_ext(x, NID_ext_key_usage, "serverAuth,clientAuth"))
		goto err_openssl;
	if (!X509_sign(x, key, EVP_sha256()))
		goto err_openssl;
	if (tlscert_write_key(key_path, key) != 0) {
		snprintf(errmsg, errcap, "%s: %s", key_path, strerror(errno));
		goto out;
	}
	f = fopen(cert_path, "w");
	if (!f || !PEM_write_X509(f, x) || fflush(f) != 0) {
		snprintf(errmsg, errcap, "%s: %s", cert_path, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
err_openssl:
	tlscert_err(errmsg, errcap, "certificate");
out:
	if (f)
		fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

int tlscert_fingerprint(const char *path, uint8_t out[32], char *errmsg,
			size_t errcap)
{
	unsigned int n = 32;
	FILE *f = fopen(path, "r");
	X509 *x;

	if (!f) {
		snprintf(errmsg, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x) {
		tlscert_err(errmsg, errcap, path);
		return -1;
	}
	if (!X509_digest(x, EVP_sha256(), out, &n) || n != 32) {
		X509_free(x);
		tlscert_err(errmsg, errcap, path);
		return -1;
	}
	X509_free(x);
	return 0;
}
