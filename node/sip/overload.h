/* overload: whether the signaling thread has fallen behind, measured by a
 * probe that waits where the phones' messages wait.
 *
 * Once per tick the role sends itself a small OPTIONS from a socket of its
 * own to its UDP listener: the probe queues in the listener's socket
 * buffer and in the event loop behind every message that came before it,
 * so the time until on_message sees it is the queueing delay each request
 * meets. From it the role keeps the share of new dialogs it admits:
 * halved for each probe that came back later than delay_ms and for
 * each tick the one out is later than that (a probe lost from a full
 * socket buffer is sent again after a second), raised by a sixteenth for
 * each back in time, down to 1/64 and up to all. Admitting a share rather
 * than stopping and starting keeps the queue near delay_ms and the calls
 * served near what the thread can do. The cost: one datagram and one
 * parse per tick, a few operations per request.
 *
 * The probe carries a random token in its Call-ID and comes from the
 * probe socket's address: nobody else can make the role think itself idle
 * or busy. Threading: the signaling thread only. */
#ifndef WARD_SIP_OVERLOAD_H
#define WARD_SIP_OVERLOAD_H

#include <stdint.h>
#include <sys/socket.h>

struct sip_overload;

/* A probe toward the UDP listener at HOST (an IPv4 or IPv6 literal; a
 * wildcard means loopback) and PORT, overloaded above DELAY_MS (> 0).
 * 0, or -1 (no socket, no memory, bad host). */
int sip_overload_new(const char *host, unsigned port, unsigned delay_ms,
		     struct sip_overload **out);
void sip_overload_free(struct sip_overload *o);

/* Each tick (NOW_MS monotonic): sends a probe unless one is out (or the
 * one out is older than a second: lost). */
void sip_overload_tick(struct sip_overload *o, uint64_t now_ms);

/* A request from FROM with CALL_ID (borrowed): 1 if it is the probe (the
 * caller drops it), 0 if it is anybody else's. */
int sip_overload_probe_seen(struct sip_overload *o, const struct sockaddr *from,
			    const char *call_id, uint64_t now_ms);

/* Whether a new dialog may be admitted: 1 (always while not overloaded),
 * or 0 for the share refused. NULL admits. */
int sip_overload_admit(struct sip_overload *o);

/* 1 while overloaded (some share is refused), else 0. */
int sip_overload_active(const struct sip_overload *o);

/* The last probe's delay, ms, how many probes came back or were lost,
 * and the share admitted now, in 1/1024. */
struct sip_overload_stats {
	uint64_t last_delay_ms, max_delay_ms;
	uint64_t probes, lost;
	unsigned admit;
};
void sip_overload_stats(const struct sip_overload *o,
			struct sip_overload_stats *out);

#endif
