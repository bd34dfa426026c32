/* limit: token buckets and failure counters per source address. */
#include "node/sip/limit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4

struct src {
	uint8_t addr[16];
	uint8_t family; /* 0: free */
	uint64_t seen_ms;
	uint64_t tokens_mj; /* milli-tokens */
	uint64_t window_start_ms;
	uint32_t failures; /* in the current window */
	uint64_t blocked_until_ms;
};

struct sip_limit {
	struct sip_limit_config cfg;
	struct src *set; /* owned: nsets * WAYS */
	size_t nsets;
	struct sip_limit_summary sum;
};

int sip_limit_new(const struct sip_limit_config *cfg, struct sip_limit **out)
{
	struct sip_limit *l = calloc(1, sizeof *l);
	size_t n = 64;

	if (!l)
		return -1;
	while (n < cfg->slots && n < ((size_t)1 << 22))
		n <<= 1;
	l->nsets = n / WAYS;
	l->set = calloc(l->nsets * WAYS, sizeof *l->set);
	if (!l->set) {
		free(l);
		return -1;
	}
	l->cfg = *cfg;
	if (!l->cfg.fail_window_s)
		l->cfg.fail_window_s = 60;
	*out = l;
	return 0;
}

void sip_limit_free(struct sip_limit *l)
{
	if (!l)
		return;
	free(l->set);
	free(l);
}

static int key_of(const struct sockaddr *sa, uint8_t key[16], uint8_t *fam)
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		memcpy(key, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		return -1;
	}
	*fam = (uint8_t)sa->sa_family;
	return 0;
}

static struct src *lookup(struct sip_limit *l, const struct sockaddr *sa,
			  uint64_t now_ms)
{
	uint8_t key[16], fam;
	uint32_t h = 2166136261u;
	struct src *s, *old;

	if (key_of(sa, key, &fam) != 0)
		return NULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	s = l->set + (h & (l->nsets - 1)) * WAYS;
	old = s;
	for (int i = 0; i < WAYS; i++) {
		if (s[i].family == fam && memcmp(s[i].addr, key, 16) == 0)
			return &s[i];
		if (s[i].seen_ms < old->seen_ms || !s[i].family)
			old = &s[i];
		if (!old->family)
			break;
	}
	*old = (struct src){.family = fam,
			    .seen_ms = now_ms,
			    .tokens_mj = (uint64_t)l->cfg.burst * 1000,
			    .window_start_ms = now_ms};
	memcpy(old->addr, key, 16);
	return old;
}

int sip_limit_admit(struct sip_limit *l, const struct sockaddr *sa,
		    uint64_t now_ms)
{
	struct src *s = lookup(l, sa, now_ms);
	uint64_t cap;

	if (!s)
		return 1;
	if (s->blocked_until_ms > now_ms) {
		l->sum.dropped++;
		return 0;
	}
	if (l->cfg.rate) {
		cap = (uint64_t)l->cfg.burst * 1000;
		if (now_ms > s->seen_ms) /* the clock may step back */
			s->tokens_mj += (now_ms - s->seen_ms) * l->cfg.rate;
		if (s->tokens_mj > cap)
			s->tokens_mj = cap;
	}
	s->seen_ms = now_ms;
	if (!l->cfg.rate)
		return 1;
	if (s->tokens_mj < 1000) {
		l->sum.dropped++;
		return 0;
	}
	s->tokens_mj -= 1000;
	return 1;
}

void sip_limit_fail(struct sip_limit *l, const struct sockaddr *sa,
		    uint64_t now_ms)
{
	struct src *s = lookup(l, sa, now_ms);
	uint64_t window = (uint64_t)l->cfg.fail_window_s * 1000;

	l->sum.failures++;
	if (!s)
		return;
	if (now_ms < s->window_start_ms ||
	    now_ms - s->window_start_ms > window) {
		s->window_start_ms = now_ms;
		s->failures = 0;
	}
	s->failures++;
	if (s->failures > l->sum.top_failures) {
		l->sum.top_failures = s->failures;
		inet_ntop(s->family, s->addr, l->sum.top, sizeof l->sum.top);
	}
	if (l->cfg.fail_max && s->failures == l->cfg.fail_max) {
		s->blocked_until_ms = now_ms + window;
		l->sum.blocked_sources++;
	}
}

void sip_limit_take_summary(struct sip_limit *l, struct sip_limit_summary *s)
{
	*s = l->sum;
	memset(&l->sum, 0, sizeof l->sum);
}
