/* report_html.c: report.html, a self-contained page (inline CSS and SVG, no
 * scripts, no network) rendered from the report document: wall time per
 * engine with min-max whiskers, the guest's benchmarks per engine, the
 * policy's choice and regret, and counters. */
#include <math.h>
#include <string.h>

#include "perf/report.h"

static const char *const colors[] = { "#4e79a7", "#f28e2b", "#59a14f", "#e15759" };

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A horizontal bar chart: one bar per (label, value, lo, hi); lo/hi < 0: no
 * whisker. */
struct bar {
	const char *label;
	double v, lo, hi;
	const char *color;
	const char *note;
};

static void bar_chart(FILE *f, const struct bar *bars, unsigned n, const char *unit)
{
	double max = 0;
	for (unsigned i = 0; i < n; i++)
		max = fmax(max, fmax(bars[i].v, bars[i].hi));
	if (max <= 0)
		max = 1;
	const int w = 640, lw = 90, bh = 22, gap = 8, pw = w - lw - 140;
	int h = (int)n * (bh + gap) + gap;
	fprintf(f, "<svg width=\"%d\" height=\"%d\" role=\"img\">\n", w, h);
	for (unsigned i = 0; i < n; i++) {
		int y = gap + (int)i * (bh + gap);
		double bw = bars[i].v / max * pw;
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", lw - 6, y + bh - 6);
		esc(f, bars[i].label);
		fprintf(f, "</text>\n");
		if (bars[i].v < 0) {
			fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"note\">", lw, y + bh - 6);
			esc(f, bars[i].note ? bars[i].note : "not run");
			fprintf(f, "</text>\n");
			continue;
		}
		fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", lw,
			y, fmax(bw, 1), bh, bars[i].color);
		if (bars[i].lo >= 0 && bars[i].hi >= 0) {
			double x1 = lw + bars[i].lo / max * pw, x2 = lw + bars[i].hi / max * pw;
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" class=\"wh\"/>\n",
				x1, x2, y + bh / 2, y + bh / 2);
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" class=\"wh\"/>\n",
				x1, x1, y + 5, y + bh - 5);
			fprintf(f, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" class=\"wh\"/>\n",
				x2, x2, y + 5, y + bh - 5);
		}
		double tx = lw + fmax(fmax(bw, 1), bars[i].hi >= 0 ? bars[i].hi / max * pw : 0) + 6;
		fprintf(f, "<text x=\"%.1f\" y=\"%d\">%.4g %s%s%s</text>\n", tx,
			y + bh - 6, bars[i].v, unit, bars[i].note ? " " : "",
			bars[i].note ? bars[i].note : "");
	}
	fprintf(f, "</svg>\n");
}

static void wall_section(json_t *engines, FILE *f)
{
	struct bar bars[REPORT_MAX_ENGINES];
	unsigned n = 0;
	for (size_t i = 0; i < json_array_size(engines) && n < REPORT_MAX_ENGINES; i++) {
		json_t *e = json_array_get(engines, i);
		json_t *s = json_object_get(json_object_get(e, "wall_ms"), "summary");
		bool ok = json_is_object(s);
		bars[n++] = (struct bar){ str(e, "engine"), ok ? num(s, "median") : -1,
					  ok ? num(s, "min") : -1, ok ? num(s, "max") : -1,
					  colors[i % 4], ok ? NULL : str(e, "why") };
	}
	fprintf(f, "<h2>Wall time per run</h2><p>Median of the runs; the whisker spans min to "
		   "max.</p>\n");
	bar_chart(f, bars, n, "ms");
}

static void bench_section(json_t *engines, FILE *f)
{
	json_t *names = json_object();
	for (size_t i = 0; i < json_array_size(engines); i++) {
		const char *b;
		json_t *v;
		json_object_foreach(json_object_get(json_array_get(engines, i), "benches"), b, v)
			json_object_set_new(names, b, json_true());
	}
	if (json_object_size(names))
		fprintf(f, "<h2>Guest benchmarks</h2><p>The guest's own <code>bench</code> lines: "
			   "ns per iteration, median of the runs (shorter is better).</p>\n");
	const char *b;
	json_t *unused;
	json_object_foreach(names, b, unused) {
		struct bar bars[REPORT_MAX_ENGINES];
		unsigned n = 0;
		for (size_t i = 0; i < json_array_size(engines) && n < REPORT_MAX_ENGINES; i++) {
			json_t *e = json_array_get(engines, i);
			json_t *s = json_object_get(json_object_get(json_object_get(e, "benches"), b),
						    "ns_per_iter");
			bool ok = json_is_object(s);
			bars[n++] = (struct bar){ str(e, "engine"), ok ? num(s, "median") : -1,
						  ok ? num(s, "min") : -1, ok ? num(s, "max") : -1,
						  colors[i % 4], ok ? NULL : "no result" };
		}
		fprintf(f, "<h3>");
		esc(f, b);
		fprintf(f, "</h3>\n");
		bar_chart(f, bars, n, "ns");
	}
	json_decref(names);
}

static void choice_section(json_t *doc, const char *key, const char *title, FILE *f)
{
	json_t *c = json_object_get(doc, key), *best = json_object_get(doc, "best");
	if (!c)
		return;
	fprintf(f, "<h3>%s: <b>", title);
	esc(f, json_is_string(json_object_get(c, "engine")) ? str(c, "engine") : "none");
	fprintf(f, "</b></h3><p>");
	esc(f, str(c, "reason"));
	fprintf(f, "</p>\n");
	if (json_is_number(json_object_get(c, "regret")))
		fprintf(f, "<p>measured %.1f ms (%s); best %s %.1f ms; <b>regret %.2f</b></p>\n",
			num(c, "measured_ms"), str(c, "measured_as"), str(best, "engine"),
			num(best, "wall_ms"), num(c, "regret"));
	fprintf(f, "<table><tr><th>engine</th><th>runs it</th><th>cost</th><th>vs pick</th>"
		   "<th>why / how</th></tr>\n");
	json_t *cands = json_object_get(c, "candidates");
	for (size_t i = 0; i < json_array_size(cands); i++) {
		json_t *p = json_array_get(cands, i);
		fprintf(f, "<tr><td>%s</td><td>%s</td>", str(p, "engine"),
			json_is_true(json_object_get(p, "runnable")) ? "yes" : "no");
		if (json_is_true(json_object_get(p, "measured")))
			fprintf(f, "<td>%.4g ms (measured)</td>", num(p, "cost"));
		else if (json_is_number(json_object_get(p, "cost")))
			fprintf(f, "<td>%.4g x native (model)</td>", num(p, "cost") / 1e6);
		else
			fprintf(f, "<td>-</td>");
		if (json_is_number(json_object_get(p, "ratio")))
			fprintf(f, "<td>%.2fx</td><td>", num(p, "ratio"));
		else
			fprintf(f, "<td>-</td><td>");
		esc(f, str(p, "why"));
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n");
}

static void counters_section(json_t *engines, FILE *f)
{
	fprintf(f, "<h2>Counters</h2><p>Per run: exits, helper calls and events by reason "
		   "with their share and mean handling time.</p>\n");
	for (size_t i = 0; i < json_array_size(engines); i++) {
		json_t *e = json_array_get(engines, i);
		const char *table;
		json_t *t;
		json_object_foreach(json_object_get(e, "counters"), table, t) {
			bool timed = json_is_true(json_object_get(t, "timed"));
			if (!json_object_size(json_object_get(t, "rows")))
				continue;
			fprintf(f, "<h3>%s: %s</h3><table><tr><th>reason</th><th>%s per run</th>"
				   "<th>share</th>%s</tr>\n", str(e, "engine"), table, str(t, "unit"),
				timed ? "<th>mean ns</th>" : "");
			const char *label;
			json_t *row;
			json_object_foreach(json_object_get(t, "rows"), label, row) {
				fprintf(f, "<tr><td>");
				esc(f, label);
				fprintf(f, "</td><td>%.1f</td><td>%.1f%%</td>", num(row, "count_per_run"),
					100 * num(row, "share"));
				if (timed)
					fprintf(f, "<td>%.0f</td>", num(row, "mean_ns"));
				fprintf(f, "</tr>\n");
			}
			fprintf(f, "</table>\n");
		}
	}
}

void report_render_html(json_t *doc, FILE *f)
{
	json_t *g = json_object_get(doc, "guest"), *h = json_object_get(doc, "host");
	json_t *engines = json_object_get(doc, "engines");
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		   "<title>Triplex perf: ");
	esc(f, str(g, "name"));
	fprintf(f, "</title>\n<style>\nbody{font-family:sans-serif;max-width:60em;margin:2em auto;"
		   "color:#222}\ntable{border-collapse:collapse;margin:.5em 0}\ntd,th{border:1px "
		   "solid #ccc;padding:.2em .6em;text-align:left}\nsvg text{font-size:13px}\n"
		   ".note{fill:#888}\n.wh{stroke:#222;stroke-width:1.5}\ncode{background:#eee}\n"
		   "</style></head><body>\n<h1>Triplex perf: ");
	esc(f, str(g, "name"));
	fprintf(f, "</h1>\n<p>");
	esc(f, str(g, "kernel"));
	fprintf(f, " (hash %s), command line <code>", str(g, "hash"));
	esc(f, str(g, "cmdline"));
	fprintf(f, "</code>; %lld runs per engine; %s.<br>Host: ",
		(long long)json_integer_value(json_object_get(doc, "runs_per_engine")),
		str(doc, "created"));
	esc(f, str(json_object_get(h, "cpu"), "brand"));
	fprintf(f, "; KVM: ");
	esc(f, str(json_object_get(h, "kvm"), "state"));
	json_t *mod = json_object_get(json_object_get(h, "kvm"), "module");
	if (json_is_string(mod)) {
		fprintf(f, " (");
		esc(f, json_string_value(mod));
		fprintf(f, ")");
	}
	fprintf(f, ". Triplex %s (%s).</p>\n", str(json_object_get(doc, "triplex"), "version"),
		str(json_object_get(doc, "triplex"), "gitrev"));
	wall_section(engines, f);
	fprintf(f, "<h2>The policy's choice</h2>\n");
	choice_section(doc, "choice", "As triplex run chooses now", f);
	choice_section(doc, "choice_model_only", "From the model alone (no profile)", f);
	bench_section(engines, f);
	counters_section(engines, f);
	fprintf(f, "</body></html>\n");
}
