/* out: tables and values for people; JSON for scripts. */
#include "tools/wardctl/out.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct out_table {
	size_t ncols;
	size_t nrows; /* header row included */
	size_t cap;   /* rows allocated */
	char **cells; /* owned: nrows * ncols strings, each owned */
};

char *out_clean(char *dst, size_t cap, const char *src)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
	return dst;
}

static int row_add(struct out_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8;
		char **p = realloc(t->cells, cap * t->ncols * sizeof *p);

		if (!p)
			return -1;
		t->cells = p;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		const char *src = cells[c] ? cells[c] : "-";
		size_t len = strlen(src);
		char *s = malloc(len + 1);

		if (!s) {
			while (c-- > 0)
				free(t->cells[t->nrows * t->ncols + c]);
			return -1;
		}
		out_clean(s, len + 1, src);
		t->cells[t->nrows * t->ncols + c] = s;
	}
	t->nrows++;
	return 0;
}

struct out_table *out_table_new(size_t ncols, const char *const *headers)
{
	struct out_table *t = calloc(1, sizeof *t);

	if (!t)
		return NULL;
	t->ncols = ncols;
	if (row_add(t, headers) != 0) {
		out_table_free(t);
		return NULL;
	}
	return t;
}

int out_table_add(struct out_table *t, const char *const *cells)
{
	return row_add(t, cells);
}

/* Terminal columns of S, counting UTF-8 characters rather than bytes. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void out_table_print(const struct out_table *t, FILE *f)
{
	size_t *width = calloc(t->ncols, sizeof *width);

	if (!width)
		return;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w = text_width(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			fputs(s, f);
			if (c + 1 == t->ncols)
				break;
			for (size_t w = text_width(s); w < width[c] + 2; w++)
				fputc(' ', f);
		}
		fputc('\n', f);
	}
	free(width);
}

void out_table_free(struct out_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void out_json(FILE *f, const json_t *doc)
{
	json_dumpf(doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
}

static const char *scalar_text(const json_t *v, char *buf, size_t cap)
{
	if (json_is_string(v))
		return out_clean(buf, cap, json_string_value(v));
	if (json_is_integer(v))
		snprintf(buf, cap, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, cap, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, cap, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, cap, "-");
	return buf;
}

size_t out_table_list(FILE *f, const json_t *doc, const char *list,
		      const struct out_column *cols, size_t ncols)
{
	const char *head[OUT_COLUMNS_MAX], *row[OUT_COLUMNS_MAX];
	char cells[OUT_COLUMNS_MAX][OUT_CELL_MAX];
	struct out_table *t;
	const json_t *e;
	size_t i, n = 0;

	if (ncols == 0 || ncols > OUT_COLUMNS_MAX)
		return 0;
	for (size_t k = 0; k < ncols; k++)
		head[k] = cols[k].header;
	if (!(t = out_table_new(ncols, head)))
		return 0;
	json_array_foreach(json_object_get(doc, list), i, e)
	{
		for (size_t k = 0; k < ncols; k++)
			row[k] = (cols[k].field ? cols[k].field : out_field)(
			    e, cols[k].key, cells[k], sizeof cells[k]);
		if (out_table_add(t, row) != 0)
			break;
		n++;
	}
	out_table_print(t, f);
	out_table_free(t);
	return n;
}

const char *out_field(const json_t *obj, const char *key, char *buf, size_t cap)
{
	const json_t *v =
	    json_is_object(obj) ? json_object_get(obj, key) : NULL;
	size_t len = 0, i;
	const json_t *item;
	char one[256];

	if (!json_is_array(v))
		return scalar_text(v, buf, cap);
	buf[0] = '\0';
	json_array_foreach(v, i, item)
	{
		int n = snprintf(buf + len, cap - len, "%s%s", i ? "," : "",
				 scalar_text(item, one, sizeof one));

		if (n < 0 || (size_t)n >= cap - len)
			break;
		len += (size_t)n;
	}
	if (len == 0)
		snprintf(buf, cap, "-");
	return buf;
}

const char *out_field_time(const json_t *obj, const char *key, char *buf,
			   size_t cap)
{
	const json_t *v =
	    json_is_object(obj) ? json_object_get(obj, key) : NULL;
	struct tm tm;
	time_t secs;

	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		snprintf(buf, cap, "-");
		return buf;
	}
	secs = (time_t)(json_integer_value(v) / 1000);
	if (!gmtime_r(&secs, &tm) ||
	    strftime(buf, cap, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "-");
	return buf;
}

const char *out_str(const json_t *obj, const char *key)
{
	const json_t *v =
	    json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

void out_shell_word(FILE *f, const char *s)
{
	if (*s &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789_-.,:/@%+=") == strlen(s)) {
		fputs(s, f);
		return;
	}
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
	}
	fputc('\'', f);
}
