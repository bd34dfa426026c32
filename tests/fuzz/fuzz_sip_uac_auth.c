/* libFuzzer target of the digest client (node/sip/uac_auth.c): the input
 * is a SIP response as a trunk would send it; sofia parses it, the
 * strongest usable WWW-Authenticate / Proxy-Authenticate challenge is
 * chosen and answered. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_parser.h>
#include <sofia-sip/su.h>

#include "node/sip/uac_auth.h"

static struct sip_uac_auth *auth;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_uac_challenge ch;
	char out[SIP_UAC_ANSWER_MAX];
	msg_t *m;
	sip_t *sip;

	if (!auth) {
		su_init();
		if (sip_uac_auth_new(64, &auth) != 0)
			__builtin_trap();
	}
	m = msg_make(sip_default_mclass(), 0, data, (isize_t)size);
	sip = m ? sip_object(m) : NULL;
	if (sip && sip->sip_status) {
		if (sip_uac_choose(sip->sip_www_authenticate, &ch) == 0)
			sip_uac_auth_answer(auth, &ch, "OPTIONS", "sip:t",
					    "ward", "pw", out, sizeof out);
		if (sip_uac_choose(sip->sip_proxy_authenticate, &ch) == 0)
			sip_uac_auth_answer(auth, &ch, "INVITE", "sip:1@t",
					    "ward", "pw", out, sizeof out);
	}
	msg_destroy(m);
	return 0;
}
