/* g711: the segment encodings of G.711 (the classic Sun reference
 * algorithm: bias 0x84 for µ-law, segment search on the magnitude). */
#include "node/keymgr/g711.h"

static int segment(int v, const int *ends, int n)
{
	for (int i = 0; i < n; i++)
		if (v <= ends[i])
			return i;
	return n;
}

int16_t g711_ulaw_decode(uint8_t u)
{
	int t;

	u = (uint8_t)~u;
	t = ((u & 0x0f) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

uint8_t g711_ulaw_encode(int16_t pcm)
{
	static const int ends[8] = {0x3f,  0x7f,  0xff,	 0x1ff,
				    0x3ff, 0x7ff, 0xfff, 0x1fff};
	int v = pcm >> 2, mask, seg;

	if (v < 0) {
		v = -v;
		mask = 0x7f;
	} else {
		mask = 0xff;
	}
	if (v > 8159)
		v = 8159;
	v += 0x84 >> 2;
	seg = segment(v, ends, 8);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0x0f)) ^ mask);
}

int16_t g711_alaw_decode(uint8_t a)
{
	int t, seg;

	a ^= 0x55;
	t = (a & 0x0f) << 4;
	seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else if (seg == 1)
		t += 0x108;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

uint8_t g711_alaw_encode(int16_t pcm)
{
	static const int ends[8] = {0x1f,  0x3f,  0x7f,	 0xff,
				    0x1ff, 0x3ff, 0x7ff, 0xfff};
	int v = pcm >> 3, mask, seg;
	uint8_t aval;

	if (v >= 0) {
		mask = 0xd5;
	} else {
		mask = 0x55;
		v = -v - 1;
	}
	seg = segment(v, ends, 8);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	aval = (uint8_t)(seg << 4);
	if (seg < 2)
		aval |= (v >> 1) & 0x0f;
	else
		aval |= (v >> seg) & 0x0f;
	return (uint8_t)(aval ^ mask);
}
