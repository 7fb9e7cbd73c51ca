/* perf_counters.c: counter tables, merging across vCPUs, and the text view. */
#include "perf/perf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int perf_set_add(struct perf_set *set, const char *name, const char *unit,
		 const char *const *labels, unsigned n, struct perf_ctr *ctr, bool timed)
{
	if (set->n == PERF_MAX_TABLES) {
		vmm_err("perf: too many counter tables adding '%s'", name);
		return -ENOSPC;
	}
	set->t[set->n++] = (struct perf_table){ .name = name, .unit = unit, .labels = labels,
						.n = n, .ctr = ctr, .timed = timed };
	return 0;
}

int perf_set_freeze(struct perf_set *set, const char *prefix)
{
	size_t plen = strlen(prefix);
	for (unsigned i = 0; i < set->n; i++) {
		struct perf_table *t = &set->t[i];
		if (t->owned || strncmp(t->name, prefix, plen))
			continue;
		struct perf_ctr *copy = malloc(t->n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, t->ctr, t->n * sizeof(*copy));
		t->ctr = copy;
		t->owned = true;
	}
	return 0;
}

void perf_set_release(struct perf_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		if (set->t[i].owned) {
			free(set->t[i].ctr);
			set->t[i].ctr = NULL;
			set->t[i].owned = false;
		}
}

static struct perf_merged_table *merged_find(struct perf_merged *m, const char *name)
{
	for (unsigned i = 0; i < m->n; i++)
		if (!strcmp(m->t[i].name, name))
			return &m->t[i];
	return NULL;
}

static int merged_add_row(struct perf_merged_table *mt, const char *label, uint64_t count,
			  uint64_t ns)
{
	for (unsigned i = 0; i < mt->n; i++)
		if (!strcmp(mt->row[i].label, label)) {
			mt->row[i].count += count;
			mt->row[i].ns += ns;
			return 0;
		}
	struct perf_merged_row *r = realloc(mt->row, (mt->n + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	mt->row = r;
	mt->row[mt->n++] = (struct perf_merged_row){ label, count, ns };
	return 0;
}

int perf_merge(struct perf_set *const *sets, unsigned nsets, struct perf_merged *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned s = 0; s < nsets; s++) {
		for (unsigned i = 0; i < sets[s]->n; i++) {
			const struct perf_table *t = &sets[s]->t[i];
			struct perf_merged_table *mt = merged_find(out, t->name);
			if (!mt) {
				struct perf_merged_table *nt =
					realloc(out->t, (out->n + 1) * sizeof(*nt));
				if (!nt)
					goto oom;
				out->t = nt;
				mt = &out->t[out->n++];
				*mt = (struct perf_merged_table){ .name = t->name, .unit = t->unit,
								  .timed = t->timed };
			}
			for (unsigned j = 0; j < t->n; j++) {
				if (!t->labels[j])
					continue;
				if (merged_add_row(mt, t->labels[j], t->ctr[j].count,
						   t->ctr[j].ns))
					goto oom;
			}
		}
	}
	return 0;
oom:
	perf_merged_free(out);
	return -ENOMEM;
}

void perf_merged_free(struct perf_merged *m)
{
	for (unsigned i = 0; i < m->n; i++)
		free(m->t[i].row);
	free(m->t);
	m->t = NULL;
	m->n = 0;
}

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
