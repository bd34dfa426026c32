/* gate: login buckets per client address and failure counts per source and
 * user, in fixed tables (admin_gate.h). */
#include "node/admin/admin_gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GATE_PROBE 8	    /* slots looked at per address */
#define GATE_MILLI 1000u    /* a token, in thousandths */
#define GATE_DETAIL_MAX 480 /* under STORE_TEXT_MAX (512) */
#define GATE_NAME_MAX 64    /* admin and node names: 1-63 characters */
#define GATE_REASON_MAX 64

struct bucket {
	char addr[ADMIN_GATE_ADDR_MAX]; /* "" when free */
	uint32_t milli;			/* tokens, in thousandths */
	uint64_t last_ms;
};

struct name_count {
	char name[GATE_NAME_MAX];
	unsigned count;
};

struct source {
	enum admin_gate_kind kind;
	char addr[ADMIN_GATE_ADDR_MAX];
	unsigned count;
	struct name_count names[ADMIN_GATE_NAMES];
	unsigned names_other; /* failures naming a name not kept */
	char reason[GATE_REASON_MAX];
};

struct admin_gate {
	struct admin_gate_config cfg;
	struct bucket buckets[ADMIN_GATE_BUCKETS];
	struct source sources[ADMIN_GATE_SOURCES];
	unsigned n_sources;
	struct name_count users[ADMIN_GATE_USERS];
	unsigned n_users;
	unsigned users_other; /* failures naming a user not kept */
	unsigned more;	      /* failures of sources not kept */
	unsigned pending;
};

int admin_gate_new(const struct admin_gate_config *cfg, struct admin_gate **out)
{
	struct admin_gate *g = calloc(1, sizeof *g);

	*out = NULL;
	if (!g)
		return -1;
	g->cfg.burst = cfg && cfg->burst ? cfg->burst : 10;
	g->cfg.per_min = cfg && cfg->per_min ? cfg->per_min : 30;
	*out = g;
	return 0;
}

void admin_gate_free(struct admin_gate *g)
{
	free(g);
}

static uint32_t addr_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void bucket_refill(const struct admin_gate *g, struct bucket *b,
			  uint64_t now_ms)
{
	uint64_t full = (uint64_t)g->cfg.burst * GATE_MILLI, add;

	if (now_ms <= b->last_ms)
		return;
	/* per_min tokens a minute: per_min thousandths every 60 ms. */
	add = (now_ms - b->last_ms) * g->cfg.per_min / 60;
	b->milli = (uint32_t)(b->milli + add >= full ? full : b->milli + add);
	b->last_ms = now_ms;
}

/* The bucket of ADDR, or a slot for it: a free one, else one that refilled
 * to full (forgetting it loses nothing), else the one idle longest. */
static struct bucket *bucket_find(struct admin_gate *g, const char *addr,
				  uint64_t now_ms)
{
	uint32_t h = addr_hash(addr);
	struct bucket *victim = NULL, *b;

	for (unsigned i = 0; i < GATE_PROBE; i++) {
		b = &g->buckets[(h + i) % ADMIN_GATE_BUCKETS];
		if (strcmp(b->addr, addr) == 0 && b->addr[0])
			return b;
		if (!b->addr[0]) {
			if (!victim || victim->addr[0])
				victim = b;
			continue;
		}
		bucket_refill(g, b, now_ms);
		if (victim && !victim->addr[0])
			continue;
		if (!victim || b->milli > victim->milli ||
		    (b->milli == victim->milli && b->last_ms < victim->last_ms))
			victim = b;
	}
	snprintf(victim->addr, sizeof victim->addr, "%s", addr);
	victim->milli = g->cfg.burst * GATE_MILLI;
	victim->last_ms = now_ms;
	return victim;
}

unsigned admin_gate_take(struct admin_gate *g, const char *addr,
			 uint64_t now_ms)
{
	char key[ADMIN_GATE_ADDR_MAX];
	struct bucket *b;
	uint64_t missing;

	snprintf(key, sizeof key, "%s", addr && addr[0] ? addr : "?");
	b = bucket_find(g, key, now_ms);
	bucket_refill(g, b, now_ms);
	if (b->milli >= GATE_MILLI) {
		b->milli -= GATE_MILLI;
		return 0;
	}
	/* per_min thousandths of a token every 60 ms: the missing ones take
	 * missing * 60 / per_min ms, rounded up to whole seconds. */
	missing = GATE_MILLI - b->milli;
	missing = (missing * 60 + g->cfg.per_min - 1) / g->cfg.per_min;
	return missing < 1000 ? 1 : (unsigned)((missing + 999) / 1000);
}

static void name_count_add(struct name_count *tab, unsigned cap, unsigned *n,
			   unsigned *other, const char *name, unsigned count)
{
	for (unsigned i = 0; i < *n; i++)
		if (strcmp(tab[i].name, name) == 0) {
			tab[i].count += count;
			return;
		}
	if (*n == cap) {
		*other += count;
		return;
	}
	snprintf(tab[*n].name, sizeof tab[*n].name, "%s", name);
	tab[*n].count = count;
	(*n)++;
}

int admin_gate_fail(struct admin_gate *g, enum admin_gate_kind kind,
		    const char *addr, const char *name, const char *reason)
{
	return admin_gate_fail_n(g, kind, addr, name, reason, 1);
}

int admin_gate_fail_n(struct admin_gate *g, enum admin_gate_kind kind,
		      const char *addr, const char *name, const char *reason,
		      unsigned count)
{
	char key[ADMIN_GATE_ADDR_MAX];
	struct source *s = NULL;
	unsigned n_names;
	int first = g->pending == 0;

	snprintf(key, sizeof key, "%s", addr && addr[0] ? addr : "?");
	if (!name || !name[0])
		name = "?";
	if (!count || kind >= ADMIN_GATE__KINDS)
		return 0;
	g->pending += count;
	for (unsigned i = 0; i < g->n_sources; i++)
		if (g->sources[i].kind == kind &&
		    strcmp(g->sources[i].addr, key) == 0)
			s = &g->sources[i];
	if (!s && g->n_sources < ADMIN_GATE_SOURCES) {
		s = &g->sources[g->n_sources++];
		memset(s, 0, sizeof *s);
		s->kind = kind;
		snprintf(s->addr, sizeof s->addr, "%s", key);
	}
	if (s) {
		s->count += count;
		n_names = 0;
		while (n_names < ADMIN_GATE_NAMES && s->names[n_names].count)
			n_names++;
		name_count_add(s->names, ADMIN_GATE_NAMES, &n_names,
			       &s->names_other, name, count);
		if (reason)
			snprintf(s->reason, sizeof s->reason, "%s", reason);
	} else {
		g->more += count;
	}
	if (kind == ADMIN_GATE_LOGIN)
		name_count_add(g->users, ADMIN_GATE_USERS, &g->n_users,
			       &g->users_other, name, count);
	return first;
}

unsigned admin_gate_pending(const struct admin_gate *g)
{
	return g->pending;
}

/* Appends "name:count" entries to OUT while they fit, then "(+N more)". */
static void names_text(char *out, size_t cap, const struct name_count *tab,
		       unsigned n, unsigned other, const char *sep)
{
	size_t len = strlen(out);
	unsigned i;

	if (len + 32 >= cap)
		return; /* no room: the record carries the count already */
	for (i = 0; i < n; i++) {
		int w = snprintf(out + len, cap - len, "%s%s:%u", i ? sep : "",
				 tab[i].name, tab[i].count);

		if (w < 0 || (size_t)w >= cap - len - 16) {
			out[len] = '\0';
			break;
		}
		len += (size_t)w;
	}
	for (unsigned k = i; k < n; k++)
		other += tab[k].count;
	if (other)
		snprintf(out + len, cap - len, " (+%u more)", other);
}

static const char *const kind_action[ADMIN_GATE__KINDS] = {
    [ADMIN_GATE_LOGIN] = "login.fail",
    [ADMIN_GATE_JOIN] = "join.fail",
    [ADMIN_GATE_SIP] = "sip.fail",
    [ADMIN_GATE_CAPF] = "capf.fail",
};

unsigned admin_gate_summary(struct admin_gate *g, unsigned window_s,
			    admin_gate_emit_fn emit, void *arg)
{
	char detail[GATE_DETAIL_MAX];
	unsigned emitted = 0;

	for (unsigned i = 0; i < g->n_sources; i++) {
		const struct source *s = &g->sources[i];
		unsigned n = 0;
		size_t len;

		while (n < ADMIN_GATE_NAMES && s->names[n].count)
			n++;
		snprintf(detail, sizeof detail,
			 "peer=%s count=%u window=%us %s=", s->addr, s->count,
			 window_s,
			 s->kind == ADMIN_GATE_LOGIN  ? "users"
			 : s->kind == ADMIN_GATE_CAPF ? "devices"
						      : "names");
		names_text(detail, sizeof detail - GATE_REASON_MAX - 8,
			   s->names, n, s->names_other, ",");
		len = strlen(detail);
		if (s->reason[0])
			snprintf(detail + len, sizeof detail - len, " last=%s",
				 s->reason);
		emit(arg, kind_action[s->kind], detail);
		emitted++;
	}
	if (g->n_users) {
		snprintf(detail, sizeof detail, "window=%us ", window_s);
		names_text(detail, sizeof detail, g->users, g->n_users,
			   g->users_other, " ");
		emit(arg, "login.fail.users", detail);
		emitted++;
	}
	if (g->more) {
		snprintf(detail, sizeof detail,
			 "count=%u window=%us (failures from sources beyond "
			 "the %d counted)",
			 g->more, window_s, ADMIN_GATE_SOURCES);
		emit(arg, "auth.fail.more", detail);
		emitted++;
	}
	g->n_sources = g->n_users = 0;
	g->users_other = g->more = g->pending = 0;
	memset(g->sources, 0, sizeof g->sources);
	memset(g->users, 0, sizeof g->users);
	return emitted;
}
