/* sel_calib.c: engine calibration. Runs the calibration guests
 * (sel_calib_guests.S) on every available engine, 32- and 64-bit, times the
 * marked interval of each on the host clock, and caches the costs per host
 * fingerprint. The cost model (sel_policy.c) turns these into predictions.
 *
 * Calibration is what tells hosts apart without assuming anything: on VT-x
 * with EPT, hw's ring-0 instruction costs what native does; on a software
 * KVM (PVM) it costs a microsecond; with no KVM, hw is not calibrated. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/core/calib_guest.h"
#include "vmm/core/engine.h"
#include "vmm/core/vm.h"
#include "vmm/select/select.h"

#define CALIB_TIMEOUT_NS (2 * 1000000000ull)
#define CALIB_CACHE_VERSION 4 /* 3: the ring-3 loop is LOOPU (calib_guest.h);
			       * 4: fastest of SEL_CALIB_RUNS, with the spread */

extern const uint8_t sel_calib_blob[], sel_calib_blob_end[];

const char *const sel_cost_names[SEL_COST_NR] = {
	[SEL_COST_RING0] = "ring0_insn", [SEL_COST_RING3] = "ring3_insn",
	[SEL_COST_EXIT] = "exit",	 [SEL_COST_PF] = "page_fault",
	[SEL_COST_PTE] = "pte_update",	 [SEL_COST_SYSCALL] = "syscall",
};

/* Operations in each test's marked interval. */
static const double calib_ops[SEL_COST_NR] = {
	[SEL_COST_RING0] = (double)CALIB_N_RING0 * CALIB_INSNS_PER_LOOP,
	[SEL_COST_RING3] = (double)CALIB_N_RING3 * CALIB_INSNS_PER_ULOOP,
	[SEL_COST_EXIT] = CALIB_N_EXIT,
	[SEL_COST_PF] = CALIB_N_PF,
	[SEL_COST_PTE] = CALIB_N_PTE,
	[SEL_COST_SYSCALL] = CALIB_N_SYSCALL,
};

struct calib_run {
	struct vm *vm;
	uint64_t t_start, t_stop;
	uint32_t fault;     /* 0xE0VV if the guest took an exception */
};

static int calib_port(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	struct calib_run *c = dev;
	if (!is_write) {
		memset(data, 0xff, size);
		return 0;
	}
	if (off)
		return 0; /* CALIB_PORT + 4: the exit test's port */
	uint32_t v = 0;
	memcpy(&v, data, VMM_MIN(size, 4u));
	uint64_t now = vmm_now_ns();
	if (v == CALIB_START)
		c->t_start = now;
	else if (v == CALIB_STOP) {
		c->t_stop = now;
		vm_request_stop(c->vm, VM_STOP_QUIT, 0, NULL);
	} else {
		c->fault = v;
		vm_request_stop(c->vm, VM_STOP_QUIT, 0, NULL);
	}
	return 0;
}

/* Run test (t) in (bits)-bit code on (e): ns per operation, or -1 with (why). */
static double calib_one(const struct engine_ops *e, unsigned bits, unsigned t, char *why,
			size_t len)
{
	struct vm_config cfg = { .mem_size = CALIB_MEM, .nr_vcpus = 1 };
	struct calib_run c = { 0 };
	int saved_quiet = vmm_log_quiet;
	c.vm = vm_create(&cfg);
	if (!c.vm) {
		snprintf(why, len, "cannot create a VM");
		return -1;
	}
	struct x86_state s;
	x86_state_reset(&s);
	s.cr0 = X86_CR0_PE | X86_CR0_ET;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		x86_seg_flat(&s.seg[i], i == X86_CS ? 0x08 : 0x18, i == X86_CS, false);
	uint32_t entry;
	memcpy(&entry, sel_calib_blob + 4 * ((bits == 64 ? CALIB_NR_TESTS : 0) + t), 4);
	s.rip = entry;
	s.gpr[X86_RSP] = 0x80000;
	double ns = -1;
	vmm_log_quiet = 1; /* an engine refusing a probe is a result, not an error */
	/* an engine may run its own versions of the tests (pv: the PV ones,
	 * vmm/pv/pv_calib_guests.S) */
	if (io_register(&c.vm->pio, CALIB_PORT, 5, "calib", calib_port, &c) ||
	    (e->calib_setup ? e->calib_setup(c.vm, bits, t, &s.rip)
		: mem_write(&c.vm->mem, CALIB_BASE, sel_calib_blob,
			    (uint64_t)(sel_calib_blob_end - sel_calib_blob))) ||
	    vm_engine_init(c.vm, e, &s)) {
		snprintf(why, len, "the engine could not start the guest");
		goto out;
	}
	struct vcpu_exit ex;
	bool timed_out;
	if (vm_run_here(c.vm, CALIB_TIMEOUT_NS, &ex, &timed_out))
		snprintf(why, len, "engine failure");
	else if (c.t_stop && c.t_start)
		ns = (double)(c.t_stop - c.t_start) / calib_ops[t];
	else if (c.fault)
		snprintf(why, len, "guest took vector %u", c.fault & 0xff);
	else if (timed_out)
		snprintf(why, len, "no result within %llu s", CALIB_TIMEOUT_NS / 1000000000ull);
	else if (ex.reason == VCPU_EXIT_ERROR || ex.reason == VCPU_EXIT_SHUTDOWN)
		snprintf(why, len, "%s", ex.msg[0] ? ex.msg : "the guest stopped");
	else
		snprintf(why, len, "the guest stopped early");
out:
	vmm_log_quiet = saved_quiet;
	vm_destroy(c.vm);
	return ns;
}

static void calib_engine(const struct engine_ops *e, struct sel_calib_engine *out)
{
	snprintf(out->name, sizeof(out->name), "%s", e->name);
	for (unsigned b = 0; b < 2; b++)
		for (unsigned t = 0; t < SEL_COST_NR; t++) {
			double lo = -1, hi = -1;
			out->why[b][t][0] = 0;
			for (unsigned r = 0; r < SEL_CALIB_RUNS; r++) {
				double ns = calib_one(e, b ? 64 : 32, t, out->why[b][t],
						      sizeof(out->why[b][t]));
				if (ns < 0) { /* the engine cannot: no use asking again */
					lo = hi = -1;
					break;
				}
				lo = lo < 0 || ns < lo ? ns : lo;
				hi = ns > hi ? ns : hi;
			}
			out->ns[b][t] = lo;
			out->spread[b][t] = lo > 0 ? hi / lo : 0;
			vmm_debug(sel, "calibrate %s %u-bit %s: %.2f ns (spread %.2f) %s", e->name,
				  b ? 64 : 32, sel_cost_names[t], lo, out->spread[b][t],
				  out->why[b][t]);
		}
}

const struct sel_calib_engine *sel_calib_find(const struct sel_calib *c, const char *name)
{
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->e[i].name, name))
			return &c->e[i];
	return NULL;
}

json_t *sel_calib_json(const struct sel_calib *c)
{
	json_t *engines = json_object();
	for (unsigned i = 0; i < c->n; i++) {
		json_t *e = json_object();
		for (unsigned b = 0; b < 2; b++) {
			json_t *costs = json_object();
			for (unsigned t = 0; t < SEL_COST_NR; t++)
				json_object_set_new(costs, sel_cost_names[t],
						    c->e[i].ns[b][t] >= 0
							    ? json_pack("{s:f, s:f}", "ns", c->e[i].ns[b][t],
									"spread", c->e[i].spread[b][t])
							    : json_pack("{s:n, s:s}", "ns", "unsupported",
									c->e[i].why[b][t]));
			json_object_set_new(e, b ? "64" : "32", costs);
		}
		json_object_set_new(engines, c->e[i].name, e);
	}
	return json_pack("{s:i, s:f, s:b, s:o}", "version", CALIB_CACHE_VERSION, "ms", c->ms,
			 "cached", c->cached, "engines", engines);
}

static bool calib_from_json(json_t *j, struct sel_calib *c)
{
	if (json_integer_value(json_object_get(j, "version")) != CALIB_CACHE_VERSION)
		return false;
	memset(c, 0, sizeof(*c));
	c->ms = json_real_value(json_object_get(j, "ms"));
	const char *name;
	json_t *e;
	json_object_foreach(json_object_get(j, "engines"), name, e) {
		if (c->n == SEL_MAX_ENGINES)
			return false;
		struct sel_calib_engine *ce = &c->e[c->n++];
		snprintf(ce->name, sizeof(ce->name), "%s", name);
		for (unsigned b = 0; b < 2; b++)
			for (unsigned t = 0; t < SEL_COST_NR; t++) {
				json_t *x = json_object_get(json_object_get(e, b ? "64" : "32"),
							    sel_cost_names[t]);
				json_t *ns = json_object_get(x, "ns");
				if (!x)
					return false;
				ce->ns[b][t] = json_is_number(ns) ? json_number_value(ns) : -1;
				ce->spread[b][t] = json_number_value(json_object_get(x, "spread"));
				const char *w = json_string_value(json_object_get(x, "unsupported"));
				snprintf(ce->why[b][t], sizeof(ce->why[b][t]), "%s", w ? w : "");
			}
	}
	return true;
}

int sel_calibrate(const struct host_caps *caps, struct sel_calib *out, bool refresh)
{
	char path[600];
	bool have_path = host_cache_path("calib", caps->fingerprint, path, sizeof(path), false) == 0;
	if (!refresh && have_path) {
		json_error_t err;
		json_t *j = json_load_file(path, 0, &err);
		bool ok = j && calib_from_json(j, out);
		json_decref(j);
		/* a cache from before an engine became available is stale */
		const struct engine_ops *const *list;
		unsigned n = engine_list(&list);
		for (unsigned i = 0; ok && i < n; i++) {
			char why[256];
			if (list[i]->probe(caps, why, sizeof(why)) == 0 &&
			    !sel_calib_find(out, list[i]->name))
				ok = false;
		}
		if (ok) {
			out->cached = true;
			return 0;
		}
	}
	memset(out, 0, sizeof(*out));
	uint64_t t0 = vmm_now_ns();
	const struct engine_ops *const *list;
	unsigned n = engine_list(&list);
	for (unsigned i = 0; i < n && out->n < SEL_MAX_ENGINES; i++) {
		char why[256];
		if (list[i]->probe(caps, why, sizeof(why)) == 0)
			calib_engine(list[i], &out->e[out->n++]);
	}
	out->ms = (double)(vmm_now_ns() - t0) / 1e6;
	if (host_cache_path("calib", caps->fingerprint, path, sizeof(path), true) == 0)
		host_cache_store(path, sel_calib_json(out));
	return 0;
}

void sel_calib_print(FILE *f, const struct sel_calib *c)
{
	fprintf(f, "calibration (%s; ns per operation):\n",
		c->cached ? "cached for this host" : "just measured");
	fprintf(f, "  %-6s %-4s", "engine", "bits");
	for (unsigned t = 0; t < SEL_COST_NR; t++)
		fprintf(f, " %12s", sel_cost_names[t]);
	fprintf(f, "\n");
	for (unsigned i = 0; i < c->n; i++)
		for (unsigned b = 0; b < 2; b++) {
			fprintf(f, "  %-6s %-4s", c->e[i].name, b ? "64" : "32");
			for (unsigned t = 0; t < SEL_COST_NR; t++) {
				if (c->e[i].ns[b][t] >= 0)
					fprintf(f, " %12.1f", c->e[i].ns[b][t]);
				else
					fprintf(f, " %12s", "-");
			}
			fprintf(f, "\n");
		}
	double worst = 0;
	const char *wn = "", *wt = "";
	unsigned wb = 0;
	for (unsigned i = 0; i < c->n; i++)
		for (unsigned b = 0; b < 2; b++)
			for (unsigned t = 0; t < SEL_COST_NR; t++)
				if (c->e[i].spread[b][t] > worst) {
					worst = c->e[i].spread[b][t];
					wn = c->e[i].name;
					wt = sel_cost_names[t];
					wb = b ? 64 : 32;
				}
	if (worst > 0)
		fprintf(f, "  fastest of %u runs each; the runs differed by up to %.2fx (%s %u-bit %s)\n",
			SEL_CALIB_RUNS, worst, wn, wb, wt);
	if (!c->cached)
		fprintf(f, "  (took %.0f ms)\n", c->ms);
}
