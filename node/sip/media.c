/* media: the level names (the table itself is filled by wardd). */
#include "node/sip/media.h"

const char *sip_level_name(enum sip_level level)
{
	switch (level) {
	case SIP_LEVEL_ENCRYPTED:
		return "encrypted";
	case SIP_LEVEL_AUTHENTICATED:
		return "authenticated";
	default:
		return "non-secure";
	}
}
