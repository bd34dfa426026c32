/* capf_write: one outcome of an enrolment session as a value that can be
 * proposed here or carried to the leader and proposed there (capf.h). */
#include <stdio.h>
#include <string.h>

#include "store/capf.h"
#include "store/codec.h"

#define CAPF_WRITE_V 1

static int fail(char *errmsg, size_t errcap, const char *why)
{
	if (errmsg && errcap)
		snprintf(errmsg, errcap, "%s", why);
	return STORE_EINVAL;
}

static int action_valid(const char *a)
{
	size_t n = strnlen(a, STORE_CAPF_ACTION_MAX);

	if (n == STORE_CAPF_ACTION_MAX || n <= 5 || strncmp(a, "capf.", 5))
		return 0;
	for (size_t i = 5; i < n; i++)
		if (!((a[i] >= 'a' && a[i] <= 'z') || a[i] == '-'))
			return 0;
	return 1;
}

int store_capf_write_check(const struct store_capf_write *w, char *errmsg,
			   size_t errcap)
{
	if (strnlen(w->next.device, STORE_NAME_MAX) == STORE_NAME_MAX ||
	    !store_phone_name_valid(w->next.device) ||
	    strcmp(w->old.device, w->next.device) != 0)
		return fail(errmsg, errcap, "not one phone's records");
	if (store_capf_op_check(&w->old, errmsg, errcap) ||
	    store_capf_op_check(&w->next, errmsg, errcap))
		return STORE_EINVAL;
	if (w->put_lsc && w->del_lsc)
		return fail(errmsg, errcap, "an LSC both put and deleted");
	if (w->put_lsc &&
	    (strcmp(w->lsc.device, w->next.device) != 0 || !w->lsc.der ||
	     w->lsc.der_len == 0 || w->lsc.der_len > STORE_DER_MAX))
		return fail(errmsg, errcap, "an LSC of another device");
	if (w->put_mic &&
	    (strcmp(w->mic.device, w->next.device) != 0 || !w->mic.der ||
	     w->mic.der_len == 0 || w->mic.der_len > STORE_DER_MAX))
		return fail(errmsg, errcap, "a MIC of another device");
	if (!action_valid(w->action))
		return fail(errmsg, errcap, "not a capf.* action");
	if (strnlen(w->detail, sizeof w->detail) == sizeof w->detail)
		return fail(errmsg, errcap, "detail too long");
	return 0;
}

/* A record encoded as a u16-length blob of the write. */
static void put_record(struct codec_w *cw, const uint8_t *rec, size_t n)
{
	codec_put_u16(cw, (uint16_t)n);
	codec_put_bytes(cw, rec, n);
}

int store_capf_write_encode(const struct store_capf_write *w, void *buf,
			    size_t cap, size_t *len)
{
	uint8_t a[STORE_RECORD_MAX], b[STORE_RECORD_MAX];
	uint8_t lsc[STORE_DER_MAX + 256], mic[STORE_DER_MAX + 256];
	size_t na, nb, nl = 0, nm = 0;
	struct codec_w cw;
	int rc;

	if (store_capf_write_check(w, NULL, 0))
		return STORE_EINVAL;
	if ((rc = store_capf_op_encode(&w->old, a, sizeof a, &na)) ||
	    (rc = store_capf_op_encode(&w->next, b, sizeof b, &nb)))
		return rc;
	if (w->put_lsc &&
	    (rc = store_device_lsc_encode(&w->lsc, lsc, sizeof lsc, &nl)))
		return rc;
	if (w->put_mic &&
	    (rc = store_device_lsc_encode(&w->mic, mic, sizeof mic, &nm)))
		return rc;
	codec_w_init(&cw, buf, cap);
	codec_put_u8(&cw, CAPF_WRITE_V);
	codec_put_str(&cw, w->next.device, sizeof w->next.device);
	put_record(&cw, a, na);
	put_record(&cw, b, nb);
	codec_put_u8(&cw, (uint8_t)(w->put_lsc ? 1 : w->del_lsc ? 2 : 0));
	if (w->put_lsc)
		codec_put_blob(&cw, lsc, nl, sizeof lsc);
	codec_put_u8(&cw, (uint8_t)(w->put_mic ? 1 : 0));
	if (w->put_mic)
		codec_put_blob(&cw, mic, nm, sizeof mic);
	codec_put_str(&cw, w->action, sizeof w->action);
	codec_put_str(&cw, w->detail, sizeof w->detail);
	return record_result(&cw, len);
}

int store_capf_write_decode(const void *buf, size_t len,
			    struct store_capf_write *w)
{
	char device[STORE_NAME_MAX];
	const uint8_t *p;
	size_t n;
	struct codec_r rd;
	uint8_t ver, lsc_op, mic_op;
	int rc;

	memset(w, 0, sizeof *w);
	codec_r_init(&rd, buf, len);
	if ((rc = record_version(&rd, CAPF_WRITE_V, &ver)))
		return rc;
	codec_get_str(&rd, device, sizeof device);
	n = codec_get_u16(&rd);
	p = codec_get_ref(&rd, n);
	if (!p || (rc = store_capf_op_decode(p, n, &w->old)))
		return rc ? rc : STORE_ECORRUPT;
	n = codec_get_u16(&rd);
	p = codec_get_ref(&rd, n);
	if (!p || (rc = store_capf_op_decode(p, n, &w->next)))
		return rc ? rc : STORE_ECORRUPT;
	/* The records leave the device (their key) out: it is the write's. */
	snprintf(w->old.device, sizeof w->old.device, "%s", device);
	snprintf(w->next.device, sizeof w->next.device, "%s", device);
	lsc_op = codec_get_u8(&rd);
	if (lsc_op > 2)
		return STORE_ECORRUPT;
	if (lsc_op == 1) {
		codec_get_blob(&rd, &p, &n, STORE_DER_MAX + 256);
		if (!p || (rc = store_device_lsc_decode(p, n, &w->lsc)))
			return rc ? rc : STORE_ECORRUPT;
		snprintf(w->lsc.device, sizeof w->lsc.device, "%s", device);
		w->put_lsc = 1;
	}
	w->del_lsc = lsc_op == 2;
	mic_op = codec_get_u8(&rd);
	if (mic_op > 1)
		return STORE_ECORRUPT;
	if (mic_op == 1) {
		codec_get_blob(&rd, &p, &n, STORE_DER_MAX + 256);
		if (!p || (rc = store_device_lsc_decode(p, n, &w->mic)))
			return rc ? rc : STORE_ECORRUPT;
		snprintf(w->mic.device, sizeof w->mic.device, "%s", device);
		w->put_mic = 1;
	}
	codec_get_str(&rd, w->action, sizeof w->action);
	codec_get_str(&rd, w->detail, sizeof w->detail);
	if ((rc = record_end(&rd)))
		return rc;
	return store_capf_write_check(w, NULL, 0);
}

int store_cmd_capf_write(struct store_cmd *c, const struct store_capf_write *w)
{
	int rc;

	if (store_capf_write_check(w, NULL, 0))
		return STORE_EINVAL;
	rc = store_cmd_put_capf_op(c, &w->old, &w->next);
	if (rc == 0 && w->put_lsc)
		rc = store_cmd_put_device_lsc(c, &w->lsc);
	if (rc == 0 && w->del_lsc)
		rc = store_cmd_del_device_lsc(c, w->next.device);
	if (rc == 0 && w->put_mic)
		rc = store_cmd_put_device_mic(c, &w->mic);
	if (rc == 0)
		rc = store_cmd_audit(c, w->action, w->detail);
	return rc;
}
