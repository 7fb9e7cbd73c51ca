/* cli_probe.c: `triplex probe`: the host (CPU, KVM), each engine's
 * availability with its reason, the hw compatibility probe, and with
 * --guest what the guest needs and which engines can run it. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli/cli.h"
#include "vmm/core/engine.h"
#include "vmm/select/select.h"

static json_t *report_json(const struct engine_host_report *r)
{
	json_t *t = json_object();
	for (unsigned i = 0; i < r->n; i++)
		json_object_set_new(t, r->check[i].name,
				    json_pack("{s:b, s:s?}", "ok", r->check[i].ok, "detail",
					      r->check[i].ok ? NULL : r->check[i].detail));
	return json_pack("{s:b, s:f, s:o}", "cached", r->cached, "probe_ms", r->ms, "tests", t);
}

static void report_print(const struct engine_host_report *r)
{
	printf("%s (%s):\n", r->title, r->cached ? "cached for this host" : "just run");
	for (unsigned i = 0; i < r->n; i++)
		printf("  %-20s %s%s%s\n", r->check[i].name, r->check[i].ok ? "ok" : "FAIL",
		       r->check[i].ok ? "" : ": ", r->check[i].ok ? "" : r->check[i].detail);
	if (!r->cached)
		printf("  (took %.1f ms)\n", r->ms);
}

static json_t *guest_json(const struct guest_desc *g)
{
	json_t *needs = json_array();
	for (unsigned b = 0; b < GUEST_NEEDS_NR; b++)
		if (g->needs & (1u << b))
			json_array_append_new(needs, json_pack("{s:s, s:s, s:b}", "need",
							       guest_need_name(1u << b), "evidence",
							       g->evidence[b], "hint",
							       (g->hints & (1u << b)) != 0));
	char hash[17];
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)g->info.image_hash);
	json_t *pv = json_pack("{s:b, s:b}", "note", g->pv.present, "capable", g->pv.valid);
	if (g->pv.valid)
		json_object_set_new(pv, "abi_version", json_integer(g->pv.n.version));
	else if (g->pv.present)
		json_object_set_new(pv, "why", json_string(g->pv.why));
	return json_pack("{s:s, s:s, s:i, s:s, s:I, s:s, s:s, s:o, s:o}", "name", g->info.name,
			 "format", load_format_name(g->info.format), "bits", (int)g->info.bits,
			 "entry_mode", g->info.entry_mode, "entry", (json_int_t)g->info.entry, "hash",
			 hash, "os", g->os_hint, "needs", needs, "pv", pv);
}

int cli_probe(int argc, char **argv)
{
	struct run_config o;
	cli_config_parse(&o, CLI_PROBE, argc, argv);
	struct host_caps caps;
	sel_host_probe(&caps);
	struct guest_desc g;
	if (o.probe_guest) {
		struct load_params p = { .kernel = o.probe_guest };
		if (sel_guest_probe(&p, &g))
			return 2;
	}
	json_t *root = json_object(), *engines = json_array();
	json_object_set_new(root, "host", sel_host_json(&caps));
	if (!o.probe_json)
		sel_host_print(stdout, &caps);
	const struct engine_ops *const *list;
	unsigned n = engine_list(&list);
	for (unsigned i = 0; i < n; i++) {
		struct engine_host_report rep;
		if (!list[i]->host_report || list[i]->host_report(&caps, o.probe_refresh, &rep))
			continue;
		json_object_set_new(root, rep.key, report_json(&rep));
		if (!o.probe_json)
			report_print(&rep);
	}
	struct sel_calib calib;
	bool have_calib = sel_calibrate(&caps, &calib, o.probe_refresh) == 0;
	if (have_calib) {
		json_object_set_new(root, "calibration", sel_calib_json(&calib));
		if (!o.probe_json)
			sel_calib_print(stdout, &calib);
	}
	if (!o.probe_json)
		printf("engines:\n");
	for (unsigned i = 0; i < n; i++) {
		char why[512] = "";
		int r = list[i]->probe(&caps, why, sizeof(why));
		json_t *e = json_pack("{s:s, s:s, s:b, s:s?}", "name", list[i]->name, "description",
				      list[i]->desc, "available", r == 0, "why", r ? why : NULL);
		if (!o.probe_json)
			printf("  %-4s %s%s%s\n", list[i]->name, r ? "unavailable: " : "available",
			       r ? why : "", r ? "" : "");
		if (!r && o.probe_guest) {
			char gwhy[512] = "";
			int gr = list[i]->check_guest ? list[i]->check_guest(&caps, &g, gwhy, sizeof(gwhy)) : 0;
			bool hint = gr == ENGINE_CHECK_HINT;
			json_object_set_new(e, "runs_guest", json_boolean(gr == 0 || hint));
			if (gr)
				json_object_set_new(e, hint ? "guest_hint" : "guest_why",
						    json_string(gwhy));
			if (!o.probe_json && hint)
				printf("       this guest: can run with --mode %s; auto prefers another "
				       "engine: %s\n", list[i]->name, gwhy);
			else if (!o.probe_json)
				printf("       this guest: %s%s\n", gr ? "refused: " : "can run", gr ? gwhy : "");
		}
		json_array_append_new(engines, e);
	}
	json_object_set_new(root, "engines", engines);
	if (o.probe_guest) {
		json_object_set_new(root, "guest", guest_json(&g));
		/* what `triplex run --mode auto` would choose, and why */
		struct run_config rc = { 0 };
		struct sel_profile prof;
		struct sel_avail avail[SEL_MAX_ENGINES];
		cli_build_profile(&rc, &caps, &g, &prof);
		struct sel_input in = { .caps = &caps, .calib = have_calib ? &calib : NULL,
					.guest = &g, .profile = &prof, .avail = avail,
					.nr_avail = sel_gather(&caps, &g, avail, SEL_MAX_ENGINES),
					.mode = "auto" };
		struct sel_result res;
		sel_choose(&in, &res);
		json_object_set_new(root, "choice", sel_result_json(&res));
		if (!o.probe_json) {
			printf("guest: %s: %s, %u-bit entry (%s) at %#llx, OS: %s\n", g.info.name,
			       load_format_name(g.info.format), g.info.bits, g.info.entry_mode,
			       (unsigned long long)g.info.entry, g.os_hint);
			for (unsigned b = 0; b < GUEST_NEEDS_NR; b++)
				if (g.needs & (1u << b))
					printf("  %s %s (%s)\n",
					       (g.hints & (1u << b)) ? "hint from the scan: may need"
								     : "needs",
					       guest_need_name(1u << b), g.evidence[b]);
			if (g.pv.valid)
				printf("  PV-capable: Triplex VMI ABI %u, ROM at %#llx (docs/vmi.md)\n",
				       g.pv.n.version, (unsigned long long)g.pv.n.rom_addr);
			else if (g.pv.present)
				printf("  not PV-capable: %s\n", g.pv.why);
			else
				printf("  not PV-capable: no Triplex VMI note\n");
			sel_result_print(stdout, &in, &res);
			rc.mode = "auto";
			const struct engine_ops *to =
				res.engine ? cli_adapt_target(&rc, &in, engine_find(res.engine)) : NULL;
			if (to)
				printf("%s; may switch to %s at run time (--no-adapt: never)\n",
				       res.reason, to->name);
			else
				printf("%s\n", res.reason);
		}
	}
	if (o.probe_json) {
		char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			printf("%s\n", s);
		free(s);
	}
	json_decref(root);
	return 0;
}
