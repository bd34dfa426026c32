/* hex: bytes as hex text, and SHA-256 fingerprints as "sha256:HEX" — the one
 * spelling every node, wardctl and the admin API print, parse and pin. */
#ifndef WARD_COMMON_HEX_H
#define WARD_COMMON_HEX_H

#include <stddef.h>
#include <stdint.h>

/* "sha256:" + 64 hex digits + NUL. */
#define HEX_SHA256_TEXT_LEN 72

/* Lower-case hex of IN (N bytes, borrowed) into OUT (caller's, 2n + 1
 * bytes), NUL-terminated. */
void hex_encode(const uint8_t *in, size_t n, char *out);

/* TEXT (borrowed) must be exactly 2n hex digits of either case, nothing
 * else: 0 with the N bytes in OUT (caller's), or -1 (OUT then undefined). */
int hex_decode(const char *text, uint8_t *out, size_t n);

/* "sha256:" + 64 lower-case hex digits of FP into OUT (caller's). */
void hex_sha256_text(const uint8_t fp[32], char out[HEX_SHA256_TEXT_LEN]);

/* Parses a SHA-256 fingerprint as an operator types or pastes it:
 * "sha256:HEX" or bare HEX (prefix in either case), 64 hex digits of either
 * case, optionally in pairs split by single colons ("AB:CD:..."), the form
 * of `openssl x509 -fingerprint`. 0 with the digest in OUT (caller's), or -1
 * for anything else: NULL, wrong length, a bad digit, a colon that does not
 * sit between two pairs, another algorithm's prefix. */
int hex_sha256_parse(const char *text, uint8_t out[32]);

/* 1 if the digests A and B (borrowed) are equal, else 0. Compared in
 * constant time, as every pin and every secret-derived digest must be, so
 * that timing tells a prober nothing about how close a guess came. */
int hex_sha256_equal(const uint8_t a[32], const uint8_t b[32]);

#endif
