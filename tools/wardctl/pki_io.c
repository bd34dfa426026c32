/* pki_io: what the certificate, token and CTL commands share — base64 for
 * the bytes that travel in JSON, whole files in and out, and opening a
 * security token (the PIN is read like a password: file, environment or
 * prompt, never the command line, and wiped once the token has it). */
#include "tools/wardctl/cmd_pki.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "tools/wardctl/creds.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"
#include "trustlist/token.h"
#include "trustlist/trustlist.h"

char *pki_b64_encode(const uint8_t *p, size_t n)
{
	char *out;

	if (n > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc((n + 2) / 3 * 4 + 1);
	if (out)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

int pki_b64_decode(const char *text, uint8_t **out, size_t *len)
{
	size_t n = strlen(text), pad = 0;
	uint8_t *buf;
	int got;

	*out = NULL;
	*len = 0;
	/* EVP_DecodeBlock counts padding as zero bytes and takes stray
	 * whitespace: check the shape first, then strip what padding
	 * added. */
	if (n == 0 || n % 4 != 0 || n > (size_t)INT32_MAX ||
	    strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789+/=") != n)
		return -1;
	while (pad < 2 && text[n - 1 - pad] == '=')
		pad++;
	if (memchr(text, '=', n - pad))
		return -1;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -1;
	got = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)n);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = (size_t)got - pad;
	return 0;
}

int pki_file_read(struct wardctl *ctx, const char *path, size_t max,
		  uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0;
	struct stat st;

	*out = NULL;
	*len = 0;
	if (!f) {
		wardctl_errorf(ctx, "%s: %s", path, strerror(errno));
		return WARDCTL_EUSAGE;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size > max) {
		wardctl_errorf(ctx,
			       "%s: not a regular file of at most %zu "
			       "bytes",
			       path, max);
		fclose(f);
		return WARDCTL_EUSAGE;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf)
		n = fread(buf, 1, (size_t)st.st_size, f);
	if (!buf || ferror(f)) {
		wardctl_errorf(ctx, "%s: cannot read", path);
		free(buf);
		fclose(f);
		return WARDCTL_EUSAGE;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return WARDCTL_OK;
}

int pki_file_write(struct wardctl *ctx, const char *path, const void *p,
		   size_t len, int binary)
{
	FILE *f;
	int ok;

	if (!path) {
		if (binary && ctx->out == stdout && isatty(STDOUT_FILENO)) {
			wardctl_errorf(ctx, "binary output: give -o FILE or "
					    "redirect it");
			return WARDCTL_EUSAGE;
		}
		if (len && fwrite(p, 1, len, ctx->out) != len) {
			wardctl_errorf(ctx, "cannot write the output");
			return WARDCTL_EUSAGE;
		}
		fflush(ctx->out);
		return WARDCTL_OK;
	}
	f = fopen(path, "wb");
	if (!f) {
		wardctl_errorf(ctx, "%s: %s", path, strerror(errno));
		return WARDCTL_EUSAGE;
	}
	ok = (len == 0 || fwrite(p, 1, len, f) == len);
	ok = fclose(f) == 0 && ok;
	if (!ok) {
		wardctl_errorf(ctx, "%s: cannot write", path);
		return WARDCTL_EUSAGE;
	}
	return WARDCTL_OK;
}

int pki_token_open(struct wardctl *ctx, const char *module, const char *label,
		   const char *key_id, int want_key, const char *pin_file,
		   struct trustlist_token **out)
{
	char prompt[160], clean[64], err[512];
	char *pin = NULL;
	struct creds_sources src = {
	    .what = "token PIN",
	    .file_opt = "--pin-file",
	    .file = pin_file,
	    .value_env = "WARD_TOKEN_PIN",
	    .prompt = prompt,
	};
	int rc;

	*out = NULL;
	if (want_key) {
		snprintf(prompt, sizeof prompt, "PIN of token %s: ",
			 out_clean(clean, sizeof clean, label));
		if ((rc = creds_get(ctx, &src, &pin)) != 0)
			return rc;
	}
	/* The PIN is wiped by the call, whatever happens. */
	rc = trustlist_token_open(module, label, pin, key_id, out, err,
				  sizeof err);
	creds_free(pin);
	if (rc) {
		wardctl_errorf(ctx, "%s",
			       err[0] ? err : trustlist_strerror(rc));
		return WARDCTL_EUSAGE;
	}
	return WARDCTL_OK;
}

const char *pki_field_date(const json_t *obj, const char *key, char *buf,
			   size_t cap)
{
	const json_t *v = json_object_get(obj, key);
	time_t t;
	struct tm tm;

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(buf, cap, "-");
		return buf;
	}
	t = (time_t)json_integer_value(v);
	if (!gmtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d", &tm))
		snprintf(buf, cap, "-");
	return buf;
}
