/* signer: the node's TFTP certificate and key, which sign every file the
 * role serves in mixed mode (tftp_source.h). Read from DATA/pki, where
 * the certificate watcher keeps them current. */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/tftp/tftp_source.h"
#include "pki/pki.h"

void tftp_signer_free(struct tftp_signer *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->key);
	free(s->der);
	free(s);
}

struct tftp_signer *tftp_signer_load(const char *pki_dir, const char **why)
{
	char path[1024];
	struct tftp_signer *s = calloc(1, sizeof *s);
	X509 *x = NULL;
	FILE *f;
	int n;

	*why = "no TFTP certificate and key in DATA/pki";
	if (!s || !pki_dir || !pki_dir[0])
		goto err;
	snprintf(path, sizeof path, "%s/tftp.pem", pki_dir);
	if (!(f = fopen(path, "r")))
		goto err;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof path, "%s/tftp.key", pki_dir);
	if (!x || !(f = fopen(path, "r")))
		goto err;
	s->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	n = i2d_X509(x, &s->der);
	if (!s->key || n <= 0 || !X509_check_private_key(x, s->key)) {
		*why =
		    "the TFTP key in DATA/pki does not match its certificate";
		goto err;
	}
	s->der_len = (size_t)n;
	EVP_Digest(s->der, s->der_len, s->sha256, NULL, EVP_sha256(), NULL);
	X509_free(x);
	*why = "";
	return s;
err:
	X509_free(x);
	tftp_signer_free(s);
	return NULL;
}

int tftp_kek_load(const char *pki_dir, uint8_t kek[32])
{
	char path[1024], err[256];

	if (!pki_dir || !pki_dir[0])
		return -1;
	snprintf(path, sizeof path, "%s/../kek", pki_dir);
	return pki_kek_load(path, kek, err, sizeof err) == 0 ? 0 : -1;
}
