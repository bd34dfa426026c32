/* tftp_files: the files a node serves over TFTP and HTTP, built from the
 * replicated store and kept in a cache that store changes invalidate.
 *
 * The cache lives on the TFTP thread and is used only there (no locks).
 * Each file is an immutable, reference-counted blob: a transfer holds a
 * reference, so a store change never pulls bytes from under a download.
 * A change bumps a generation; the next request for a name re-reads its
 * source and rebuilds the blob only if the source bytes changed, so a
 * generated file is built (and, once signing lands, signed) once per
 * change of what it is built from, never per request.
 */
#ifndef WARD_TFTP_FILES_H
#define WARD_TFTP_FILES_H

#include <stddef.h>
#include <stdint.h>

struct store;

struct tftp_blob {
	unsigned refs; /* TFTP thread only */
	size_t len;
	uint8_t data[]; /* len bytes */
};

/* Takes a reference; returns B. */
struct tftp_blob *tftp_blob_ref(struct tftp_blob *b);
/* Drops a reference; frees at zero. Accepts NULL. */
void tftp_blob_unref(struct tftp_blob *b);

enum tftp_files_result {
	TFTP_FILES_OK = 0,
	TFTP_FILES_NOT_FOUND, /* no such file for this node */
	TFTP_FILES_REFUSED,   /* exists but may not be served by this name */
	TFTP_FILES_ERROR,     /* could not read or build it */
};

struct tftp_files; /* opaque */

/* A cache over STORE (borrowed, outlives the cache) holding at most
 * MAX_BYTES of file data beyond what transfers hold. */
int tftp_files_new(struct store *store, size_t max_bytes,
		   struct tftp_files **out);
/* Where the node's TFTP certificate and key are (DATA/pki; borrowed,
 * copied): signed files need them. */
void tftp_files_set_pki_dir(struct tftp_files *f, const char *pki_dir);
/* The keystore (borrowed, outlives the cache) that holds the node's TFTP
 * key and the KEK: signing and credentials go through it; without one,
 * the files in DATA/pki and DATA/kek are used. */
struct keystore;
void tftp_files_set_keystore(struct tftp_files *f, struct keystore *ks);
/* Frees the cache; blobs still referenced by transfers live on until
 * their last unref. Accepts NULL. */
void tftp_files_free(struct tftp_files *f);

/* The file NAME (a valid name, tftp_name_valid) as node NODE_ID serves it
 * at store generation GEN. On TFTP_FILES_OK *out holds a new reference
 * (transferred: tftp_blob_unref it). *why gets a static reason for
 * REFUSED/ERROR (for the log and the TFTP ERROR text). */
enum tftp_files_result tftp_files_get(struct tftp_files *f, uint64_t gen,
				      uint64_t node_id, const char *name,
				      struct tftp_blob **out, const char **why);

/* Counters for status and benchmarks. */
struct tftp_files_stats {
	uint64_t hits;	 /* served from the cache as it was */
	uint64_t checks; /* re-read after a change, unchanged */
	uint64_t builds; /* built anew */
	size_t bytes;	 /* held by the cache */
	size_t entries;
};
void tftp_files_stats(const struct tftp_files *f, struct tftp_files_stats *out);

#endif
