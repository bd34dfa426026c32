/* tlscert: this node's HTTPS certificate until the cluster PKI issues one —
 * a self-signed ECDSA P-256 certificate made at first start. */
#ifndef WARD_NODE_TLSCERT_H
#define WARD_NODE_TLSCERT_H

#include <stddef.h>
#include <stdint.h>

/* Makes CERT_PATH and KEY_PATH (key 0600) unless both exist. The
 * certificate names NAME and HOST (an IP address or DNS name) as subject
 * alternative names, plus "localhost". */
int tlscert_ensure(const char *cert_path, const char *key_path,
		   const char *name, const char *host, char *errmsg,
		   size_t errcap);

/* SHA-256 of the DER of the first certificate in PATH (as text:
 * hex_sha256_text in common/hex.h). */
int tlscert_fingerprint(const char *path, uint8_t out[32], char *errmsg,
			size_t errcap);

#endif
