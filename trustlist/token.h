/* token: PKCS#11 security tokens (SoftHSM2 in tests, USB tokens in
 * production) that sign the CTL, reached through libp11.
 *
 * A token's private key never leaves it: trustlist_token_key() is an
 * EVP_PKEY whose operations are calls into the token, usable wherever a
 * software key is (trustlist_build() signs with EVP_DigestSign*).
 *
 * One module serves one handle at a time in a process: libp11 finalizes
 * the module and closes every session of every slot when a handle goes,
 * which would log out any other handle. Opening (or listing) a module
 * that is in use fails with TRUSTLIST_EINVAL instead; close the token
 * first. Tokens are used one after the other (sign, close, next).
 *
 * PINs are secrets: the functions that take one wipe the caller's buffer
 * before they return, whatever the outcome, and never put it in a
 * message. libp11 keeps its own copy (to log in again after fork()) until
 * the token is closed, and wipes it then.
 */
#ifndef WARD_TRUSTLIST_TOKEN_H
#define WARD_TRUSTLIST_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

/* What a token says about itself (PKCS#11 CK_TOKEN_INFO, trailing blanks
 * removed). */
struct trustlist_token_info {
	char label[33];
	char serial[17];
	char manufacturer[33];
	char model[17];
};

/* Lists the initialized tokens the module at MODULE (a path to a PKCS#11
 * shared object) sees. On success *OUT is a malloc'd array of *N entries
 * (caller frees with free(); NULL when *N is 0). */
int trustlist_token_list(const char *module, struct trustlist_token_info **out,
			 size_t *n, char *errmsg, size_t errcap);

/* A token with a chosen certificate and, after login, its private key. */
struct trustlist_token;

/* Opens the token labelled LABEL in MODULE and picks the certificate whose
 * ID has a private key (KEY_ID: hex ID such as "01", or NULL when the token
 * holds exactly one such pair).
 *
 * PIN (NUL-terminated, wiped before return) logs in; with PIN NULL there
 * is no login and only the certificate is available (for registering a
 * token): then the certificate is picked among all certificates by
 * KEY_ID, or must be the only one, and trustlist_token_key() is NULL.
 *
 * Errors: TRUSTLIST_ENOTFOUND "token LABEL not found in MODULE; tokens
 * present: ..." or no certificate/key pair; TRUSTLIST_EPIN for a wrong,
 * invalid or locked PIN (the message says which, never the PIN);
 * TRUSTLIST_ETOKEN when the module cannot be loaded or the token fails.
 * On success *OUT is owned by the caller: trustlist_token_close(). */
int trustlist_token_open(const char *module, const char *label, char *pin,
			 const char *key_id, struct trustlist_token **out,
			 char *errmsg, size_t errcap);

/* The certificate (DER) picked; borrowed, valid until close. */
const uint8_t *trustlist_token_cert(const struct trustlist_token *t,
				    size_t *len);
/* The private key inside the token, or NULL without login; borrowed,
 * valid until close (it calls into the module the token keeps loaded). */
EVP_PKEY *trustlist_token_key(const struct trustlist_token *t);
/* Label, serial, manufacturer, model; borrowed, valid until close. */
const struct trustlist_token_info *
trustlist_token_info(const struct trustlist_token *t);

/* Logs out and unloads the module. Accepts NULL. */
void trustlist_token_close(struct trustlist_token *t);

#endif
