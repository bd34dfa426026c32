/* x509match: whether a TLS peer's certificate is one a SIP trunk profile
 * names in its X.509 subject name(s).
 *
 * The profile holds a list of names separated by spaces or commas. Each is
 * either
 *   - a distinguished name, "CN=trunk.example.com,O=Example" (RDNs
 *     separated by ',' or ';', in either order — most specific first as
 *     RFC 4514 writes it, or as the certificate holds it; attribute types
 *     as OpenSSL knows them: CN, O, OU, C, L, ST, DC, emailAddress, ... or
 *     dotted OIDs; '\' escapes a character, "..." quotes a value): it
 *     matches a certificate whose whole subject equals it as an X509_NAME
 *     (X509_NAME_cmp: case and inner spaces of string values do not
 *     count); a DN ends where a space is followed by another DN's
 *     "TYPE=", or a comma by a bare name (values may hold spaces);
 *   - a bare name, "trunk.example.com": it matches the subject's CN or a
 *     subjectAltName DNS entry, case-insensitively.
 * Multi-valued RDNs ('+') are not supported (the '+' is part of the value).
 *
 * The names of the certificate are taken once, after the handshake, into a
 * fixed-size record (the subject's DER and the first DNS names) that the
 * signaling role carries with each request; nothing here keeps a pointer
 * to the certificate. */
#ifndef WARD_SIP_X509MATCH_H
#define WARD_SIP_X509MATCH_H

#include <stddef.h>
#include <stdint.h>

#define SIP_X509_SUBJECT_DER_MAX 320
#define SIP_X509_DNS_MAX 4
#define SIP_X509_DNS_LEN 96

struct sip_x509_names {
	uint8_t subject[SIP_X509_SUBJECT_DER_MAX]; /* DER of the subject */
	size_t subject_len; /* 0: none, or longer than the buffer */
	char dns[SIP_X509_DNS_MAX][SIP_X509_DNS_LEN]; /* subjectAltName */
	unsigned ndns;
};

struct x509_st;

/* Fills OUT from the certificate LEAF (an X509 *). DNS names longer than
 * SIP_X509_DNS_LEN - 1 and those past the first SIP_X509_DNS_MAX are left
 * out, as is a subject whose DER exceeds the buffer (then only bare names
 * can match, by CN). */
void sip_x509_names_of(const struct x509_st *leaf, struct sip_x509_names *out);

/* 1 if one of the names in LIST (a profile's X.509 subject names) matches
 * the certificate whose names are N and whose subject CN is CN (may be
 * empty), else 0. */
int sip_x509_names_match(const char *list, const struct sip_x509_names *n,
			 const char *cn);

#endif
