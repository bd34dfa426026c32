/* tftpfiles: static files an operator uploads for phones to fetch over
 * TFTP (ring lists, locales, firmware loads), in the replicated store.
 *
 * A file can be up to STORE_TFTP_FILE_MAX (64 MiB), far more than one Raft
 * entry should carry (STORE_CMD_MAX is 1 MiB, and every entry is sent to
 * every node and kept in the log until a snapshot), so its bytes travel as
 * chunks of at most STORE_TFTP_CHUNK_MAX, each its own command, keyed by
 * the SHA-256 of the whole file and the chunk's index: an upload writes
 * its chunks first and the file record last, so a name never points at a
 * file whose bytes are not all there; the same content uploaded under two
 * names is stored once. Included by store.h's users that need it; the
 * tables are STORE_T_TFTP_FILES and STORE_T_TFTP_CHUNKS.
 *
 * Ownership as in store.h: records decode into caller-owned structs;
 * chunk bytes are borrowed from the read transaction.
 */
#ifndef WARD_STORE_TFTPFILES_H
#define WARD_STORE_TFTPFILES_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_TFTP_FILE_MAX (64u << 20)
#define STORE_TFTP_CHUNK_MAX                                                   \
	(64u << 10) /* fits the admin API's body limit                         \
		       once base64 in JSON */
#define STORE_TFTP_NAME_MAX 255
#define STORE_TFTP_CHUNKS_MAX                                                  \
	((STORE_TFTP_FILE_MAX + STORE_TFTP_CHUNK_MAX - 1) /                    \
	 STORE_TFTP_CHUNK_MAX)

struct store_tftp_file {
	char name[STORE_TFTP_NAME_MAX + 1]; /* from the key */
	uint64_t size;			    /* 0..STORE_TFTP_FILE_MAX */
	uint8_t sha256[32];		    /* of the whole file */
	uint32_t chunk_size;		    /* 1..STORE_TFTP_CHUNK_MAX */
	uint32_t n_chunks;		    /* ceil(size / chunk_size) */
	uint64_t uploaded_ms;
	char uploaded_by[STORE_NAME_MAX];
};

/* 1 if NAME may name an uploaded file: what a TFTP client may ask for
 * (1..255 bytes of [A-Za-z0-9._-] in '/'-separated components, none empty
 * or starting with '.'). */
int store_tftp_name_valid(const char *name);

/* Number of chunks a file of SIZE bytes has in chunks of CHUNK_SIZE. */
uint32_t store_tftp_n_chunks(uint64_t size, uint32_t chunk_size);

int store_tftp_file_encode(const struct store_tftp_file *r, void *buf,
			   size_t cap, size_t *len);
int store_tftp_file_decode(const void *buf, size_t len,
			   struct store_tftp_file *r);

/* Reads. */
int store_tftp_file_get(struct store_read *r, const char *name,
			struct store_tftp_file *out);
typedef int (*store_tftp_file_fn)(void *arg, const struct store_tftp_file *f);
int store_tftp_file_each(struct store_read *r, store_tftp_file_fn fn,
			 void *arg);
/* Chunk INDEX of the file with SHA256: *p borrowed until
 * store_read_end(). STORE_ENOTFOUND if absent. */
int store_tftp_chunk_get(struct store_read *r, const uint8_t sha256[32],
			 uint32_t index, const uint8_t **p, size_t *n);

/* Commands. A chunk (1..STORE_TFTP_CHUNK_MAX bytes, copied). */
int store_cmd_put_tftp_chunk(struct store_cmd *c, const uint8_t sha256[32],
			     uint32_t index, const void *data, size_t n);
int store_cmd_del_tftp_chunk(struct store_cmd *c, const uint8_t sha256[32],
			     uint32_t index);
/* The file record (after its chunks); OLD non-NULL guards on the record
 * being exactly OLD (a replace), NULL requires that none exists. */
int store_cmd_put_tftp_file(struct store_cmd *c,
			    const struct store_tftp_file *old,
			    const struct store_tftp_file *r);
/* Deletes the record; fails the command with STORE_ENOTFOUND if absent. */
int store_cmd_del_tftp_file(struct store_cmd *c, const char *name);

/* ---- uploads in progress (table STORE_T_TFTP_UPLOADS, key = SHA-256) ---
 *
 * Every chunk command also stamps its file's upload record (when a chunk
 * last came); the commit removes it, guarded on the record it read, so
 * an upload being collected cannot be committed. Chunks no file uses
 * whose upload has been idle past a limit are collected by the leader
 * (store_cmd_gc_tftp_uploads), in bounded commands. */
enum store_tftp_upload_state {
	STORE_TFTP_UPLOAD_ACTIVE = 0,
	STORE_TFTP_UPLOAD_COLLECTING = 1, /* its chunks are being deleted */
};

struct store_tftp_upload {
	uint8_t sha256[32]; /* from the key */
	uint64_t last_ms;   /* the last chunk (or when found without one) */
	uint32_t state;	    /* enum store_tftp_upload_state */
};

#define STORE_TFTP_UPLOAD_REC_LEN 13 /* version, last_ms, state */

int store_tftp_upload_encode(const struct store_tftp_upload *r,
			     uint8_t out[STORE_TFTP_UPLOAD_REC_LEN]);
int store_tftp_upload_decode(const void *buf, size_t len,
			     struct store_tftp_upload *r);
int store_tftp_upload_get(struct store_read *r, const uint8_t sha256[32],
			  struct store_tftp_upload *out);
/* Put or replace (chunks stamp it so). */
int store_cmd_put_tftp_upload(struct store_cmd *c,
			      const struct store_tftp_upload *r);
/* The commit's guard: fails the command with STORE_ENOTFOUND unless the
 * stored record is exactly OLD, then deletes it. */
int store_cmd_end_tftp_upload(struct store_cmd *c,
			      const struct store_tftp_upload *old);

/* The leader's collection, at most MAX (1..STORE_PRUNE_MAX) operations
 * into C, from what R holds at NOW_MS: for each upload record idle for
 * IDLE_MS or more (or already collecting) whose file no name uses, the
 * record marked collecting (guarded on its stored bytes) and its chunks
 * deleted, the record too once its last chunk goes; a record whose file a
 * name now uses, idle as long, deleted; chunks that no name uses and no
 * record covers (older uploads) get a record stamped NOW_MS, so they go
 * IDLE_MS later. *N: operations added (0: nothing to do). */
int store_cmd_gc_tftp_uploads(struct store_cmd *c, struct store_read *r,
			      uint64_t now_ms, uint64_t idle_ms, unsigned max,
			      unsigned *n);

#endif
