/* counters.h: always-on counters. Engines and the core keep per-vCPU tables of
 * named counters (count, and host time where it is measured); --stats and the
 * perf report sum them across vCPUs by table and label (the views of the
 * sums are perf/report_counters.c: reports sit above what they report on).
 *
 * Example (an engine's vcpu_create):
 *     static const char *const labels[HW_EXIT_NR] = { [HW_EXIT_IO] = "io", ... };
 *     perf_set_add(&vcpu->stats, "hw.exits", labels, HW_EXIT_NR, priv->exits, true);
 *     ...
 *     perf_count(&priv->exits[HW_EXIT_IO], t1 - t0);   // hot path: two adds
 */
#ifndef VMM_CORE_COUNTERS_H
#define VMM_CORE_COUNTERS_H

#include "vmm/core/vmm.h"

struct perf_ctr {
	uint64_t count;
	uint64_t ns;   /* host time attributed to these events (timed tables) */
};

struct perf_table {
	const char *name;            /* "hw.exits", "bt.helpers", "io.pio" */
	const char *unit;            /* what a count is: "exits", "calls" */
	const char *const *labels;   /* n labels; NULL label = unused slot */
	unsigned n;
	struct perf_ctr *ctr;        /* n counters, owned by whoever added them */
	bool timed;                  /* ns is meaningful */
	bool owned;                  /* ctr is the set's copy (perf_set_freeze) */
};

#define PERF_MAX_TABLES 16

struct perf_set {
	struct perf_table t[PERF_MAX_TABLES];
	unsigned n;
};

/* Only the owning thread writes; readers (stats at exit, the monitor) accept
 * slightly stale values. */
static inline void perf_count(struct perf_ctr *c, uint64_t ns)
{
	c->count++;
	c->ns += ns;
}

/* Register a table; (labels) and (ctr) must outlive the set. 0 or -ENOSPC. */
VMM_MUST_CHECK int perf_set_add(struct perf_set *set, const char *name, const char *unit,
				const char *const *labels, unsigned n, struct perf_ctr *ctr,
				bool timed);

/* Keep the current values of the tables whose names start with (prefix):
 * the set takes a copy and stops reading the owner's counters (an engine
 * that is going away, its labels being static). 0 or -ENOMEM. */
VMM_MUST_CHECK int perf_set_freeze(struct perf_set *set, const char *prefix);
/* Free the copies perf_set_freeze took. */
void perf_set_release(struct perf_set *set);

/* A merged view: tables with the same name are summed label by label.
 * perf_merge() copies counts, so the result can outlive the sources. */
struct perf_merged_row {
	const char *label;
	uint64_t count, ns;
};
struct perf_merged_table {
	const char *name, *unit;
	bool timed;
	unsigned n;
	struct perf_merged_row *row;
};
struct perf_merged {
	struct perf_merged_table *t;
	unsigned n;
};
VMM_MUST_CHECK int perf_merge(struct perf_set *const *sets, unsigned nsets,
			      struct perf_merged *out);
void perf_merged_free(struct perf_merged *m);

#endif
