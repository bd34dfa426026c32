/* overload: the role's own probe through its UDP listener (overload.h). */
#include "node/sip/overload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/addr.h"

/* A probe out this long is taken for lost (dropped from a full buffer). */
#define LOST_MS 1000
#define TOKEN_HEX 32
/* The share admitted, in 1/ALL: halved when late, up by ALL/16 when in
 * time, never below ALL/64 (some calls always go through). */
#define ALL 1024
#define FLOOR (ALL / 64)
#define RAISE (ALL / 16)

struct sip_overload {
	int fd;			      /* owned; connected to the listener */
	struct sockaddr_storage self; /* the probe socket's address */
	char host[64];		      /* the listener, as a URI host */
	unsigned port;
	unsigned delay_ms;
	char token[TOKEN_HEX + 1];
	uint64_t seq;
	int out; /* a probe is on its way */
	uint64_t sent_ms;
	unsigned admit; /* the share of new dialogs admitted, in 1/ALL */
	unsigned acc;	/* admits one each time it passes ALL */
	struct sip_overload_stats st;
};

static void cut(struct sip_overload *o)
{
	o->admit = o->admit / 2;
	if (o->admit < FLOOR)
		o->admit = FLOOR;
}

static int listener_addr(const char *host, unsigned port,
			 struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (void *)ss;
	struct sockaddr_in6 *s6 = (void *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		if (s4->sin_addr.s_addr == htonl(INADDR_ANY))
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof *s4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			s6->sin6_addr = in6addr_loopback;
		*len = sizeof *s6;
		return 0;
	}
	return -1;
}

int sip_overload_new(const char *host, unsigned port, unsigned delay_ms,
		     struct sip_overload **out)
{
	struct sip_overload *o = calloc(1, sizeof *o);
	struct sockaddr_storage to;
	socklen_t len, slen = sizeof o->self;
	unsigned char rnd[TOKEN_HEX / 2];
	char ip[INET6_ADDRSTRLEN];

	if (!o)
		return -1;
	o->fd = -1;
	if (!delay_ms || listener_addr(host, port, &to, &len) != 0 ||
	    RAND_bytes(rnd, sizeof rnd) != 1)
		goto err_after_alloc;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(o->token + 2 * i, 3, "%02x", rnd[i]);
	o->fd =
	    socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (o->fd < 0 || connect(o->fd, (struct sockaddr *)&to, len) != 0 ||
	    getsockname(o->fd, (struct sockaddr *)&o->self, &slen) != 0)
		goto err_after_alloc;
	if (to.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&to)->sin_addr, ip,
			  sizeof ip);
	else
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&to)->sin6_addr,
			  ip, sizeof ip);
	snprintf(o->host, sizeof o->host, "%s%s%s",
		 to.ss_family == AF_INET6 ? "[" : "", ip,
		 to.ss_family == AF_INET6 ? "]" : "");
	o->port = port;
	o->delay_ms = delay_ms;
	o->admit = ALL;
	*out = o;
	return 0;

err_after_alloc:
	sip_overload_free(o);
	return -1;
}

void sip_overload_free(struct sip_overload *o)
{
	if (!o)
		return;
	if (o->fd >= 0)
		close(o->fd);
	OPENSSL_cleanse(o->token, sizeof o->token);
	free(o);
}

static void send_probe(struct sip_overload *o, uint64_t now_ms)
{
	char self[INET6_ADDRSTRLEN + 2], ip[INET6_ADDRSTRLEN], msg[768];
	unsigned sport;
	int n;

	if (o->self.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)&o->self;
		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
		snprintf(self, sizeof self, "[%s]", ip);
		sport = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)&o->self;
		inet_ntop(AF_INET, &s4->sin_addr, self, sizeof self);
		sport = ntohs(s4->sin_port);
	}
	o->seq++;
	n = snprintf(msg, sizeof msg,
		     "OPTIONS sip:probe@%s:%u SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%s%llu\r\n"
		     "Max-Forwards: 70\r\n"
		     "From: <sip:probe@%s>;tag=probe\r\n"
		     "To: <sip:probe@%s>\r\n"
		     "Call-ID: %s-%llu\r\n"
		     "CSeq: 1 OPTIONS\r\n"
		     "Content-Length: 0\r\n\r\n",
		     o->host, o->port, self, sport, o->token,
		     (unsigned long long)o->seq, o->host, o->host, o->token,
		     (unsigned long long)o->seq);
	if (n <= 0 || (size_t)n >= sizeof msg ||
	    send(o->fd, msg, (size_t)n, MSG_DONTWAIT) != n)
		return; /* the next tick tries again */
	o->out = 1;
	o->sent_ms = now_ms;
}

void sip_overload_tick(struct sip_overload *o, uint64_t now_ms)
{
	if (!o)
		return;
	if (o->out && now_ms > o->sent_ms + o->delay_ms)
		cut(o); /* late already: each tick it stays out */
	if (o->out && now_ms - o->sent_ms < LOST_MS)
		return;
	if (o->out)
		o->st.lost++;
	o->out = 0;
	send_probe(o, now_ms);
}

int sip_overload_probe_seen(struct sip_overload *o, const struct sockaddr *from,
			    const char *call_id, uint64_t now_ms)
{
	char *end;
	unsigned long long seq;

	if (!o || !from || !call_id || !addr_sa_same((const struct sockaddr *)&o->self, from) ||
	    strlen(call_id) <= TOKEN_HEX + 1 || call_id[TOKEN_HEX] != '-' ||
	    CRYPTO_memcmp(call_id, o->token, TOKEN_HEX) != 0)
		return 0;
	seq = strtoull(call_id + TOKEN_HEX + 1, &end, 10);
	if (*end == '\0' && o->out && seq == o->seq) {
		o->out = 0;
		o->st.probes++;
		o->st.last_delay_ms =
		    now_ms >= o->sent_ms ? now_ms - o->sent_ms : 0;
		if (o->st.last_delay_ms > o->st.max_delay_ms)
			o->st.max_delay_ms = o->st.last_delay_ms;
		if (o->st.last_delay_ms > o->delay_ms)
			cut(o);
		else
			o->admit =
			    o->admit + RAISE > ALL ? ALL : o->admit + RAISE;
	}
	return 1; /* ours, even a late one */
}

int sip_overload_admit(struct sip_overload *o)
{
	if (!o || o->admit >= ALL)
		return 1;
	o->acc += o->admit;
	if (o->acc < ALL)
		return 0;
	o->acc -= ALL;
	return 1;
}

int sip_overload_active(const struct sip_overload *o)
{
	return o && o->admit < ALL;
}

void sip_overload_stats(const struct sip_overload *o,
			struct sip_overload_stats *out)
{
	if (o) {
		*out = o->st;
		out->admit = o->admit;
	} else {
		memset(out, 0, sizeof *out);
		out->admit = ALL;
	}
}
