/* cmd_pki: wardctl's commands for certificates, the trust store, security
 * tokens, the CTL and the cluster security mode, and what they share —
 * base64, whole files in and out, and a security token opened with its
 * PIN (from a file, the environment or a prompt; never argv). */
#ifndef WARD_TOOLS_WARDCTL_CMD_PKI_H
#define WARD_TOOLS_WARDCTL_CMD_PKI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct wardctl;
struct trustlist_token;

/* Subcommands (ARGV[0] is the subcommand's name; exit codes of
 * wardctl.h). */
int cmd_cert_list(struct wardctl *ctx, int argc, char **argv);
int cmd_cert_show(struct wardctl *ctx, int argc, char **argv);
int cmd_cert_export(struct wardctl *ctx, int argc, char **argv);
int cmd_cert_import(struct wardctl *ctx, int argc, char **argv);
int cmd_cert_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_cert_regenerate(struct wardctl *ctx, int argc, char **argv);
int cmd_cert_fingerprint(struct wardctl *ctx, int argc, char **argv);
int cmd_token_register(struct wardctl *ctx, int argc, char **argv);
int cmd_token_list(struct wardctl *ctx, int argc, char **argv);
int cmd_token_remove(struct wardctl *ctx, int argc, char **argv);
int cmd_ctl_sign(struct wardctl *ctx, int argc, char **argv);
int cmd_ctl_show(struct wardctl *ctx, int argc, char **argv);
int cmd_ctl_verify(struct wardctl *ctx, int argc, char **argv);
int cmd_ctl_export(struct wardctl *ctx, int argc, char **argv);
int cmd_security_mode(struct wardctl *ctx, int argc, char **argv);
int cmd_security_status(struct wardctl *ctx, int argc, char **argv);

/* Renderers of server answers (DOC borrowed); missing or mistyped fields
 * print as "-", as the other renderers do. */
void cert_list_render(FILE *f, const json_t *doc);
void trust_list_render(FILE *f, const json_t *doc);
void cert_show_render(FILE *f, const json_t *doc);
void token_list_render(FILE *f, const json_t *doc);
void ctl_show_render(FILE *f, const json_t *doc);
void security_status_render(FILE *f, const json_t *doc);

/* ---- shared helpers (pki_io.c) ---------------------------------------- */

/* base64 of N bytes at P: malloc'ed text (transferred), NULL on no
 * memory. */
char *pki_b64_encode(const uint8_t *p, size_t n);
/* Decodes the standard padded base64 TEXT: *OUT malloc'ed (transferred),
 * *LEN its length. 0, or -1 if TEXT is not base64 (or no memory). */
int pki_b64_decode(const char *text, uint8_t **out, size_t *len);

/* Reads all of PATH (at most MAX bytes) into *OUT (malloc'ed, transferred,
 * NUL-terminated beyond *LEN). Errors are printed; returns an exit
 * code. */
int pki_file_read(struct wardctl *ctx, const char *path, size_t max,
		  uint8_t **out, size_t *len);
/* Writes LEN bytes to PATH (replacing it), or to ctx->out when PATH is
 * NULL — then BINARY output is refused on a terminal. Returns an exit
 * code. */
int pki_file_write(struct wardctl *ctx, const char *path, const void *p,
		   size_t len, int binary);

/* Opens token LABEL of MODULE: with WANT_KEY, logs in with the PIN from
 * PIN_FILE, $WARD_TOKEN_PIN or a prompt (the PIN is wiped); without, only
 * its certificate is read. KEY_ID (may be NULL) picks a certificate when
 * the token holds several. Errors are printed; returns an exit code, and
 * *OUT (close with trustlist_token_close) on success. */
int pki_token_open(struct wardctl *ctx, const char *module, const char *label,
		   const char *key_id, int want_key, const char *pin_file,
		   struct trustlist_token **out);

/* "YYYY-MM-DD" of unix seconds OBJ[KEY] into BUF, "-" if missing. */
const char *pki_field_date(const json_t *obj, const char *key, char *buf,
			   size_t cap);

#endif
