/* http_reason: the one table of HTTP reason phrases, for every server that
 * answers (the admin API, the forwarder relaying the leader's answer, the
 * HTTP file server) and every client that explains an answer (wardctl).
 * Phrases as RFC 9110 section 15 names them, plus 429 (RFC 6585) and 507
 * (RFC 4918). Pure: any thread. */
#ifndef WARD_COMMON_HTTP_REASON_H
#define WARD_COMMON_HTTP_REASON_H

/* The reason phrase of STATUS (static text), or "" for a status the table
 * does not hold: a reason phrase carries no meaning (clients ignore it, RFC
 * 9112 section 4), so an empty one is a valid answer. Never NULL. */
const char *http_reason_phrase(int status);

#endif
