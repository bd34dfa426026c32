/* cmd: the subcommands of wardctl (one file per group) and the renderers of
 * their human output, kept apart from the HTTP calls so tests can feed them
 * sample answers. */
#ifndef WARD_TOOLS_WARDCTL_CMD_H
#define WARD_TOOLS_WARDCTL_CMD_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct wardctl;

/* Subcommands: ARGV[0] is the subcommand's own name. Each returns an exit
 * code (wardctl.h) after printing its result or error. */
int cmd_cluster_init(struct wardctl *ctx, int argc, char **argv);
int cmd_cluster_status(struct wardctl *ctx, int argc, char **argv);
int cmd_node_add(struct wardctl *ctx, int argc, char **argv);
int cmd_node_remove(struct wardctl *ctx, int argc, char **argv);
int cmd_node_list(struct wardctl *ctx, int argc, char **argv);
int cmd_leader_transfer(struct wardctl *ctx, int argc, char **argv);
int cmd_param_get(struct wardctl *ctx, int argc, char **argv);
int cmd_param_set(struct wardctl *ctx, int argc, char **argv);
int cmd_param_list(struct wardctl *ctx, int argc, char **argv);
int cmd_admin_add(struct wardctl *ctx, int argc, char **argv);
int cmd_admin_passwd(struct wardctl *ctx, int argc, char **argv);
int cmd_admin_list(struct wardctl *ctx, int argc, char **argv);
int cmd_admin_remove(struct wardctl *ctx, int argc, char **argv);
int cmd_audit(struct wardctl *ctx, int argc, char **argv);
int cmd_status(struct wardctl *ctx, int argc, char **argv);
/* cmd_tftp.c */
int cmd_tftp_upload(struct wardctl *ctx, int argc, char **argv);
int cmd_tftp_list(struct wardctl *ctx, int argc, char **argv);
int cmd_tftp_delete(struct wardctl *ctx, int argc, char **argv);
int cmd_tftp_get(struct wardctl *ctx, int argc, char **argv);
void tftp_list_render(FILE *f, const json_t *doc);
int cmd_tftp_files(struct wardctl *ctx, int argc, char **argv);
void tftp_files_render(FILE *f, const json_t *doc);
/* cmd_call.c */
int cmd_call_list(struct wardctl *ctx, int argc, char **argv);
void call_list_render(FILE *f, const json_t *doc);
/* cmd_capture.c */
int cmd_capture_start(struct wardctl *ctx, int argc, char **argv);
int cmd_capture_stop(struct wardctl *ctx, int argc, char **argv);
int cmd_capture_list(struct wardctl *ctx, int argc, char **argv);
int cmd_capture_keys(struct wardctl *ctx, int argc, char **argv);
void capture_list_render(FILE *f, const json_t *doc);
void capture_keys_render(FILE *f, const json_t *doc);
/* cmd_capf.c */
int cmd_capf_schedule(struct wardctl *ctx, int argc, char **argv);
int cmd_capf_cancel(struct wardctl *ctx, int argc, char **argv);
int cmd_capf_status(struct wardctl *ctx, int argc, char **argv);
void capf_status_render(FILE *f, const json_t *doc);

/* GET PATH (an absolute path, borrowed) as the admin, then RENDER the
 * answer or print its JSON. Returns an exit code. */
int cmd_get_path_show(struct wardctl *ctx, const char *path,
		      void (*render)(FILE *f, const json_t *doc));
/* The common body of a listing: no operands, GET PATH (an absolute path),
 * then RENDER the answer or print its JSON. Returns an exit code. */
int cmd_get_show(struct wardctl *ctx, int argc, char **argv, const char *path,
		 void (*render)(FILE *f, const json_t *doc));
/* The common body of a removal: one operand NAME, DELETE /v1/PREFIX/NAME
 * (NAME escaped), then "WHAT <answer's FIELD> FIELD." (FIELD is what the
 * server calls the entry it removed: "removed", "deleted") or the answer's
 * JSON. Returns an exit code. */
int cmd_delete_show(struct wardctl *ctx, int argc, char **argv,
		    const char *prefix, const char *what, const char *field);

/* Renderers: print the human form of a server answer DOC (borrowed) on F.
 * Missing or mistyped fields print as "-": the answer comes from the
 * network and must never crash the tool. */
void cluster_status_render(FILE *f, const json_t *doc);
void node_list_render(FILE *f, const json_t *doc);
/* URL: the --url used; PEER_FP: SHA-256 of the certificate seen at URL
 * (NULL if unknown), preferred over the answer's fingerprint when they
 * differ, since "wardd --join URL" will meet that certificate. */
void node_add_render(FILE *f, const json_t *doc, const char *url,
		     const uint8_t *peer_fp);
void param_list_render(FILE *f, const json_t *doc);
void admin_list_render(FILE *f, const json_t *doc);
void audit_render(FILE *f, const json_t *doc);
void status_render(FILE *f, const json_t *doc);

#endif
