/* call_join: the Join header (RFC 3911) of an INVITE — the only outside
 * input barge adds. Its value has Replaces' syntax (callid, to-tag,
 * from-tag: the dialog as the barged phone's peer, ward, sees it: ward's
 * tag as to-tag, the phone's as from-tag), so sofia's Replaces parser
 * reads it. */
#ifndef WARD_SIP_CALL_JOIN_H
#define WARD_SIP_CALL_JOIN_H

#include <sofia-sip/sip.h>
#include <sofia-sip/su_alloc.h>

#define SIP_CALL_JOIN_MAX 512 /* longest Join value read */

/* SIP's Join header into *OUT (allocated from HOME, borrowed: valid
 * while HOME is). 0 when there is none, 1 with *OUT set, -1 when it is
 * malformed: repeated, longer than SIP_CALL_JOIN_MAX, or without a
 * Call-ID and both tags. */
int sip_call_join_get(su_home_t *home, const sip_t *sip, sip_replaces_t **out);

#endif
