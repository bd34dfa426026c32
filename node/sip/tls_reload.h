/* tls_reload: new certificate and trust files for the signaling thread's
 * TLS listeners, read into their contexts in place — no listener closed,
 * no connection dropped, no call ended.
 *
 * sofia-sip builds one libssl context per TLS transport from the files of
 * a directory (TPTAG_CERTIFICATE: DIR/agent.pem, the certificate then the
 * key; DIR/cafile.pem, the CAs it trusts) and offers no way to read them
 * again. tls_peer.c sees each context sofia creates on a signaling thread
 * (its SSL_CTX_set_verify) and hands it to sip_tls_reload_note(); the
 * contexts created between sip_tls_reload_begin(DIR) and
 * sip_tls_reload_end() are kept, referenced, with DIR. sip_tls_reload()
 * reads the files of each again and puts them in its context: every
 * handshake from then on uses them. What is already connected stays as
 * it was; ward judges each request's certificate against the trust store
 * of the moment anyway (tls_peer.h records the chain's root, and the
 * core, the trunks and the node listener look that root up per request),
 * so trust taken away applies to old connections too.
 *
 * All state is the calling thread's: a table of at most
 * SIP_TLS_RELOAD_MAX contexts, freed by sip_tls_reload_thread_end(). */
#ifndef WARD_SIP_TLS_RELOAD_H
#define WARD_SIP_TLS_RELOAD_H

#include <stddef.h>

#include <openssl/ssl.h>

#define SIP_TLS_RELOAD_MAX 8

/* The contexts created on this thread from now until _end() read DIR's
 * files (DIR is copied; one longer than 255 bytes makes the thread's
 * contexts unreloadable). */
void sip_tls_reload_begin(const char *dir);
void sip_tls_reload_end(void);

/* A context created on this thread (tls_peer.c): kept, referenced, when
 * between _begin() and _end(); ignored otherwise. One over
 * SIP_TLS_RELOAD_MAX makes the thread's contexts unreloadable. */
void sip_tls_reload_note(SSL_CTX *ctx);

/* Reads every kept context's files again and puts them in it: the
 * certificate and key, the CAs a peer's chain is verified against, the
 * CA names asked of clients; sessions cached under the old files are
 * dropped and none is resumed. Each file is read and checked first (a
 * certificate, a key that matches it, at least one CA): 0 once every
 * context has its new files, or -1 with ERRMSG — with no context
 * changed, unless libssl failed midway (out of memory), after which a
 * context may hold part of them (the caller then restarts the
 * listeners). */
int sip_tls_reload(char *errmsg, size_t errcap);

/* How many contexts this thread keeps (tests). */
size_t sip_tls_reload_count(void);

/* Drops this thread's references (at its end). */
void sip_tls_reload_thread_end(void);

#endif
