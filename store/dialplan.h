/* dialplan: the matching rules of the dial plan — route and blocking
 * patterns, and which entry of which partition wins for a caller's calling
 * search space (docs/sip.md, "Dial plan").
 *
 * Pure functions over a small table of callbacks, so that the directory
 * over the store and the in-memory directory of the tests decide exactly
 * alike; and that source over the store's tables (store_dialplan_route,
 * for the signaling role and the admin API's lookup). Nothing here
 * allocates; nothing returned is borrowed past a call.
 *
 * Pattern syntax (a pattern comes from the admin API: outside input):
 *   0-9 * # +     the character itself
 *   X             any digit
 *   [1-5] [135]   one digit of the set (digits and ranges lo-hi, lo <= hi)
 *   !             last only: one or more digits
 * 1..STORE_DIALPLAN_PATTERN_MAX-1 characters, 1..31 positions ('!' counts
 * as one); anything else is refused with the reason.
 */
#ifndef WARD_STORE_DIALPLAN_H
#define WARD_STORE_DIALPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "store/prov.h"

/* Text of a pattern, with its NUL. */
#define STORE_DIALPLAN_PATTERN_MAX 64
/* Positions of a pattern: as many as a directory number has characters. */
#define STORE_DIALPLAN_POSITIONS_MAX (STORE_DN_MAX - 1)

/* 0 if PATTERN (NUL-terminated) is a well-formed pattern; else -1 with the
 * reason, naming the offending position, in ERRMSG (may be NULL). */
int dialplan_pattern_check(const char *pattern, char *errmsg, size_t errcap);

/* How many numbers of NUMBER's length PATTERN matches (1 for an exact
 * pattern): the measure of specificity, fewer is more specific. 0 if
 * PATTERN does not match NUMBER or is malformed. Exact for every pattern
 * the checker accepts (at most 10^31 numbers). */
typedef unsigned __int128 dialplan_count;
dialplan_count dialplan_pattern_match(const char *pattern, const char *number);

enum dialplan_verdict {
	DIALPLAN_NONE = 0,  /* no reachable partition holds the number */
	DIALPLAN_LINE = 1,  /* a line of a device in `partition` */
	DIALPLAN_ROUTE = 2, /* a route pattern: to the trunk `target` */
	DIALPLAN_BLOCK = 3, /* a blocking pattern */
};

/* A pattern as a source hands it over; strings borrowed for the call. */
struct dialplan_pattern {
	const char *pattern;
	uint32_t action;    /* enum store_route_action */
	const char *target; /* trunk device name (route), "" (block) */
	const char *name;   /* the record's name, for logs */
};

/* Returns 0 to go on, non-zero to stop (returned by each_pattern). */
typedef int (*dialplan_pattern_fn)(void *arg, const struct dialplan_pattern *p);

/* Where the dial plan's entries are. Both return < 0 on an error reading
 * them (the lookup then fails closed). PARTITION "" is the none-partition. */
struct dialplan_source {
	/* 1 if a device has line NUMBER in PARTITION, 0 if none. */
	int (*has_line)(void *ctx, const char *partition, const char *number);
	/* Calls FN for the patterns of PARTITION that may match NUMBER
	 * (at least every one that does; more are harmless), in any
	 * order. */
	int (*each_pattern)(void *ctx, const char *partition,
			    const char *number, dialplan_pattern_fn fn,
			    void *arg);
};

struct dialplan_result {
	enum dialplan_verdict verdict;
	char partition[STORE_NAME_MAX]; /* the winning partition, "" none */
	char pattern[STORE_DIALPLAN_PATTERN_MAX]; /* ROUTE, BLOCK */
	char name[STORE_NAME_MAX];		  /* ROUTE, BLOCK: record */
	char target[STORE_NAME_MAX];		  /* ROUTE: the trunk */
};

/* The entry CALLER's calling search space reaches for NUMBER: the
 * partitions CSS[0..NCSS) in order, then the none-partition; the first
 * that holds NUMBER wins. Inside it an exact line beats any pattern; among
 * patterns the one matching the fewest numbers of NUMBER's length wins,
 * a blocking pattern before a route pattern of equal count, then the
 * pattern text in byte order (so the answer never depends on the order a
 * source lists them). A NUMBER that is not a directory number reaches
 * nothing. 0 with OUT filled (verdict NONE when nothing matched), or -1
 * when the source failed. */
int dialplan_resolve(const struct dialplan_source *src, void *ctx,
		     const char (*css)[STORE_NAME_MAX], unsigned ncss,
		     const char *number, struct dialplan_result *out);

/* ---- over the store --------------------------------------------------- */

#define STORE_DIALPLAN_DEVICES_MAX 8

struct store_dialplan_answer {
	struct dialplan_result res; /* verdict, partition, pattern... */
	unsigned ndevices;	    /* LINE: the devices with the line (first
				       STORE_DIALPLAN_DEVICES_MAX in name order) */
	char devices[STORE_DIALPLAN_DEVICES_MAX][STORE_NAME_MAX];
};

/* dialplan_resolve over R (a read transaction, borrowed) for the device
 * CALLER (phone or trunk) and NUMBER: its CSS from its record, the lines
 * from the line index, the patterns from the pattern index. 0 with OUT
 * filled (verdict NONE when nothing reachable holds NUMBER); STORE_ENOTFOUND
 * for an unknown caller; STORE_ENOTFOUND is never about NUMBER. Another
 * code when the store cannot be read or the caller's CSS is gone (the
 * caller then fails closed). Reads only. */
int store_dialplan_route(struct store_read *r, const char *caller,
			 const char *number, struct store_dialplan_answer *out);

#endif
