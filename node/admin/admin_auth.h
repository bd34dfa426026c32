/* admin_auth: the secrets of the admin API — admin password hashes, one-time
 * tokens (init, join), the Basic credentials of a request, and the text
 * codecs they travel in. Pure functions: no socket, no store, no event loop,
 * so that tests and fuzzers call them directly. Internal to node/admin/. */
#ifndef WARD_ADMIN_AUTH_H
#define WARD_ADMIN_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

struct store_admin;
struct store_join_token;

/* scrypt parameters of new hashes: 2^15 * 8 * 128 bytes = 32 MiB, ~0.1 s. */
#define ADMIN_KDF_SCRYPT 1
#define ADMIN_SCRYPT_N (1u << 15)
#define ADMIN_SCRYPT_R 8u
#define ADMIN_SCRYPT_P 1u

#define ADMIN_PASSWORD_MIN 8
#define ADMIN_PASSWORD_MAX 256
#define ADMIN_NAME_MAX 63

/* 32 random bytes in base64url without padding: 43 characters. */
#define ADMIN_SECRET_LEN 32
#define ADMIN_SECRET_TEXT_LEN 43
/* "<node id>.<secret>": at most 20 digits, the dot, the secret, the NUL. */
#define ADMIN_JOIN_TOKEN_MAX (20 + 1 + ADMIN_SECRET_TEXT_LEN + 1)

/* Fills salt, KDF parameters and hash of REC from the password PW (LEN
 * bytes, borrowed). Other fields of REC are left alone. 0, or -1 if the KDF
 * failed. */
int admin_password_hash(const char *pw, size_t len, struct store_admin *rec);
/* 0 if PW matches REC, 1 if it does not, -1 if REC holds KDF parameters this
 * build refuses (unknown KDF, absurd cost) or the KDF failed. The comparison
 * is constant-time. */
int admin_password_verify(const struct store_admin *rec, const char *pw,
			  size_t len);
/* Runs the KDF on a fixed dummy record so that an unknown user name costs
 * what a wrong password costs (no user enumeration by timing). */
void admin_password_burn(const char *pw, size_t len);

/* A fresh secret: TEXT receives its base64url form (NUL-terminated, at least
 * ADMIN_SECRET_TEXT_LEN + 1 bytes), SHA256 the hash of its raw bytes, which
 * is all that is ever stored. 0 or -1 (no randomness). */
int admin_secret_new(char *text, size_t cap, uint8_t sha256[32]);
/* Hash of the raw bytes of a secret in text form. 0, or -1 if TEXT is not
 * exactly a base64url secret. */
int admin_secret_hash(const char *text, size_t len, uint8_t sha256[32]);

/* Join token "<id>.<secret>". make: OUT (>= ADMIN_JOIN_TOKEN_MAX) receives
 * the text. parse: *ID and SHA256 of the secret; -1 if malformed. */
int admin_join_token_make(uint64_t id, char *out, size_t cap,
			  uint8_t sha256[32]);
int admin_join_token_parse(const char *text, size_t len, uint64_t *id,
			   uint8_t sha256[32]);

enum admin_token_verdict {
	ADMIN_TOKEN_OK = 0,
	ADMIN_TOKEN_WRONG, /* id or secret do not match */
	ADMIN_TOKEN_EXPIRED,
	ADMIN_TOKEN_HOST, /* used from another host than the one named */
};
/* Checks a parsed join token against its stored record (constant-time on
 * the secret). RAFT_HOST is the host part of the joiner's Raft address. */
enum admin_token_verdict
admin_join_token_check(const struct store_join_token *rec, uint64_t id,
		       const uint8_t sha256[32], uint64_t now_ms,
		       const char *raft_host);

/* Parses an Authorization header "Basic base64(user:password)". USER (cap
 * ADMIN_NAME_MAX + 1) and PW (cap ADMIN_PASSWORD_MAX + 1) receive
 * NUL-terminated copies; *PW_LEN the password length. -1 if the header is
 * absent, not Basic, malformed, or the name is not a valid admin name. The
 * caller wipes PW. */
int admin_basic_parse(const char *header, char *user, char *pw, size_t *pw_len);

/* base64 (standard alphabet, padded) and base64url (no padding) codecs.
 * encode: OUT needs 4 * ceil(n / 3) + 1 bytes; returns the text length.
 * decode: -1 on any character outside the alphabet, bad padding, or when
 * the result would not fit in CAP; else the decoded length. */
size_t admin_b64_encode(const uint8_t *in, size_t n, char *out, int url);
long admin_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap,
		      int url);

/* hex_encode (common/hex.h): lower-case hex of N bytes into OUT (2n + 1). */
void admin_hex(const uint8_t *in, size_t n, char *out);
/* hex_sha256_parse (common/hex.h): "sha256:HEX" or bare HEX, single colons
 * allowed between byte pairs. 0 or -1. */
int admin_sha256_parse(const char *text, uint8_t out[32]);

/* 1 if NAME is 1-63 characters of [A-Za-z0-9._-]. */
int admin_name_valid(const char *name);

#endif
