/* wipe: no unwiped copy of a secret the admin API serves — the capture
 * key log's reply (GET /v1/capture/DEVICE/keys) passes through jansson
 * (packed, dumped, parsed, dumped again) and libevent (the reply's
 * evbuffer), whose allocators free without wiping.
 *
 *   - admin_json_wipe_init makes jansson free every block it allocated
 *     through admin_json_wipe_free: OPENSSL_cleanse over the block's
 *     usable size (malloc_usable_size), then free. jansson grows its
 *     buffers by allocating a new one and freeing the old (it has no
 *     realloc hook), so every intermediate copy is wiped too. Process-
 *     wide, idempotent; the admin server sets it when it starts.
 *   - admin_evbuffer_add_wiped hands a text to an evbuffer by reference:
 *     libevent moves the chain (evbuffer_add_buffer, the reply's send)
 *     without copying it, and when the chain is drained or freed the
 *     cleanup cleanses the text and releases it.
 *
 * Threading: any; jansson's allocator is global state, set before other
 * threads use jansson (the admin server starts before the roles). */
#ifndef WARD_ADMIN_WIPE_H
#define WARD_ADMIN_WIPE_H

#include <stddef.h>

#include <event2/buffer.h>

void admin_json_wipe_init(void);
/* jansson's free: wipes the block's usable size, then frees it. */
void admin_json_wipe_free(void *p);
/* Wipes the usable size of the malloc'ed block P (NULL: nothing). */
void admin_wipe_block(void *p);

/* Appends LEN bytes of TEXT to B by reference: TEXT is B's from here (on
 * failure too); when libevent is done with it, it is wiped and passed to
 * RELEASE (NULL: free). 0, or -1 (TEXT wiped and released already). */
int admin_evbuffer_add_wiped(struct evbuffer *b, char *text, size_t len,
			     void (*release)(void *));

#endif
