/* fuzz_pki_cert: the pki parsers of outside input on arbitrary bytes —
 * certificates an operator imports (PEM or DER, single or bundle), the
 * public key a joining node sends, and the node identity in a peer's
 * certificate. Each must refuse what it cannot use, with a message, and
 * never crash; what it accepts must be usable: described, exported, and
 * parsed back to the same certificate. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki/pki.h"

static void check_cert(X509 *x)
{
	struct pki_cert_info info;
	char err[512], cid[PKI_UUID_LEN + 1], name[PKI_REHASH_NAME_MAX];
	uint8_t *der;
	size_t len;
	uint64_t id;
	X509 *back;

	if (pki_cert_info(x, &info, err, sizeof err) == PKI_OK) {
		/* The text fields fit the store's and hold no NUL. */
		if (strlen(info.subject) >= PKI_TEXT_MAX ||
		    strlen(info.issuer) >= PKI_TEXT_MAX ||
		    strlen(info.serial) == 0)
			abort();
	}
	if (pki_node_identity(x, cid, &id, err, sizeof err) == PKI_OK) {
		if (id == 0 || strlen(cid) != PKI_UUID_LEN)
			abort();
	} else if (id != 0 || cid[0] != '\0') {
		abort();
	}
	if (pki_rehash_name(x, NULL, NULL, name) == PKI_OK &&
	    strlen(name) != 10)
		abort();
	if (pki_cert_to_der(x, &der, &len) != PKI_OK)
		abort();
	if (pki_cert_parse(der, len, &back, err, sizeof err) != PKI_OK ||
	    X509_cmp(x, back) != 0)
		abort();
	X509_free(back);
	free(der);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) * sk;
	EVP_PKEY *key;
	char err[512];
	X509 *x;
	int rc;

	err[0] = '\0';
	rc = pki_certs_parse(data, size, &sk, err, sizeof err);
	if (rc == PKI_OK) {
		if (sk_X509_num(sk) < 1)
			abort();
		for (int i = 0; i < sk_X509_num(sk); i++)
			check_cert(sk_X509_value(sk, i));
		sk_X509_pop_free(sk, X509_free);
	} else if (rc != PKI_EFORMAT || sk || err[0] == '\0') {
		abort();
	}
	rc = pki_cert_parse(data, size, &x, err, sizeof err);
	if (rc == PKI_OK)
		X509_free(x);
	else if (x)
		abort();
	if (pki_pubkey_from_der(data, size, &key, err, sizeof err) == PKI_OK) {
		if (!pki_key_type_of(key))
			abort();
		EVP_PKEY_free(key);
	}
	return 0;
}
