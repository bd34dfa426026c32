/* prov_import: "wardctl device|user import FILE" — CSV (RFC 4180: commas,
 * double quotes, "" inside quotes, CRLF or LF) whose first row names the
 * fields. Every row becomes one add request, so a row is applied whole or
 * not at all; each gets a verdict line, and the import goes on after a
 * refused row but stops when the server cannot be reached or refuses the
 * credentials. Lists inside a cell are separated by ';' (or ',' inside
 * quotes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "tools/wardctl/creds.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/prov.h"
#include "tools/wardctl/wardctl.h"

#define IMPORT_FILE_MAX (64u << 20)
#define IMPORT_COLS_MAX 32
#define IMPORT_CELL_MAX 4096
#define IMPORT_PROGRESS_ROWS 100
/* Rows per batch request, and a bound on their size well under the
 * server's 128 KiB body limit. */
#define IMPORT_BATCH_ROWS 100
#define IMPORT_BATCH_BYTES (96u * 1024)

struct csv {
	const char *p, *end; /* borrowed: the file in memory */
	unsigned line;	     /* of the current record's start */
};

static void cells_free(char **cells, size_t n);

/* One record into CELLS (each malloc'd, transferred); *N cells. 1 a record,
 * 0 at the end, -1 malformed (ERRMSG). */
static int csv_record_raw(struct csv *c, char **cells, size_t *n, char *errmsg,
			  size_t errcap)
{
	char buf[IMPORT_CELL_MAX];
	size_t len = 0;
	int quoted = 0;

	*n = 0;
	c->line++;
	if (c->p >= c->end)
		return 0;
	for (;;) {
		int ch = c->p < c->end ? (unsigned char)*c->p : -1;

		if (quoted) {
			if (ch < 0) {
				snprintf(errmsg, errcap,
					 "line %u: a quoted cell is not closed",
					 c->line);
				return -1;
			}
			c->p++;
			if (ch == '"') {
				if (c->p < c->end && *c->p == '"') {
					c->p++;
				} else {
					quoted = 0;
					continue;
				}
			}
		} else if (ch == '"' && len == 0) {
			c->p++;
			quoted = 1;
			continue;
		} else if (ch < 0 || ch == ',' || ch == '\n' || ch == '\r') {
			if (*n == IMPORT_COLS_MAX) {
				snprintf(errmsg, errcap,
					 "line %u: more than %d cells", c->line,
					 IMPORT_COLS_MAX);
				return -1;
			}
			cells[*n] = strndup(buf, len);
			OPENSSL_cleanse(buf, len);
			if (!cells[*n]) {
				snprintf(errmsg, errcap, "out of memory");
				return -1;
			}
			++*n;
			len = 0;
			if (ch == ',') {
				c->p++;
				continue;
			}
			if (ch == '\r')
				c->p++;
			if (c->p < c->end && *c->p == '\n')
				c->p++;
			return 1;
		} else {
			c->p++;
		}
		if (ch == '\n' && quoted)
			c->line++;
		if (len + 1 >= sizeof buf) {
			snprintf(errmsg, errcap,
				 "line %u: a cell longer than %d", c->line,
				 IMPORT_CELL_MAX - 1);
			return -1;
		}
		buf[len++] = (char)ch;
	}
}

static void cells_free(char **cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		creds_free(cells[i]);
}

/* csv_record_raw, leaving nothing allocated on error. */
static int csv_record(struct csv *c, char **cells, size_t *n, char *errmsg,
		      size_t errcap)
{
	int rc = csv_record_raw(c, cells, n, errmsg, errcap);

	if (rc < 0) {
		cells_free(cells, *n);
		*n = 0;
	}
	return rc;
}

static int read_all(const char *path, char **out, size_t *len, char *errmsg,
		    size_t errcap)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f) {
		snprintf(errmsg, errcap, "cannot open %s: %s", path,
			 strerror(errno));
		return -1;
	}
	do {
		if (n + 65536 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > IMPORT_FILE_MAX + 65536 ||
			    !(nb = realloc(buf, cap))) {
				snprintf(errmsg, errcap,
					 "%s: larger than %u MiB or no memory",
					 path, IMPORT_FILE_MAX >> 20);
				goto err;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	if (ferror(f)) {
		snprintf(errmsg, errcap, "cannot read %s", path);
		goto err;
	}
	fclose(f);
	*out = buf;
	*len = n;
	return 0;
err:
	fclose(f);
	free(buf);
	return -1;
}

/* The header: lower case, '-' as '_'; every column a field of G, "name"
 * once, "password" only where G has credentials. */
static int header_check(const struct prov_group *g, char **cols, size_t n,
			int *name_col, char *errmsg, size_t errcap)
{
	char probe[8];
	json_t *scratch = json_object();
	int rc = 0;

	*name_col = -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		for (char *p = cols[i]; *p; p++) {
			if (*p == '-')
				*p = '_';
			else if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(cols[i], cols[j]) == 0) {
				snprintf(errmsg, errcap,
					 "column \"%.40s\" appears twice",
					 cols[i]);
				rc = -1;
			}
		}
		if (strcmp(cols[i], "name") == 0)
			*name_col = (int)i;
		else if (strcmp(cols[i], "password") == 0) {
			if (g->password == PROV_PW_NONE) {
				snprintf(errmsg, errcap, "a %s has no password",
					 g->what);
				rc = -1;
			}
		} else if (rc == 0) {
			/* Known field? Try it with a harmless value. */
			snprintf(probe, sizeof probe, "0");
			rc = prov_body_set(g, scratch, cols[i], probe, errmsg,
					   errcap);
			if (rc && !strstr(errmsg, "has no field"))
				rc = 0;
		}
	}
	json_decref(scratch);
	if (rc == 0 && *name_col < 0) {
		snprintf(errmsg, errcap,
			 "the first row must name a \"name\" "
			 "column");
		rc = -1;
	}
	return rc;
}

/* The message http_call printed, without its "wardctl: " and newline. */
static void last_error(char *captured, size_t len, char *out, size_t cap)
{
	const char *p = captured;

	if (len > 9 && strncmp(p, "wardctl: ", 9) == 0)
		p += 9;
	out_clean(out, cap, p);
	out[strcspn(out, "\n")] = '\0';
}

struct import_stats {
	unsigned added, refused, total;
};

/* A row read from the file, waiting for its batch. */
struct pending {
	unsigned row;
	char name[128];
	json_t *body;	 /* owned; NULL: refused here */
	char error[256]; /* when refused here */
};

struct batch {
	struct pending rows[IMPORT_BATCH_ROWS];
	unsigned n;
	size_t bytes; /* of the bodies, roughly as sent */
};

static void batch_clear(struct batch *b)
{
	for (unsigned i = 0; i < b->n; i++)
		json_decref(b->rows[i].body);
	b->n = 0;
	b->bytes = 0;
}

/* Sends the rows of B that passed the checks here as one batch request
 * and prints every row's verdict in file order. 0 go on, or the exit code
 * that stops the import. */
static int batch_flush(struct wardctl *ctx, const struct prov_group *g,
		       struct batch *b, struct import_stats *st)
{
	char path[64], reason[512] = "", *cap = NULL;
	size_t cap_len = 0, k = 0;
	json_t *rows = json_array(), *req = NULL, *ans = NULL, *results;
	FILE *err = ctx->err;
	int rc = 0;

	for (unsigned i = 0; rows && i < b->n; i++) {
		if (b->rows[i].body)
			json_array_append(rows, b->rows[i].body);
	}
	if (rows && json_array_size(rows) > 0) {
		req = json_pack("{s:O}", "rows", rows);
		snprintf(path, sizeof path, "/v1/%s/batch", g->collection);
		/* The server's reason goes into the verdicts. */
		ctx->err = open_memstream(&cap, &cap_len);
		if (!ctx->err || !req) {
			if (ctx->err)
				fclose(ctx->err);
			ctx->err = err;
			wardctl_errorf(ctx, "out of memory");
			rc = WARDCTL_EUSAGE;
			goto out;
		}
		rc = http_call(ctx, "POST", path, req, HTTP_AUTH_BASIC, &ans);
		fclose(ctx->err);
		ctx->err = err;
		if (rc != 0) {
			last_error(cap, cap_len, reason, sizeof reason);
			wardctl_errorf(
			    ctx,
			    "import stopped at row %u: %s (rows from "
			    "there on may not be applied)",
			    b->rows[0].row, reason);
			goto out;
		}
	}
	results = json_object_get(ans, "results");
	for (unsigned i = 0; i < b->n; i++) {
		struct pending *p = &b->rows[i];
		const json_t *res;
		char text[512];

		if (!p->body) {
			st->refused++;
			fprintf(ctx->out, "row %u %s: refused: %s\n", p->row,
				p->name, p->error);
			continue;
		}
		res = json_array_get(results, k++);
		if (json_integer_value(json_object_get(res, "status")) == 201) {
			st->added++;
			fprintf(ctx->out, "row %u %s: added\n", p->row,
				p->name);
			prov_warnings_print(err, res);
		} else {
			st->refused++;
			fprintf(ctx->out, "row %u %s: refused: %s\n", p->row,
				p->name,
				out_clean(text, sizeof text,
					  out_str(res, "error")
					      ? out_str(res, "error")
					      : "no verdict from the server"));
		}
	}
out:
	free(cap);
	json_decref(ans);
	json_decref(req);
	json_decref(rows);
	batch_clear(b);
	return rc;
}

/* Turns one CSV record into a pending row of B. */
static void row_read(const struct prov_group *g, char **cols, char **cells,
		     size_t n, size_t ncols, int name_col, unsigned row,
		     struct batch *b)
{
	struct pending *p = &b->rows[b->n++];
	char *text;

	memset(p, 0, sizeof *p);
	p->row = row;
	snprintf(p->name, sizeof p->name, "-");
	if ((size_t)name_col < n)
		out_clean(p->name, sizeof p->name, cells[name_col]);
	if (n != ncols) {
		snprintf(p->error, sizeof p->error,
			 "%zu cells, the header has %zu", n, ncols);
		return;
	}
	p->body = json_object();
	for (size_t i = 0; i < n && p->body; i++) {
		if (!cells[i][0])
			continue;
		if (strcmp(cols[i], "password") == 0) {
			json_object_set_new(p->body, "password",
					    json_string(cells[i]));
			continue;
		}
		if (prov_body_set(g, p->body, cols[i], cells[i], p->error,
				  sizeof p->error) != 0) {
			json_decref(p->body);
			p->body = NULL;
			return;
		}
	}
	if (!p->body) {
		snprintf(p->error, sizeof p->error, "out of memory");
		return;
	}
	text = json_dumps(p->body, JSON_COMPACT);
	b->bytes += text ? strlen(text) + 1 : 0;
	if (text)
		OPENSSL_cleanse(text, strlen(text));
	free(text);
}

int prov_cmd_import(struct wardctl *ctx, const struct prov_group *g, int argc,
		    char **argv)
{
	char *data = NULL, *cols[IMPORT_COLS_MAX], *cells[IMPORT_COLS_MAX];
	char errmsg[256] = "";
	size_t len = 0, ncols = 0, n;
	struct import_stats st = {0};
	struct batch *b = NULL;
	struct csv c, count;
	int first, rc, got, name_col;
	unsigned row = 1, shown = 0;

	if ((rc = wardctl_args(ctx, argc, argv, 1, 1, &first)) != 0)
		return rc;
	if (read_all(argv[first], &data, &len, errmsg, sizeof errmsg) != 0) {
		wardctl_errorf(ctx, "%s", errmsg);
		return WARDCTL_EUSAGE;
	}
	c = (struct csv){.p = data, .end = data + len};
	rc = WARDCTL_EUSAGE;
	if (csv_record(&c, cols, &ncols, errmsg, sizeof errmsg) != 1 ||
	    header_check(g, cols, ncols, &name_col, errmsg, sizeof errmsg)) {
		wardctl_errorf(ctx, "%s: %s", argv[first],
			       errmsg[0] ? errmsg : "empty file");
		goto out;
	}
	/* The whole file is read once before anything is sent: a quoting
	 * error anywhere stops the import before it starts. */
	count = c;
	while ((got = csv_record(&count, cells, &n, errmsg, sizeof errmsg)) ==
	       1) {
		if (!(n == 1 && !cells[0][0]))
			st.total++;
		cells_free(cells, n);
	}
	if (got < 0) {
		wardctl_errorf(ctx, "%s: %s (nothing imported)", argv[first],
			       errmsg);
		goto out;
	}
	if ((rc = creds_password_load(ctx)) != 0)
		goto out;
	if (!(b = calloc(1, sizeof *b))) {
		wardctl_errorf(ctx, "out of memory");
		rc = WARDCTL_EUSAGE;
		goto out;
	}
	while ((got = csv_record(&c, cells, &n, errmsg, sizeof errmsg)) == 1) {
		/* Blank lines are not rows. */
		if (n == 1 && !cells[0][0]) {
			cells_free(cells, n);
			continue;
		}
		row_read(g, cols, cells, n, ncols, name_col, ++row, b);
		cells_free(cells, n);
		if (b->n < IMPORT_BATCH_ROWS && b->bytes < IMPORT_BATCH_BYTES)
			continue;
		if ((rc = batch_flush(ctx, g, b, &st)) != 0)
			goto out;
		if (st.total > IMPORT_PROGRESS_ROWS &&
		    (st.added + st.refused) / IMPORT_PROGRESS_ROWS > shown) {
			shown = (st.added + st.refused) / IMPORT_PROGRESS_ROWS;
			fprintf(ctx->err,
				"wardctl: import: %u of %u rows (%u added, %u "
				"refused)\n",
				st.added + st.refused, st.total, st.added,
				st.refused);
		}
	}
	if ((rc = batch_flush(ctx, g, b, &st)) != 0)
		goto out;
	fprintf(ctx->out, "%u rows: %u added, %u refused.\n",
		st.added + st.refused, st.added, st.refused);
	rc = st.refused ? WARDCTL_EREFUSED : WARDCTL_OK;
out:
	if (b)
		batch_clear(b);
	free(b);
	cells_free(cols, ncols);
	/* The file may hold passwords. */
	if (data)
		OPENSSL_cleanse(data, len);
	free(data);
	return rc;
}
