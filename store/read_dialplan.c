/* read_dialplan: the dial plan's source over the store (dialplan.h,
 * store_dialplan_route): lines through the device line index, patterns
 * through the route pattern index, the caller's CSS from its device. */
#include <stdio.h>
#include <string.h>

#include "store/dialplan.h"
#include "store/prov.h"

struct line_scan {
	const char *partition, *number;
	struct store_dialplan_answer *out; /* NULL: whether one exists */
	int found;
};

static int line_in_partition(void *arg, const struct store_device *dev)
{
	struct line_scan *s = arg;

	for (uint32_t i = 0; i < dev->n_lines; i++) {
		if (strcmp(dev->lines[i], s->number) != 0 ||
		    strcmp(dev->line_partitions[i], s->partition) != 0)
			continue;
		s->found = 1;
		if (!s->out)
			return 1;
		if (s->out->ndevices < STORE_DIALPLAN_DEVICES_MAX)
			snprintf(s->out->devices[s->out->ndevices++],
				 STORE_NAME_MAX, "%s", dev->name);
		return 0;
	}
	return 0;
}

static int src_has_line(void *ctx, const char *partition, const char *number)
{
	struct line_scan s = {.partition = partition, .number = number};

	return store_device_each_by_line(ctx, number, line_in_partition, &s) < 0
		   ? -1
		   : s.found;
}

struct pattern_wrap {
	dialplan_pattern_fn fn;
	void *arg;
};

static int pattern_cb(void *arg, const struct store_route_pattern *rp)
{
	struct pattern_wrap *w = arg;
	struct dialplan_pattern p = {.pattern = rp->pattern,
				     .action = rp->action,
				     .target = rp->trunk,
				     .name = rp->name};

	return w->fn(w->arg, &p);
}

static int src_each_pattern(void *ctx, const char *partition,
			    const char *number, dialplan_pattern_fn fn,
			    void *arg)
{
	struct pattern_wrap w = {.fn = fn, .arg = arg};

	/* Only the records whose pattern (in the index key) matches. */
	return store_route_pattern_each_match(ctx, partition, number,
					      pattern_cb, &w) < 0
		   ? -1
		   : 0;
}

static const struct dialplan_source store_plan = {
    .has_line = src_has_line,
    .each_pattern = src_each_pattern,
};

int store_dialplan_route(struct store_read *r, const char *caller,
			 const char *number, struct store_dialplan_answer *out)
{
	struct store_device dev;
	struct store_css css;
	int rc;

	memset(out, 0, sizeof *out);
	memset(&css, 0, sizeof css);
	rc = store_device_get(r, caller, &dev);
	if (rc == STORE_EINVAL)
		rc = STORE_ENOTFOUND;
	if (rc)
		return rc;
	/* A CSS that vanished under the device (deletes of a CSS in use are
	 * refused, but not atomically with the device's edit): fail closed
	 * rather than widen the device's reach. */
	if (dev.css[0] && (rc = store_css_get(r, dev.css, &css)) != 0)
		return rc == STORE_ENOTFOUND ? STORE_ECORRUPT : rc;
	if (dialplan_resolve(&store_plan, r, css.partitions, css.n_partitions,
			     number, &out->res) != 0)
		return STORE_EIO;
	if (out->res.verdict == DIALPLAN_LINE) {
		struct line_scan s = {.partition = out->res.partition,
				      .number = number,
				      .out = out};

		if (store_device_each_by_line(r, number, line_in_partition,
					      &s) < 0 ||
		    out->ndevices == 0)
			return STORE_EIO;
	}
	return STORE_OK;
}
