/* g711: ITU-T G.711 µ-law (PCMU) and A-law (PCMA) to and from 16-bit
 * linear PCM, for the conference mixer. Pure functions, no state. */
#ifndef WARD_NODE_KEYMGR_G711_H
#define WARD_NODE_KEYMGR_G711_H

#include <stdint.h>

int16_t g711_ulaw_decode(uint8_t u);
uint8_t g711_ulaw_encode(int16_t pcm);
int16_t g711_alaw_decode(uint8_t a);
uint8_t g711_alaw_encode(int16_t pcm);

#endif
