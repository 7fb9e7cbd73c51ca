/* report.c: collecting `triplex perf` runs into the report document:
 * per engine the wall times, the guest's bench lines, the counters; the
 * policy's choice, the best engine and the regret. */
#include "perf/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


void report_init(struct report *r, const struct host_caps *caps, const struct guest_desc *g,
		 const char *kernel, const char *cmdline, unsigned runs)
{
	memset(r, 0, sizeof(*r));
	r->runs = runs;
	char when[32], hash[17];
	time_t t = time(NULL);
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)g->info.image_hash);
	json_t *needs = json_array();
	for (unsigned b = 0; b < GUEST_NEEDS_NR; b++)
		if (g->needs & (1u << b))
			json_array_append_new(needs, json_string(guest_need_name(1u << b)));
	json_t *guest = json_pack("{s:s, s:s, s:s, s:s, s:i, s:o}", "name", g->info.name, "kernel",
				  kernel, "cmdline", cmdline ? cmdline : "",
				  "hash", hash, "bits", (int)g->info.bits, "needs", needs);
	r->doc = json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:o, s:i, s:[]}", "schema",
			   "triplex-perf-report/1", "triplex", "version", TRIPLEX_VERSION, "gitrev",
			   TRIPLEX_GITREV, "created", when, "host", sel_host_json(caps), "guest",
			   guest, "runs_per_engine", (int)runs, "engines");
}

void report_fini(struct report *r)
{
	for (unsigned i = 0; i < r->nr_engines; i++) {
		json_decref(r->engines[i].benches);
		json_decref(r->engines[i].counters);
		json_decref(r->engines[i].stats);
	}
	json_decref(r->doc);
}

void report_choice(struct report *r, const struct sel_input *in, const char *key)
{
	struct sel_result res;
	int rc = sel_choose(in, &res);
	json_t *j = sel_result_json(&res);
	json_object_set_new(j, "profile", json_string(in->profile->source));
	json_object_set_new(j, "ok", json_boolean(rc == 0));
	json_object_set_new(r->doc, key, j);
}

struct report_engine *report_add_engine(struct report *r, const char *name)
{
	if (r->nr_engines == REPORT_MAX_ENGINES)
		return NULL;
	struct report_engine *e = &r->engines[r->nr_engines++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->benches = json_object();
	e->counters = json_object();
	e->stats = json_array();
	return e;
}

void report_skip(struct report_engine *e, const char *why)
{
	e->skipped = true;
	snprintf(e->why, sizeof(e->why), "%s", why);
}

struct report_run *report_add_run(struct report_engine *e)
{
	if (e->nr_runs == REPORT_MAX_RUNS)
		return NULL;
	struct report_run *run = &e->runs[e->nr_runs++];
	memset(run, 0, sizeof(*run));
	return run;
}

/* "bench NAME iters=N cycles_per_iter=X ns_per_iter=Y" (docs/guests.md) */
static void collect_benches(struct report_engine *e, const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		unsigned long long iters;
		double cyc, ns;
		if (sscanf(line, "bench %63s iters=%llu cycles_per_iter=%lf ns_per_iter=%lf", name,
			   &iters, &cyc, &ns) != 4)
			continue;
		json_t *b = json_object_get(e->benches, name);
		if (!b) {
			b = json_pack("{s:[], s:[], s:I}", "ns", "cycles", "iters", (json_int_t)iters);
			json_object_set_new(e->benches, name, b);
		}
		json_array_append_new(json_object_get(b, "ns"), json_real(ns));
		json_array_append_new(json_object_get(b, "cycles"), json_real(cyc));
	}
	fclose(f);
}

/* Add one run's counters into the engine's sums. */
static void add_counters(json_t *sum, json_t *counters)
{
	const char *table;
	json_t *t;
	json_object_foreach(counters, table, t) {
		json_t *st = json_object_get(sum, table);
		if (!st) {
			st = json_pack("{s:O, s:O, s:{}}", "unit", json_object_get(t, "unit"), "timed",
				       json_object_get(t, "timed"), "rows");
			json_object_set_new(sum, table, st);
		}
		const char *label;
		json_t *row;
		json_object_foreach(json_object_get(t, "rows"), label, row) {
			json_t *rows = json_object_get(st, "rows"), *sr = json_object_get(rows, label);
			if (!sr) {
				sr = json_pack("{s:I, s:I}", "count", (json_int_t)0, "ns", (json_int_t)0);
				json_object_set_new(rows, label, sr);
			}
			json_object_set_new(sr, "count",
					    json_integer(json_integer_value(json_object_get(sr, "count")) +
							 json_integer_value(json_object_get(row, "count"))));
			json_object_set_new(sr, "ns",
					    json_integer(json_integer_value(json_object_get(sr, "ns")) +
							 json_integer_value(json_object_get(row, "ns"))));
		}
	}
}

void report_collect_run(struct report_engine *e, struct report_run *run)
{
	collect_benches(e, run->serial_path);
	json_error_t err;
	json_t *st = json_load_file(run->stats_path, 0, &err);
	if (st) {
		add_counters(e->counters, json_object_get(st, "counters"));
		json_array_append_new(e->stats, st);
	}
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

json_t *report_summary(json_t *values)
{
	size_t n = json_array_size(values);
	if (!n)
		return json_null();
	double *v = malloc(n * sizeof(*v));
	if (!v)
		return json_null();
	for (size_t i = 0; i < n; i++)
		v[i] = json_number_value(json_array_get(values, i));
	qsort(v, n, sizeof(*v), dbl_cmp);
	double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	json_t *s = json_pack("{s:f, s:f, s:f, s:i}", "median", med, "min", v[0], "max", v[n - 1],
			      "n", (int)n);
	free(v);
	return s;
}

/* Counters per run, with each row's share of its table and mean cost. */
static json_t *counters_per_run(json_t *sum, unsigned runs)
{
	json_t *out = json_object();
	const char *table;
	json_t *t;
	json_object_foreach(sum, table, t) {
		json_int_t total = 0;
		const char *label;
		json_t *row;
		json_object_foreach(json_object_get(t, "rows"), label, row)
			total += json_integer_value(json_object_get(row, "count"));
		json_t *rows = json_object();
		json_object_foreach(json_object_get(t, "rows"), label, row) {
			json_int_t c = json_integer_value(json_object_get(row, "count"));
			json_int_t ns = json_integer_value(json_object_get(row, "ns"));
			json_object_set_new(rows, label,
					    json_pack("{s:f, s:f, s:f, s:f}", "count_per_run",
						      (double)c / runs, "share",
						      total ? (double)c / (double)total : 0.0,
						      "ns_per_run", (double)ns / runs, "mean_ns",
						      c ? (double)ns / (double)c : 0.0));
		}
		json_object_set_new(out, table,
				    json_pack("{s:O, s:O, s:o}", "unit", json_object_get(t, "unit"),
					      "timed", json_object_get(t, "timed"), "rows", rows));
	}
	return out;
}

static json_t *engine_json(const struct report_engine *e)
{
	if (e->skipped)
		return json_pack("{s:s, s:s, s:s}", "engine", e->name, "status", "skipped", "why",
				 e->why);
	json_t *walls = json_array(), *statuses = json_array();
	bool clean = e->nr_runs > 0;
	for (unsigned i = 0; i < e->nr_runs; i++) {
		json_array_append_new(walls, json_real(e->runs[i].wall_ms));
		json_array_append_new(statuses, json_integer(e->runs[i].status));
		clean &= !e->runs[i].timed_out && e->runs[i].status == e->runs[0].status;
	}
	json_t *benches = json_object();
	const char *name;
	json_t *b;
	json_object_foreach(e->benches, name, b)
		json_object_set_new(benches, name,
				    json_pack("{s:O, s:o, s:o}", "iters", json_object_get(b, "iters"),
					      "ns_per_iter", report_summary(json_object_get(b, "ns")),
					      "cycles_per_iter",
					      report_summary(json_object_get(b, "cycles"))));
	char why[160] = "";
	if (!clean)
		snprintf(why, sizeof(why), "runs timed out or ended differently (exit statuses vary)");
	return json_pack("{s:s, s:s, s:s?, s:{s:o, s:o}, s:o, s:o, s:o}", "engine", e->name,
			 "status", clean ? "ran" : "failed", "why", why[0] ? why : NULL, "wall_ms",
			 "summary", report_summary(walls), "runs", walls, "exit_status", statuses,
			 "benches", benches, "counters", counters_per_run(e->counters, e->nr_runs));
}

/* How many runs of the auto row switched engines (of *runs). */
static unsigned auto_switches(const struct report *r, unsigned *runs)
{
	unsigned moved = 0;
	*runs = 0;
	for (unsigned i = 0; i < r->nr_engines; i++) {
		if (strcmp(r->engines[i].name, "auto"))
			continue;
		*runs = (unsigned)json_array_size(r->engines[i].stats);
		for (size_t k = 0; k < *runs; k++)
			moved += json_is_string(json_object_get(
					 json_array_get(r->engines[i].stats, k), "switched_to"));
	}
	return moved;
}

/* Did engine (name) run cleanly? */
static bool report_ran(json_t *engines, const char *name)
{
	for (size_t i = 0; i < json_array_size(engines); i++) {
		json_t *ej = json_array_get(engines, i);
		if (!strcmp(json_string_value(json_object_get(ej, "engine")), name))
			return !strcmp(json_string_value(json_object_get(ej, "status")), "ran");
	}
	return false;
}

static double median_of(json_t *engine)
{
	json_t *s = json_object_get(json_object_get(engine, "wall_ms"), "summary");
	return s && json_is_object(s) ? json_number_value(json_object_get(s, "median")) : -1;
}

void report_finish(struct report *r)
{
	json_t *engines = json_object_get(r->doc, "engines");
	const char *best = NULL;
	double best_ms = -1;
	for (unsigned i = 0; i < r->nr_engines; i++) {
		json_t *ej = engine_json(&r->engines[i]);
		json_array_append_new(engines, ej);
		double m = median_of(ej);
		if (!strcmp(json_string_value(json_object_get(ej, "status")), "ran") && m > 0 &&
		    strcmp(r->engines[i].name, "auto") && (best_ms < 0 || m < best_ms)) {
			best_ms = m;
			best = r->engines[i].name;
		}
	}
	json_object_set_new(r->doc, "best", best ? json_pack("{s:s, s:f}", "engine", best,
							       "wall_ms", best_ms)
						 : json_null());
	static const char *const keys[] = { "choice", "choice_model_only" };
	for (unsigned k = 0; k < 2; k++) {
		json_t *c = json_object_get(r->doc, keys[k]);
		const char *eng = json_string_value(json_object_get(c, "engine"));
		double ms = -1;
		/* no profile: what a first launch does (the auto row, triplex run
		 * --no-profile) when it switched engines; else it ran the chosen
		 * engine throughout, whose own row is the same configuration */
		unsigned runs = 0, moved = auto_switches(r, &runs);
		if (k == 1 && eng && moved && report_ran(engines, "auto")) {
			char as[160];
			snprintf(as, sizeof(as), "triplex run --no-profile in auto mode: switched "
				 "engines in %u of %u runs", moved, runs);
			eng = "auto";
			json_object_set_new(c, "measured_as", json_string(as));
		} else if (eng) {
			json_object_set_new(c, "measured_as",
					    json_string(k == 1 && runs ? "the chosen engine's runs (the "
									 "auto runs did not switch)"
								       : "the chosen engine's runs"));
		}
		for (size_t i = 0; eng && i < json_array_size(engines); i++) {
			json_t *ej = json_array_get(engines, i);
			if (!strcmp(json_string_value(json_object_get(ej, "engine")), eng) &&
			    !strcmp(json_string_value(json_object_get(ej, "status")), "ran"))
				ms = median_of(ej);
		}
		json_object_set_new(c, "measured_ms", ms > 0 ? json_real(ms) : json_null());
		json_object_set_new(c, "regret", ms > 0 && best_ms > 0 ? json_real(ms / best_ms)
								       : json_null());
	}
}

void report_measured(const struct report *r, struct sel_profile *p)
{
	json_t *engines = json_object_get(r->doc, "engines");
	for (size_t i = 0; i < json_array_size(engines) && p->nr_measured < SEL_MAX_ENGINES; i++) {
		json_t *ej = json_array_get(engines, i);
		double m = median_of(ej);
		const char *name = json_string_value(json_object_get(ej, "engine"));
		if (m > 0 && !strcmp(json_string_value(json_object_get(ej, "status")), "ran") &&
		    strcmp(name, "auto")) {
			snprintf(p->measured[p->nr_measured].engine, 8, "%s",
				 json_string_value(json_object_get(ej, "engine")));
			p->measured[p->nr_measured++].wall_ms = m;
		}
	}
}

int report_write(const struct report *r, const char *dir)
{
	char path[800];
	snprintf(path, sizeof(path), "%s/report.json", dir);
	if (json_dump_file(r->doc, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
		vmm_err("perf: cannot write %s", path);
		return -EIO;
	}
	static const char *const names[] = { "report.txt", "report.html" };
	for (unsigned i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "w");
		if (!f) {
			vmm_err("perf: cannot write %s: %s", path, strerror(errno));
			return -errno;
		}
		if (i)
			report_render_html(r->doc, f);
		else
			report_render_text(r->doc, f);
		if (fclose(f)) {
			vmm_err("perf: cannot write %s", path);
			return -EIO;
		}
	}
	return 0;
}

void report_print_summary(const struct report *r, FILE *f, const char *dir)
{
	report_render_text(r->doc, f);
	fprintf(f, "\nreports: %s/report.txt, %s/report.json, %s/report.html\n", dir, dir, dir);
}
