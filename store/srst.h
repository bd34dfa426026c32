/* srst: SRST references — the gateway a phone falls back to when no node
 * of its group answers (Survivable Remote Site Telephony), named by a
 * phone profile and carried in the phone's configuration file with its
 * certificate (docs/tftp.md). Table STORE_T_SRST, key = name.
 *
 * Same contract as store.h and prov.h: records decode into caller-owned
 * structs with fixed arrays; writes are commands built here.
 */
#ifndef WARD_STORE_SRST_H
#define WARD_STORE_SRST_H

#include <stddef.h>
#include <stdint.h>

#include "store/prov.h"
#include "store/store.h"

struct store_srst {
	char name[STORE_NAME_MAX]; /* a provisioning name */
	char description[STORE_DESC_MAX];
	char address[STORE_ADDR_MAX]; /* IP address or host name, no port */
	uint32_t sip_port;	      /* 1..65535 */
	uint32_t tls_port;	      /* 0: no SIP over TLS, else 1..65535 */
	char certificate[STORE_TRUST_NAME_MAX]; /* the trust entry (category
						   srst) of its certificate;
						   "" none */
	uint64_t created_ms, changed_ms;
};

/* 1 if ADDR may be an SRST address: 1..127 printable bytes without space,
 * '/', '<', '>' or '&' (it goes into XML as is). */
int store_srst_address_valid(const char *addr);

int store_srst_encode(const struct store_srst *r, void *buf, size_t cap,
		      size_t *len);
int store_srst_decode(const void *buf, size_t len, struct store_srst *r);

/* Reads, as prov.h's getters and iterators. */
int store_srst_get(struct store_read *r, const char *name,
		   struct store_srst *out);
typedef int (*store_srst_fn)(void *arg, const struct store_srst *rec);
int store_srst_each(struct store_read *r, store_srst_fn fn, void *arg);

/* OP is STORE_OP_PUT or STORE_OP_PUT_NEW; the delete fails the command
 * with STORE_ENOTFOUND if absent. */
int store_cmd_put_srst(struct store_cmd *c, enum store_op op,
		       const struct store_srst *r);
int store_cmd_del_srst(struct store_cmd *c, const char *name);

#endif
