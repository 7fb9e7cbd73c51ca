/* report_counters.c: views of merged counters (vmm/core/counters.h): text
 * tables like `perf kvm stat` (--stats) and JSON (--stats-json, the perf
 * report). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "perf/report.h"

static int row_cmp(const void *a, const void *b)
{
	const struct perf_merged_row *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->label, y->label);
}

void perf_print(FILE *f, const struct perf_merged *m)
{
	for (unsigned i = 0; i < m->n; i++) {
		const struct perf_merged_table *t = &m->t[i];
		uint64_t total = 0, total_ns = 0;
		for (unsigned j = 0; j < t->n; j++) {
			total += t->row[j].count;
			total_ns += t->row[j].ns;
		}
		if (!total)
			continue;
		struct perf_merged_row *rows = malloc(t->n * sizeof(*rows));
		if (!rows)
			return;
		memcpy(rows, t->row, t->n * sizeof(*rows));
		qsort(rows, t->n, sizeof(*rows), row_cmp);
		if (t->timed)
			fprintf(f, "%-24s %12s %7s %12s %10s\n", t->name, t->unit ? t->unit : "count",
				"share", "time(ms)", "mean(ns)");
		else
			fprintf(f, "%-24s %12s %7s\n", t->name, t->unit ? t->unit : "count", "share");
		for (unsigned j = 0; j < t->n; j++) {
			const struct perf_merged_row *r = &rows[j];
			if (!r->count)
				continue;
			double share = 100.0 * (double)r->count / (double)total;
			if (t->timed)
				fprintf(f, "  %-22s %12llu %6.2f%% %12.3f %10.0f\n", r->label,
					(unsigned long long)r->count, share, (double)r->ns / 1e6,
					(double)r->ns / (double)r->count);
			else
				fprintf(f, "  %-22s %12llu %6.2f%%\n", r->label,
					(unsigned long long)r->count, share);
		}
		if (t->timed)
			fprintf(f, "  %-22s %12llu %7s %12.3f %10.0f\n", "total",
				(unsigned long long)total, "", (double)total_ns / 1e6,
				(double)total_ns / (double)total);
		else
			fprintf(f, "  %-22s %12llu\n", "total", (unsigned long long)total);
		free(rows);
	}
}

json_t *perf_merged_json(const struct perf_merged *m)
{
	json_t *root = json_object();
	for (unsigned i = 0; i < m->n; i++) {
		const struct perf_merged_table *t = &m->t[i];
		json_t *rows = json_object();
		for (unsigned j = 0; j < t->n; j++)
			if (t->row[j].count)
				json_object_set_new(rows, t->row[j].label,
						    json_pack("{s:I, s:I}", "count",
							      (json_int_t)t->row[j].count, "ns",
							      (json_int_t)t->row[j].ns));
		json_object_set_new(root, t->name,
				    json_pack("{s:s, s:b, s:o}", "unit", t->unit ? t->unit : "count",
					      "timed", t->timed, "rows", rows));
	}
	return root;
}
