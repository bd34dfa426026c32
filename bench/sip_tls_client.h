/* sip_tls_client: what the persistent-TLS SIP benchmarks share — one
 * TLS connection with its input buffer, SIP messages framed by
 * Content-Length, header values, and MD5 digest answers (qop=auth, as
 * SIPp 3.6 and the phones send them) made by ward's own client digest
 * (node/sip/uac_auth.h). Benchmarks only: a message that does not fit the
 * buffer ends the run. */
#ifndef WARD_BENCH_SIP_TLS_CLIENT_H
#define WARD_BENCH_SIP_TLS_CLIENT_H

#include <stddef.h>

#include <openssl/ssl.h>

#define BENCH_SIP_BUF 16384
#define BENCH_SIP_AUTH_MAX 1100 /* a header name and SIP_UAC_ANSWER_MAX */

struct bench_tls {
	int fd;
	SSL *ssl; /* owned */
	char in[BENCH_SIP_BUF];
	size_t inlen;
};

double bench_now_s(void);

/* Connects to HOST:PORT (IPv4), TCP_NODELAY, full handshake (blocking),
 * then non-blocking. 0 or -1. */
int bench_tls_connect(struct bench_tls *c, SSL_CTX *ctx, const char *host,
		      int port);
/* All N bytes of BUF, or -1. */
int bench_tls_send(struct bench_tls *c, const char *buf, int n);
/* Reads what has come into c->in: 0, or -1 when the peer closed or the
 * buffer is full. */
int bench_tls_read(struct bench_tls *c);
/* One whole message taken from c->in into MSG (NUL-terminated, CAP
 * bytes): its length, 0 when none is whole yet, -1 malformed. */
int bench_sip_take(struct bench_tls *c, char *msg, size_t cap);

/* The status of a response (0 for a request). */
int bench_sip_status(const char *msg);
/* The value of the first header NAME (full name, any case) in MSG,
 * copied to OUT: OUT, or NULL when absent or too long. */
const char *bench_sip_hdr(const char *msg, const char *name, char *out,
			  size_t cap);
/* Every Via line of MSG, each ending in CRLF, into OUT ("" if none). */
void bench_sip_vias(const char *msg, char *out, size_t cap);
/* The nonce of a 401/407's challenge into NONCE: 0 or -1. */
int bench_sip_nonce(const char *msg, char *nonce, size_t cap);
/* "HDR: Digest ...\r\n" answering the MD5 challenge of REALM with NONCE,
 * nonce count NC, for METHOD on URI, as USER with PASSWORD: 0, or -1 when
 * it does not fit CAP or cannot be quoted. */
int bench_sip_digest(char *out, size_t cap, const char *hdr, const char *user,
		     const char *realm, const char *password, const char *nonce,
		     unsigned nc, const char *method, const char *uri);

#endif
