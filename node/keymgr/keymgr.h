/* keymgr: the key manager role — SRTP master keys for the calls whose media
 * ward terminates, the rule for which legs may ever see keys, and the call
 * security level. The template is smtpd's ca.c: this module alone holds the
 * key bytes; other roles get an a=crypto value for a leg, or nothing.
 *
 * The seed's steps 1–7, mapped onto SDES where ward relays the media:
 * for a call between side A and side B the key manager makes two master
 * key + salt sets, one per direction — KEYMGR_TOWARD_B protects the A→B
 * stream as it leaves ward for B, KEYMGR_TOWARD_A the B→A stream as it
 * leaves for A — and each phone learns the set of the stream it receives
 * in ward's SDP to it (RFC 4568: an a=crypto value is its sender's key).
 * Each phone's own sending key arrives in its SDP and is imported here, so
 * the relay unprotects with the inbound leg's key and protects with the
 * outbound leg's (steps 4–7). SIP phones choose their own sending keys (the
 * seed's note); ward never chooses them.
 *
 * Key hygiene: keys come from the OS CSPRNG (RAND_priv_bytes), live only in
 * pages this module maps itself — mlock'ed where the limit allows,
 * MADV_DONTDUMP (fail closed if refused), MADV_WIPEONFORK — and are wiped
 * with OPENSSL_cleanse when released. No function here logs or returns key
 * bytes in an error; only keymgr_call_crypto_for_leg writes them, and only
 * for a leg that keymgr_leg_may_receive_keys allows.
 *
 * Threads: a struct keymgr may be shared (its slot allocator is locked);
 * one struct keymgr_call belongs to one thread at a time. */
#ifndef WARD_NODE_KEYMGR_KEYMGR_H
#define WARD_NODE_KEYMGR_KEYMGR_H

#include <stddef.h>

#include "sdp/sdes.h"

#define KEYMGR_ERRORS(X)                                                       \
	X(KEYMGR_OK, "ok")                                                     \
	X(KEYMGR_ENOMEM, "out of key memory")                                  \
	X(KEYMGR_ERANDOM, "random generator failed")                           \
	X(KEYMGR_ENOTSECURE, "leg may not carry keys")                         \
	X(KEYMGR_EREJECT, "call below the required security level")            \
	X(KEYMGR_EINVAL, "invalid argument")                                   \
	X(KEYMGR_ENOKEY, "no key for this direction")                          \
	X(KEYMGR_ESPACE, "output buffer too small")                            \
	X(KEYMGR_ESOCKET, "cannot open media sockets")                         \
	X(KEYMGR_ESRTP, "SRTP context setup failed")

enum keymgr_error {
#define X(code, text) code,
	KEYMGR_ERRORS(X)
#undef X
};

const char *keymgr_strerror(int code);

/* ---- rules: which legs may see keys, and the call security level ---- */

/* A device's (or trunk's) security mode, from its profile. */
enum keymgr_mode {
	KEYMGR_MODE_NONSECURE = 0,
	KEYMGR_MODE_AUTHENTICATED,
	KEYMGR_MODE_ENCRYPTED,
};

/* The transport the leg's signaling runs over now. */
enum keymgr_transport {
	KEYMGR_TRANSPORT_UDP = 0,
	KEYMGR_TRANSPORT_TCP,
	KEYMGR_TRANSPORT_TLS,
};

/* Ordered: a lower value is weaker. */
enum keymgr_level {
	KEYMGR_LEVEL_NONSECURE = 0,
	KEYMGR_LEVEL_AUTHENTICATED,
	KEYMGR_LEVEL_ENCRYPTED,
};

/* "non-secure", "authenticated", "encrypted" (static). */
const char *keymgr_level_name(enum keymgr_level level);

struct keymgr_leg {
	enum keymgr_mode mode;
	enum keymgr_transport transport;
	int is_trunk;	/* the far side is beyond what ward can vouch for */
	int media_srtp; /* SRTP was agreed on this leg's media */
};

/* 1 when LEG may be sent SRTP keys: encrypted mode over TLS. An
 * authenticated-mode, non-secure or non-TLS leg never sees keys. */
int keymgr_leg_may_receive_keys(const struct keymgr_leg *leg);

/* One leg's level: non-secure without TLS or in non-secure mode;
 * authenticated in authenticated mode, for an encrypted leg whose media
 * fell back to RTP, and for any trunk (its far side is out of sight);
 * encrypted otherwise. */
enum keymgr_level keymgr_leg_level(const struct keymgr_leg *leg);

/* The call's level: its weakest leg (LEGS borrowed, N >= 1; N == 0 gives
 * non-secure). */
enum keymgr_level keymgr_call_level(const struct keymgr_leg *legs, size_t n);

/* The level into *OUT; KEYMGR_EREJECT when ENCRYPTED_OR_REJECT is set (the
 * profile's "encrypted or reject") and the level is below encrypted — the
 * signaling role then answers 488 instead of falling back. */
int keymgr_call_decide(const struct keymgr_leg *legs, size_t n,
		       int encrypted_or_reject, enum keymgr_level *out);

/* ---- keys ---- */

struct keymgr;
struct keymgr_call;

enum keymgr_side { KEYMGR_SIDE_A = 0, KEYMGR_SIDE_B = 1 };

/* A key manager holding at most MAX_KEYS key sets (0: a default of 65536,
 * enough for 16k relayed two-leg calls). NULL with ERRMSG on failure. */
struct keymgr *keymgr_new(size_t max_keys, char *errmsg, size_t errcap);
/* Wipes and unmaps every key page; every call must be freed first (a
 * broken invariant otherwise: abort). Accepts NULL. */
void keymgr_free(struct keymgr *km);
/* 1 when the key pages are mlock'ed (0 where RLIMIT_MEMLOCK refused). */
int keymgr_is_locked(const struct keymgr *km);
/* Key sets in use. */
size_t keymgr_keys_in_use(struct keymgr *km);

/* A call with no keys yet; KM borrowed, must outlive it. */
int keymgr_call_new(struct keymgr *km, struct keymgr_call **out);
/* Wipes and returns every key of CALL. Accepts NULL. */
void keymgr_call_free(struct keymgr_call *call);

/* Generates the master key + salt of SUITE that ward protects with toward
 * SIDE (replacing, and wiping, an older one: a re-INVITE re-keys). */
int keymgr_call_generate(struct keymgr_call *call, enum keymgr_side side,
			 enum sdes_suite suite);

/* Takes the key SIDE's phone sends with (its chosen a=crypto, borrowed;
 * the caller wipes its copy), replacing an older one. */
int keymgr_call_import(struct keymgr_call *call, enum keymgr_side side,
		       const struct sdes_crypto *offered);

/* The a=crypto value (without "a=crypto:") for ward's SDP to SIDE: the
 * generated key toward SIDE, with TAG. Only when LEG (SIDE's leg, borrowed)
 * may receive keys: KEYMGR_ENOTSECURE otherwise, and BUF stays empty.
 * BUF (caller's, CAP >= SDES_VALUE_MAX) then holds key material: wipe it
 * with OPENSSL_cleanse once the SDP is sent. */
int keymgr_call_crypto_for_leg(const struct keymgr_call *call,
			       enum keymgr_side side,
			       const struct keymgr_leg *leg, unsigned tag,
			       char *buf, size_t cap);

/* The suite of the generated (OUTBOUND 1) or imported (0) key of SIDE,
 * SDES_SUITE_NONE when there is none. */
enum sdes_suite keymgr_call_suite(const struct keymgr_call *call,
				  enum keymgr_side side, int outbound);

#endif
