/* out: what wardctl prints — aligned tables for people, the server's JSON
 * for scripts — with every string from the network made safe to show on a
 * terminal (control characters could rewrite the screen). */
#ifndef WARD_TOOLS_WARDCTL_OUT_H
#define WARD_TOOLS_WARDCTL_OUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct out_table; /* opaque */

/* A table of NCOLS columns with these HEADERS (copied). NULL on no
 * memory. */
struct out_table *out_table_new(size_t ncols, const char *const *headers);
/* Appends a row; CELLS (ncols strings, copied; NULL prints "-") are
 * cleaned with out_clean(). 0, or -1 on no memory. */
int out_table_add(struct out_table *t, const char *const *cells);
/* Columns two spaces apart, the last one not padded. */
void out_table_print(const struct out_table *t, FILE *f);
/* Accepts NULL. */
void out_table_free(struct out_table *t);

/* How a cell of a list shows OBJ[KEY] into BUF (CAP bytes): out_field and
 * its kin. Returns BUF. */
typedef const char *(*out_field_fn)(const json_t *obj, const char *key,
				    char *buf, size_t cap);
/* A column of out_table_list: its HEADER, and the KEY of each item shown
 * by FIELD (NULL: out_field). */
struct out_column {
	const char *header;
	const char *key;
	out_field_fn field;
};
#define OUT_COLUMNS_MAX 8
#define OUT_CELL_MAX 512 /* a longer cell is cut */
/* The items of DOC[LIST] (DOC borrowed; an array of objects) on F as a
 * table of the NCOLS (1..OUT_COLUMNS_MAX) columns COLS, one row an item.
 * Returns the number of rows. */
size_t out_table_list(FILE *f, const json_t *doc, const char *list,
		      const struct out_column *cols, size_t ncols);

/* DOC (borrowed) indented, with a final newline: the --json output. */
void out_json(FILE *f, const json_t *doc);

/* Copies SRC into DST (CAP > 0 bytes, truncated, NUL-terminated) with
 * control characters replaced by '?'. Returns DST. */
char *out_clean(char *dst, size_t cap, const char *src);

/* OBJ[KEY] (both borrowed, OBJ may be NULL or not an object) as text into
 * BUF: strings cleaned, numbers in decimal, booleans "yes"/"no", arrays of
 * scalars joined by ",", anything else or missing "-". Returns BUF. */
const char *out_field(const json_t *obj, const char *key, char *buf,
		      size_t cap);
/* OBJ[KEY], milliseconds since 1970, as "YYYY-MM-DD HH:MM:SSZ" (UTC) into
 * BUF; "-" if missing. Returns BUF. */
const char *out_field_time(const json_t *obj, const char *key, char *buf,
			   size_t cap);
/* The string OBJ[KEY], or NULL if missing or not a string. Borrowed from
 * OBJ, valid while OBJ lives. */
const char *out_str(const json_t *obj, const char *key);

/* S as one shell word: as is if made of safe characters, else in single
 * quotes, so a printed command can be pasted. */
void out_shell_word(FILE *f, const char *s);

#endif
