/* dialplan: pattern checking, matching and the precedence of the dial plan
 * (dialplan.h). */
#include "store/dialplan.h"

#include <stdio.h>
#include <string.h>

#include "common/errmsg.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_literal(char c)
{
	return is_digit(c) || c == '*' || c == '#' || c == '+';
}

/* One position of a pattern: the set of characters it accepts, as a bit
 * per digit plus the literal, or "one or more digits". */
struct position {
	uint16_t digits; /* bit d: digit d */
	char literal;	 /* '*', '#', '+' or 0 */
	int bang;	 /* '!': one or more digits */
};

/* Reads the position at *P and advances; -1 with the reason if malformed.
 * AT is the position's offset in the text (for the message). */
static int next_position(const char **p, struct position *pos, char *errmsg,
			 size_t errcap, size_t at)
{
	const char *s = *p;

	memset(pos, 0, sizeof *pos);
	if (is_digit(*s)) {
		pos->digits = (uint16_t)(1u << (*s - '0'));
		*p = s + 1;
		return 0;
	}
	if (is_literal(*s)) {
		pos->literal = *s;
		*p = s + 1;
		return 0;
	}
	if (*s == 'X') {
		pos->digits = 0x3ff;
		*p = s + 1;
		return 0;
	}
	if (*s == '!') {
		if (s[1] != '\0') {
			errmsg_set(
			    errmsg, errcap,
			    "'!' at position %zu: only the last character "
			    "may be '!'",
			    at + 1);
			return -1;
		}
		pos->bang = 1;
		*p = s + 1;
		return 0;
	}
	if (*s == '[') {
		s++;
		while (*s != ']') {
			if (!is_digit(*s)) {
				errmsg_set(errmsg, errcap,
					   "range opened at position %zu: only "
					   "digits and lo-hi ranges up to ']'",
					   at + 1);
				return -1;
			}
			if (s[1] == '-') {
				if (!is_digit(s[2]) || s[2] < s[0]) {
					errmsg_set(
					    errmsg, errcap,
					    "range opened at position %zu: "
					    "\"%c-\" needs a digit not "
					    "below %c",
					    at + 1, s[0], s[0]);
					return -1;
				}
				for (char d = s[0]; d <= s[2]; d++)
					pos->digits |=
					    (uint16_t)(1u << (d - '0'));
				s += 3;
			} else {
				pos->digits |= (uint16_t)(1u << (*s - '0'));
				s++;
			}
		}
		if (pos->digits == 0) {
			errmsg_set(errmsg, errcap,
				   "empty range \"[]\" at position %zu",
				   at + 1);
			return -1;
		}
		*p = s + 1;
		return 0;
	}
	errmsg_set(errmsg, errcap,
		   "character %zu ('%c') is not one of 0-9 * # + X [ ] !",
		   at + 1, (*s >= 0x20 && *s < 0x7f) ? *s : '?');
	return -1;
}

int dialplan_pattern_check(const char *pattern, char *errmsg, size_t errcap)
{
	struct position pos;
	const char *p = pattern;
	size_t n, npos = 0;

	if (!pattern ||
	    (n = strnlen(pattern, STORE_DIALPLAN_PATTERN_MAX)) == 0) {
		errmsg_set(errmsg, errcap, "a pattern is not empty");
		return -1;
	}
	if (n == STORE_DIALPLAN_PATTERN_MAX) {
		errmsg_set(errmsg, errcap,
			   "a pattern has at most %d characters",
			   STORE_DIALPLAN_PATTERN_MAX - 1);
		return -1;
	}
	while (*p) {
		if (next_position(&p, &pos, errmsg, errcap,
				  (size_t)(p - pattern)) != 0)
			return -1;
		if (++npos > STORE_DIALPLAN_POSITIONS_MAX) {
			errmsg_set(errmsg, errcap,
				   "a pattern matches at most %d characters",
				   STORE_DIALPLAN_POSITIONS_MAX);
			return -1;
		}
	}
	return 0;
}

static unsigned popcount10(uint16_t bits)
{
	unsigned n = 0;

	for (unsigned d = 0; d < 10; d++)
		n += (bits >> d) & 1u;
	return n;
}

dialplan_count dialplan_pattern_match(const char *pattern, const char *number)
{
	dialplan_count count = 1;
	struct position pos;
	const char *p = pattern, *s = number;

	if (dialplan_pattern_check(pattern, NULL, 0) != 0 ||
	    !store_dn_valid(number))
		return 0;
	while (*p) {
		if (next_position(&p, &pos, NULL, 0, 0) != 0)
			return 0;
		if (pos.bang) {
			/* One or more digits, all to the end. */
			if (!*s)
				return 0;
			for (; *s; s++) {
				if (!is_digit(*s))
					return 0;
				count *= 10;
			}
			return count;
		}
		if (!*s)
			return 0;
		if (pos.literal) {
			if (*s != pos.literal)
				return 0;
		} else if (!is_digit(*s) ||
			   !(pos.digits & (1u << (*s - '0')))) {
			return 0;
		}
		if (!pos.literal)
			count *= popcount10(pos.digits);
		s++;
	}
	return *s ? 0 : count;
}

/* ---- resolving -------------------------------------------------------- */

struct best {
	struct dialplan_result *out;
	const char *number;
	dialplan_count count; /* of the best so far; 0 none */
};

/* 1 if the candidate (COUNT, ACTION, PATTERN) beats the best so far. */
static int better(const struct best *b, dialplan_count count, uint32_t action,
		  const char *pattern)
{
	int blk = action == STORE_ROUTE_BLOCK,
	    best_blk = b->out->verdict == DIALPLAN_BLOCK;

	if (b->count == 0 || count < b->count)
		return 1;
	if (count > b->count)
		return 0;
	/* Equal: blocking first (fail closed), then the text. */
	if (blk != best_blk)
		return blk;
	return strcmp(pattern, b->out->pattern) < 0;
}

static int consider(void *arg, const struct dialplan_pattern *p)
{
	struct best *b = arg;
	dialplan_count count;

	if (p->action != STORE_ROUTE_TO_TRUNK && p->action != STORE_ROUTE_BLOCK)
		return 0;
	count = dialplan_pattern_match(p->pattern, b->number);
	if (count == 0 || !better(b, count, p->action, p->pattern))
		return 0;
	b->count = count;
	b->out->verdict =
	    p->action == STORE_ROUTE_BLOCK ? DIALPLAN_BLOCK : DIALPLAN_ROUTE;
	snprintf(b->out->pattern, sizeof b->out->pattern, "%s", p->pattern);
	snprintf(b->out->name, sizeof b->out->name, "%s",
		 p->name ? p->name : "");
	snprintf(b->out->target, sizeof b->out->target, "%s",
		 p->action == STORE_ROUTE_BLOCK || !p->target ? "" : p->target);
	return 0;
}

/* Looks in one partition: 1 if it holds NUMBER (OUT filled), 0 if not, -1
 * on an error of the source. */
static int resolve_in(const struct dialplan_source *src, void *ctx,
		      const char *partition, const char *number,
		      struct dialplan_result *out)
{
	struct best b = {.out = out, .number = number};
	int rc;

	memset(out, 0, sizeof *out);
	snprintf(out->partition, sizeof out->partition, "%s", partition);
	rc = src->has_line(ctx, partition, number);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		out->verdict = DIALPLAN_LINE;
		return 1;
	}
	if (src->each_pattern(ctx, partition, number, consider, &b) < 0)
		return -1;
	return b.count != 0;
}

int dialplan_resolve(const struct dialplan_source *src, void *ctx,
		     const char (*css)[STORE_NAME_MAX], unsigned ncss,
		     const char *number, struct dialplan_result *out)
{
	int rc;

	memset(out, 0, sizeof *out);
	if (!store_dn_valid(number))
		return 0;
	for (unsigned i = 0; i <= ncss; i++) {
		/* The none-partition last: every CSS reaches it. */
		const char *part = i < ncss ? css[i] : "";

		if (i < ncss && !part[0])
			continue;
		rc = resolve_in(src, ctx, part, number, out);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	memset(out, 0, sizeof *out);
	return 0;
}
