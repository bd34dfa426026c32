/* wipe: jansson's and libevent's copies of served secrets wiped (wipe.h). */
#include "node/admin/wipe.h"

#include <malloc.h>
#include <stdlib.h>

#include <jansson.h>
#include <openssl/crypto.h>

void admin_wipe_block(void *p)
{
	if (p)
		OPENSSL_cleanse(p, malloc_usable_size(p));
}

void admin_json_wipe_free(void *p)
{
	admin_wipe_block(p);
	free(p);
}

void admin_json_wipe_init(void)
{
	json_set_alloc_funcs(malloc, admin_json_wipe_free);
}

struct wiped_ref {
	size_t len;
	void (*release)(void *);
};

static void on_done(const void *data, size_t len, void *arg)
{
	struct wiped_ref *r = arg;
	void (*release)(void *) = r->release ? r->release : free;

	(void)len;
	OPENSSL_cleanse((void *)data, r->len);
	release((void *)data);
	free(r);
}

int admin_evbuffer_add_wiped(struct evbuffer *b, char *text, size_t len,
			     void (*release)(void *))
{
	struct wiped_ref *r = malloc(sizeof *r);

	if (r) {
		r->len = len;
		r->release = release;
	}
	if (!r || evbuffer_add_reference(b, text, len, on_done, r) != 0) {
		OPENSSL_cleanse(text, len);
		(release ? release : free)(text);
		free(r);
		return -1;
	}
	return 0;
}
