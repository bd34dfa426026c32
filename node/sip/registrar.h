/* registrar: the bindings of the devices registered on this node, in
 * memory (RFC 3261 section 10, Path RFC 3327, Outbound RFC 5626 flows).
 *
 * A binding refresh changes only memory. The owner hook fires when a device
 * gains its first binding or loses its last one (unregister, expiry): the
 * only moments the cluster needs to learn which node holds the device.
 *
 * Threading: one registrar per signaling thread, not shared. */
#ifndef WARD_SIP_REGISTRAR_H
#define WARD_SIP_REGISTRAR_H

#include <stddef.h>
#include <stdint.h>

#define SIP_REG_CONTACTS 2 /* per device: two Outbound flows */
#define SIP_REG_URI_MAX 192
#define SIP_REG_INSTANCE_MAX 80
#define SIP_REG_PATH_MAX 192
#define SIP_REG_NAME_MAX 64

enum sip_reg_cert { SIP_REG_CERT_NONE = 0, SIP_REG_CERT_MIC, SIP_REG_CERT_LSC };

struct sip_reg_contact {
	char uri[SIP_REG_URI_MAX];
	char instance[SIP_REG_INSTANCE_MAX]; /* +sip.instance, "" if none */
	unsigned reg_id;		     /* 0 if none */
	char path[SIP_REG_PATH_MAX];	     /* Path header, "" if none */
	uint8_t transport;		     /* SIP_TP_* */
	uint8_t family;			     /* AF_INET / AF_INET6 */
	uint16_t port;			     /* source port, host order */
	uint8_t addr[16];		     /* source address */
	uint8_t cert;			     /* enum sip_reg_cert */
	uint8_t cert_fp[32];		     /* SHA-256 of the certificate */
	uint64_t expires_at;		     /* seconds, monotonic */
};

/* Fires when DEVICE (borrowed, valid during the call) becomes registered on
 * this node — C is its first binding (borrowed for the call) — or stops
 * being (C NULL). */
typedef void (*sip_reg_owner_fn)(void *arg, const char *device,
				 const struct sip_reg_contact *c);

struct sip_registrar;

/* At most MAX_DEVICES devices hold bindings at once. */
int sip_registrar_new(size_t max_devices, sip_reg_owner_fn owner, void *arg,
		      struct sip_registrar **out);
void sip_registrar_free(struct sip_registrar *r);

/* Adds or refreshes C (copied) for DEVICE, valid for EXPIRES seconds after
 * NOW, or removes the matching binding when EXPIRES is 0. A binding matches
 * by instance and reg-id when both carry them, else by URI. A new binding
 * beyond SIP_REG_CONTACTS replaces the one expiring first. Returns 0, or -1
 * when the table is full (the caller answers 503). */
int sip_registrar_update(struct sip_registrar *r, const char *device,
			 const struct sip_reg_contact *c, unsigned expires,
			 uint64_t now);

/* Removes every binding of DEVICE ("Contact: *"). */
void sip_registrar_remove_all(struct sip_registrar *r, const char *device);

/* Copies DEVICE's live bindings into OUT (up to SIP_REG_CONTACTS); returns
 * how many. */
int sip_registrar_get(struct sip_registrar *r, const char *device, uint64_t now,
		      struct sip_reg_contact *out);

/* Drops bindings expired at NOW, firing the owner hook; returns how many
 * devices lost their last binding. */
size_t sip_registrar_expire(struct sip_registrar *r, uint64_t now);

/* Devices with at least one binding. */
size_t sip_registrar_count(const struct sip_registrar *r);

/* Calls FN for each device with bindings (for status listings). FN must not
 * change the registrar. */
void sip_registrar_foreach(struct sip_registrar *r,
			   void (*fn)(void *arg, const char *device,
				      const struct sip_reg_contact *c, int n),
			   void *arg);

#endif
