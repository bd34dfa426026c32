/* presence_node: who watches which device across nodes, and the PUBLISH
 * bodies that say so. See presence_node.h. */
#include "node/sip/presence_node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Watcher side: to whom and when this node last said it watches. */
struct told {
	char device[SIP_DIR_NAME_MAX];
	uint64_t node, at_ms;
};

/* Holder side: which members watch a device, until when. */
struct interest {
	char device[SIP_DIR_NAME_MAX];
	uint64_t node[SIP_PNODE_PER_DEV];
	uint64_t until_ms[SIP_PNODE_PER_DEV];
	uint64_t last_ms; /* for replacement */
};

struct sip_pnode {
	struct told told[SIP_PNODE_SLOTS];
	struct interest in[SIP_PNODE_SLOTS];
};

#define PROBE 8

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

int sip_pnode_new(struct sip_pnode **out)
{
	*out = calloc(1, sizeof **out);
	return *out ? 0 : -1;
}

void sip_pnode_free(struct sip_pnode *t)
{
	free(t);
}

static int name_ok(const char *s, int empty_ok)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '+' || c == '*' || c == '#' || c == '-'))
			return 0;
		if (n + 1 >= SIP_DIR_NAME_MAX)
			return 0;
	}
	return n > 0 || empty_ok;
}

static int callid_ok(const char *s)
{
	size_t n = 0;

	if (!s)
		return 0;
	for (; s[n]; n++)
		if ((unsigned char)s[n] <= 0x20 ||
		    (unsigned char)s[n] >= 0x7f ||
		    n + 1 >= SIP_PNODE_CALLID_MAX)
			return 0;
	return n > 0;
}

int sip_pnode_announce_due(struct sip_pnode *t, const char *device,
			   uint64_t node, uint64_t now_ms)
{
	uint32_t h = hash(device);
	struct told *victim = NULL;

	for (unsigned k = 0; k < PROBE; k++) {
		struct told *e = &t->told[(h + k) % SIP_PNODE_SLOTS];

		if (e->device[0] && strcmp(e->device, device) == 0) {
			if (e->node == node &&
			    now_ms < e->at_ms + SIP_PNODE_ANNOUNCE_S * 1000ULL)
				return 0;
			victim = e;
			break;
		}
		if (!victim || !e->device[0] ||
		    (victim->device[0] && e->at_ms < victim->at_ms))
			victim = e;
	}
	snprintf(victim->device, sizeof victim->device, "%s", device);
	victim->node = node;
	victim->at_ms = now_ms;
	return 1;
}

void sip_pnode_watch(struct sip_pnode *t, const char *device, uint64_t node,
		     uint64_t now_ms)
{
	uint32_t h = hash(device);
	struct interest *e = NULL, *victim = NULL;
	unsigned slot = 0;

	for (unsigned k = 0; k < PROBE; k++) {
		struct interest *x = &t->in[(h + k) % SIP_PNODE_SLOTS];

		if (x->device[0] && strcmp(x->device, device) == 0) {
			e = x;
			break;
		}
		if (!victim || !x->device[0] ||
		    (victim->device[0] && x->last_ms < victim->last_ms))
			victim = x;
	}
	if (!e) {
		e = victim;
		memset(e, 0, sizeof *e);
		snprintf(e->device, sizeof e->device, "%s", device);
	}
	/* The member's own entry, else a free or lapsed one, else the one
	 * that lapses first. */
	for (unsigned i = 0; i < SIP_PNODE_PER_DEV; i++) {
		if (e->node[i] == node) {
			slot = i;
			break;
		}
		if (e->until_ms[i] < e->until_ms[slot])
			slot = i;
	}
	e->node[slot] = node;
	e->until_ms[slot] = now_ms + SIP_PNODE_TTL_S * 1000ULL;
	e->last_ms = now_ms;
}

size_t sip_pnode_watchers(const struct sip_pnode *t, const char *device,
			  uint64_t now_ms, uint64_t out[SIP_PNODE_PER_DEV])
{
	uint32_t h = hash(device);
	size_t n = 0;

	for (unsigned k = 0; k < PROBE; k++) {
		const struct interest *x = &t->in[(h + k) % SIP_PNODE_SLOTS];

		if (!x->device[0] || strcmp(x->device, device) != 0)
			continue;
		for (unsigned i = 0; i < SIP_PNODE_PER_DEV; i++)
			if (x->node[i] && x->until_ms[i] > now_ms)
				out[n++] = x->node[i];
		break;
	}
	return n;
}

static const char *const state_names[] = {
    [SIP_DLG_TRYING] = "trying",
    [SIP_DLG_EARLY] = "early",
    [SIP_DLG_CONFIRMED] = "confirmed",
    [SIP_DLG_TERMINATED] = "terminated",
};

int sip_pnode_watch_body(const char *device, char *out, size_t cap)
{
	int n;

	if (!name_ok(device, 0))
		return -1;
	n = snprintf(out, cap, "device=%s\n", device);
	return n > 0 && (size_t)n < cap ? n : -1;
}

int sip_pnode_dialog_body(const struct sip_dialog_event *ev, char *out,
			  size_t cap)
{
	const char *line = ev->line ? ev->line : "";
	const char *peer = ev->peer ? ev->peer : "";
	int n;

	if (ev->state < SIP_DLG_TRYING || ev->state > SIP_DLG_TERMINATED ||
	    !name_ok(ev->device, 0) || !name_ok(line, 1) || !name_ok(peer, 1) ||
	    !callid_ok(ev->call_id))
		return -1;
	n = snprintf(out, cap,
		     "device=%s\nline=%s\ncall-id=%s\npeer=%s\ninitiator=%d\n"
		     "state=%s\n",
		     ev->device, line, ev->call_id, peer, ev->initiator ? 1 : 0,
		     state_names[ev->state]);
	return n > 0 && (size_t)n < cap ? n : -1;
}

enum { K_DEVICE, K_LINE, K_CALLID, K_PEER, K_INITIATOR, K_STATE, K_N };

static const char *const keys[K_N] = {
    "device", "line", "call-id", "peer", "initiator", "state",
};

int sip_pnode_parse(const char *event, const char *body, size_t len,
		    struct sip_pnode_msg *out)
{
	unsigned seen = 0, need;
	size_t off = 0;

	memset(out, 0, sizeof *out);
	if (!event || !body || len > SIP_PNODE_BODY_MAX)
		return -1;
	if (strcmp(event, SIP_PNODE_EVENT_WATCH) == 0)
		need = 1u << K_DEVICE;
	else if (strcmp(event, SIP_PNODE_EVENT_DIALOG) == 0)
		out->dialog = 1, need = (1u << K_N) - 1;
	else
		return -1;
	while (off < len) {
		const char *l = body + off, *eq, *nl;
		char val[SIP_PNODE_CALLID_MAX];
		size_t klen, vlen;
		int k = -1;

		nl = memchr(l, '\n', len - off);
		if (!nl)
			return -1;
		eq = memchr(l, '=', (size_t)(nl - l));
		if (!eq)
			return -1;
		klen = (size_t)(eq - l);
		vlen = (size_t)(nl - eq - 1);
		off = (size_t)(nl - body) + 1;
		for (int i = 0; i < K_N; i++)
			if (strlen(keys[i]) == klen &&
			    memcmp(keys[i], l, klen) == 0)
				k = i;
		if (k < 0 || !(need & (1u << k)) || (seen & (1u << k)) ||
		    vlen >= sizeof val || memchr(eq + 1, '\0', vlen))
			return -1;
		seen |= 1u << k;
		memcpy(val, eq + 1, vlen);
		val[vlen] = '\0';
		switch (k) {
		case K_DEVICE:
		case K_LINE:
		case K_PEER:
			/* name_ok: below SIP_DIR_NAME_MAX with its NUL */
			if (!name_ok(val, k != K_DEVICE))
				return -1;
			memcpy(k == K_DEVICE ? out->device
			       : k == K_LINE ? out->line
					     : out->peer,
			       val, vlen + 1);
			break;
		case K_CALLID:
			if (!callid_ok(val))
				return -1;
			snprintf(out->call_id, sizeof out->call_id, "%s", val);
			break;
		case K_INITIATOR:
			if (strcmp(val, "0") != 0 && strcmp(val, "1") != 0)
				return -1;
			out->initiator = val[0] == '1';
			break;
		default: {
			int st = -1;
			for (int s = SIP_DLG_TRYING; s <= SIP_DLG_TERMINATED;
			     s++)
				if (strcmp(val, state_names[s]) == 0)
					st = s;
			if (st < 0)
				return -1;
			out->state = (enum sip_dialog_state)st;
		}
		}
	}
	return seen == need ? 0 : -1;
}

void sip_pnode_event(const struct sip_pnode_msg *m,
		     struct sip_dialog_event *out)
{
	out->device = m->device;
	out->line = m->line;
	out->call_id = m->call_id;
	out->peer = m->peer;
	out->initiator = m->initiator;
	out->state = m->state;
}
