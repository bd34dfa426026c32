/* relay: the packet path. One read event per socket; each wakeup reads up
 * to RELAY_BATCH datagrams with recvmmsg, checks, unprotects, protects and
 * sends them with one sendmmsg per destination socket. */
#include "node/keymgr/relay.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "common/errmsg.h"
#include "common/log.h"
#include "node/keymgr/keymgr_int.h"
#include "node/keymgr/relay_int.h"

#ifdef WARD_RELAY_HOLD_NSS
#include <nss.h>
#endif

static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t srtp_init_status;

static void srtp_init_once(void)
{
#ifdef WARD_RELAY_HOLD_NSS
	/* libsrtp2 built on NSS opens and shuts an NSS context for every
	 * GCM cipher it makes; with none held open each one loads and
	 * unloads the soft token (dlopen, relocations, dlclose: about
	 * 0.8 ms of CPU per relayed call, four contexts). One context held
	 * for the life of the process turns each into a reference count.
	 * The flags are libsrtp2's own, so the context is shared. */
	if (!NSS_InitContext("", "", "", "", NULL,
			     NSS_INIT_READONLY | NSS_INIT_NOCERTDB |
				 NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN |
				 NSS_INIT_NOROOTINIT | NSS_INIT_OPTIMIZESPACE))
		log_warn("relay", "NSS context not held: SRTP contexts "
				  "for the GCM suites cost more to make");
#endif
	srtp_init_status = srtp_init();
	if (srtp_init_status == srtp_err_status_ok &&
	    relay_ossl_register() != 0)
		log_warn("relay", "libsrtp2 refused an OpenSSL primitive: "
				  "keeping its own (slower)");
}

int relay_srtp_create(srtp_t *out, enum sdes_suite suite, const uint8_t *key,
		      size_t key_len, const uint8_t *salt, size_t salt_len,
		      int inbound)
{
	uint8_t keysalt[SDES_KEY_MAX + SDES_SALT_MAX];
	srtp_policy_t p;
	srtp_err_status_t st;

	*out = NULL;
	pthread_once(&srtp_once, srtp_init_once);
	if (srtp_init_status != srtp_err_status_ok)
		return KEYMGR_ESRTP;
	if (key_len != sdes_suite_key_len(suite) ||
	    salt_len != sdes_suite_salt_len(suite) || key_len == 0)
		return KEYMGR_EINVAL;
	memset(&p, 0, sizeof p);
	switch (suite) {
	case SDES_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
		break;
	case SDES_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
		break;
	case SDES_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
		break;
	case SDES_AES_CM_128_HMAC_SHA1_32:
		/* RFC 4568 6.2.1: SRTCP keeps the 80-bit tag. */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
		break;
	default:
		return KEYMGR_EINVAL;
	}
	if ((size_t)p.rtp.cipher_key_len != key_len + salt_len)
		return KEYMGR_ESRTP;
	memcpy(keysalt, key, key_len);
	memcpy(keysalt + key_len, salt, salt_len);
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.key = keysalt;
	p.window_size = 1024; /* room for reordering across a busy network */
	p.allow_repeat_tx = 0;
	p.next = NULL;
	st = srtp_create(out, &p);
	OPENSSL_cleanse(keysalt, sizeof keysalt);
	if (st != srtp_err_status_ok) {
		*out = NULL;
		return KEYMGR_ESRTP;
	}
	return KEYMGR_OK;
}

int relay_new(struct event_base *base, struct relay **out, char *errmsg,
	      size_t errcap)
{
	struct relay *r;

	*out = NULL;
	pthread_once(&srtp_once, srtp_init_once);
	if (srtp_init_status != srtp_err_status_ok) {
		errmsg_set(errmsg, errcap, "relay: srtp_init failed (%d)",
			   (int)srtp_init_status);
		return KEYMGR_ESRTP;
	}
	r = calloc(1, sizeof *r);
	if (!r) {
		errmsg_set(errmsg, errcap, "relay: out of memory");
		return KEYMGR_ENOMEM;
	}
	r->base = base;
	for (int i = 0; i < RELAY_BATCH; i++) {
		r->riov[i].iov_base = r->buf[i];
		r->riov[i].iov_len = RELAY_MTU;
		r->rmsg[i].msg_hdr.msg_iov = &r->riov[i];
		r->rmsg[i].msg_hdr.msg_iovlen = 1;
		r->rmsg[i].msg_hdr.msg_name = &r->raddr[i];
	}
	*out = r;
	return KEYMGR_OK;
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	while (r->sessions)
		relay_session_free(r->sessions);
	OPENSSL_cleanse(r->buf, sizeof r->buf);
	free(r);
}

static socklen_t addr_len(const struct sockaddr_storage *a)
{
	return a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					: sizeof(struct sockaddr_in);
}

static unsigned addr_port(const struct sockaddr_storage *a)
{
	if (a->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
	return ntohs(((const struct sockaddr_in *)a)->sin_port);
}

static void addr_set_port(struct sockaddr_storage *a, unsigned port)
{
	if (a->ss_family == AF_INET6)
		((struct sockaddr_in6 *)a)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)a)->sin_port = htons((uint16_t)port);
}

static int same_ip(const struct sockaddr_storage *a,
		   const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      16) == 0;
	return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
}

static int bind_udp(const struct sockaddr_storage *local, unsigned port)
{
	struct sockaddr_storage a = *local;
	int fd = socket(local->ss_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int sz = 1 << 20;

	if (fd < 0)
		return -1;
	addr_set_port(&a, port);
	if (bind(fd, (struct sockaddr *)&a, addr_len(&a)) != 0) {
		close(fd);
		return -1;
	}
	/* A burst of many calls' packets must not overflow the default. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	return fd;
}

/* The RTP socket and, without rtcp-mux, the RTCP one on the next port. */
static int open_sockets(struct relay_leg *leg,
			const struct relay_leg_config *cfg)
{
	unsigned want = addr_port(&cfg->local);
	int sz = 1 << 20;

	if (leg->rtp.fd >= 0) { /* bound already (cfg->bound) */
		if (cfg->rtcp_mux) {
			close(leg->rtcp.fd);
			leg->rtcp.fd = -1;
		}
		leg->port = want;
		/* As bind_udp: a burst must not overflow the default. */
		(void)setsockopt(leg->rtp.fd, SOL_SOCKET, SO_RCVBUF, &sz,
				 sizeof sz);
		if (leg->rtcp.fd >= 0)
			(void)setsockopt(leg->rtcp.fd, SOL_SOCKET, SO_RCVBUF,
					 &sz, sizeof sz);
		return 0;
	}

	for (int attempt = 0; attempt < 64; attempt++) {
		struct sockaddr_storage got;
		socklen_t len = sizeof got;
		int fd = bind_udp(&cfg->local, want);

		if (fd < 0)
			return -1;
		if (getsockname(fd, (struct sockaddr *)&got, &len) != 0) {
			close(fd);
			return -1;
		}
		leg->port = addr_port(&got);
		if (cfg->rtcp_mux) {
			leg->rtp.fd = fd;
			return 0;
		}
		if (leg->port % 2 == 0 && leg->port < 65535) {
			leg->rtcp.fd = bind_udp(&cfg->local, leg->port + 1);
			if (leg->rtcp.fd >= 0) {
				leg->rtp.fd = fd;
				return 0;
			}
		}
		close(fd);
		if (want)
			return -1;
	}
	return -1;
}

static void relay_on_read(evutil_socket_t fd, short what, void *arg);

static void leg_close(struct relay_leg *leg)
{
	struct relay_sock *socks[2] = {&leg->rtp, &leg->rtcp};

	relay_play_stop_leg(leg);
	mixer_leave_leg(leg);
	for (int i = 0; i < 2; i++) {
		if (socks[i]->ev)
			event_free(socks[i]->ev);
		if (socks[i]->fd >= 0)
			close(socks[i]->fd);
		socks[i]->ev = NULL;
		socks[i]->fd = -1;
	}
	if (leg->in)
		srtp_dealloc(leg->in);
	if (leg->out)
		srtp_dealloc(leg->out);
	leg->in = leg->out = NULL;
}

static int leg_keys(struct relay_leg *leg, const struct keymgr_call *call)
{
	const struct keymgr_key *in = keymgr_call_key(call, leg->side, 0);
	const struct keymgr_key *out = keymgr_call_key(call, leg->side, 1);
	int rc;

	if (!in || !out)
		return KEYMGR_ENOKEY;
	rc = relay_srtp_create(&leg->in, in->suite, in->key, in->key_len,
			       in->salt, in->salt_len, 1);
	if (rc != KEYMGR_OK)
		return rc;
	return relay_srtp_create(&leg->out, out->suite, out->key, out->key_len,
				 out->salt, out->salt_len, 0);
}

static void sock_aim(struct relay_sock *sk, struct relay_leg *leg,
		     int is_rtcp, const struct sockaddr_storage *peer)
{
	sk->leg = leg;
	sk->is_rtcp = is_rtcp;
	sk->peer = *peer;
	sk->peer_len = addr_len(peer);
}

/* On the relay's thread: SK's reads on R's loop. */
static int sock_arm(struct relay *r, struct relay_sock *sk)
{
	if (sk->fd < 0)
		return 0;
	sk->ev =
	    event_new(r->base, sk->fd, EV_READ | EV_PERSIST, relay_on_read, sk);
	if (!sk->ev || event_add(sk->ev, NULL) != 0)
		return -1;
	return 0;
}

static int leg_open(struct relay_leg *leg, const struct relay_leg_config *cfg,
		    const struct keymgr_call *call, char *errmsg, size_t errcap)
{
	struct sockaddr_storage rtcp_peer = cfg->remote;
	int rc;

	leg->srtp = cfg->srtp;
	leg->rtcp_mux = cfg->rtcp_mux;
	leg->remote = cfg->remote;
	if ((cfg->local.ss_family != AF_INET &&
	     cfg->local.ss_family != AF_INET6) ||
	    cfg->remote.ss_family != cfg->local.ss_family) {
		errmsg_set(errmsg, errcap, "relay: leg %c: address families",
			   'A' + leg->side);
		return KEYMGR_EINVAL;
	}
	if (leg->srtp && (rc = leg_keys(leg, call)) != KEYMGR_OK) {
		errmsg_set(errmsg, errcap, "relay: leg %c: %s", 'A' + leg->side,
			   keymgr_strerror(rc));
		return rc;
	}
	if (open_sockets(leg, cfg) != 0) {
		errmsg_set(errmsg, errcap, "relay: leg %c: %s", 'A' + leg->side,
			   strerror(errno));
		return KEYMGR_ESOCKET;
	}
	if (!leg->rtcp_mux)
		addr_set_port(&rtcp_peer, addr_port(&cfg->remote) + 1);
	sock_aim(&leg->rtp, leg, 0, &cfg->remote);
	sock_aim(&leg->rtcp, leg, 1, &rtcp_peer);
	return KEYMGR_OK;
}

int relay_session_prepare(struct relay *r, const struct keymgr_call *call,
			  const struct relay_leg_config legs[2],
			  int allow_bridge, struct relay_session **out,
			  char *errmsg, size_t errcap)
{
	struct relay_session *s;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof *s);
	if (!s) {
		for (int i = 0; i < 2; i++)
			for (int k = 0; k < 2 && legs[i].bound; k++)
				close(legs[i].fd[k]);
		errmsg_set(errmsg, errcap, "relay: out of memory");
		return KEYMGR_ENOMEM;
	}
	s->r = r;
	for (int i = 0; i < 2; i++) {
		s->leg[i].s = s;
		s->leg[i].side = i;
		/* Sockets handed over are the leg's from now on. */
		s->leg[i].rtp.fd = legs[i].bound ? legs[i].fd[0] : -1;
		s->leg[i].rtcp.fd = legs[i].bound ? legs[i].fd[1] : -1;
	}
	if (legs[0].srtp != legs[1].srtp && !allow_bridge) {
		errmsg_set(errmsg, errcap,
			   "relay: SRTP to RTP bridging not allowed");
		rc = KEYMGR_EREJECT;
		goto err_after_alloc;
	}
	for (int i = 0; i < 2; i++) {
		rc = leg_open(&s->leg[i], &legs[i], call, errmsg, errcap);
		if (rc != KEYMGR_OK)
			goto err_after_alloc;
	}
	*out = s;
	return KEYMGR_OK;
err_after_alloc:
	relay_session_free(s);
	return rc;
}

int relay_session_start(struct relay_session *s)
{
	struct relay *r = s->r;

	for (int i = 0; i < 2; i++)
		if (sock_arm(r, &s->leg[i].rtp) != 0 ||
		    sock_arm(r, &s->leg[i].rtcp) != 0)
			return KEYMGR_ENOMEM;
	s->next = r->sessions;
	if (r->sessions)
		r->sessions->prev = s;
	r->sessions = s;
	s->running = 1;
	return KEYMGR_OK;
}

int relay_session_new(struct relay *r, const struct keymgr_call *call,
		      const struct relay_leg_config legs[2], int allow_bridge,
		      struct relay_session **out, char *errmsg, size_t errcap)
{
	int rc = relay_session_prepare(r, call, legs, allow_bridge, out,
				       errmsg, errcap);

	if (rc == KEYMGR_OK && relay_session_start(*out) != KEYMGR_OK) {
		relay_session_free(*out);
		*out = NULL;
		errmsg_set(errmsg, errcap, "relay: event");
		rc = KEYMGR_ENOMEM;
	}
	return rc;
}

void relay_session_free(struct relay_session *s)
{
	if (!s)
		return;
	if (s->running) {
		if (s->prev)
			s->prev->next = s->next;
		else
			s->r->sessions = s->next;
		if (s->next)
			s->next->prev = s->prev;
	}
	leg_close(&s->leg[0]);
	leg_close(&s->leg[1]);
	free(s);
}

/* Forgets the latch of SK: sends go to PEER again, sources are checked
 * against the leg's address, the kernel's filter is lifted. */
static void sock_unlatch(struct relay_sock *sk,
			 const struct sockaddr_storage *peer)
{
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};

	if (sk->fd < 0)
		return;
	if (sk->connected)
		(void)connect(sk->fd, &unspec, sizeof unspec);
	sk->connected = 0;
	sk->latched = 0;
	sk->peer = *peer;
	sk->peer_len = addr_len(peer);
}

int relay_session_retarget(struct relay_session *s, enum keymgr_side side,
			   const struct sockaddr_storage *remote)
{
	struct relay_leg *leg = &s->leg[side == KEYMGR_SIDE_B];
	struct sockaddr_storage rtcp_peer = *remote;

	if (remote->ss_family != leg->remote.ss_family)
		return KEYMGR_EINVAL;
	leg->remote = *remote;
	if (!leg->rtcp_mux)
		addr_set_port(&rtcp_peer, addr_port(remote) + 1);
	sock_unlatch(&leg->rtp, remote);
	sock_unlatch(&leg->rtcp, &rtcp_peer);
	return KEYMGR_OK;
}

unsigned relay_session_port(const struct relay_session *s,
			    enum keymgr_side side)
{
	return s->leg[side == KEYMGR_SIDE_B].port;
}

void relay_session_stats(const struct relay_session *s, enum keymgr_side side,
			 struct relay_stats *out)
{
	*out = s->leg[side == KEYMGR_SIDE_B].st;
}

/* RFC 5761 4: under rtcp-mux, RTCP packet types 192-223 sit where RTP
 * payload types 64-95 would. */
static int looks_rtcp(const uint8_t *p, size_t len)
{
	return len >= 2 && p[1] >= 192 && p[1] <= 223;
}

static void relay_on_read(evutil_socket_t fd, short what, void *arg)
{
	struct relay_sock *sk = arg;
	struct relay_leg *leg = sk->leg, *other;
	struct relay *r = leg->s->r;
	struct relay_sock *dst[2];
	int n, nsend[2] = {0, 0};

	(void)what;
	other = &leg->s->leg[!leg->side];
	dst[0] = &other->rtp;
	dst[1] = other->rtcp.fd >= 0 ? &other->rtcp : &other->rtp;
	for (int i = 0; i < RELAY_BATCH; i++)
		r->rmsg[i].msg_hdr.msg_namelen = sizeof r->raddr[i];
	n = recvmmsg(fd, r->rmsg, RELAY_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	for (int i = 0; i < n; i++) {
		uint8_t *p = r->buf[i];
		int len = (int)r->rmsg[i].msg_len;
		const struct sockaddr_storage *src = &r->raddr[i];
		int rtcp, d;
		srtp_err_status_t st;

		leg->st.rx++;
		if (r->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC || len < 8 ||
		    (p[0] >> 6) != 2) {
			leg->st.dropped_other++;
			continue;
		}
		if (!same_ip(src, &leg->remote) ||
		    (sk->latched && addr_port(src) != addr_port(&sk->peer))) {
			leg->st.dropped_source++;
			continue;
		}
		rtcp = sk->is_rtcp || (leg->rtcp_mux && looks_rtcp(p, len));
		if (!rtcp && len < 12) {
			leg->st.dropped_other++;
			continue;
		}
		if (leg->srtp) {
			st = rtcp ? srtp_unprotect_rtcp(leg->in, p, &len)
				  : srtp_unprotect(leg->in, p, &len);
			if (st != srtp_err_status_ok) {
				leg->st.dropped_auth++;
				continue;
			}
		}
		if (!sk->latched) {
			/* Only now: a spoofed packet cannot move the latch. */
			sk->peer = *src;
			sk->peer_len = addr_len(src);
			sk->latched = 1;
			/* From now on the kernel drops other sources before
			 * they cost a wakeup, and sends skip the route lookup;
			 * the check above still covers what is queued. */
			sk->connected =
			    connect(sk->fd, (const struct sockaddr *)&sk->peer,
				    sk->peer_len) == 0;
		}
		if (leg->mix) {
			/* In a conference: the mixer takes it (RTCP for its
			 * reports) and nothing goes on. */
			if (rtcp)
				mixer_feed_rtcp(leg->mix, p, (size_t)len);
			else
				mixer_feed(leg->mix, p, (size_t)len);
			continue;
		}
		if (other->mix) {
			/* Anything toward a participant: the mixer is its
			 * only source now. */
			continue;
		}
		if (other->play && !rtcp) {
			/* On hold: the other leg hears the music, not
			 * this one. */
			continue;
		}
		if (other->srtp) {
			st = rtcp ? srtp_protect_rtcp(other->out, p, &len)
				  : srtp_protect(other->out, p, &len);
			if (st != srtp_err_status_ok) {
				leg->st.dropped_other++;
				continue;
			}
		}
		d = rtcp ? 1 : 0;
		r->siov[d][nsend[d]].iov_base = p;
		r->siov[d][nsend[d]].iov_len = (size_t)len;
		memset(&r->smsg[d][nsend[d]], 0, sizeof r->smsg[d][0]);
		r->smsg[d][nsend[d]].msg_hdr.msg_iov = &r->siov[d][nsend[d]];
		r->smsg[d][nsend[d]].msg_hdr.msg_iovlen = 1;
		if (!dst[d]->connected) {
			r->smsg[d][nsend[d]].msg_hdr.msg_name = &dst[d]->peer;
			r->smsg[d][nsend[d]].msg_hdr.msg_namelen =
			    dst[d]->peer_len;
		}
		nsend[d]++;
	}
	for (int d = 0; d < 2; d++) {
		int done = 0;

		while (done < nsend[d]) {
			int k = sendmmsg(dst[d]->fd, r->smsg[d] + done,
					 (unsigned)(nsend[d] - done), 0);

			if (k <= 0) {
				/* Full socket buffer or an unreachable peer:
				 * media is loss-tolerant, drop the rest. */
				leg->st.dropped_other +=
				    (uint64_t)(nsend[d] - done);
				break;
			}
			done += k;
		}
		leg->st.tx += (uint64_t)done;
	}
}
