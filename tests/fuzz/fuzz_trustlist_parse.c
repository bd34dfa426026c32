/* fuzz_trustlist_parse: arbitrary bytes as a CTL, ITL, .sgn and .enc.sgn —
 * parse, verify, key continuity, decryption with a device key. Trust lists come
 * from TFTP servers and admins' files: nothing may crash, read out of bounds or
 * leak, and every result must be a trustlist code. A .sgn that parses is
 * verified against the golden ITL, and a list against a registered token, so
 * that the paths past the parser are reached too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "trustlist/sgn.h"
#include "trustlist/trustlist.h"

static struct trustlist *itl;
static EVP_PKEY *device_key; /* the device the .enc.sgn seed is for */
static struct trustlist_bytes registered;

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[1024];
	uint8_t *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof path, "%s/%s", TRUSTLIST_FUZZ_DATA, name);
	if ((f = fopen(path, "rb")) == NULL || fseek(f, 0, SEEK_END) ||
	    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "fuzz_trustlist_parse: cannot read %s\n", path);
		abort();
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct trustlist *ctl;
	uint8_t *buf;
	size_t len;

	(void)argc;
	(void)argv;
	buf = slurp("itl-rsa-sha1.tlv", &len);
	if (trustlist_parse(buf, len, &itl, NULL, 0))
		abort();
	free(buf);
	/* The first SAST of the golden CTL is the registered token. */
	buf = slurp("ctl-rsa-sha1.tlv", &len);
	if (trustlist_parse(buf, len, &ctl, NULL, 0))
		abort();
	registered.len = ctl->records[0].cert.len;
	registered.data = malloc(registered.len);
	if (registered.data == NULL)
		abort();
	memcpy((uint8_t *)registered.data, ctl->records[0].cert.data,
	       registered.len);
	trustlist_free(ctl);
	free(buf);
	{
		char path[1024];
		FILE *f;

		snprintf(path, sizeof path, "%s/ccm2.key", TRUSTLIST_FUZZ_DATA);
		if ((f = fopen(path, "r")) == NULL ||
		    (device_key = PEM_read_PrivateKey(f, NULL, NULL, NULL)) ==
			NULL)
			abort();
		fclose(f);
	}
	return 0;
}

static void check_code(int rc)
{
	if (strcmp(trustlist_strerror(rc), "unknown error") == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trustlist *tl = NULL;
	struct trustlist_bytes parts[2];
	char err[256];
	int rc;

	rc = trustlist_parse(data, size, &tl, err, sizeof err);
	check_code(rc);
	if (rc == 0) {
		trustlist_signed_parts(tl, parts);
		if (parts[0].len + parts[1].len + tl->sig_tlv_len != size)
			abort();
		check_code(
		    trustlist_verify(tl, TRUSTLIST_CTL, NULL, err, sizeof err));
		check_code(
		    trustlist_verify(tl, TRUSTLIST_ITL, NULL, err, sizeof err));
		check_code(trustlist_ctl_accepts(NULL, tl, &registered, 1, err,
						 sizeof err));
		check_code(
		    trustlist_ctl_accepts(itl, tl, NULL, 0, err, sizeof err));
		trustlist_free(tl);
	}
	rc = trustlist_sgn_parse(data, size, &tl, err, sizeof err);
	check_code(rc);
	if (rc == 0) {
		if (tl->header_len + tl->content.len != size)
			abort();
		check_code(trustlist_sgn_verify(tl, itl, err, sizeof err));
		trustlist_free(tl);
	}
	{
		struct trustlist_enc enc;
		uint8_t *plain = NULL;
		size_t plain_len;

		rc = trustlist_encsgn_parse(data, size, &tl, &enc, err,
					    sizeof err);
		check_code(rc);
		if (rc == 0) {
			if (tl->header_len + tl->content.len != size)
				abort();
			check_code(
			    trustlist_sgn_verify(tl, itl, err, sizeof err));
			rc = trustlist_encsgn_decrypt(tl, &enc, device_key,
						      &plain, &plain_len, err,
						      sizeof err);
			check_code(rc);
			if (rc == 0 && plain_len > tl->content.len)
				abort();
			free(plain);
			trustlist_free(tl);
		}
	}
	return 0;
}
