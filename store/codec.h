/* codec: bounds-checked big-endian writer and reader shared by the record
 * and command codecs (internal to store/).
 *
 * Both keep a sticky error flag so that an encoder or decoder is a straight
 * sequence of calls followed by one check: after the first failure every call
 * is a no-op that writes nothing and reads zeros, and no call ever touches a
 * byte outside [buf, buf + cap/len).
 */
#ifndef WARD_STORE_CODEC_H
#define WARD_STORE_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* ---- writer ----------------------------------------------------------- */

struct codec_w {
	uint8_t *buf; /* borrowed */
	size_t cap;
	size_t len;
	int overflow; /* a write did not fit in cap */
	int invalid;  /* a string was not terminated within its field */
};

/* BUF (borrowed) may be NULL when cap is 0: the writer then only counts. */
void codec_w_init(struct codec_w *w, void *buf, size_t cap);
void codec_put_u8(struct codec_w *w, uint8_t v);
void codec_put_u16(struct codec_w *w, uint16_t v);
void codec_put_u32(struct codec_w *w, uint32_t v);
void codec_put_u64(struct codec_w *w, uint64_t v);
void codec_put_bytes(struct codec_w *w, const void *p, size_t n);
/* A text field held in a char array of FIELD_CAP bytes: u16 length, then
 * the bytes without the NUL. Sets `invalid` if the array holds no NUL
 * (the text would not fit back into the field when decoded). */
void codec_put_str(struct codec_w *w, const char *s, size_t field_cap);
/* A byte field of 1..MAX bytes: u32 length, then the bytes. Sets
 * `invalid` for a NULL pointer, length 0 or more than MAX (the decoder
 * would refuse it). */
void codec_put_blob(struct codec_w *w, const void *p, size_t n, size_t max);
/* STORE_OK, STORE_EINVAL (invalid field) or STORE_ETOOBIG (overflow). */
int codec_w_result(const struct codec_w *w);

/* ---- reader ----------------------------------------------------------- */

struct codec_r {
	const uint8_t *buf; /* borrowed */
	size_t len;
	size_t off;
	int bad; /* a read went past len or a field was malformed */
};

void codec_r_init(struct codec_r *r, const void *buf, size_t len);
uint8_t codec_get_u8(struct codec_r *r);
uint16_t codec_get_u16(struct codec_r *r);
uint32_t codec_get_u32(struct codec_r *r);
uint64_t codec_get_u64(struct codec_r *r);
void codec_get_bytes(struct codec_r *r, void *out, size_t n);
/* Pointer to the next N bytes inside the buffer (borrowed, as the buffer),
 * or NULL (and `bad`) if fewer remain. */
const uint8_t *codec_get_ref(struct codec_r *r, size_t n);
/* Reads a text field written by codec_put_str into OUT (FIELD_CAP bytes,
 * always NUL-terminated on return). Marks the reader bad if the length
 * does not leave room for the NUL or the text holds a NUL byte. */
void codec_get_str(struct codec_r *r, char *out, size_t field_cap);
/* Reads a field written by codec_put_blob: *p points into the buffer
 * (borrowed, as the buffer), *n its length. A length of 0, over MAX or past
 * the end marks the reader bad (*p NULL, *n 0). */
void codec_get_blob(struct codec_r *r, const uint8_t **p, size_t *n,
		    size_t max);
/* Bytes not yet read. */
size_t codec_r_left(const struct codec_r *r);
/* 1 if every read succeeded and the whole buffer was consumed. */
int codec_r_done(const struct codec_r *r);

/* ---- record framing (records*.c) -------------------------------------- */

/* Reads the version byte: STORE_ECORRUPT if absent, STORE_EVERSION if 0 or
 * newer than CURRENT. */
int record_version(struct codec_r *rd, uint8_t current, uint8_t *ver);
/* STORE_OK if every read succeeded and nothing is left, else
 * STORE_ECORRUPT. */
int record_end(const struct codec_r *rd);
/* The writer's result; *len set only on success. */
int record_result(const struct codec_w *w, size_t *len);
/* 1 if S (a char array of STORE_SERIAL_MAX) holds 1..64 upper-case hex
 * digits and a NUL. */
int record_serial_valid(const char *s);

#endif
