/* keymgr: per-call key sets and the rules that decide where keys may go
 * and what a call's security level is. */
#include "node/keymgr/keymgr.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "node/keymgr/keymgr_int.h"

static const char *const level_names[] = {"non-secure", "authenticated",
					  "encrypted"};

const char *keymgr_level_name(enum keymgr_level level)
{
	if ((unsigned)level >= sizeof level_names / sizeof *level_names)
		return "non-secure";
	return level_names[level];
}

int keymgr_leg_may_receive_keys(const struct keymgr_leg *leg)
{
	return leg && leg->mode == KEYMGR_MODE_ENCRYPTED &&
	       leg->transport == KEYMGR_TRANSPORT_TLS;
}

enum keymgr_level keymgr_leg_level(const struct keymgr_leg *leg)
{
	if (!leg || leg->transport != KEYMGR_TRANSPORT_TLS ||
	    leg->mode == KEYMGR_MODE_NONSECURE)
		return KEYMGR_LEVEL_NONSECURE;
	if (leg->mode == KEYMGR_MODE_AUTHENTICATED || !leg->media_srtp ||
	    leg->is_trunk)
		return KEYMGR_LEVEL_AUTHENTICATED;
	return KEYMGR_LEVEL_ENCRYPTED;
}

enum keymgr_level keymgr_call_level(const struct keymgr_leg *legs, size_t n)
{
	enum keymgr_level level = KEYMGR_LEVEL_ENCRYPTED;

	if (!legs || n == 0)
		return KEYMGR_LEVEL_NONSECURE;
	for (size_t i = 0; i < n; i++) {
		enum keymgr_level l = keymgr_leg_level(&legs[i]);

		if (l < level)
			level = l;
	}
	return level;
}

int keymgr_call_decide(const struct keymgr_leg *legs, size_t n,
		       int encrypted_or_reject, enum keymgr_level *out)
{
	*out = keymgr_call_level(legs, n);
	if (encrypted_or_reject && *out != KEYMGR_LEVEL_ENCRYPTED)
		return KEYMGR_EREJECT;
	return KEYMGR_OK;
}

struct keymgr_call {
	struct keymgr *km;	   /* borrowed */
	struct keymgr_key *out[2]; /* owned: ward protects toward side */
	struct keymgr_key *in[2];  /* owned: side's phone protects with */
};

int keymgr_call_new(struct keymgr *km, struct keymgr_call **out)
{
	struct keymgr_call *call;

	*out = NULL;
	if (!km)
		return KEYMGR_EINVAL;
	call = calloc(1, sizeof *call);
	if (!call)
		return KEYMGR_ENOMEM;
	call->km = km;
	*out = call;
	return KEYMGR_OK;
}

void keymgr_call_free(struct keymgr_call *call)
{
	if (!call)
		return;
	for (int s = 0; s < 2; s++) {
		keymgr_key_release(call->km, call->out[s]);
		keymgr_key_release(call->km, call->in[s]);
	}
	free(call);
}

static int side_ok(enum keymgr_side side)
{
	return side == KEYMGR_SIDE_A || side == KEYMGR_SIDE_B;
}

static void replace_key(struct keymgr_call *call, struct keymgr_key **slot,
			struct keymgr_key *k)
{
	keymgr_key_release(call->km, *slot);
	*slot = k;
}

int keymgr_call_generate(struct keymgr_call *call, enum keymgr_side side,
			 enum sdes_suite suite)
{
	struct keymgr_key *k;

	if (!call || !side_ok(side) || !sdes_suite_name(suite))
		return KEYMGR_EINVAL;
	k = keymgr_key_alloc(call->km);
	if (!k)
		return KEYMGR_ENOMEM;
	k->suite = suite;
	k->key_len = (uint8_t)sdes_suite_key_len(suite);
	k->salt_len = (uint8_t)sdes_suite_salt_len(suite);
	if (RAND_priv_bytes(k->key, k->key_len) != 1 ||
	    RAND_priv_bytes(k->salt, k->salt_len) != 1) {
		keymgr_key_release(call->km, k);
		log_error("keymgr", "random generator failed: no call keys");
		return KEYMGR_ERANDOM;
	}
	replace_key(call, &call->out[side], k);
	log_debug("keymgr", "generated a %s key set toward side %c",
		  sdes_suite_name(suite), side == KEYMGR_SIDE_A ? 'A' : 'B');
	return KEYMGR_OK;
}

void keymgr_call_move_generated(struct keymgr_call *dst,
				struct keymgr_call *src, enum keymgr_side side)
{
	if (!dst || !src || !side_ok(side) || dst->km != src->km)
		abort(); /* a broken invariant of the module's own callers */
	replace_key(dst, &dst->out[side], src->out[side]);
	src->out[side] = NULL;
}

int keymgr_call_import(struct keymgr_call *call, enum keymgr_side side,
		       const struct sdes_crypto *offered)
{
	struct keymgr_key *k;

	if (!call || !side_ok(side) || !offered ||
	    !sdes_suite_name(offered->suite) ||
	    offered->key_len != sdes_suite_key_len(offered->suite) ||
	    offered->salt_len != sdes_suite_salt_len(offered->suite))
		return KEYMGR_EINVAL;
	k = keymgr_key_alloc(call->km);
	if (!k)
		return KEYMGR_ENOMEM;
	k->suite = offered->suite;
	k->key_len = (uint8_t)offered->key_len;
	k->salt_len = (uint8_t)offered->salt_len;
	memcpy(k->key, offered->key, offered->key_len);
	memcpy(k->salt, offered->salt, offered->salt_len);
	replace_key(call, &call->in[side], k);
	log_debug("keymgr", "took side %c's %s key set",
		  side == KEYMGR_SIDE_A ? 'A' : 'B',
		  sdes_suite_name(offered->suite));
	return KEYMGR_OK;
}

int keymgr_call_crypto_for_leg(const struct keymgr_call *call,
			       enum keymgr_side side,
			       const struct keymgr_leg *leg, unsigned tag,
			       char *buf, size_t cap)
{
	const struct keymgr_key *k;
	struct sdes_crypto c;
	int rc;

	if (buf && cap)
		buf[0] = '\0';
	if (!call || !side_ok(side) || !buf)
		return KEYMGR_EINVAL;
	if (!keymgr_leg_may_receive_keys(leg)) {
		log_warn("keymgr",
			 "no keys for side %c: its leg is not encrypted-mode "
			 "TLS",
			 side == KEYMGR_SIDE_A ? 'A' : 'B');
		return KEYMGR_ENOTSECURE;
	}
	k = call->out[side];
	if (!k)
		return KEYMGR_ENOKEY;
	memset(&c, 0, sizeof c);
	c.tag = tag;
	c.suite = k->suite;
	c.key_len = k->key_len;
	c.salt_len = k->salt_len;
	memcpy(c.key, k->key, k->key_len);
	memcpy(c.salt, k->salt, k->salt_len);
	rc = sdes_format(&c, buf, cap);
	sdes_crypto_wipe(&c);
	if (rc == SDES_ESPACE)
		return KEYMGR_ESPACE;
	return rc == SDES_OK ? KEYMGR_OK : KEYMGR_EINVAL;
}

const struct keymgr_key *keymgr_call_key(const struct keymgr_call *call,
					 enum keymgr_side side, int outbound)
{
	if (!call || !side_ok(side))
		return NULL;
	return outbound ? call->out[side] : call->in[side];
}

enum sdes_suite keymgr_call_suite(const struct keymgr_call *call,
				  enum keymgr_side side, int outbound)
{
	const struct keymgr_key *k = keymgr_call_key(call, side, outbound);

	return k ? k->suite : SDES_SUITE_NONE;
}
