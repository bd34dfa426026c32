/* portpool: the media ports of a node — even RTP ports (RTCP on the next)
 * from a configured range, handed to relayed streams and taken back when
 * their sockets are closed, so that ward's SDP can name a port before the
 * relay session that binds it exists (an offer names it, the answer opens
 * it).
 *
 * Threads: every function is thread-safe (one mutex): ports are taken on
 * the signaling thread and given back there or on the media thread. */
#ifndef WARD_NODE_KEYMGR_PORTPOOL_H
#define WARD_NODE_KEYMGR_PORTPOOL_H

#include <sys/socket.h>

struct portpool;

/* A pool of the even ports from LO to HI (both within 1024..65534, LO <=
 * HI; an odd LO starts at the next even port). NULL when out of memory or
 * when the range holds no pair. */
struct portpool *portpool_new(unsigned lo, unsigned hi);
/* Accepts NULL. */
void portpool_free(struct portpool *p);

/* From now on portpool_take skips pairs whose ports cannot be bound on
 * ADDR (an IPv4 or IPv6 address, port unused; copied) over UDP: another
 * process in the range costs a skipped pair, not a failed call. The two
 * sockets that proved a pair free stay bound (the pair is reserved from
 * the offer on) until the relay session claims them (portpool_claim) or
 * the port is given back. */
void portpool_probe_on(struct portpool *p, const struct sockaddr_storage *addr);

/* An even port whose pair (port, port + 1) is free, marked used; 0 when
 * every pair is taken. Pairs are handed out round the range, so a port
 * just given back is the last to be reused (a late packet of an ended
 * call does not reach the next one). */
unsigned portpool_take(struct portpool *p);
/* Gives PORT (from portpool_take) back. 0 and ports not taken are
 * ignored. */
void portpool_give(struct portpool *p, unsigned port);
/* The sockets bound to PORT's pair (PORT from portpool_take) when its
 * probe kept them: 0 with FD[0] (RTP, PORT) and FD[1] (RTCP, PORT + 1),
 * non-blocking, now the caller's; -1 (FD[] -1) when none are held (no
 * probe, or claimed already). */
int portpool_claim(struct portpool *p, unsigned port, int fd[2]);
/* Pairs in use. */
unsigned portpool_used(struct portpool *p);

#endif
