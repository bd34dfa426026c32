/* wardd_media: the media thread of wardd and the media table (node/sip/
 * media.h) the B2BUA calls — process plumbing joining the signaling role
 * to the key manager role (node/keymgr/): the one place that includes
 * both. Every call's media is relayed ("relay mode"): keys, SDP rewrite
 * (sdpmap.h) and port choice run on the caller's (signaling) thread; the
 * relay sessions live on the media thread's libevent loop, which the
 * table reaches through a request queue and waits on (a relay socket's
 * bind or an SRTP context's failure is known before the SDP leaves).
 *
 * Threads: wardd_media_new/free on one thread (the main loop); the
 * table's functions on any one thread at a time per call (the signaling
 * thread). */
#ifndef WARD_NODE_WARDD_MEDIA_H
#define WARD_NODE_WARDD_MEDIA_H

#include <stddef.h>

#include "node/sip/media.h"

struct wardd_capture;

struct wardd_media_config {
	char addr[128];	   /* ward's media address (IP literal) */
	unsigned port_min; /* the relay's even RTP ports, RTCP next */
	unsigned port_max;
	unsigned max_calls;	  /* calls with media at once; beyond: 500 */
	unsigned max_conferences; /* mixers at once; beyond: 503 */
	unsigned conference_size; /* participants per mixer, 3..MIXER_MAX */
	char suites[160];	  /* the SDES policy, best first; "": default */
	int allow_bridge;	  /* SRTP <-> RTP where a leg cannot do SRTP */
	size_t max_keys;	  /* key sets (0: the key manager's default) */
	char hold_music[512];	  /* raw 8 kHz µ-law file; "": no music */
	/* Authorised capture (wardd_capture.h): borrowed, must outlive the
	 * media; NULL: no key log. */
	struct wardd_capture *capture;
};

struct wardd_media;

/* Starts the media thread. Fails (-1, ERRMSG) when the address, range or
 * suites are wrong, or the key manager cannot keep keys out of core
 * dumps. */
int wardd_media_new(const struct wardd_media_config *cfg,
		    struct wardd_media **out, char *errmsg, size_t errcap);
/* Stops the thread, closes every relay session, wipes every key. Calls
 * the signaling role left open are closed here (with a warning): stop
 * the role first, nothing may use them after. Accepts NULL. */
void wardd_media_free(struct wardd_media *m);

/* The table for sip_start: OUT->ops static, OUT->ctx M. */
void wardd_media_table(struct wardd_media *m, struct sip_media *out);

/* Calls with media now, and relay port pairs in use. */
unsigned wardd_media_calls(struct wardd_media *m);
unsigned wardd_media_ports_used(struct wardd_media *m);

#endif
