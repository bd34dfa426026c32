/* holdmusic: the file, and µ-law to A-law. */
#include "node/keymgr/holdmusic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errmsg.h"

static int16_t ulaw_to_linear(uint8_t u)
{
	int t;

	u = (uint8_t)~u;
	t = ((u & 0x0f) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

static uint8_t linear_to_alaw(int16_t pcm)
{
	static const int seg_end[8] = {0x1f,  0x3f,  0x7f,  0xff,
				       0x1ff, 0x3ff, 0x7ff, 0xfff};
	int v = pcm >> 3, mask, seg;
	uint8_t a;

	if (v >= 0) {
		mask = 0xd5;
	} else {
		mask = 0x55;
		v = -v - 1;
	}
	for (seg = 0; seg < 8 && v > seg_end[seg]; seg++)
		;
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	a = (uint8_t)(seg << 4);
	a |= (uint8_t)((seg < 2 ? v >> 1 : v >> seg) & 0x0f);
	return (uint8_t)(a ^ mask);
}

uint8_t holdmusic_ulaw_to_alaw(uint8_t u)
{
	return linear_to_alaw(ulaw_to_linear(u));
}

int holdmusic_load(struct holdmusic *m, const char *path, char *errmsg,
		   size_t errcap)
{
	FILE *f = fopen(path, "rb");
	long size;

	memset(m, 0, sizeof *m);
	if (!f) {
		errmsg_set(errmsg, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		errmsg_set(errmsg, errcap, "%s: not a regular file", path);
		goto err_after_open;
	}
	if (size < 160 || size > HOLDMUSIC_MAX) {
		errmsg_set(errmsg, errcap,
			   "%s: %ld bytes; 160 to %d (20 ms to 10 min of 8 "
			   "kHz µ-law)",
			   path, size, HOLDMUSIC_MAX);
		goto err_after_open;
	}
	m->len = (size_t)size;
	m->pcmu = malloc(m->len);
	m->pcma = malloc(m->len);
	if (!m->pcmu || !m->pcma) {
		errmsg_set(errmsg, errcap, "%s: out of memory", path);
		goto err_after_alloc;
	}
	if (fread(m->pcmu, 1, m->len, f) != m->len) {
		errmsg_set(errmsg, errcap, "%s: short read", path);
		goto err_after_alloc;
	}
	for (size_t i = 0; i < m->len; i++)
		m->pcma[i] = holdmusic_ulaw_to_alaw(m->pcmu[i]);
	fclose(f);
	return 0;
err_after_alloc:
	holdmusic_free(m);
err_after_open:
	fclose(f);
	return -1;
}

void holdmusic_free(struct holdmusic *m)
{
	free(m->pcmu);
	free(m->pcma);
	memset(m, 0, sizeof *m);
}
