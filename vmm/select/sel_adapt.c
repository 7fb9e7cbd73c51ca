/* sel_adapt.c: the adaptive policy (DESIGN "select": the policy may switch
 * engines at run time when the measured profile says another engine is
 * cheaper). While a guest runs in auto mode, a main-loop timer samples the
 * engine's events (engine_ops.sample) every window (4 ms). sel_adapt_predict()
 * turns a window measured on the current engine into the time the same work
 * would take on another, with the calibration the launch-time choice used:
 *
 *     events(E)  = sum over events of count x calibrated cost(E, event)
 *     code       = busy time - events(current), at least 0
 *     predicted  = code x ring-3 cost(other) / ring-3 cost(current)
 *                  + events(other)
 *
 * (busy time: the CPU time the vCPU thread used in the window. Not wall time:
 * on a loaded host the thread may sit preempted for most of a window, and a
 * window of wall time with no events in it looked like pure guest code that
 * pv runs faster, so a system-call-bound guest was moved to pv. Halted time
 * is not CPU time either, so no engine's halts count.) After SEL_ADAPT_WINDOWS windows in a row predicted at most
 * SEL_ADAPT_GAIN of the measured time (or SEL_ADAPT_WINDOWS_STRONG at most
 * SEL_ADAPT_GAIN_STRONG: the clearer the gain, the less evidence it takes),
 * the vCPU is switched (switch.c).
 * Switches go one way (bt -> pv: the pv ROM takes the native one over, not
 * back), so the evidence must hold for a while; a guest that changes its
 * ways after the switch keeps the engine it was moved to. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/core/engine.h"
#include "vmm/core/vm.h"
#include "vmm/select/select.h"

int sel_adapt_predict(const struct sel_calib *cal, unsigned bits, const char *from,
		      const char *to, const struct sel_window *w, struct sel_verdict *out)
{
	const struct sel_calib_engine *ef = cal ? sel_calib_find(cal, from) : NULL;
	const struct sel_calib_engine *et = cal ? sel_calib_find(cal, to) : NULL;
	unsigned k = bits == 64;
	memset(out, 0, sizeof(*out));
	if (!ef || !et) {
		snprintf(out->why, sizeof(out->why), "%s is not calibrated", ef ? to : from);
		return -ENOENT;
	}
	const double n[SEL_COST_NR] = {
		[SEL_COST_EXIT] = w->exits + w->interrupts, [SEL_COST_PF] = w->exceptions,
		[SEL_COST_PTE] = w->pte_updates, [SEL_COST_SYSCALL] = w->syscalls,
	};
	double ev_from = 0, ev_to = 0;
	for (unsigned t = SEL_COST_EXIT; t < SEL_COST_NR; t++) {
		if (n[t] <= 0)
			continue;
		if (ef->ns[k][t] < 0 || et->ns[k][t] < 0) {
			snprintf(out->why, sizeof(out->why), "%s cost not calibrated",
				 sel_cost_names[t]);
			return -ENOENT;
		}
		ev_from += n[t] * ef->ns[k][t] / 1e6;
		ev_to += n[t] * et->ns[k][t] / 1e6;
	}
	double r3f = ef->ns[k][SEL_COST_RING3], r3t = et->ns[k][SEL_COST_RING3];
	if (!(r3f > 0) || !(r3t > 0)) {
		snprintf(out->why, sizeof(out->why), "ring-3 code not calibrated");
		return -ENOENT;
	}
	double code = w->busy_ms > ev_from ? w->busy_ms - ev_from : 0;
	out->from_ms = w->busy_ms;
	out->to_ms = code * r3t / r3f + ev_to;
	out->ratio = w->busy_ms > 0 ? out->to_ms / w->busy_ms : 1;
	snprintf(out->why, sizeof(out->why),
		 "%.1f ms busy: code %.1f ms, events %.1f ms (%.0f exits, %.0f interrupts, %.0f "
		 "exceptions, %.0f PTE updates, %.0f syscalls); %s predicted %.2fx",
		 w->busy_ms, code, ev_from, w->exits, w->interrupts, w->exceptions,
		 w->pte_updates, w->syscalls, to, out->ratio);
	return 0;
}

/* ---- the run-time monitor ---- */

struct sel_adapt {
	struct vm_timer t;
	struct vm *vm;
	const struct sel_calib *cal;
	unsigned bits;
	const struct engine_ops *to;
	struct engine_sample last;
	uint64_t last_cpu_ns;     /* the vCPU thread's CPU time at the last sample
				   * (0 at the start: the thread's clock starts
				   * with the thread, after sel_adapt_start) */
	clockid_t cpu_clock;      /* the vCPU thread's CPU-time clock ... */
	bool have_clock;          /* ... once the thread runs */
	unsigned streak;          /* windows in a row that favoured (to) */
	unsigned strong;          /* ... by SEL_ADAPT_GAIN_STRONG or more */
	char why[192];
	unsigned windows;
};

/* The vCPU thread's CPU time so far in (*ns): false before the thread has
 * started or after it has gone (then the window says nothing). */
static bool vcpu_cpu_ns(struct sel_adapt *a, uint64_t *ns)
{
	struct vcpu *v = a->vm->vcpu[0];
	struct timespec ts;
	if (!a->have_clock) {
		if (!__atomic_load_n(&v->thread_started, __ATOMIC_ACQUIRE) ||
		    pthread_getcpuclockid(v->thread, &a->cpu_clock))
			return false;
		a->have_clock = true;
	}
	if (clock_gettime(a->cpu_clock, &ts))
		return false;
	*ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return true;
}

static void adapt_fn(void *opaque, uint64_t now)
{
	struct sel_adapt *a = opaque;
	struct vcpu *v = a->vm->vcpu[0];
	if (vm_stopping(a->vm) || __atomic_load_n(&v->switch_at_ns, __ATOMIC_ACQUIRE))
		return;
	struct engine_sample s;
	uint64_t cpu;
	a->vm->engine->sample(v, &s);
	if (!vcpu_cpu_ns(a, &cpu)) { /* not started yet, or gone */
		a->streak = a->strong = 0;
		timer_mod(&a->t, now + SEL_ADAPT_WINDOW_NS);
		return;
	}
	struct sel_window w = {
		.busy_ms = (double)(cpu - a->last_cpu_ns) / 1e6,
		.exits = (double)(s.exits - a->last.exits),
		.interrupts = (double)(s.interrupts - a->last.interrupts),
		.exceptions = (double)(s.exceptions - a->last.exceptions),
		.pte_updates = (double)(s.pte_updates - a->last.pte_updates),
		.syscalls = (double)(s.syscalls - a->last.syscalls),
	};
	a->last = s;
	a->last_cpu_ns = cpu;
	a->windows++;
	struct sel_verdict vd;
	if (w.busy_ms < SEL_ADAPT_MIN_BUSY_MS ||
	    sel_adapt_predict(a->cal, a->bits, a->vm->engine->name, a->to->name, &w, &vd)) {
		a->streak = a->strong = 0; /* an idle window says nothing */
	} else {
		a->streak = vd.ratio <= SEL_ADAPT_GAIN ? a->streak + 1 : 0;
		a->strong = vd.ratio <= SEL_ADAPT_GAIN_STRONG ? a->strong + 1 : 0;
		vmm_debug(sel, "adapt: window %u on %s: %s", a->windows, a->vm->engine->name,
			  vd.why);
		if (a->streak >= SEL_ADAPT_WINDOWS || a->strong >= SEL_ADAPT_WINDOWS_STRONG) {
			snprintf(a->why, sizeof(a->why),
				 "the last %u windows predicted %.2fx on %s (%.0f exits, %.0f "
				 "syscalls, %.0f exceptions in the last %.1f ms of guest time)",
				 a->streak, vd.ratio, a->to->name, w.exits + w.interrupts,
				 w.syscalls, w.exceptions, w.busy_ms);
			vcpu_switch_at(v, a->to, a->why, now); /* the core asks until done */
			return;
		}
	}
	timer_mod(&a->t, now + SEL_ADAPT_WINDOW_NS);
}

struct sel_adapt *sel_adapt_start(struct vm *vm, const struct sel_calib *cal, unsigned bits,
				  const struct engine_ops *to)
{
	if (!vm->engine->sample || !to->vcpu_adopt || vm->nr_vcpus != 1)
		return NULL;
	struct sel_adapt *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->vm = vm;
	a->cal = cal;
	a->bits = bits;
	a->to = to;
	vm->engine->sample(vm->vcpu[0], &a->last);
	timer_init(&a->t, &vm->timers, adapt_fn, a);
	timer_mod(&a->t, vmm_now_ns() + SEL_ADAPT_WINDOW_NS);
	return a;
}

void sel_adapt_stop(struct sel_adapt *a)
{
	if (!a)
		return;
	timer_del(&a->t);
	free(a);
}
