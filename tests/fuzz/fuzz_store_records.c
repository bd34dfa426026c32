/* fuzz_store_records: every record decoder and the parameter checker on
 * arbitrary bytes. Snapshots from the network carry these records, so each
 * decoder must reject what it cannot read without reading past the input,
 * and accept only canonical encodings: encode(decode(x)) == x for the
 * current version of a record; an older version re-encodes as the current
 * one holding the same record. Records with byte fields (certificates,
 * files) must point them inside the input. The provisioning records
 * (store/prov.h, store/presence.h) are held to the same rules. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/capf.h"
#include "store/capture.h"
#include "store/presence.h"
#include "store/prov.h"
#include "store/srst.h"
#include "store/store.h"
#include "store/tftpfiles.h"

#define ROUND_TRIP(T, dec, enc)                                                \
	do {                                                                   \
		T rec;                                                         \
		size_t n;                                                      \
		if (dec(data, size, &rec) == STORE_OK) {                       \
			if (enc(&rec, out, sizeof out, &n) != STORE_OK ||      \
			    n != size || memcmp(out, data, n) != 0)            \
				abort();                                       \
		}                                                              \
	} while (0)

static void fuzz_params(const uint8_t *data, size_t size)
{
	char text[STORE_TEXT_MAX + 1], out[STORE_TEXT_MAX],
	    again[STORE_TEXT_MAX];
	char err[128];
	const struct store_param_def *defs;
	size_t n_defs;

	if (size > STORE_TEXT_MAX)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	defs = store_param_defs(&n_defs);
	for (size_t i = 0; i < n_defs; i++) {
		if (store_param_check(&defs[i], text, out, sizeof out, err,
				      sizeof err) != STORE_OK)
			continue;
		/* The canonical form is a fixed point. */
		if (store_param_check(&defs[i], out, again, sizeof again, err,
				      sizeof err) != STORE_OK ||
		    strcmp(out, again) != 0)
			abort();
	}
}

/* The byte field of a decoded record lies inside the input. */
static void check_inside(const uint8_t *data, size_t size, const uint8_t *p,
			 size_t n)
{
	if (!p || n == 0 || p < data || n > size ||
	    (size_t)(p - data) > size - n)
		abort();
}

#define ROUND_TRIP_BLOB(T, dec, enc, field, len_field)                         \
	do {                                                                   \
		T rec;                                                         \
		size_t n;                                                      \
		if (dec(data, size, &rec) == STORE_OK) {                       \
			check_inside(data, size, rec.field, rec.len_field);    \
			if (enc(&rec, out, sizeof out, &n) != STORE_OK ||      \
			    n != size || memcmp(out, data, n) != 0)            \
				abort();                                       \
		}                                                              \
	} while (0)

static void fuzz_cluster(const uint8_t *data, size_t size, uint8_t *out,
			 size_t cap)
{
	struct store_cluster rec, again;
	size_t n;

	if (store_cluster_decode(data, size, &rec) != STORE_OK)
		return;
	if (store_cluster_encode(&rec, out, cap, &n) != STORE_OK)
		abort();
	if (data[0] == out[0]) {
		if (n != size || memcmp(out, data, n) != 0)
			abort();
		return;
	}
	if (store_cluster_decode(out, n, &again) != STORE_OK ||
	    memcmp(&rec, &again, sizeof rec) != 0)
		abort();
}

/* A record of an older version re-encodes as the current one holding the
 * same record; one of the current version re-encodes byte for byte
 * (devices: 1 without partitions; nodes: 1 without SIP ports; phone
 * profiles: 1 without an SRST reference). */
#define ROUND_TRIP_VERSIONED(T, dec, enc)                                      \
	do {                                                                   \
		T rec, again;                                                  \
		size_t n;                                                      \
		if (dec(data, size, &rec) == STORE_OK) {                       \
			if (enc(&rec, out, sizeof out, &n) != STORE_OK)        \
				abort();                                       \
			if (data[0] == out[0]                                  \
				? n != size || memcmp(out, data, n) != 0       \
				: dec(out, n, &again) != STORE_OK ||           \
				      memcmp(&rec, &again, sizeof rec) != 0)   \
				abort();                                       \
		}                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[STORE_BLOB_RECORD_MAX];

	fuzz_cluster(data, size, out, sizeof out);
	ROUND_TRIP_VERSIONED(struct store_node, store_node_decode,
			     store_node_encode);
	ROUND_TRIP(struct store_admin, store_admin_decode, store_admin_encode);
	ROUND_TRIP(struct store_audit, store_audit_decode, store_audit_encode);
	ROUND_TRIP(struct store_join_token, store_join_token_decode,
		   store_join_token_encode);
	ROUND_TRIP_BLOB(struct store_cert, store_cert_decode, store_cert_encode,
			der, der_len);
	ROUND_TRIP_BLOB(struct store_key, store_key_decode, store_key_encode,
			wrapped, wrapped_len);
	ROUND_TRIP_BLOB(struct store_trust, store_trust_decode,
			store_trust_encode, der, der_len);
	ROUND_TRIP_BLOB(struct store_token, store_token_decode,
			store_token_encode, der, der_len);
	ROUND_TRIP_BLOB(struct store_ctl, store_ctl_decode, store_ctl_encode,
			file, file_len);
	ROUND_TRIP_BLOB(struct store_itl, store_itl_decode, store_itl_encode,
			file, file_len);
	ROUND_TRIP(struct store_reset, store_reset_decode, store_reset_encode);
	ROUND_TRIP_VERSIONED(struct store_phone_profile,
			     store_phone_profile_decode,
			     store_phone_profile_encode);
	ROUND_TRIP(struct store_srst, store_srst_decode, store_srst_encode);
	{
		struct store_tftp_upload u;

		if (store_tftp_upload_decode(data, size, &u) == STORE_OK &&
		    (size != STORE_TFTP_UPLOAD_REC_LEN ||
		     store_tftp_upload_encode(&u, out) != STORE_OK ||
		     memcmp(out, data, size) != 0))
			abort();
	}
	ROUND_TRIP(struct store_trunk_profile, store_trunk_profile_decode,
		   store_trunk_profile_encode);
	ROUND_TRIP_VERSIONED(struct store_device, store_device_decode,
			     store_device_encode);
	ROUND_TRIP_BLOB(struct store_device_lsc, store_device_lsc_decode,
			store_device_lsc_encode, der, der_len);
	ROUND_TRIP(struct store_user, store_user_decode, store_user_encode);
	ROUND_TRIP(struct store_realm, store_realm_decode, store_realm_encode);
	ROUND_TRIP(struct store_node_group, store_node_group_decode,
		   store_node_group_encode);
	ROUND_TRIP(struct store_presence_group, store_presence_group_decode,
		   store_presence_group_encode);
	ROUND_TRIP(struct store_registration, store_registration_decode,
		   store_registration_encode);
	ROUND_TRIP(struct store_secret, store_secret_decode,
		   store_secret_encode);
	ROUND_TRIP(struct store_capf_op, store_capf_op_decode,
		   store_capf_op_encode);
	ROUND_TRIP(struct store_capture, store_capture_decode,
		   store_capture_encode);
	ROUND_TRIP(struct store_partition, store_partition_decode,
		   store_partition_encode);
	ROUND_TRIP(struct store_css, store_css_decode, store_css_encode);
	ROUND_TRIP(struct store_route_pattern, store_route_pattern_decode,
		   store_route_pattern_encode);
	fuzz_params(data, size);
	return 0;
}
