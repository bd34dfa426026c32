/* libFuzzer target of a trunk profile's X.509 subject-name list
 * (node/sip/x509match.c) against a fixed certificate's names: the input is
 * the list. Seeds: tests/fuzz/corpus/x509match/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "node/sip/x509match.h"

static struct sip_x509_names names;

static void setup(void)
{
	static const char *const e[] = {"C", "US", "O", "Example", "CN",
					"trunk.example.com"};
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	for (size_t i = 0; i < 6; i += 2)
		X509_NAME_add_entry_by_txt(n, e[i], MBSTRING_UTF8,
					   (const unsigned char *)e[i + 1], -1,
					   -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
				  "DNS:sip.example.com");
	X509_add_ext(x, ext, -1);
	X509_sign(x, k, EVP_sha256());
	sip_x509_names_of(x, &names);
	if (!names.subject_len || names.ndns != 1)
		__builtin_trap();
	X509_EXTENSION_free(ext);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *list;

	if (!names.subject_len)
		setup();
	list = malloc(size + 1);
	if (!list)
		return 0;
	memcpy(list, data, size);
	list[size] = '\0';
	sip_x509_names_match(list, &names, "trunk.example.com");
	free(list);
	return 0;
}
