/* cmd_capf: certificate enrolment — "capf schedule" for one device, a
 * profile's devices or a CSV list of devices, "capf cancel", "capf status"
 * (every operation with counts per state, one batch's progress, or one
 * device). The authentication string of the string mode is printed once,
 * as the server answers it; it is never stored in clear anywhere. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/cmd_pki.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

#define CAPF_CSV_MAX (1u << 20)
#define CAPF_BATCH_MAX 500

/* One operation as a row of TAB; -1 when the table is full. */
static int capf_row(struct out_table *tab, const json_t *t)
{
	char cells[6][512];
	const char *row[6];

	row[0] = out_field(t, "device", cells[0], sizeof cells[0]);
	row[1] = out_field(t, "operation", cells[1], sizeof cells[1]);
	row[2] = out_field(t, "auth", cells[2], sizeof cells[2]);
	row[3] = out_field(t, "key", cells[3], sizeof cells[3]);
	row[4] = out_field(t, "state", cells[4], sizeof cells[4]);
	if (json_object_get(t, "auth_string")) {
		char s[32];

		snprintf(cells[5], sizeof cells[5],
			 "authentication string %s (shown once)",
			 out_field(t, "auth_string", s, sizeof s));
	} else if (json_object_get(t, "serial")) {
		char s[128], e[64];

		snprintf(cells[5], sizeof cells[5], "serial %s, expires %s",
			 out_field(t, "serial", s, sizeof s),
			 out_field_time(t, "not_after_s", e, sizeof e));
	} else if (json_object_get(t, "reason")) {
		out_field(t, "reason", cells[5], sizeof cells[5]);
	} else if (json_object_get(t, "result")) {
		out_field(t, "result", cells[5], sizeof cells[5]);
	} else {
		snprintf(cells[5], sizeof cells[5], "tries %lld/%lld",
			 (long long)json_integer_value(
			     json_object_get(t, "failed_tries")),
			 (long long)json_integer_value(
			     json_object_get(t, "max_tries")));
	}
	row[5] = cells[5];
	return out_table_add(tab, row);
}

void capf_status_render(FILE *f, const json_t *doc)
{
	static const char *const head[] = {"DEVICE", "OPERATION", "AUTH",
					   "KEY",    "STATE",	  "DETAIL"};
	const json_t *ops = json_object_get(doc, "operations"), *t;
	struct out_table *tab = out_table_new(6, head);
	size_t i, n = 0;

	if (!tab)
		return;
	if (json_is_array(ops)) {
		json_array_foreach(ops, i, t)
		{
			if (capf_row(tab, t) != 0)
				break;
			n++;
		}
	} else if (json_object_get(doc, "device")) {
		if (capf_row(tab, doc) == 0)
			n++;
	}
	out_table_print(tab, f);
	out_table_free(tab);
	if (n == 0)
		fprintf(f, "(no CAPF operations)\n");
	if (json_is_object(json_object_get(doc, "progress"))) {
		const char *k;
		json_t *v;
		int first = 1;

		fprintf(f, "Progress:");
		json_object_foreach(json_object_get(doc, "progress"), k, v)
		{
			fprintf(f, "%s %s %lld", first ? "" : ",", k,
				(long long)json_integer_value(v));
			first = 0;
		}
		fprintf(f, "\n");
	}
	if (json_is_string(json_object_get(doc, "batch")))
		fprintf(f, "Batch %s: %lld device(s) scheduled.\n",
			json_string_value(json_object_get(doc, "batch")),
			(long long)json_integer_value(
			    json_object_get(doc, "scheduled")));
}

/* Field I (0-based) of LINE, separated by ',' or ';', spaces trimmed, into
 * OUT (CAP bytes, truncated); "" if the line has fewer fields. */
static void csv_field(const char *line, unsigned i, char *out, size_t cap)
{
	size_t n;

	while (i-- > 0) {
		line = strpbrk(line, ",;");
		if (!line) {
			out[0] = '\0';
			return;
		}
		line++;
	}
	line += strspn(line, " \t");
	n = strcspn(line, ",;");
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), line);
}

static int csv_is_string_column(const char *name)
{
	return strcasecmp(name, "auth_string") == 0 ||
	       strcasecmp(name, "auth-string") == 0 ||
	       strcasecmp(name, "string") == 0;
}

/* Devices from a CSV file: the first field of each line is the device;
 * empty lines and '#' comments are skipped. A header line (first field
 * "device" or "name") names the columns: a column "auth_string" holds the
 * device's own authentication string (4..16 digits). Without a header the
 * second field, when present, is that string; the server checks it
 * (4..16 digits) and never echoes it in an error. */
static int capf_csv_devices(struct wardctl *ctx, const char *path, json_t *list)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *text, *line, *save = NULL;
	char dev[128], str[64], col[64];
	int string_col = 1, header_seen = 0, rc = 0;

	if ((rc = pki_file_read(ctx, path, CAPF_CSV_MAX, &data, &len)))
		return rc;
	text = malloc(len + 1);
	if (!text) {
		OPENSSL_cleanse(data, len);
		free(data);
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUNAVAILABLE;
	}
	memcpy(text, data, len);
	text[len] = '\0';
	OPENSSL_cleanse(data, len);
	free(data);
	for (line = text; line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		csv_field(line, 0, dev, sizeof dev);
		if (!dev[0] || dev[0] == '#')
			continue;
		if (!header_seen && json_array_size(list) == 0 &&
		    (strcasecmp(dev, "device") == 0 ||
		     strcasecmp(dev, "name") == 0)) {
			header_seen = 1;
			string_col = -1;
			for (unsigned i = 1; i < 16; i++) {
				csv_field(line, i, col, sizeof col);
				if (csv_is_string_column(col))
					string_col = (int)i;
			}
			continue;
		}
		str[0] = '\0';
		if (string_col > 0)
			csv_field(line, (unsigned)string_col, str, sizeof str);
		if (!str[0]) {
			json_array_append_new(list, json_string(dev));
			continue;
		}
		json_array_append_new(list, json_pack("{s:s, s:s}", "device",
						      dev, "auth_string", str));
	}
	OPENSSL_cleanse(str, sizeof str);
	OPENSSL_cleanse(text, len);
	free(text);
	if (json_array_size(list) == 0 ||
	    json_array_size(list) > CAPF_BATCH_MAX) {
		wardctl_errorf(ctx, "%s: 1..%d device names expected", path,
			       CAPF_BATCH_MAX);
		return WARDCTL_EUSAGE;
	}
	return 0;
}

int cmd_capf_schedule(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"operation", required_argument, NULL, 'o'},
	    {"auth", required_argument, NULL, 'a'},
	    {"auth-string", required_argument, NULL, 's'},
	    {"string-length", required_argument, NULL, 'l'},
	    {"key", required_argument, NULL, 'k'},
	    {"deadline", required_argument, NULL, 'd'},
	    {"tries", required_argument, NULL, 't'},
	    {"profile", required_argument, NULL, 'p'},
	    {"csv", required_argument, NULL, 'c'},
	    {0},
	};
	const char *profile = NULL, *csv = NULL;
	json_t *body = json_object(), *ans = NULL;
	char *path = NULL;
	int state = 0, opt, rc = 0;

	if (!body) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUNAVAILABLE;
	}
	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		switch (opt) {
		case 'o':
			json_object_set_new(body, "operation",
					    json_string(optarg));
			break;
		case 'a':
			json_object_set_new(body, "auth", json_string(optarg));
			break;
		case 's':
			json_object_set_new(body, "auth_string",
					    json_string(optarg));
			break;
		case 'k':
			json_object_set_new(body, "key", json_string(optarg));
			break;
		case 'l':
		case 'd':
		case 't': {
			char *end;
			long long v = strtoll(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0') {
				wardctl_errorf(ctx, "%s must be a number",
					       optarg);
				rc = WARDCTL_EUSAGE;
				goto cleanup;
			}
			json_object_set_new(body,
					    opt == 'l'	 ? "string_length"
					    : opt == 'd' ? "deadline_s"
							 : "tries",
					    json_integer(v));
			break;
		}
		case 'p':
			profile = optarg;
			break;
		case 'c':
			csv = optarg;
			break;
		default:
			rc = ctx->opt_rc;
			goto cleanup;
		}
	}
	if ((profile || csv) ? (state != argc || (profile && csv))
			     : state != argc - 1) {
		wardctl_errorf(ctx,
			       "one DEVICE, or --profile P, or --csv FILE");
		rc = wardctl_usage_cmd(ctx);
		goto cleanup;
	}
	if (profile) {
		json_object_set_new(body, "profile", json_string(profile));
	} else if (csv) {
		json_t *list = json_array();

		json_object_set_new(body, "devices", list);
		if ((rc = capf_csv_devices(ctx, csv, list)))
			goto cleanup;
	}
	path = (profile || csv) ? strdup("/v1/capf/batch")
				: http_path("capf", argv[state], "");
	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		rc = WARDCTL_EUNAVAILABLE;
		goto cleanup;
	}
	rc = http_call(ctx, (profile || csv) ? "POST" : "PUT", path, body,
		       HTTP_AUTH_BASIC, &ans);
	if (rc)
		goto cleanup;
	if (ctx->json)
		out_json(ctx->out, ans);
	else
		capf_status_render(ctx->out, ans);
cleanup:
	free(path);
	json_decref(ans);
	json_decref(body);
	return rc;
}

int cmd_capf_cancel(struct wardctl *ctx, int argc, char **argv)
{
	return cmd_delete_show(ctx, argc, argv, "capf", "CAPF operation of",
			       "cancelled");
}

int cmd_capf_status(struct wardctl *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"batch", required_argument, NULL, 'b'},
	    {0},
	};
	const char *batch = NULL;
	char *path = NULL;
	int state = 0, opt, rc;

	while ((opt = wardctl_getopt(ctx, argc, argv, opts, &state)) != -1) {
		if (opt != 'b')
			return ctx->opt_rc;
		batch = optarg;
	}
	if (state < argc - 1 || (batch && state != argc)) {
		wardctl_errorf(ctx, "at most one DEVICE, or --batch ID");
		return wardctl_usage_cmd(ctx);
	}
	if (state == argc - 1) {
		path = http_path("capf", argv[state], "");
	} else if (batch) {
		char *b = http_path("capf", batch, "");

		/* "/v1/capf/" + escaped id -> "/v1/capf?batch=" + id */
		if (b && (path = malloc(strlen(b) + 8)))
			sprintf(path, "/v1/capf?batch=%s", b + 9);
		free(b);
	} else {
		path = strdup("/v1/capf");
	}
	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUNAVAILABLE;
	}
	rc = cmd_get_path_show(ctx, path, capf_status_render);
	free(path);
	return rc;
}
