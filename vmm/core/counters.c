/* counters.c: the always-on counter tables and merging them across vCPUs.
 * The views (text for --stats, JSON for --stats-json and reports) are
 * perf/report_counters.c. */
#include "vmm/core/counters.h"

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
