/* holdmusic: the operator's music on hold, read once from a file of raw
 * 8 kHz G.711 µ-law (`sox in.wav -r 8000 -c 1 -e u-law -t raw hold.ul`)
 * and kept in both G.711 laws, for the relay to play toward a held phone
 * (relay_session_play) in whichever one its SDP accepted. */
#ifndef WARD_NODE_KEYMGR_HOLDMUSIC_H
#define WARD_NODE_KEYMGR_HOLDMUSIC_H

#include <stddef.h>
#include <stdint.h>

/* At most 10 minutes: a loop, not a programme. */
#define HOLDMUSIC_MAX (8000 * 600)

struct holdmusic {
	uint8_t *pcmu; /* owned */
	uint8_t *pcma; /* owned */
	size_t len;    /* bytes (= samples) of each */
};

/* Reads PATH into M (caller's). 0, or -1 with ERRMSG: unreadable, shorter
 * than one 20 ms packet, longer than HOLDMUSIC_MAX. */
int holdmusic_load(struct holdmusic *m, const char *path, char *errmsg,
		   size_t errcap);
/* Accepts a zeroed M. */
void holdmusic_free(struct holdmusic *m);

/* One µ-law sample as A-law (through 16-bit linear, ITU-T G.711). */
uint8_t holdmusic_ulaw_to_alaw(uint8_t u);

#endif
