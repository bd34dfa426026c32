/* relay_int: what relay.c needs from the relay's other files. */
#ifndef WARD_NODE_KEYMGR_RELAY_INT_H
#define WARD_NODE_KEYMGR_RELAY_INT_H

/* Puts OpenSSL's HMAC-SHA1 and AES-128 counter mode in place of
 * libsrtp2's, once, after srtp_init. 0, or -1 when OpenSSL or libsrtp2's
 * self-test refused one (libsrtp2's own then stays: slower, equally
 * correct). */
int relay_ossl_register(void);

#endif
