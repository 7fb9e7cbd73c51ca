/* report.h: the `triplex perf` report. Runs are collected into one JSON
 * document (schema in docs/perf-report.md), and the text and HTML views are
 * rendered from that document alone.
 *
 * Example (what cli_perf.c does):
 *     report_init(&rep, &caps, &guest, &rc, runs);
 *     report_choice(&rep, &policy_input, "choice");
 *     re = report_add_engine(&rep, "hw");
 *     run = report_add_run(re); ...run it...; report_collect_run(re, run);
 *     report_finish(&rep);
 *     report_write(&rep, "out");   // report.json, report.txt, report.html
 */
#ifndef PERF_REPORT_H
#define PERF_REPORT_H

#include <jansson.h>
#include <stdio.h>

#include "vmm/core/counters.h"
#include "vmm/select/select.h"

/* ---- views of merged counters (report_counters.c) ---- */
/* A merged view as JSON: {table: {"unit", "timed", "rows": {label: {"count",
 * "ns"}}}}, rows with zero count left out. New reference. */
json_t *perf_merged_json(const struct perf_merged *m);

/* Print a merged view as text tables (rows with zero count are left out),
 * like `perf kvm stat`: label, count, share, total and mean time. */
void perf_print(FILE *f, const struct perf_merged *m);

#define REPORT_MAX_RUNS 100
#define REPORT_MAX_ENGINES SEL_MAX_ENGINES

struct report_run {
	double wall_ms;          /* whole `triplex run` process, as the user waits */
	int status;              /* its exit status */
	bool timed_out;
	char serial_path[700], stats_path[700], stderr_path[700];
};

struct report_engine {
	char name[8];
	bool skipped;
	char why[512];
	struct report_run runs[REPORT_MAX_RUNS];
	unsigned nr_runs;
	json_t *benches;         /* {bench: {"ns": [..], "cycles": [..], "iters": N}} */
	json_t *counters;        /* summed over runs: {table: {...rows...}} */
	json_t *stats;           /* per run: the --stats-json documents */
};

struct report {
	json_t *doc;
	struct report_engine engines[REPORT_MAX_ENGINES];
	unsigned nr_engines;
	unsigned runs;
};

void report_init(struct report *r, const struct host_caps *caps, const struct guest_desc *g,
		 const char *kernel, const char *cmdline, unsigned runs);
void report_fini(struct report *r);
/* Record what the policy chooses for (in) under doc[key]. */
void report_choice(struct report *r, const struct sel_input *in, const char *key);
struct report_engine *report_add_engine(struct report *r, const char *name);
void report_skip(struct report_engine *e, const char *why);
struct report_run *report_add_run(struct report_engine *e);
/* Read a finished run's serial output (bench lines) and --stats-json. */
void report_collect_run(struct report_engine *e, struct report_run *run);
/* Medians, counters per run, the best engine and the choice's regret. */
void report_finish(struct report *r);
/* Median wall time per engine that ran cleanly, as a measured profile. */
void report_measured(const struct report *r, struct sel_profile *p);
/* Write report.json, report.txt and report.html into (dir). 0 or -errno. */
int report_write(const struct report *r, const char *dir);
void report_print_summary(const struct report *r, FILE *f, const char *dir);

/* The renderers (report_text.c, report_html.c): from the JSON document. */
void report_render_text(json_t *doc, FILE *f);
void report_render_html(json_t *doc, FILE *f);

/* median/min/max of a JSON array of numbers as {"median", "min", "max", "n"}. */
json_t *report_summary(json_t *values);

#endif
