/* media: what the B2BUA needs from media security and the media relay —
 * decide a call's security level, write each side the SDP it may see
 * (keys only where the key manager's leg rule allows), open and close the
 * relay sessions — as a table of functions the process fills
 * (node/wardd_sip.c) from node/keymgr/. A role folder never includes
 * another role's headers: node/sip/ sees only this table.
 *
 * Side A is the caller's leg, side B the callee's. Every function runs on
 * the signaling thread and returns when done (the implementation crosses
 * to the media thread itself). SDP texts in and out may hold keys: the
 * caller wipes its copies (OPENSSL_cleanse) once sent, and never logs
 * them. A call without a table (tests, ward_sipd) passes SDP through with
 * the leg rule applied to a=crypto lines. */
#ifndef WARD_SIP_MEDIA_H
#define WARD_SIP_MEDIA_H

#include <stddef.h>

#include "node/sip/directory.h"

/* The call security level, weakest leg end to end. */
enum sip_level {
	SIP_LEVEL_NONSECURE = 0,
	SIP_LEVEL_AUTHENTICATED,
	SIP_LEVEL_ENCRYPTED,
};

/* One leg as the key manager judges it. */
struct sip_media_leg {
	enum sip_secmode mode; /* the device's or trunk's profile */
	unsigned transport;    /* SIP_TP_* the dialog runs on */
	int is_trunk;
	int encrypted_or_reject;       /* the profile's option */
	char device[SIP_DIR_NAME_MAX]; /* the device's or trunk's name:
					  authorised capture keys on it */
};

struct sip_media_call; /* the implementation's, opaque here */
struct sip_media_conf; /* a conference: the implementation's mixer */

struct sip_media_ops {
	/* A's offer SDP_A (LEN bytes) for a call CALL_ID between legs A and
	 * B: ward's offer to B goes to OUT (CAP bytes, NUL-terminated), its
	 * length to *OUT_LEN, the handle to *CALL. Returns 0, or the SIP
	 * status to refuse with (488 refused crypto or "encrypted or
	 * reject", 500 no resources); on refusal nothing is kept. */
	int (*offer)(void *ctx, const char *call_id,
		     const struct sip_media_leg *a,
		     const struct sip_media_leg *b, const char *sdp_a,
		     size_t len, char *out, size_t cap, size_t *out_len,
		     struct sip_media_call **call);
	/* B's answer SDP_B: ward's answer to A goes to OUT, the call's
	 * level to *LEVEL. 0 or a status as above. */
	int (*answer)(void *ctx, struct sip_media_call *call, const char *sdp_b,
		      size_t len, char *out, size_t cap, size_t *out_len,
		      enum sip_level *level);
	/* A new offer from SIDE ('A' or 'B': re-INVITE, UPDATE, hold,
	 * resume) for the other side, then that side's answer. The level
	 * may change (hold with music, a transfer). A and B are the call's
	 * legs now: a transfer or a replacement puts a new party on a side,
	 * and from this offer on the keys (which side may see them), the
	 * level and the capture follow its leg, not the one that left
	 * (NULL and NULL: the legs as they were). */
	int (*reoffer)(void *ctx, struct sip_media_call *call, int side,
		       const struct sip_media_leg *a,
		       const struct sip_media_leg *b, const char *sdp,
		       size_t len, char *out, size_t cap, size_t *out_len);
	int (*reanswer)(void *ctx, struct sip_media_call *call,
			const char *sdp, size_t len, char *out, size_t cap,
			size_t *out_len, enum sip_level *level);
	/* B's final answer SDP_B after a provisional one that carried the
	 * answer (early media): the relay follows it when it keys every
	 * stream as before, perhaps at another address or port (the session
	 * is pointed there); ward's answer to A stands. 0, or 488 when it
	 * re-keys (ward's key toward A is in use: the call is refused). */
	int (*answer_again)(void *ctx, struct sip_media_call *call,
			    const char *sdp_b, size_t len);
	/* The call ended or failed: its relay sessions are closed and keys
	 * wiped (at once, or by the media thread without being waited for).
	 * Accepts NULL. */
	void (*close)(void *ctx, struct sip_media_call *call);

	/* ---- ad hoc conference (docs/sip.md "Conference and barge") ----
	 * A participant is one side of a relayed call: from conf_join on,
	 * its first stream no longer reaches the call's other side; the
	 * mixer sends it the others (under ward's key toward it when its
	 * leg is SRTP). The conference's level is its weakest
	 * participant's. Optional: a table without conf_new has no
	 * conference (the SIP role answers 488/503 then). */

	/* A conference: 0, or 503 when media.max_conferences are open. */
	int (*conf_new)(void *ctx, struct sip_media_conf **conf);
	/* Ward itself answers A's offer SDP_A (a factory call, or a leg
	 * whose other side is gone): the call's handle to *CALL, the answer
	 * to OUT, the level of A's leg to *LEVEL; the media is relayed to
	 * nobody until conf_join. 0 or a status as for offer. */
	int (*terminate)(void *ctx, const char *call_id,
			 const struct sip_media_leg *a, const char *sdp_a,
			 size_t len, char *out, size_t cap, size_t *out_len,
			 struct sip_media_call **call, enum sip_level *level);
	/* A re-offer from SIDE of a participant, answered by ward itself
	 * (hold, resume, refresh inside a conference). */
	int (*self_answer)(void *ctx, struct sip_media_call *call, int side,
			   const char *sdp, size_t len, char *out, size_t cap,
			   size_t *out_len);
	/* SIDE ('A' or 'B') of CALL joins CONF (a call is in one
	 * conference at most; both its sides may join it: a barge). 0, 486
	 * when the conference is full (media.conference_size), 500. */
	int (*conf_join)(void *ctx, struct sip_media_conf *conf,
			 struct sip_media_call *call, int side);
	/* SIDE ('A', 'B', or 0 for both) of CALL leaves its conference
	 * (closing the call does it too). */
	void (*conf_leave)(void *ctx, struct sip_media_call *call, int side);
	/* The weakest participant's level, and how many there are. */
	enum sip_level (*conf_level)(void *ctx, struct sip_media_conf *conf,
				     unsigned *count);
	/* Closes CONF; its participants' calls stay open (close them
	 * first, or they hear nothing). Accepts NULL. */
	void (*conf_free)(void *ctx, struct sip_media_conf *conf);
};

struct sip_media {
	const struct sip_media_ops *ops; /* borrowed, static */
	void *ctx;			 /* borrowed */
};

/* "non-secure", "authenticated", "encrypted". */
const char *sip_level_name(enum sip_level level);

#endif
