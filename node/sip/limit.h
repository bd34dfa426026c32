/* limit: per-source message rate limits and authentication-failure
 * accounting for the SIP ports, in a fixed-size table (an unauthenticated
 * peer costs bounded memory), summarised in the log instead of a write per
 * failure.
 *
 * Sources are IP addresses (the port is ignored: a flooder changes ports).
 * The table is set-associative; when a set is full the least recently seen
 * source is forgotten, so a source can at worst be reset, never blame
 * another. Threading: one per signaling thread. */
#ifndef WARD_SIP_LIMIT_H
#define WARD_SIP_LIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct sip_limit_config {
	unsigned rate;		/* messages per second per source; 0: off */
	unsigned burst;		/* bucket size */
	unsigned fail_max;	/* auth failures per window before blocking */
	unsigned fail_window_s; /* window, and how long a block lasts */
	size_t slots;		/* sources tracked (rounded to a power of 2) */
};

struct sip_limit;

int sip_limit_new(const struct sip_limit_config *cfg, struct sip_limit **out);
void sip_limit_free(struct sip_limit *l);

/* 1 if a message from SA at NOW_MS may be processed, 0 if it must be
 * dropped (over rate, or blocked for failing authentication). */
int sip_limit_admit(struct sip_limit *l, const struct sockaddr *sa,
		    uint64_t now_ms);

/* Counts a failed authentication from SA. */
void sip_limit_fail(struct sip_limit *l, const struct sockaddr *sa,
		    uint64_t now_ms);

/* Counters since the last call, reset by it. TOP (caller's, 64 bytes)
 * receives the address with the most failures ("" if none). */
struct sip_limit_summary {
	uint64_t dropped;
	uint64_t failures;
	uint64_t blocked_sources;
	char top[64];
	uint64_t top_failures;
};
void sip_limit_take_summary(struct sip_limit *l, struct sip_limit_summary *s);

#endif
