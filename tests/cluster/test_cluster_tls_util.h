/* test_cluster_tls_util: what the mutual-TLS cluster tests share — a cluster
 * CA and node certificates made with the pki library, Raft servers over TLS
 * on loopback, and the hostile peers: raw and TLS clients that speak C-raft's
 * wire format, a TLS server posing as a node, and a recording TCP relay.
 *
 * Every function fails the running cmocka test on an unexpected error. */
#ifndef WARD_TESTS_CLUSTER_TLS_UTIL_H
#define WARD_TESTS_CLUSTER_TLS_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "consensus/consensus.h"
#include "pki/pki.h"

/* A cluster CA and its files, in DIR (owned by the test). */
struct tu_ca {
	char dir[256];
	char cluster_id[PKI_UUID_LEN + 1];
	char ca_path[300];
	X509 *cert;    /* owned */
	EVP_PKEY *key; /* owned */
};

/* Makes a CA for a new cluster id in DIR (which exists). */
void tu_ca_init(struct tu_ca *ca, const char *dir, const char *name);
void tu_ca_close(struct tu_ca *ca);

/* Issues a certificate of ROLE for NODE_ID of CLUSTER_ID (NULL: the CA's)
 * and writes DIR/<tag>.crt and DIR/<tag>.key into cert/key (300 bytes
 * each). Returns the certificate (owned by the caller: X509_free). */
X509 *tu_issue(struct tu_ca *ca, enum pki_role role, uint64_t node_id,
	       const char *cluster_id, const char *tag, char *cert, char *key);

/* One Raft server of a test. */
struct tu_node {
	uint64_t id;
	char address[64];
	unsigned port;
	char dir[256]; /* temp dir, owned */
	char raft_dir[300];
	char cert[300], key[300];
	struct store *store;
	struct consensus *c;
	/* Optional: consensus_config.peer_check, set before tu_node_start. */
	int (*peer_check)(void *arg, uint64_t node_id, const uint8_t sha256[32],
			  uint64_t not_before_s);
	void *peer_check_arg;
};

/* A free TCP port on 127.0.0.1. */
unsigned tu_free_port(void);
/* Makes N's directories and store (id, port and address chosen). */
void tu_node_init(struct tu_node *n, uint64_t id);
/* Starts N; over TLS with N's certificate and CA's files unless CA is NULL.
 * Returns the consensus_start code (errmsg into err, 256 bytes). */
int tu_node_start(struct tu_node *n, const struct tu_ca *ca, char *err);
void tu_node_stop(struct tu_node *n);
/* Stops N and removes its directory. Accepts a node never set up. */
void tu_node_free(struct tu_node *n);

/* Waits up to MS for N to lead. */
int tu_wait_leader(struct tu_node *n, unsigned ms);
/* consensus_add / propose, waiting for the result (-1: no result in MS). */
int tu_add(struct tu_node *leader, struct tu_node *n, unsigned ms);
int tu_propose(struct tu_node *leader, const char *key, const char *val,
	       unsigned ms);
/* Waits up to MS until N's store holds KEY = VAL. */
int tu_wait_value(struct tu_node *n, const char *key, const char *val,
		  unsigned ms);

/* ---- hostile and passive peers --------------------------------------- */

/* A blocking TCP connection to 127.0.0.1:PORT, reads time out after 3 s. */
int tu_connect(unsigned port);
/* The same from the local address FROM (e.g. "127.0.0.2"). */
int tu_connect_from(const char *from, unsigned port);
/* Whether the peer closed FD (EOF or reset) within MS; 0 if it is still
 * open then. What it sent before goes to GOT (CAP bytes; *got_len). */
int tu_closed_within(int fd, unsigned ms, unsigned char *got, size_t cap,
		     size_t *got_len);

/* A TLS 1.3 client over FD with CERT/KEY (both NULL: no certificate).
 * Returns the SSL after SSL_connect succeeded from the client's side (the
 * server may still refuse our certificate), or NULL. */
SSL *tu_tls_client(int fd, const char *cert, const char *key);
/* Whether the server closed the TLS connection (alert, EOF, reset) within
 * MS, without sending application data. */
int tu_tls_closed_within(SSL *ssl, unsigned ms);
void tu_tls_free(SSL *ssl);

/* Bytes a peer sends before its RPCs: our TLS transport's handshake
 * ("WARDTLS1"), the plain transport's ("WARDRFT2"), and C-raft's own
 * (protocol 1, id, address). Return the length written into BUF. */
size_t tu_hs_ward(unsigned char *buf, const char *magic, uint64_t caller,
		  uint64_t callee, const char *address);
size_t tu_hs_craft(unsigned char *buf, uint64_t caller, const char *address);
/* A C-raft AppendEntries message from a leader in TERM carrying one command
 * entry (CMD, LEN a multiple of 8) at index 1, committed. */
size_t tu_append_entries(unsigned char *buf, size_t cap, uint64_t term,
			 const void *cmd, size_t len);

/* A TLS server posing as a node, on its own thread: completes handshakes
 * with CERT/KEY and counts what connecting nodes manage to send. */
struct tu_fake {
	unsigned port;
	int fd;
	SSL_CTX *ctx;
	pthread_t thread;
	/* Shared with the test's thread. */
	atomic_int stop;
	atomic_int accepted;   /* TCP connections */
	atomic_int handshakes; /* TLS handshakes completed on our side */
	atomic_long app_bytes; /* application data received */
};
void tu_fake_start(struct tu_fake *f, const char *cert, const char *key);
void tu_fake_stop(struct tu_fake *f);

/* A TCP relay from its port to 127.0.0.1:TO, on its own thread, recording
 * both directions. */
#define TU_CAPTURE_MAX (4u << 20)
struct tu_relay {
	unsigned port, to;
	int fd;
	pthread_t thread;
	atomic_int stop; /* set by the test's thread */
	pthread_mutex_t lock;
	unsigned char *up, *down; /* client->server, server->client; owned */
	size_t up_len, down_len;
	int conns;
};
void tu_relay_start(struct tu_relay *r, unsigned to);
/* Stops the thread; the captures stay readable until tu_relay_free. */
void tu_relay_stop(struct tu_relay *r);
void tu_relay_free(struct tu_relay *r);
/* Whether NEEDLE occurs in HAY. */
int tu_contains(const unsigned char *hay, size_t len, const void *needle,
		size_t nlen);

#endif
