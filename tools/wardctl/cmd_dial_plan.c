/* cmd_dial_plan: "wardctl dial-plan route CALLER NUMBER" — what the dial
 * plan does with a call from the device CALLER to NUMBER, as the signaling
 * role decides it (GET /v1/dial-plan/route): the line's devices, the trunk
 * a route pattern sends it to, or the 403 of a blocking pattern and the
 * 404 of a number out of reach. */
#include "tools/wardctl/cmd_prov.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tools/wardctl/cmd.h"
#include "tools/wardctl/http.h"
#include "tools/wardctl/out.h"
#include "tools/wardctl/wardctl.h"

/* Appends S percent-encoded (all but A-Z a-z 0-9 - . _ ~) at P. */
static char *pct(char *p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~", *c)) {
			*p++ = (char)*c;
		} else {
			*p++ = '%';
			*p++ = hex[*c >> 4];
			*p++ = hex[*c & 15];
		}
	}
	*p = '\0';
	return p;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void render(FILE *out, const json_t *a)
{
	const char *verdict = str(a, "verdict"), *part = str(a, "partition");
	const json_t *devs = json_object_get(a, "devices"), *d;
	size_t i;

	fprintf(out, "%s dials %s: ", str(a, "caller"), str(a, "number"));
	if (strcmp(verdict, "line") == 0) {
		fprintf(out, "line in %s%s, rings", part[0] ? "partition " : "",
			part[0] ? part : "the none-partition");
		json_array_foreach(devs, i, d)
		    fprintf(out, " %s", json_string_value(d));
		fputc('\n', out);
	} else if (strcmp(verdict, "route") == 0) {
		fprintf(out, "route pattern %s (%s) in %s%s, to trunk %s\n",
			str(a, "route_pattern"), str(a, "pattern"),
			part[0] ? "partition " : "",
			part[0] ? part : "the none-partition",
			json_string_value(json_array_get(devs, 0)));
	} else if (strcmp(verdict, "block") == 0) {
		fprintf(out,
			"blocked by route pattern %s (%s) in %s%s: 403 "
			"Forbidden\n",
			str(a, "route_pattern"), str(a, "pattern"),
			part[0] ? "partition " : "",
			part[0] ? part : "the none-partition");
	} else {
		fprintf(out, "nothing the caller may reach: 404 Not Found\n");
	}
}

int cmd_dial_plan_route(struct wardctl *ctx, int argc, char **argv)
{
	char *path, *p;
	int first, rc;

	if ((rc = wardctl_args(ctx, argc, argv, 2, 2, &first)) != 0)
		return rc;
	path = malloc(64 + 3 * (strlen(argv[first]) + strlen(argv[first + 1])));
	if (!path) {
		wardctl_errorf(ctx, "out of memory");
		return WARDCTL_EUSAGE;
	}
	p = path + sprintf(path, "/v1/dial-plan/route?caller=");
	p = pct(p, argv[first]);
	p += sprintf(p, "&number=");
	pct(p, argv[first + 1]);
	rc = cmd_get_path_show(ctx, path, render);
	free(path);
	return rc;
}
