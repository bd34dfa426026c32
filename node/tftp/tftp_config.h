/* tftp_config: the configuration files the TFTP role generates from the
 * store — SEP<MAC>.cnf.xml for each phone (its node group as the ordered
 * list of nodes to fail over to, device security mode and transport, the
 * CAPF settings and servers, the phone hardening settings and the SRST
 * reference of its profile, its lines and digest user) and
 * XMLDefault.cnf.xml (every member, for a phone the cluster does not know
 * yet). Plain XML; signing and encryption
 * are source.c's. Pure functions of a read transaction: any thread.
 */
#ifndef WARD_TFTP_CONFIG_H
#define WARD_TFTP_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct store_read;
struct keystore;

enum {
	TFTP_CONFIG_NOT_FOUND = 1, /* no such phone */
	TFTP_CONFIG_ERROR = 2,	   /* unreadable or out of memory */
};

struct tftp_config_opts {
	int encrypted_param;   /* the cluster's tftp_encrypted_config */
	int encrypted;	       /* this text goes into an .enc.sgn */
	int stub;	       /* the stub .sgn beside an .enc.sgn */
	char cert_md5_hex[33]; /* stub: MD5 of the device certificate */
	const uint8_t *kek;    /* the cluster KEK (32 bytes, borrowed) to unwrap
				 the digest user's HA1 for an encrypted file;
				 NULL: no credentials */
	struct keystore *ks;   /* when set, the HA1 is unwrapped through the
				keystore instead (borrowed) */
};

/* What the generator learned about the device, for the serving policy
 * and `wardctl tftp files`. */
struct tftp_config_info {
	uint32_t mode;	     /* enum store_device_mode of its profile */
	int encrypt;	     /* encryption asked (parameter or profile) */
	int has_digest;	     /* a digest user is configured */
	uint32_t caps;	     /* STORE_CAP_* */
	uint64_t changed_ms; /* newest change of the device or its profile: the
			      signed header's timestamp, so that every build
			      of the same text is the same file */
};

/* DEVICE's configuration: 0 with *out malloc'ed (transferred, *len
 * bytes), or TFTP_CONFIG_NOT_FOUND / TFTP_CONFIG_ERROR. INFO is filled
 * whenever the device exists. */
int tftp_config_device(struct store_read *r, const char *device,
		       const struct tftp_config_opts *o, char **out,
		       size_t *len, struct tftp_config_info *info);

/* XMLDefault.cnf.xml, as tftp_config_device. */
int tftp_config_default(struct store_read *r, char **out, size_t *len);

#endif
