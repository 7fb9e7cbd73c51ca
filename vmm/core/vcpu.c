/* vcpu.c: one host thread per vCPU. The thread runs the engine, parks on HLT
 * until an interrupt (or a request) arrives, and turns engine exits into VM
 * stops with a register dump. Kicks are lock-free for the kicker except for a
 * brief condvar signal, so interrupt controllers may kick with their own
 * lock held. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/core/vcpu_internal.h"

const char *const vcpu_ctr_labels[VCPU_CTR_NR] = {
	[VCPU_CTR_HALT] = "halt",
	[VCPU_CTR_IRQ] = "irq",
	[VCPU_CTR_KICK] = "kick",
	[VCPU_CTR_SWITCH] = "engine switch",
	[VCPU_CTR_SWITCH_TRY] = "switch not possible yet",
};

static void kick_handler(int sig)
{
	(void)sig; /* its only job is to interrupt a blocking ioctl */
}

int vcpu_kick_signal(void)
{
	return SIGUSR1;
}

struct vcpu *vcpu_alloc(struct vm *vm, unsigned id)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	if (!v) {
		vmm_err("vcpu%u: out of memory", id);
		return NULL;
	}
	v->vm = vm;
	v->id = id;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	pthread_mutex_init(&v->ctl_lock, NULL);
	pthread_cond_init(&v->ctl_cond, NULL);
	return v;
}

void vcpu_free(struct vcpu *v)
{
	if (v->switch_timer.list)
		timer_del(&v->switch_timer);
	perf_set_release(&v->stats);
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->ctl_lock);
	pthread_cond_destroy(&v->ctl_cond);
	free(v);
}

void vcpu_signal(struct vcpu *v)
{
	if (__atomic_load_n(&v->thread_started, __ATOMIC_ACQUIRE))
		pthread_kill(v->thread, vcpu_kick_signal());
}

void vcpu_kick(struct vcpu *v)
{
	v->core_ctr[VCPU_CTR_KICK].count++; /* racy by design: a statistic */
	__atomic_fetch_add(&v->wake_seq, 1, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(&v->lock);
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
	if (v->vm->engine && v->vm->engine->vcpu_kick)
		v->vm->engine->vcpu_kick(v);
}

void vcpu_request(struct vcpu *v, unsigned req)
{
	__atomic_fetch_or(&v->requests, req, __ATOMIC_ACQ_REL);
	vcpu_kick(v);
	/* a parked vCPU (debug.c) waits on ctl_cond, not in the engine */
	pthread_mutex_lock(&v->ctl_lock);
	pthread_cond_broadcast(&v->ctl_cond);
	pthread_mutex_unlock(&v->ctl_lock);
}

int vcpu_intr_ack(struct vcpu *v)
{
	struct vm *vm = v->vm;
	v->core_ctr[VCPU_CTR_IRQ].count++;
	return vm->irq_ops->ack(vm->irqchip, v->id);
}

int vcpu_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
	const struct irq_ops *o = v->vm->irq_ops;
	if (!o || !o->msr_read)
		return -ENOENT;
	return o->msr_read(v->vm->irqchip, v->id, msr, val);
}

int vcpu_msr_write(struct vcpu *v, uint32_t msr, uint64_t val, uint64_t guest_tsc)
{
	const struct irq_ops *o = v->vm->irq_ops;
	if (!o || !o->msr_write)
		return -ENOENT;
	return o->msr_write(v->vm->irqchip, v->id, msr, val, guest_tsc);
}

uint64_t vcpu_cr8_get(struct vcpu *v)
{
	const struct irq_ops *o = v->vm->irq_ops;
	return o && o->cr8_get ? o->cr8_get(v->vm->irqchip, v->id) : 0;
}

void vcpu_cr8_set(struct vcpu *v, uint64_t cr8)
{
	const struct irq_ops *o = v->vm->irq_ops;
	if (o && o->cr8_set)
		o->cr8_set(v->vm->irqchip, v->id, cr8);
}

static __thread struct vcpu *vcpu_self;

struct vcpu *vcpu_current(void)
{
	return vcpu_self;
}

void vcpu_set_current(struct vcpu *v)
{
	vcpu_self = v;
}

/* Every vCPU is dead (halted with IF=0): nothing can wake the guest. */
static bool all_dead(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (!__atomic_load_n(&vm->vcpu[i]->dead, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* Park until an interrupt is pending (IF was 1 at the HLT) or a request
 * arrives. The wake sequence closes the race with a kick that lands between
 * the check and the wait. */
static void vcpu_halt_wait(struct vcpu *v)
{
	uint64_t t0 = vmm_now_ns();
	for (;;) {
		unsigned seq = __atomic_load_n(&v->wake_seq, __ATOMIC_ACQUIRE);
		if (vcpu_has_requests(v) || (!v->dead && vcpu_intr_pending(v)) ||
		    vcpu_nmi_pending(v))
			break;
		pthread_mutex_lock(&v->lock);
		while (__atomic_load_n(&v->wake_seq, __ATOMIC_ACQUIRE) == seq)
			pthread_cond_wait(&v->cond, &v->lock);
		pthread_mutex_unlock(&v->lock);
	}
	perf_count(&v->core_ctr[VCPU_CTR_HALT], vmm_now_ns() - t0);
}

static void report_guest_stop(struct vcpu *v, const struct vcpu_exit *ex, const char *what)
{
	struct vm *vm = v->vm;
	struct x86_state s = { 0 };
	char regs[2048] = "";
	if (vm->engine->regs_get(v, &s) == 0)
		x86_state_format(&s, regs, sizeof(regs));
	static const char pre[] = "hint from the scan: ";
	const char *hint = vm->engine_hint;
	if (!strncmp(hint, pre, sizeof(pre) - 1))
		hint += sizeof(pre) - 1;
	if (hint[0] && ex->reason == VCPU_EXIT_SHUTDOWN)
		vm_request_stop(vm, VM_STOP_GUEST_ERROR, VM_EXIT_REFUSED,
				"vcpu%u: mode %s stopped: %s at %#llx; the likely cause, from the "
				"scan: %s\n%s", v->id, vm->engine->name, what,
				(unsigned long long)s.rip, hint, regs);
	else if (hint[0])
		vm_request_stop(vm, VM_STOP_GUEST_ERROR, VM_EXIT_REFUSED,
				"vcpu%u: mode %s cannot run this guest here: %s; the limit, as the "
				"scan hinted: %s\n%s", v->id, vm->engine->name,
				ex->msg[0] ? ex->msg : what, hint, regs);
	else
		vm_request_stop(vm, VM_STOP_GUEST_ERROR, VM_EXIT_GUEST, "vcpu%u: %s%s%s\n%s", v->id,
				what, ex->msg[0] ? ": " : "", ex->msg, regs);
}

/* A guest that stops the CPU for good on purpose (Linux's poweroff -f
 * without ACPI ends in cli; hlt): a stop of its own, not an error. */
static void report_dead_halt(struct vcpu *v)
{
	struct x86_state s;
	char where[64] = "";
	if (v->vm->engine->regs_get(v, &s) == 0)
		snprintf(where, sizeof(where), " at %04x:%llx", s.seg[X86_CS].sel,
			 (unsigned long long)s.rip);
	vm_request_stop(v->vm, VM_STOP_HALTED, VM_EXIT_HALTED,
			"vcpu%u: halted with interrupts disabled%s; nothing can wake the guest "
			"(exit status %d)", v->id, where, VM_EXIT_HALTED);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	vcpu_set_current(v);
	if (vm->start_paused)
		vcpu_park(v, VCPU_STOP_START);
	while (!vm_stopping(vm)) {
		unsigned req = __atomic_load_n(&v->requests, __ATOMIC_ACQUIRE);
		if (req & VCPU_REQ_STOP)
			break;
		if ((req & VCPU_REQ_SWITCH) || vcpu_switch_due(v)) {
			vcpu_switch_try(v);
			continue;
		}
		if (req & VCPU_REQ_PAUSE) {
			vcpu_park(v, VCPU_STOP_REQUEST);
			continue;
		}
		if (v->halted) {
			vcpu_halt_wait(v);
			if (!vcpu_has_requests(v))
				v->halted = false;
			continue;
		}
		struct vcpu_exit ex = { .reason = VCPU_EXIT_NONE };
		vcpu_debug_before_run(v);
		int r = vm->engine->vcpu_run(v, &ex);
		if (r < 0) {
			vm_request_stop(vm, VM_STOP_HOST_ERROR, VM_EXIT_HOST,
					"vcpu%u: %s engine failed: %s", v->id, vm->engine->name,
					strerror(-r));
			break;
		}
		switch (ex.reason) {
		case VCPU_EXIT_HLT:
			v->halted = true;
			if (v->stepping) /* the HLT was the step */
				vcpu_debug_exit(v);
			if (!ex.hlt_if) {
				__atomic_store_n(&v->dead, true, __ATOMIC_RELEASE);
				if (all_dead(vm))
					report_dead_halt(v);
			}
			break;
		case VCPU_EXIT_SHUTDOWN:
			report_guest_stop(v, &ex, "guest shutdown (triple fault)");
			break;
		case VCPU_EXIT_ERROR:
			report_guest_stop(v, &ex, "engine cannot continue");
			break;
		case VCPU_EXIT_DEBUG:
			vcpu_debug_exit(v);
			break;
		case VCPU_EXIT_NONE:
		case VCPU_EXIT_REQUEST:
			break;
		}
	}
	vcpu_thread_exit(v);
	return NULL;
}

void vcpu_kick_signal_install(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigemptyset(&sa.sa_mask);
	sigaction(vcpu_kick_signal(), &sa, NULL); /* no SA_RESTART: interrupt ioctls */
}

int vcpus_start(struct vm *vm)
{
	vcpu_kick_signal_install();

	/* vCPU threads leave SIGINT/SIGTERM/SIGHUP to the main thread. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int r = 0;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		r = pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (r) {
			vmm_err("vcpu%u: pthread_create: %s", i, strerror(r));
			r = -r;
			vm_request_stop(vm, VM_STOP_HOST_ERROR, VM_EXIT_HOST, NULL);
			break;
		}
		__atomic_store_n(&v->thread_started, true, __ATOMIC_RELEASE);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

void vcpus_join(struct vm *vm)
{
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpu[i];
		if (v && v->thread_started) {
			vcpu_request(v, VCPU_REQ_STOP);
			pthread_join(v->thread, NULL);
			__atomic_store_n(&v->thread_started, false, __ATOMIC_RELEASE);
		}
	}
}

struct watchdog {
	struct vm *vm;
	uint64_t timeout_ns;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool finished, fired;
};

static void *watchdog_thread(void *arg)
{
	struct watchdog *w = arg;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ns = (uint64_t)ts.tv_nsec + w->timeout_ns;
	ts.tv_sec += (time_t)(ns / 1000000000ull);
	ts.tv_nsec = (long)(ns % 1000000000ull);
	pthread_mutex_lock(&w->lock);
	int r = 0;
	while (!w->finished && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	if (!w->finished)
		w->fired = true;
	pthread_mutex_unlock(&w->lock);
	if (w->fired)
		vm_request_stop(w->vm, VM_STOP_QUIT, 0, NULL);
	return NULL;
}

int vm_run_here(struct vm *vm, uint64_t timeout_ns, struct vcpu_exit *last, bool *timed_out)
{
	struct vcpu *v = vm->vcpu[0];
	struct watchdog w = { .vm = vm, .timeout_ns = timeout_ns,
			      .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	vcpu_kick_signal_install();
	vcpu_set_current(v);
	v->thread = pthread_self();
	__atomic_store_n(&v->thread_started, true, __ATOMIC_RELEASE);
	pthread_t wd;
	bool have_wd = pthread_create(&wd, NULL, watchdog_thread, &w) == 0;
	int r = 0;
	memset(last, 0, sizeof(*last));
	while (!vm_stopping(vm)) {
		memset(last, 0, sizeof(*last));
		r = vm->engine->vcpu_run(v, last);
		if (r < 0 || last->reason == VCPU_EXIT_HLT || last->reason == VCPU_EXIT_SHUTDOWN ||
		    last->reason == VCPU_EXIT_ERROR)
			break;
		if (__atomic_load_n(&v->requests, __ATOMIC_ACQUIRE) & VCPU_REQ_SWITCH)
			vcpu_switch_try(v);
	}
	pthread_mutex_lock(&w.lock);
	w.finished = true;
	pthread_cond_signal(&w.cond);
	pthread_mutex_unlock(&w.lock);
	if (have_wd)
		pthread_join(wd, NULL);
	__atomic_store_n(&v->thread_started, false, __ATOMIC_RELEASE);
	*timed_out = w.fired;
	return r;
}
