/* tls_peer: the client certificate of each TLS connection on the SIP TLS
 * port, for ward's own device authentication, and the server certificate
 * of each TLS connection ward opens, checked before anything is sent.
 *
 * sofia-sip hands the application only the subject strings of a verified
 * peer, not the certificate, and ward needs the certificate itself (its
 * fingerprint for the LSC on record, the root it chains to for MIC or LSC).
 * sofia calls SSL_get1_peer_certificate() once, right after each TLS
 * handshake, on the signaling thread; tls_peer.c defines that function in
 * the executable, which the dynamic linker prefers for libsofia's call,
 * forwards to libssl's, and — on a signaling thread only — records the
 * certificate against the connection's peer address, which is what the
 * message callback knows. SSL_CTX_set_verify() is interposed the same way
 * so that the TLS port asks every client for a certificate but completes
 * the handshake whatever comes: ward then refuses with a logged reason and
 * the peer sees only a 403. Every other caller (other threads, other
 * roles) gets libssl's behaviour untouched.
 *
 * Memory is bounded: a fixed table per signaling thread, oldest entry
 * replaced (each entry holds a reference to its certificate). */
#ifndef WARD_SIP_TLS_PEER_H
#define WARD_SIP_TLS_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "node/sip/x509match.h"

#define SIP_TLS_CN_MAX 64

struct sip_tls_cert {
	int present;	     /* the peer sent a certificate */
	int chain_ok;	     /* libssl verified its chain (and dates) */
	uint8_t fp[32];	     /* SHA-256 of the leaf */
	uint8_t root_fp[32]; /* SHA-256 of the verified chain's root */
	char cn[SIP_TLS_CN_MAX];
	struct sip_x509_names names; /* subject and DNS names, for trunks */
	char verify_error[64]; /* libssl's verdict on the chain, as text */
};

/* Marks the calling thread as a signaling thread (records certificates)
 * with a table of SLOTS entries; sip_tls_peer_thread_end() frees it. */
int sip_tls_peer_thread_begin(size_t slots);
void sip_tls_peer_thread_end(void);

/* The certificate recorded for the TLS connection from SA on this thread:
 * 0 and OUT filled, or -1 if none recorded. */
int sip_tls_peer_lookup(const struct sockaddr *sa, struct sip_tls_cert *out);

/* The DER of the certificate recorded for SA on this thread, if its
 * SHA-256 is FP: 0 with *DER malloc'ed (transferred, *LEN bytes), or -1
 * (none, another certificate since, or no memory). For the registrar to
 * record a phone's MIC. */
int sip_tls_peer_der(const struct sockaddr *sa, const uint8_t fp[32],
		     uint8_t **der, size_t *len);

/* The check of a TLS connection this thread opened (ward the client): run
 * once its handshake is done and before anything is written on it, with
 * SA the peer's address and CERT what it presented (present 0: none).
 * 0 lets the connection carry requests; -1 refuses it: sofia is told the
 * peer has no certificate, which on a transport whose TLS verification
 * policy includes outgoing connections (TPTLS_VERIFY_OUT) closes the
 * connection with nothing sent, and the requests queued for it fail. */
typedef int (*sip_tls_peer_out_fn)(void *arg, const struct sockaddr *sa,
				   const struct sip_tls_cert *cert);

/* Sets (FN NULL: clears) this thread's check of outgoing connections. */
void sip_tls_peer_set_outgoing(sip_tls_peer_out_fn fn, void *arg);

/* A check of its own for the outgoing connections of some TLS contexts
 * (the node listener's: members only, call_node.h): FN is called as the
 * thread's check would be (same time, same refusal), instead of it. */
struct sip_tls_out_check {
	sip_tls_peer_out_fn fn;
	void *arg;
};

/* Every TLS context created on this thread until
 * sip_tls_peer_out_check_end() (for instance by one nta_agent_add_tport)
 * checks its outgoing connections with CHK (borrowed: it must outlive
 * those contexts) instead of the thread's check. Incoming connections
 * are untouched. */
void sip_tls_peer_out_check_begin(const struct sip_tls_out_check *chk);
void sip_tls_peer_out_check_end(void);

/* How many certificates were recorded on this thread (tests: proves the
 * hook is in place). */
uint64_t sip_tls_peer_recorded(void);

#endif
