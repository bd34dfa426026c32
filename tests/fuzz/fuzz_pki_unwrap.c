/* fuzz_pki_unwrap: what arrives wrapped — a KEK sealed to a joining node
 * (from the network) and wrapped values read back from the store (from
 * snapshots of other nodes). Arbitrary bytes must be refused without a
 * crash and without anything unauthenticated in the output. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pki/pki.h"

#define CLUSTER "0b1c5a9e-8f43-4d2a-9c1e-2f7e8a6b5d10"

static EVP_PKEY *joiner; /* a fixed X25519 key for the run */
static const uint8_t kek[PKI_KEK_LEN] = {7};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t pub[PKI_X25519_LEN];

	if (pki_kex_keygen(&joiner, pub) != PKI_OK)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[PKI_KEK_LEN], *buf;
	size_t n;
	EVP_PKEY *key;
	int rc;

	/* Nobody can seal to our key without it: every input fails, and the
	 * output is left all zeros. */
	rc = pki_kek_open(joiner, CLUSTER, 4, data, size, out);
	if (rc == PKI_OK)
		abort();
	for (size_t i = 0; i < sizeof out; i++) {
		if (out[i])
			abort();
	}
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	/* The seed corpus holds a value wrapped under KEK: that one (and
	 * only what the mutator leaves of it unchanged) unwraps. */
	rc = pki_unwrap(kek, "aad", 3, data, size, buf, size, &n);
	if (rc == PKI_OK) {
		if (n != size - PKI_WRAP_OVERHEAD)
			abort();
	} else if (rc != PKI_EAUTH && rc != PKI_EFORMAT && rc != PKI_EINVAL) {
		abort();
	} else {
		for (size_t i = 0;
		     size > PKI_WRAP_OVERHEAD && i < size - PKI_WRAP_OVERHEAD;
		     i++) {
			if (rc == PKI_EAUTH && buf[i])
				abort(); /* unauthenticated plaintext */
		}
	}
	free(buf);
	if (pki_key_unwrap(kek, "aad", 3, data, size, &key) == PKI_OK)
		EVP_PKEY_free(key);
	/* PKCS#8 parsing is reached only past the tag; fuzz it directly. */
	if (pki_key_from_pkcs8(data, size, &key) == PKI_OK) {
		if (!pki_key_type_of(key))
			abort();
		EVP_PKEY_free(key);
	}
	return 0;
}
