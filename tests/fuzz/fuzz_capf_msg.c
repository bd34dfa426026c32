/* fuzz_capf_msg: feeds arbitrary bytes to the CAPF framing and message
 * parser, the element readers and the certificate / SHA-2 signature
 * layouts, then rebuilds what parsed and checks it parses the same. All of
 * it takes bytes from anyone who connects to port 3804. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node/capf/capf_msg.h"

static uint8_t out[CAPF_MSG_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct capf_msg m, again;
	struct capf_build b;
	size_t total, len;
	char str[64];
	uint8_t u8, type;
	uint16_t u16;
	const uint8_t *p;
	size_t plen;

	if (capf_msg_frame(data, size, &total) == CAPF_MSG_OK &&
	    total > CAPF_MSG_MAX)
		abort();
	if (capf_msg_parse(data, size, &m) != CAPF_MSG_OK)
		return 0;
	if (m.n > CAPF_ELEMS_MAX || size != CAPF_HEADER_LEN + m.body_len)
		abort();
	for (size_t i = 0; i < m.n; i++) {
		const struct capf_elem *e = &m.elem[i];

		if (e->val < data || e->val + e->len > data + size)
			abort();
		(void)capf_msg_get_u8(&m, e->tag, &u8);
		(void)capf_msg_get_u16(&m, e->tag, &u16);
		if (capf_msg_get_str(&m, e->tag, str, sizeof str) == 0 &&
		    strlen(str) >= sizeof str)
			abort();
		if (capf_cert_elem_parse(e->val, e->len, &type, &p, &plen) ==
			0 &&
		    p + plen != e->val + e->len)
			abort();
		if (capf_sha2_sig_parse(e->val, e->len, &u8, &p, &plen) == 0 &&
		    p + plen != e->val + e->len)
			abort();
	}
	/* Rebuilding a parsed message gives the same bytes. */
	capf_build_begin(&b, out, sizeof out, m.cmd, m.session);
	for (size_t i = 0; i < m.n; i++)
		capf_build_add(&b, m.elem[i].tag, m.elem[i].val, m.elem[i].len);
	if (capf_build_end(&b, &len) != 0 || len != size ||
	    memcmp(out, data, size) != 0)
		abort();
	if (capf_msg_parse(out, len, &again) != 0 || again.n != m.n)
		abort();
	return 0;
}
