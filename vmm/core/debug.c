/* debug.c: the one pause/resume/step/breakpoint mechanism the monitor, QMP
 * and gdb share, and the event queue they listen to.
 *
 * A controller (main-loop thread) posts VCPU_REQ_PAUSE; the engine returns
 * VCPU_EXIT_REQUEST at an instruction boundary; the vCPU thread parks in
 * vcpu_park() (paused = true, acknowledged on ctl_cond) and stays there,
 * running work the controller hands it (vm_cpu_call: regs_get/regs_set on
 * the thread that owns the engine), while it is held (hold: a level the
 * controller sets and clears, so a resume that comes before the vCPU
 * parked is not lost) or until the VM stops. A step lets it go with (step): the engine is told to return
 * VCPU_EXIT_DEBUG after one instruction, and the thread parks again.
 * Breakpoints are linear addresses every vCPU's engine stops before; to
 * run on from one, the thread first steps over it with breakpoints off.
 *
 *     vm_pause(vm);  vm_regs_get(vm, 0, &s);  vm_step(vm, 0, why, len);
 *     vm_bp_add(vm, 0x101000, why, len);  vm_resume(vm);  // stops there
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vmm/core/vcpu_internal.h"

static void abs_deadline(struct timespec *ts, uint64_t ns)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000ull);
	ts->tv_nsec = (long)(ns % 1000000000ull);
}

/* ---- the vCPU thread's side ---- */

/* Give the engine the breakpoints and step flag it should have now. */
static void apply_debug(struct vcpu *v, bool step)
{
	struct vm *vm = v->vm;
	const struct engine_ops *e = vm->engine;
	struct vcpu_debug d = { .step = step };
	pthread_mutex_lock(&vm->dbg.lock);
	unsigned gen = vm->dbg.gen;
	if (!step) { /* a step executes one instruction, breakpoint or not */
		d.nr_bp = vm->dbg.nr;
		memcpy(d.bp, vm->dbg.addr, sizeof(d.bp));
	}
	pthread_mutex_unlock(&vm->dbg.lock);
	bool want = step || d.nr_bp || v->stepping || v->dbg_engine != e || v->dbg_gen != gen;
	if (!want || !e->set_debug) {
		v->stepping = false;
		return;
	}
	if (v->dbg_engine != e && !d.nr_bp && !step && !v->dbg_gen) {
		v->dbg_engine = e; /* never debugged: nothing to tell */
		return;
	}
	char why[160] = "";
	int r = e->set_debug(v, &d, why, sizeof(why));
	if (r)
		vmm_warn("vcpu%u: %s cannot take the debug settings: %s", v->id, e->name,
			 why[0] ? why : strerror(-r));
	v->stepping = step && !r;
	v->dbg_engine = e;
	v->dbg_gen = gen;
}

/* Whether (rip) is a breakpoint address. */
static bool at_breakpoint(struct vm *vm, uint64_t rip)
{
	bool hit = false;
	pthread_mutex_lock(&vm->dbg.lock);
	for (unsigned i = 0; i < vm->dbg.nr; i++)
		hit |= vm->dbg.addr[i] == rip;
	pthread_mutex_unlock(&vm->dbg.lock);
	return hit;
}

static uint64_t current_rip(struct vcpu *v)
{
	struct x86_state s;
	return v->vm->engine->regs_get(v, &s) == 0 ? s.rip : ~0ull;
}

void vcpu_park(struct vcpu *v, unsigned cause)
{
	struct vm *vm = v->vm;
	uint64_t rip = current_rip(v);
	__atomic_fetch_and(&v->requests, ~VCPU_REQ_PAUSE, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(&v->ctl_lock);
	v->paused = true;
	v->stop_cause = cause;
	v->stop_rip = rip;
	pthread_cond_broadcast(&v->ctl_cond);
	for (;;) {
		if (v->work) {
			int (*fn)(struct vcpu *, void *) = v->work;
			v->work = NULL;
			pthread_mutex_unlock(&v->ctl_lock);
			int r = fn(v, v->work_arg);
			pthread_mutex_lock(&v->ctl_lock);
			v->work_ret = r;
			v->work_done = true;
			pthread_cond_broadcast(&v->ctl_cond);
			continue;
		}
		unsigned req = __atomic_load_n(&v->requests, __ATOMIC_ACQUIRE);
		if ((req & VCPU_REQ_STOP) || vm_stopping(vm) || !v->hold || v->step)
			break;
		if (req & VCPU_REQ_SWITCH) {
			/* a switch asked while paused: the guest stands still */
			pthread_mutex_unlock(&v->ctl_lock);
			(void)vcpu_switch_try(v);
			pthread_mutex_lock(&v->ctl_lock);
			continue;
		}
		pthread_cond_wait(&v->ctl_cond, &v->ctl_lock);
	}
	bool step = v->step;
	v->step = false;
	v->paused = false;
	__atomic_fetch_and(&v->requests, ~VCPU_REQ_PAUSE, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&v->ctl_lock);
	if (vm_stopping(vm))
		return;
	/* running on from a breakpoint: step off it with breakpoints off */
	v->step_over = !step && at_breakpoint(vm, current_rip(v)) && vm->engine->set_debug;
	apply_debug(v, step || v->step_over);
	if (step && !v->stepping) {
		/* the engine cannot step: park again at once (vm_step checked) */
		__atomic_fetch_or(&v->requests, VCPU_REQ_PAUSE, __ATOMIC_ACQ_REL);
	}
}

void vcpu_debug_before_run(struct vcpu *v)
{
	if (v->vm->engine != v->dbg_engine || __atomic_load_n(&v->vm->dbg.gen, __ATOMIC_ACQUIRE) !=
							 v->dbg_gen)
		apply_debug(v, v->stepping);
}

void vcpu_debug_exit(struct vcpu *v)
{
	if (v->step_over) {
		/* off the breakpoint: arm them again and run on */
		v->step_over = false;
		apply_debug(v, false);
		return;
	}
	bool stepped = v->stepping;
	if (stepped)
		apply_debug(v, false);
	unsigned cause = stepped ? VCPU_STOP_STEP : VCPU_STOP_BREAK;
	pthread_mutex_lock(&v->ctl_lock);
	v->hold = true;
	pthread_mutex_unlock(&v->ctl_lock);
	if (!stepped) {
		/* a breakpoint stops the whole VM, as a controller's stop does */
		struct vm *vm = v->vm;
		__atomic_store_n(&vm->paused, true, __ATOMIC_RELEASE);
		vm->pause_cause = cause;
		vm->pause_cpu = v->id;
		for (unsigned i = 0; i < vm->nr_vcpus; i++) {
			struct vcpu *o = vm->vcpu[i];
			if (!o || o == v)
				continue;
			pthread_mutex_lock(&o->ctl_lock);
			o->hold = true;
			pthread_mutex_unlock(&o->ctl_lock);
			vcpu_request(o, VCPU_REQ_PAUSE);
		}
		vm_post_event(vm, VM_EV_STOP, v->id, VCPU_STOP_BREAK, "debug");
	}
	vcpu_park(v, cause);
}

void vcpu_thread_exit(struct vcpu *v)
{
	pthread_mutex_lock(&v->ctl_lock);
	v->exited = true;
	pthread_cond_broadcast(&v->ctl_cond);
	pthread_mutex_unlock(&v->ctl_lock);
}

/* ---- the controller's side ---- */

/* Wait (ctl_lock held) until (v) parked; 0, -ESHUTDOWN or -ETIMEDOUT. */
static int wait_parked(struct vcpu *v)
{
	struct timespec ts;
	abs_deadline(&ts, VM_CTL_TIMEOUT_NS);
	while (!v->paused) {
		if (v->exited || vm_stopping(v->vm))
			return -ESHUTDOWN;
		if (!__atomic_load_n(&v->thread_started, __ATOMIC_ACQUIRE))
			return -ESHUTDOWN; /* not running (yet or any more) */
		int r = pthread_cond_timedwait(&v->ctl_cond, &v->ctl_lock, &ts);
		if (r == ETIMEDOUT && !v->paused)
			return -ETIMEDOUT;
	}
	return 0;
}

static int pause_one(struct vcpu *v)
{
	pthread_mutex_lock(&v->ctl_lock);
	bool paused = v->paused;
	v->hold = true;
	pthread_mutex_unlock(&v->ctl_lock);
	if (!paused)
		vcpu_request(v, VCPU_REQ_PAUSE);
	pthread_mutex_lock(&v->ctl_lock);
	int r = wait_parked(v);
	pthread_mutex_unlock(&v->ctl_lock);
	return r;
}

static void let_go(struct vcpu *v, bool step)
{
	pthread_mutex_lock(&v->ctl_lock);
	v->hold = false; /* a vCPU not parked yet (-S) will not stay */
	v->step = step;
	pthread_cond_broadcast(&v->ctl_cond);
	__atomic_fetch_and(&v->requests, ~VCPU_REQ_PAUSE, __ATOMIC_ACQ_REL);
	pthread_mutex_unlock(&v->ctl_lock);
}

int vm_pause(struct vm *vm)
{
	if (vm_stopping(vm))
		return -ESHUTDOWN;
	bool was = vm_paused(vm);
	__atomic_store_n(&vm->paused, true, __ATOMIC_RELEASE);
	int r = 0;
	for (unsigned i = 0; i < vm->nr_vcpus && !r; i++)
		r = pause_one(vm->vcpu[i]);
	if (r) {
		if (!was)
			__atomic_store_n(&vm->paused, false, __ATOMIC_RELEASE);
		return r;
	}
	if (!was) {
		vm->pause_cause = VCPU_STOP_REQUEST;
		vm_post_event(vm, VM_EV_STOP, 0, VCPU_STOP_REQUEST, "user");
	}
	return 0;
}

int vm_resume(struct vm *vm)
{
	if (vm_stopping(vm))
		return -ESHUTDOWN;
	bool was = vm_paused(vm);
	__atomic_store_n(&vm->paused, false, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		let_go(vm->vcpu[i], false);
	if (was)
		vm_post_event(vm, VM_EV_RESUME, 0, 0, "resume");
	return 0;
}

int vm_step(struct vm *vm, unsigned cpu, char *why, size_t len)
{
	if (cpu >= vm->nr_vcpus)
		return -EINVAL;
	if (vm_stopping(vm))
		return -ESHUTDOWN;
	if (!vm_paused(vm)) {
		snprintf(why, len, "the VM is running (stop it first)");
		return -EBUSY;
	}
	struct vcpu *v = vm->vcpu[cpu];
	if (!vm->engine->set_debug) {
		snprintf(why, len, "the %s engine cannot single-step", vm->engine->name);
		return -ENOTSUP;
	}
	int r = pause_one(v);
	if (r)
		return r;
	pthread_mutex_lock(&v->ctl_lock);
	v->step = true;
	v->paused = false;
	pthread_cond_broadcast(&v->ctl_cond);
	r = wait_parked(v);
	pthread_mutex_unlock(&v->ctl_lock);
	if (r == -ETIMEDOUT) {
		/* halted (no instruction to step until an interrupt): take it back */
		snprintf(why, len, "vcpu%u did not finish an instruction within %llu ms (halted?)",
			 cpu, VM_CTL_TIMEOUT_NS / 1000000);
		(void)pause_one(v);
	}
	return r;
}

int vm_cpu_call(struct vm *vm, unsigned cpu, int (*fn)(struct vcpu *v, void *arg), void *arg)
{
	if (cpu >= vm->nr_vcpus || !vm->vcpu[cpu])
		return -EINVAL;
	struct vcpu *v = vm->vcpu[cpu];
	if (!__atomic_load_n(&v->thread_started, __ATOMIC_ACQUIRE) && !v->exited &&
	    !vm_stopping(vm))
		return fn(v, arg); /* before vm_run: the caller owns the vCPU */
	bool was = v->paused;
	int r = pause_one(v);
	if (r)
		return r;
	pthread_mutex_lock(&v->ctl_lock);
	v->work = fn;
	v->work_arg = arg;
	v->work_done = false;
	pthread_cond_broadcast(&v->ctl_cond);
	while (!v->work_done && !v->exited)
		pthread_cond_wait(&v->ctl_cond, &v->ctl_lock);
	r = v->work_done ? v->work_ret : -ESHUTDOWN;
	pthread_mutex_unlock(&v->ctl_lock);
	if (!was && !vm_paused(vm))
		let_go(v, false);
	return r;
}

static int do_regs_get(struct vcpu *v, void *arg)
{
	return v->vm->engine->regs_get(v, arg);
}

static int do_regs_set(struct vcpu *v, void *arg)
{
	return v->vm->engine->regs_set(v, arg);
}

int vm_regs_get(struct vm *vm, unsigned cpu, struct x86_state *s)
{
	return vm_cpu_call(vm, cpu, do_regs_get, s);
}

int vm_regs_set(struct vm *vm, unsigned cpu, const struct x86_state *s)
{
	return vm_cpu_call(vm, cpu, do_regs_set, (void *)s);
}

struct mem_range {
	gpa_t gpa;
	uint64_t len;
};

static int do_mem_written(struct vcpu *v, void *arg)
{
	const struct mem_range *m = arg;
	if (v->vm->engine->mem_written)
		v->vm->engine->mem_written(v, m->gpa, m->len);
	return 0;
}

void vm_mem_written(struct vm *vm, gpa_t gpa, uint64_t len)
{
	struct mem_range m = { gpa, len };
	if (!vm->engine || !vm->engine->mem_written)
		return;
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		(void)vm_cpu_call(vm, i, do_mem_written, &m);
}

/* Kick every vCPU so it picks up the new breakpoint list. */
static void bp_changed(struct vm *vm)
{
	__atomic_fetch_add(&vm->dbg.gen, 1, __ATOMIC_ACQ_REL);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpu[i])
			vcpu_kick(vm->vcpu[i]);
}

int vm_bp_add(struct vm *vm, uint64_t addr, char *why, size_t len)
{
	if (!vm->engine || !vm->engine->set_debug) {
		snprintf(why, len, "the %s engine cannot stop at breakpoints",
			 vm->engine ? vm->engine->name : "(none)");
		return -ENOTSUP;
	}
	int r = 0;
	pthread_mutex_lock(&vm->dbg.lock);
	for (unsigned i = 0; i < vm->dbg.nr; i++)
		if (vm->dbg.addr[i] == addr)
			r = -EEXIST;
	if (!r && vm->dbg.nr == VCPU_DEBUG_MAX_BP)
		r = -ENOSPC;
	if (!r)
		vm->dbg.addr[vm->dbg.nr++] = addr;
	pthread_mutex_unlock(&vm->dbg.lock);
	if (r == -EEXIST)
		snprintf(why, len, "there is a breakpoint at %#llx already", (unsigned long long)addr);
	else if (r == -ENOSPC)
		snprintf(why, len, "%u breakpoints at most", VCPU_DEBUG_MAX_BP);
	else
		bp_changed(vm);
	return r;
}

int vm_bp_del(struct vm *vm, uint64_t addr)
{
	int r = -ENOENT;
	pthread_mutex_lock(&vm->dbg.lock);
	for (unsigned i = 0; i < vm->dbg.nr; i++)
		if (vm->dbg.addr[i] == addr) {
			vm->dbg.addr[i] = vm->dbg.addr[--vm->dbg.nr];
			r = 0;
			break;
		}
	pthread_mutex_unlock(&vm->dbg.lock);
	if (!r)
		bp_changed(vm);
	return r;
}

unsigned vm_bp_list(struct vm *vm, uint64_t *addr, unsigned max)
{
	pthread_mutex_lock(&vm->dbg.lock);
	unsigned n = VMM_MIN(vm->dbg.nr, max);
	memcpy(addr, vm->dbg.addr, n * sizeof(*addr));
	pthread_mutex_unlock(&vm->dbg.lock);
	return n;
}

/* ---- events ---- */

int vm_listen(struct vm *vm, vm_event_fn fn, void *opaque)
{
	if (vm->nr_listeners == VM_MAX_LISTENERS) {
		vmm_err("vm: too many event listeners (%u)", VM_MAX_LISTENERS);
		return -ENOSPC;
	}
	vm->listeners[vm->nr_listeners].fn = fn;
	vm->listeners[vm->nr_listeners++].opaque = opaque;
	return 0;
}

void vm_unlisten(struct vm *vm, vm_event_fn fn, void *opaque)
{
	for (unsigned i = 0; i < vm->nr_listeners; i++)
		if (vm->listeners[i].fn == fn && vm->listeners[i].opaque == opaque) {
			vm->listeners[i] = vm->listeners[--vm->nr_listeners];
			return;
		}
}

void vm_post_event(struct vm *vm, enum vm_event_kind kind, unsigned cpu, int reason,
		   const char *fmt, ...)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&vm->ev_lock);
	if (vm->ev_head - vm->ev_tail < VM_EVENT_RING) {
		struct vm_event *e = &vm->ev_ring[vm->ev_head++ % VM_EVENT_RING];
		memset(e, 0, sizeof(*e));
		e->kind = kind;
		e->cpu = cpu;
		e->reason = reason;
		e->wall_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&vm->ev_lock);
	vm_wake(vm);
}

void vm_events_drain(struct vm *vm)
{
	for (;;) {
		struct vm_event e;
		pthread_mutex_lock(&vm->ev_lock);
		bool have = vm->ev_tail != vm->ev_head;
		if (have)
			e = vm->ev_ring[vm->ev_tail++ % VM_EVENT_RING];
		pthread_mutex_unlock(&vm->ev_lock);
		if (!have)
			return;
		for (unsigned i = 0; i < vm->nr_listeners; i++)
			vm->listeners[i].fn(vm->listeners[i].opaque, &e);
	}
}
