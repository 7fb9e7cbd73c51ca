/* sel_policy.c: the engine policy. sel_choose() is a pure function of the
 * host, the calibration, the guest, which engines can run it (sel_gather),
 * the workload profile and the request; tests feed it fake hosts.
 *
 * Cost model: running 1 ms of native work costs, on engine E,
 *     sum over events of rate(event per native ms) x calibrated cost(E, event)
 * for ring-0 and ring-3 instructions, exits, page faults, PTE updates and
 * system calls, in the guest's code width. When a profiled run measured
 * engines on this host for this image, measured times win; engines it did not
 * measure are predicted with the model scaled to the measured ones. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "vmm/core/engine.h"
#include "vmm/select/select.h"

static const struct sel_avail *avail_of(const struct sel_input *in, const char *name)
{
	for (unsigned i = 0; i < in->nr_avail; i++)
		if (!strcmp(in->avail[i].engine, name))
			return &in->avail[i];
	return NULL;
}

static double measured_ms(const struct sel_profile *p, const char *engine)
{
	for (unsigned i = 0; p && i < p->nr_measured; i++)
		if (!strcmp(p->measured[i].engine, engine))
			return p->measured[i].wall_ms;
	return -1;
}

/* Predicted ns per native ms for (e), or -1 if the engine is not calibrated. */
static double predict(const struct sel_input *in, const char *engine, char *how, size_t len)
{
	const struct sel_calib_engine *ce = in->calib ? sel_calib_find(in->calib, engine) : NULL;
	if (!ce) {
		snprintf(how, len, "not calibrated on this host (triplex probe --calibrate)");
		return -1;
	}
	const struct sel_profile *p = in->profile;
	/* the width its code runs in: a Multiboot guest may enter long mode */
	unsigned w = in->guest && (in->guest->needs & GUEST_NEEDS_LONG) ? 1 : 0;
	const double rate[SEL_COST_NR] = {
		[SEL_COST_RING0] = p->ring0_insns, [SEL_COST_RING3] = p->ring3_insns,
		[SEL_COST_EXIT] = p->exits,	   [SEL_COST_PF] = p->page_faults,
		[SEL_COST_PTE] = p->pte_updates,   [SEL_COST_SYSCALL] = p->syscalls,
	};
	double total = 0, worst = 0;
	int worst_i = -1;
	size_t off = 0;
	how[0] = 0;
	for (unsigned t = 0; t < SEL_COST_NR; t++) {
		double ns = ce->ns[w][t];
		if (ns < 0 && rate[t] > 0) {
			/* an operation it could not calibrate: at least a round trip */
			ns = ce->ns[w][SEL_COST_EXIT] >= 0 ? ce->ns[w][SEL_COST_EXIT] : 1000;
			off += (size_t)snprintf(how + off, len > off ? len - off : 0,
						"%s%s uncalibrated (costed as an exit)", off ? "; " : "",
						sel_cost_names[t]);
		}
		double part = rate[t] * ns;
		total += part;
		if (part > worst) {
			worst = part;
			worst_i = (int)t;
		}
	}
	if (worst_i >= 0 && total > 0)
		snprintf(how + off, len > off ? len - off : 0, "%s%s %.0f%% of predicted time",
			 off ? "; " : "", sel_cost_names[worst_i], 100.0 * worst / total);
	return total;
}

/* A refusal's reason, cut for the one-line summary before the probe's
 * details or at a word boundary (--explain prints it whole). */
static const char *short_why(const char *why, char *buf, size_t len)
{
	size_t n = strlen(why);
	const char *probe = strstr(why, ": compatibility probe");
	if (n < len)
		return why;
	if (probe && (size_t)(probe - why) < len) {
		snprintf(buf, len, "%.*s", (int)(probe - why), why);
		return buf;
	}
	n = len - 4;
	while (n > len / 2 && why[n] != ' ')
		n--;
	while (n > 0 && (why[n - 1] == ',' || why[n - 1] == ':' || why[n - 1] == ' '))
		n--;
	snprintf(buf, len, "%.*s...", (int)n, why);
	return buf;
}

static void describe_others(const struct sel_input *in, struct sel_result *out, size_t off)
{
	char cut[144];
	for (unsigned i = 0; i < out->nr_pred; i++) {
		const struct sel_prediction *p = &out->pred[i];
		if (!strcmp(p->engine, out->engine))
			continue;
		if (!p->runnable)
			off += (size_t)snprintf(out->reason + off, sizeof(out->reason) - off,
						"; %s: %s", p->engine,
						short_why(p->why, cut, sizeof(cut)));
		else if (p->cost >= 0)
			off += (size_t)snprintf(out->reason + off, sizeof(out->reason) - off,
						"; %s: %s %.1fx slower", p->engine,
						p->measured ? "measured" : "predicted", p->ratio);
		else
			off += (size_t)snprintf(out->reason + off, sizeof(out->reason) - off,
						"; %s: %s", p->engine, p->why);
		if (off >= sizeof(out->reason))
			break;
	}
	if (off < sizeof(out->reason) - 1)
		snprintf(out->reason + off, sizeof(out->reason) - off, ")");
}

/* Costs for every engine; measured ones in ms, the rest predicted and, if
 * anything was measured, scaled into ms by the model's error on those. */
static void cost_all(const struct sel_input *in, struct sel_result *out, bool *any_measured)
{
	double log_scale = 0;
	unsigned scales = 0;
	*any_measured = false;
	for (unsigned i = 0; i < in->nr_avail && out->nr_pred < SEL_MAX_ENGINES; i++) {
		struct sel_prediction *p = &out->pred[out->nr_pred++];
		memset(p, 0, sizeof(*p));
		snprintf(p->engine, sizeof(p->engine), "%s", in->avail[i].engine);
		p->runnable = in->avail[i].ok;
		p->cost = -1;
		if (!p->runnable) {
			snprintf(p->why, sizeof(p->why), "%s", in->avail[i].why);
			continue;
		}
		double pred = predict(in, p->engine, p->why, sizeof(p->why));
		double ms = measured_ms(in->profile, p->engine);
		if (ms > 0) {
			p->cost = ms;
			p->measured = true;
			*any_measured = true;
			if (pred > 0) {
				log_scale += log(ms / pred);
				scales++;
			}
		} else {
			p->cost = pred;
		}
	}
	if (!*any_measured)
		return;
	double scale = scales ? exp(log_scale / scales) : -1;
	for (unsigned i = 0; i < out->nr_pred; i++) {
		struct sel_prediction *p = &out->pred[i];
		if (p->runnable && !p->measured)
			p->cost = (scale > 0 && p->cost >= 0) ? p->cost * scale : -1;
	}
}

int sel_choose(const struct sel_input *in, struct sel_result *out)
{
	memset(out, 0, sizeof(*out));
	bool any_measured;
	cost_all(in, out, &any_measured);
	if (strcmp(in->mode, "auto")) {
		const struct sel_avail *a = avail_of(in, in->mode);
		out->requested = true;
		if (!a) {
			snprintf(out->reason, sizeof(out->reason), "mode %s: this build has no %s engine",
				 in->mode, in->mode);
			return -ENOENT;
		}
		if (!a->ok && !a->hint) {
			snprintf(out->reason, sizeof(out->reason), "mode %s cannot run %s here: %s",
				 in->mode, in->guest ? in->guest->info.name : "the guest", a->why);
			return -ENOENT;
		}
		out->engine = a->engine;
		out->hint = a->hint ? a->why : NULL;
		snprintf(out->reason, sizeof(out->reason), "mode: %s (requested)", a->engine);
		return 0;
	}
	int best = -1;
	for (unsigned i = 0; i < out->nr_pred; i++) {
		const struct sel_prediction *p = &out->pred[i];
		if (!p->runnable)
			continue;
		/* an uncosted engine only wins when nothing else is runnable */
		if (best < 0 || (p->cost >= 0 && (out->pred[best].cost < 0 ||
						  p->cost < out->pred[best].cost)))
			best = (int)i;
	}
	/* the scan's hints steer auto away from an engine, but never strand a
	 * guest that only hinted engines could run */
	for (unsigned i = 0; best < 0 && i < in->nr_avail; i++)
		if (in->avail[i].hint) {
			best = (int)i;
			out->hint = in->avail[i].why;
			out->engine = in->avail[i].engine;
			snprintf(out->reason, sizeof(out->reason),
				 "mode: %s (auto: the only engine the scan does not rule out for sure; "
				 "%s)", out->engine, in->avail[i].why);
			return 0;
		}
	if (best < 0) {
		size_t off = (size_t)snprintf(out->reason, sizeof(out->reason),
					      "mode auto: no engine can run %s here",
					      in->guest ? in->guest->info.name : "the guest");
		for (unsigned i = 0; i < out->nr_pred && off < sizeof(out->reason); i++)
			off += (size_t)snprintf(out->reason + off, sizeof(out->reason) - off,
						"%s%s: %s", i ? "; " : ": ", out->pred[i].engine,
						out->pred[i].why);
		if (!out->nr_pred)
			snprintf(out->reason + off, sizeof(out->reason) - off, " (no engines built)");
		return -ENOENT;
	}
	out->engine = out->pred[best].engine;
	double c = out->pred[best].cost;
	for (unsigned i = 0; i < out->nr_pred; i++)
		out->pred[i].ratio = (c > 0 && out->pred[i].cost >= 0) ? out->pred[i].cost / c : 0;
	size_t off;
	if (any_measured)
		off = (size_t)snprintf(out->reason, sizeof(out->reason),
				       "mode: %s (auto: measured by triplex perf on %s", out->engine,
				       in->profile->measured_when);
	else
		off = (size_t)snprintf(out->reason, sizeof(out->reason),
				       "mode: %s (auto: predicted from %s and this host's calibration",
				       out->engine, in->profile->source);
	describe_others(in, out, off);
	return 0;
}

void sel_result_print(FILE *f, const struct sel_input *in, const struct sel_result *r)
{
	fprintf(f, "engine choice for %s (%s):\n", in->guest ? in->guest->info.name : "the guest",
		in->profile->source);
	fprintf(f, "  %-6s %-9s %14s %8s  %s\n", "engine", "runs it", "cost", "vs pick", "notes");
	for (unsigned i = 0; i < r->nr_pred; i++) {
		const struct sel_prediction *p = &r->pred[i];
		char cost[32] = "-", ratio[16] = "-";
		if (p->runnable && p->cost >= 0) {
			bool scaled = false;
			for (unsigned k = 0; k < r->nr_pred; k++)
				scaled |= r->pred[k].measured;
			if (p->measured)
				snprintf(cost, sizeof(cost), "%.1f ms meas", p->cost);
			else if (scaled)
				snprintf(cost, sizeof(cost), "%.1f ms pred", p->cost);
			else
				snprintf(cost, sizeof(cost), "%.2fx native", p->cost / 1e6);
			snprintf(ratio, sizeof(ratio), "%.2fx", p->ratio);
		}
		fprintf(f, "  %-6s %-9s %14s %8s  %s%s\n", p->engine, p->runnable ? "yes" : "no",
			cost, ratio, p->why, r->engine && !strcmp(r->engine, p->engine) ? " <- chosen" : "");
	}
	fprintf(f, "  (cost: predicted time relative to native execution, from this host's\n"
		   "   calibration; 'meas' = median wall time measured by triplex perf here,\n"
		   "   'pred' = the model scaled to those measurements)\n");
}

json_t *sel_result_json(const struct sel_result *r)
{
	json_t *preds = json_array();
	for (unsigned i = 0; i < r->nr_pred; i++) {
		const struct sel_prediction *p = &r->pred[i];
		json_array_append_new(preds, json_pack("{s:s, s:b, s:b, s:o, s:o, s:s}", "engine",
						       p->engine, "runnable", p->runnable, "measured",
						       p->measured,
						       "cost", p->cost >= 0 ? json_real(p->cost) : json_null(),
						       "ratio", p->ratio > 0 ? json_real(p->ratio) : json_null(),
						       "why", p->why));
	}
	return json_pack("{s:s?, s:b, s:s, s:o}", "engine", r->engine, "requested", r->requested,
			 "reason", r->reason, "candidates", preds);
}

unsigned sel_gather(const struct host_caps *caps, const struct guest_desc *g,
		    struct sel_avail *avail, unsigned max)
{
	const struct engine_ops *const *list;
	unsigned n = engine_list(&list), k = 0;
	for (unsigned i = 0; i < n && k < max; i++) {
		struct sel_avail *a = &avail[k++];
		memset(a, 0, sizeof(*a));
		snprintf(a->engine, sizeof(a->engine), "%s", list[i]->name);
		int r = list[i]->probe(caps, a->why, sizeof(a->why));
		if (!r && list[i]->check_guest)
			r = list[i]->check_guest(caps, g, a->why, sizeof(a->why));
		a->ok = r == 0;
		a->hint = r == ENGINE_CHECK_HINT;
	}
	return k;
}
