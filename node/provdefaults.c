/* provdefaults: the default profiles and the digest nonce secret (see
 * provdefaults.h). */
#include "node/provdefaults.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "store/prov.h"

static int has_phone(struct store_read *r, unsigned i)
{
	struct store_phone_profile p, got;

	store_phone_profile_default(i, &p);
	return r && store_phone_profile_get(r, p.name, &got) == 0;
}

static int has_trunk(struct store_read *r, unsigned i)
{
	struct store_trunk_profile p, got;

	store_trunk_profile_default(i, &p);
	return r && store_trunk_profile_get(r, p.name, &got) == 0;
}

static int has_secret(struct store_read *r)
{
	struct store_secret s;

	return r && store_secret_get(r, STORE_SECRET_DIGEST_NONCE, &s) == 0;
}

int provdefaults_missing(struct store_read *r)
{
	for (unsigned i = 0; i < STORE_DEFAULT_PROFILES; i++) {
		if (!has_phone(r, i) || !has_trunk(r, i))
			return 1;
	}
	return !has_secret(r);
}

static int add_secret(struct store_cmd *cmd, struct keystore *ks,
		      uint64_t now_ms)
{
	uint8_t secret[STORE_SECRET_LEN], *w = NULL;
	struct store_secret s;
	size_t n = 0;
	int rc = -1;

	memset(&s, 0, sizeof s);
	snprintf(s.name, sizeof s.name, "%s", STORE_SECRET_DIGEST_NONCE);
	if (RAND_priv_bytes(secret, sizeof secret) == 1 &&
	    keystore_kek_id(ks, s.kek_id) == KEYSTORE_OK &&
	    keystore_wrap(ks, "secrets", s.name, strlen(s.name), secret,
			  sizeof secret, &w, &n) == KEYSTORE_OK &&
	    n <= sizeof s.wrapped) {
		memcpy(s.wrapped, w, n);
		s.wrapped_len = (uint32_t)n;
		s.created_ms = now_ms;
		rc = store_cmd_put_secret(cmd, STORE_OP_PUT_NEW, &s);
	}
	OPENSSL_cleanse(secret, sizeof secret);
	free(w);
	return rc ? -1 : 0;
}

int provdefaults_cmd(struct store_cmd *cmd, struct store_read *r,
		     struct keystore *ks, uint64_t now_ms, unsigned *added,
		     char *errmsg, size_t errcap)
{
	struct store_phone_profile p;
	struct store_trunk_profile t;

	*added = 0;
	for (unsigned i = 0; i < STORE_DEFAULT_PROFILES; i++) {
		if (!has_phone(r, i)) {
			store_phone_profile_default(i, &p);
			p.created_ms = p.changed_ms = now_ms;
			if (store_cmd_put_phone_profile(cmd, STORE_OP_PUT_NEW,
							&p))
				goto err;
			++*added;
		}
		if (!has_trunk(r, i)) {
			store_trunk_profile_default(i, &t);
			t.created_ms = t.changed_ms = now_ms;
			if (store_cmd_put_trunk_profile(cmd, STORE_OP_PUT_NEW,
							&t))
				goto err;
			++*added;
		}
	}
	if (!has_secret(r)) {
		if (add_secret(cmd, ks, now_ms) != 0)
			goto err;
		++*added;
	}
	return 0;
err:
	snprintf(errmsg, errcap, "building the default provisioning failed");
	return -1;
}
