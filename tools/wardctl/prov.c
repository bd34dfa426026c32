/* prov: the engine behind wardctl's provisioning groups (prov.h): options
 * made from a group's fields, the request bodies, the password dialogue
 * and the renderers. */
#include "tools/wardctl/prov.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/creds.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

#define PROV_OPTS_MAX 20
#define PROV_LIST_PAGE 1000
#define OPT_NEW_PASSWORD_FILE 200
#define OPT_NO_PASSWORD 201
#define OPT_CHANGE_PASSWORD 202

static const struct prov_field *field_find(const struct prov_group *g,
					   const char *key)
{
	for (size_t i = 0; i < g->n_fields; i++) {
		if (strcmp(g->fields[i].key, key) == 0)
			return &g->fields[i];
	}
	return NULL;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* "a, b;c" -> ["a", "b", "c"]; "" -> []. */
static json_t *parse_list(const char *s)
{
	json_t *a = json_array();
	const char *p = s;

	while (a && *p) {
		size_t n;

		while (*p == ' ' || *p == ',' || *p == ';')
			p++;
		n = strcspn(p, ",;");
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n > 0)
			json_array_append_new(a, json_stringn(p, n));
		p += n;
		while (*p && *p != ',' && *p != ';')
			p++;
	}
	return a;
}

int prov_body_set(const struct prov_group *g, json_t *body, const char *key,
		  const char *value, char *errmsg, size_t errcap)
{
	const struct prov_field *f = field_find(g, key);
	json_t *v = NULL;
	char *end;
	long n;
	int b;

	if (strcmp(key, "name") == 0) {
		v = json_string(value);
	} else if (!f) {
		snprintf(errmsg, errcap, "a %s has no field \"%s\"", g->what,
			 key);
		return -1;
	} else {
		switch (f->type) {
		case PROV_STR:
			v = json_string(value);
			break;
		case PROV_BOOL:
			if (parse_bool(value, &b) != 0) {
				snprintf(errmsg, errcap,
					 "%s: yes or no, not \"%.40s\"", key,
					 value);
				return -1;
			}
			v = json_boolean(b);
			break;
		case PROV_INT:
			errno = 0;
			n = strtol(value, &end, 10);
			if (errno || end == value || *end) {
				snprintf(errmsg, errcap,
					 "%s: a number, not \"%.40s\"", key,
					 value);
				return -1;
			}
			v = json_integer(n);
			break;
		case PROV_LIST:
			v = parse_list(value);
			break;
		}
	}
	if (!v) {
		snprintf(errmsg, errcap, "%s: not UTF-8 text", key);
		return -1;
	}
	json_object_set_new(body, key, v);
	return 0;
}

/* ---- add and set ------------------------------------------------------ */

struct prov_opts {
	struct option opts[PROV_OPTS_MAX + 4];
	char names[PROV_OPTS_MAX][48];
};

static void opts_make(const struct prov_group *g, struct prov_opts *o, int add)
{
	size_t n = 0;

	memset(o, 0, sizeof *o);
	for (size_t i = 0; i < g->n_fields && i < PROV_OPTS_MAX; i++) {
		char *p = o->names[i];

		snprintf(p, sizeof o->names[i], "%s", g->fields[i].key);
		for (; *p; p++)
			if (*p == '_')
				*p = '-';
		o->opts[n++] = (struct option){o->names[i], required_argument,
					       NULL, (int)i + 1};
	}
	if (g->password != PROV_PW_NONE) {
		o->opts[n++] =
		    (struct option){"new-password-file", required_argument,
				    NULL, OPT_NEW_PASSWORD_FILE};
		if (add && g->password == PROV_PW_OPTIONAL)
			o->opts[n++] = (struct option){
			    "no-password", no_argument, NULL, OPT_NO_PASSWORD};
		if (!add)
			o->opts[n++] =
			    (struct option){"change-password", no_argument,
					    NULL, OPT_CHANGE_PASSWORD};
	}
}

/* After the usage: the options this group's fields make. */
static void fields_print(FILE *f, const struct prov_group *g,
			 const struct prov_opts *o)
{
	static const char *const kinds[] = {"TEXT", "yes|no", "N", "A,B,..."};
	size_t col = 0;

	fprintf(f, "fields:");
	for (size_t i = 0; o->opts[i].name; i++) {
		char item[96];
		int n;

		if (o->opts[i].val <= (int)g->n_fields)
			n = snprintf(item, sizeof item, " --%s %s",
				     o->opts[i].name,
				     kinds[g->fields[o->opts[i].val - 1].type]);
		else
			n = snprintf(item, sizeof item, " --%s%s",
				     o->opts[i].name,
				     o->opts[i].has_arg ? " FILE" : "");
		if (col + (size_t)n > 72) {
			fprintf(f, "\n       ");
			col = 0;
		}
		fputs(item, f);
		col += (size_t)n;
	}
	fputc('\n', f);
}

static int prov_write(struct wardctl *ctx, const struct prov_group *g, int argc,
		      char **argv, int add)
{
	struct prov_opts o;
	struct creds_sources src = {
	    .file_opt = "--new-password-file",
	    .value_env = "WARD_NEW_PASSWORD",
	    .confirm = true,
	};
	char prompt[160], name[128], errmsg[256], *password = NULL;
	char *path = NULL;
	json_t *body = json_object(), *ans = NULL;
	int state = 0, c, rc = WARDCTL_EUSAGE, ask = 0, no_pw = 0;

	opts_make(g, &o, add);
	if (!body)
		goto out_nomem;
	while ((c = wardctl_getopt(ctx, argc, argv, o.opts, &state)) != -1) {
		if (c == '?') {
			fields_print(ctx->opt_rc == WARDCTL_HELP_SHOWN
					 ? ctx->out
					 : ctx->err,
				     g, &o);
			rc = ctx->opt_rc;
			goto cleanup;
		}
		if (c == OPT_NEW_PASSWORD_FILE) {
			src.file = optarg;
			ask = 1;
		} else if (c == OPT_NO_PASSWORD) {
			no_pw = 1;
		} else if (c == OPT_CHANGE_PASSWORD) {
			ask = 1;
		} else if (prov_body_set(g, body, g->fields[c - 1].key, optarg,
					 errmsg, sizeof errmsg) != 0) {
			wardctl_errorf(ctx, "%s", errmsg);
			goto cleanup;
		}
	}
	if (argc - state != 1) {
		wardctl_errorf(ctx, state == argc ? "missing NAME"
						  : "too many arguments");
		rc = wardctl_usage_cmd(ctx);
		goto cleanup;
	}
	out_clean(name, sizeof name, argv[state]);
	if (add && g->password != PROV_PW_NONE && !no_pw)
		ask = 1;
	if (ask) {
		/* Our own password first, so two prompts do not interleave. */
		if ((rc = creds_password_load(ctx)) != 0)
			goto cleanup;
		snprintf(prompt, sizeof prompt,
			 "New password for %s %s: ", g->what, name);
		src.what = "new password";
		src.prompt = prompt;
		if ((rc = creds_get(ctx, &src, &password)) != 0)
			goto cleanup;
		json_object_set_new(body, "password", json_string(password));
		rc = WARDCTL_EUSAGE;
	}
	if (add) {
		if (prov_body_set(g, body, "name", argv[state], errmsg,
				  sizeof errmsg) != 0) {
			wardctl_errorf(ctx, "NAME must be UTF-8");
			goto cleanup;
		}
		snprintf(prompt, sizeof prompt, "/v1/%s", g->collection);
	} else if (!(path = http_path(g->collection, argv[state], ""))) {
		goto out_nomem;
	}
	rc = http_call(ctx, add ? "POST" : "PUT", add ? prompt : path, body,
		       HTTP_AUTH_BASIC, &ans);
	if (rc != 0)
		goto cleanup;
	prov_warnings_print(ctx->err, ans);
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		fprintf(ctx->out, "%s %s %s.\n", g->title,
			out_field(ans, "name", name, sizeof name),
			add ? "added" : "changed");
	goto cleanup;
out_nomem:
	wardctl_errorf(ctx, "out of memory");
cleanup:
	json_decref(ans);
	json_decref(body);
	free(path);
	creds_free(password);
	return rc;
}

int prov_cmd_add(struct wardctl *ctx, const struct prov_group *g, int argc,
		 char **argv)
{
	return prov_write(ctx, g, argc, argv, 1);
}

int prov_cmd_set(struct wardctl *ctx, const struct prov_group *g, int argc,
		 char **argv)
{
	return prov_write(ctx, g, argc, argv, 0);
}

/* ---- show, list, delete ----------------------------------------------- */

int prov_cmd_show(struct wardctl *ctx, const struct prov_group *g, int argc,
		  char **argv)
{
	char *path;
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 1, 1, &first)) != 0)
		return rc;
	path = http_path(g->collection, argv[first], "");
	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUSAGE;
	}
	rc = cmd_get_path_show(ctx, path, prov_show_render);
	free(path);
	return rc;
}

int prov_cmd_list(struct wardctl *ctx, const struct prov_group *g, int argc,
		  char **argv)
{
	char path[160];
	json_t *all = NULL, *ans = NULL;
	const char *next = NULL;
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 0, 0, &first)) != 0)
		return rc;
	/* Page after page: the server sends at most 1000 records a time and
	 * names where the next page starts. */
	for (unsigned page = 0;; page++) {
		json_t *next_v;

		if (next)
			snprintf(path, sizeof path, "/v1/%s?limit=%d&after=%s",
				 g->collection, PROV_LIST_PAGE, next);
		else
			snprintf(path, sizeof path, "/v1/%s?limit=%d",
				 g->collection, PROV_LIST_PAGE);
		rc = http_call(ctx, "GET", path, NULL, HTTP_AUTH_BASIC, &ans);
		if (rc != 0)
			goto cleanup;
		if (!all)
			all = json_incref(ans);
		else
			json_array_extend(json_object_get(all, g->list_key),
					  json_object_get(ans, g->list_key));
		next_v = json_object_get(ans, "next");
		/* A name, and progress, or the listing ends here. */
		if (!json_is_string(next_v) ||
		    json_string_length(next_v) >= 64 ||
		    strspn(
			json_string_value(next_v),
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789._-") != json_string_length(next_v) ||
		    (next && strcmp(next, json_string_value(next_v)) >= 0) ||
		    page > 100000)
			break;
		snprintf(path, sizeof path, "%s", json_string_value(next_v));
		free((char *)next);
		next = strdup(path);
		json_decref(ans);
		ans = NULL;
		if (!next)
			break;
	}
	json_object_del(all, "next");
	if (ctx->json)
		out_json(ctx->out, all);
	else
		prov_list_render(g, ctx->out, all);
cleanup:
	free((char *)next);
	json_decref(ans);
	json_decref(all);
	return rc;
}

int prov_cmd_delete(struct wardctl *ctx, const struct prov_group *g, int argc,
		    char **argv)
{
	return cmd_delete_show(ctx, argc, argv, g->collection, g->title,
			       "removed");
}

/* ---- renderers -------------------------------------------------------- */

void prov_list_render(const struct prov_group *g, FILE *f, const json_t *doc)
{
	char heads[OUT_COLUMNS_MAX][40];
	struct out_column cols[OUT_COLUMNS_MAX];
	size_t nc =
	    g->n_columns < OUT_COLUMNS_MAX ? g->n_columns : OUT_COLUMNS_MAX;

	for (size_t k = 0; k < nc; k++) {
		size_t j = 0;

		for (; g->columns[k][j] && j + 1 < sizeof heads[k]; j++) {
			char ch = g->columns[k][j];

			heads[k][j] = ch == '_' ? ' '
				      : (ch >= 'a' && ch <= 'z')
					  ? (char)(ch - 32)
					  : ch;
		}
		heads[k][j] = '\0';
		cols[k] = (struct out_column){heads[k], g->columns[k], NULL};
	}
	out_table_list(f, doc, g->list_key, cols, nc);
}

static void show_object(FILE *f, const json_t *o, int indent)
{
	char k[128], v[1024], when[64];
	const char *key;
	const json_t *val;

	json_object_foreach((json_t *)o, key, val)
	{
		out_clean(k, sizeof k, key);
		if (json_is_object(val)) {
			fprintf(f, "%*s%s:\n", indent, "", k);
			show_object(f, val, indent + 2);
			continue;
		}
		if (strcmp(key, "warnings") == 0)
			continue;
		if (strlen(key) > 3 &&
		    strcmp(key + strlen(key) - 3, "_ms") == 0)
			fprintf(f, "%*s%s: %s\n", indent, "", k,
				out_field_time(o, key, when, sizeof when));
		else
			fprintf(f, "%*s%s: %s\n", indent, "", k,
				out_field(o, key, v, sizeof v));
	}
}

void prov_show_render(FILE *f, const json_t *doc)
{
	if (json_is_object(doc))
		show_object(f, doc, 0);
}

void prov_warnings_print(FILE *err, const json_t *doc)
{
	char text[600];
	const json_t *w;
	size_t i;

	json_array_foreach(json_object_get(doc, "warnings"), i, w)
	{
		if (json_is_string(w))
			fprintf(
			    err, "wardctl: warning: %s\n",
			    out_clean(text, sizeof text, json_string_value(w)));
	}
}
