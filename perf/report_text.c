/* report_text.c: report.txt, a table a person reads in a terminal, rendered
 * from the report document. */
#include <string.h>

#include "perf/report.h"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void engines_table(json_t *doc, FILE *f)
{
	json_t *engines = json_object_get(doc, "engines");
	fprintf(f, "%-7s %-8s %33s  %s\n", "engine", "status", "wall ms: median [min - max]",
		"exit status / why");
	for (size_t i = 0; i < json_array_size(engines); i++) {
		json_t *e = json_array_get(engines, i);
		json_t *s = json_object_get(json_object_get(e, "wall_ms"), "summary");
		if (!json_is_object(s)) {
			fprintf(f, "%-7s %-8s %33s  %s\n", str(e, "engine"), str(e, "status"), "-",
				str(e, "why"));
			continue;
		}
		char wall[64];
		snprintf(wall, sizeof(wall), "%.1f [%.1f - %.1f]", num(s, "median"), num(s, "min"),
			 num(s, "max"));
		json_t *st = json_object_get(e, "exit_status");
		fprintf(f, "%-7s %-8s %33s  %lld%s%s\n", str(e, "engine"), str(e, "status"), wall,
			(long long)json_integer_value(json_array_get(st, 0)),
			json_is_string(json_object_get(e, "why")) ? "; " : "", str(e, "why"));
	}
}

static void benches_table(json_t *doc, FILE *f)
{
	json_t *engines = json_object_get(doc, "engines");
	json_t *names = json_object();
	for (size_t i = 0; i < json_array_size(engines); i++) {
		const char *b;
		json_t *v;
		json_object_foreach(json_object_get(json_array_get(engines, i), "benches"), b, v)
			json_object_set_new(names, b, json_true());
	}
	if (!json_object_size(names)) {
		json_decref(names);
		return;
	}
	fprintf(f, "\nguest benchmarks: ns per iteration, median of the runs (* fastest)\n%-12s",
		"bench");
	for (size_t i = 0; i < json_array_size(engines); i++)
		fprintf(f, " %14s", str(json_array_get(engines, i), "engine"));
	fprintf(f, "\n");
	const char *b;
	json_t *unused;
	json_object_foreach(names, b, unused) {
		double best = -1;
		for (size_t i = 0; i < json_array_size(engines); i++) {
			json_t *s = json_object_get(json_object_get(json_object_get(
				json_object_get(json_array_get(engines, i), "benches"), b), "ns_per_iter"),
				"median");
			if (s && (best < 0 || json_number_value(s) < best))
				best = json_number_value(s);
		}
		fprintf(f, "%-12s", b);
		for (size_t i = 0; i < json_array_size(engines); i++) {
			json_t *s = json_object_get(json_object_get(json_object_get(
				json_object_get(json_array_get(engines, i), "benches"), b), "ns_per_iter"),
				"median");
			if (s)
				fprintf(f, " %13.1f%s", json_number_value(s),
					json_number_value(s) == best ? "*" : " ");
			else
				fprintf(f, " %14s", "-");
		}
		fprintf(f, "\n");
	}
	json_decref(names);
}

static void choice(json_t *doc, const char *key, const char *title, FILE *f)
{
	json_t *c = json_object_get(doc, key), *best = json_object_get(doc, "best");
	if (!c)
		return;
	fprintf(f, "%s: %s\n  %s\n", title, json_is_string(json_object_get(c, "engine"))
					      ? str(c, "engine") : "(none)", str(c, "reason"));
	json_t *reg = json_object_get(c, "regret");
	if (json_is_number(reg))
		fprintf(f, "  measured %.1f ms (%s); best %s %.1f ms; regret %.2f\n",
			num(c, "measured_ms"), str(c, "measured_as"), str(best, "engine"),
			num(best, "wall_ms"), json_number_value(reg));
	else
		fprintf(f, "  regret: not measured (the chosen engine did not run cleanly here)\n");
}

static void counters(json_t *doc, FILE *f)
{
	json_t *engines = json_object_get(doc, "engines");
	for (size_t i = 0; i < json_array_size(engines); i++) {
		json_t *e = json_array_get(engines, i);
		const char *table;
		json_t *t;
		json_object_foreach(json_object_get(e, "counters"), table, t) {
			bool timed = json_is_true(json_object_get(t, "timed"));
			if (!json_object_size(json_object_get(t, "rows")))
				continue;
			fprintf(f, "\n%s %s (per run)%*s %12s %7s%s\n", str(e, "engine"), table,
				(int)(20 - strlen(table)), "", str(t, "unit"), "share",
				timed ? "   mean ns" : "");
			const char *label;
			json_t *row;
			json_object_foreach(json_object_get(t, "rows"), label, row) {
				fprintf(f, "  %-28s %12.1f %6.1f%%", label, num(row, "count_per_run"),
					100 * num(row, "share"));
				if (timed)
					fprintf(f, " %9.0f", num(row, "mean_ns"));
				fprintf(f, "\n");
			}
		}
	}
}

void report_render_text(json_t *doc, FILE *f)
{
	json_t *g = json_object_get(doc, "guest"), *h = json_object_get(doc, "host");
	json_t *cpu = json_object_get(h, "cpu"), *kvm = json_object_get(h, "kvm");
	fprintf(f, "Triplex perf report: %s (%s, cmdline '%s'), %lld runs per engine, %s\n",
		str(g, "name"), str(g, "hash"), str(g, "cmdline"),
		(long long)json_integer_value(json_object_get(doc, "runs_per_engine")),
		str(doc, "created"));
	fprintf(f, "host: %s; kvm: %s%s%s\n\n", str(cpu, "brand"), str(kvm, "state"),
		json_is_string(json_object_get(kvm, "module")) ? ", " : "", str(kvm, "module"));
	engines_table(doc, f);
	benches_table(doc, f);
	fprintf(f, "\n");
	choice(doc, "choice", "policy choice (as triplex run makes it now)", f);
	choice(doc, "choice_model_only", "policy choice from the model alone (no profile)", f);
	counters(doc, f);
}
