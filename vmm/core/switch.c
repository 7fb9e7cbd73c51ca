/* switch.c: moving a running guest from one engine to another (DESIGN "One
 * machine, many engines"). The main thread asks (vcpu_switch_at); the vCPU
 * thread, once the engine has returned to the core, checks that the guest
 * stands where the new engine can take it, exports the architectural state,
 * keeps the old engine's counters (frozen) in the stats, retires the old
 * engine and lets the new one adopt the state (engine_ops.vcpu_adopt).
 *
 * Where a guest can be taken: not halted, no event half delivered, no
 * interrupt shadow, not inside code only the booting engine can run
 * (vm->switch_unsafe_*: the native VMI ROM) unless in user mode, whose ROM
 * code the pv ROM takes over, and in a state the new engine accepts
 * (engine_ops.adopt_check: pv wants the code width the guest declared, so a
 * 64-bit guest is taken once it is in long mode). Elsewhere the request is
 * counted and dropped; vcpu_switch_at asks again every millisecond. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/core/engine.h"
#include "vmm/core/vcpu_internal.h"

/* Ask the vCPU thread to switch to (to) when its engine next stops. */
static void ask(struct vcpu *v, const struct engine_ops *to)
{
	__atomic_store_n(&v->switch_to, to, __ATOMIC_RELEASE);
	vcpu_request(v, VCPU_REQ_SWITCH);
}

static void switch_timer_fn(void *opaque, uint64_t now)
{
	struct vcpu *v = opaque;
	const struct engine_ops *want = __atomic_load_n(&v->switch_want, __ATOMIC_ACQUIRE);
	if (!want || __atomic_load_n(&v->switch_at_ns, __ATOMIC_ACQUIRE) || vm_stopping(v->vm))
		return;
	if (!v->switch_first_ns)
		v->switch_first_ns = now;
	if (now - v->switch_first_ns > VCPU_SWITCH_GIVE_UP_NS) {
		__atomic_store_n(&v->switch_want, NULL, __ATOMIC_RELEASE); /* no more tries */
		vmm_warn("switch to %s: the guest did not stop where %s can take it over within "
			 "%llu ms (in the VMI ROM's kernel code, halted, between an event and its "
			 "delivery, or not yet in the code width %s wants): it stays on %s",
			 want->name, want->name, VCPU_SWITCH_GIVE_UP_NS / 1000000, want->name,
			 v->vm->engine->name);
		return;
	}
	ask(v, want);
	timer_mod(&v->switch_timer, now + VCPU_SWITCH_RETRY_NS);
}

void vcpu_switch_at(struct vcpu *v, const struct engine_ops *to, const char *why,
		    uint64_t when)
{
	v->switch_first_ns = 0;
	__atomic_store_n(&v->switch_when_ns, when, __ATOMIC_RELEASE);
	__atomic_store_n(&v->switch_want, to, __ATOMIC_RELEASE);
	pthread_mutex_lock(&v->lock); /* the vCPU thread copies it under the lock */
	snprintf(v->switch_why, sizeof(v->switch_why), "%s", why ? why : "");
	pthread_mutex_unlock(&v->lock);
	timer_init(&v->switch_timer, &v->vm->timers, switch_timer_fn, v);
	timer_mod(&v->switch_timer, when);
	if (when <= vmm_now_ns()) /* now: before the first instruction if not started */
		ask(v, to);
}

/* The main-loop timer alone let a short guest run through the window where
 * it could be taken (a loaded host ran the timer too late), so the vCPU
 * also tries at its own exits, rate-limited: each try exports the state. */
bool vcpu_switch_due(struct vcpu *v)
{
	const struct engine_ops *want = __atomic_load_n(&v->switch_want, __ATOMIC_ACQUIRE);
	if (!want || __atomic_load_n(&v->switch_at_ns, __ATOMIC_ACQUIRE))
		return false;
	uint64_t now = vmm_now_ns();
	if (now < __atomic_load_n(&v->switch_when_ns, __ATOMIC_ACQUIRE) ||
	    now - v->switch_tried_ns < VCPU_SWITCH_EXIT_RETRY_NS)
		return false;
	v->switch_tried_ns = now;
	__atomic_store_n(&v->switch_to, want, __ATOMIC_RELEASE);
	return true;
}

/* Can every engine take the guest in state (s)? */
static bool switch_point(const struct vm *vm, const struct vcpu *v, const struct x86_state *s)
{
	if (v->halted || s->ev.halted || s->ev.exc_pending || s->ev.irq_pending ||
	    s->ev.int_shadow || s->ev.nmi_pending)
		return false;
	bool user = (s->seg[X86_CS].sel & 3) == 3;
	bool unsafe = s->rip >= vm->switch_unsafe_lo && s->rip < vm->switch_unsafe_hi;
	return user || !unsafe;
}

int vcpu_switch_try(struct vcpu *v)
{
	struct vm *vm = v->vm;
	char asked_why[sizeof(v->switch_why)];
	__atomic_fetch_and(&v->requests, ~VCPU_REQ_SWITCH, __ATOMIC_ACQ_REL);
	pthread_mutex_lock(&v->lock);
	const struct engine_ops *to = __atomic_exchange_n(&v->switch_to, NULL, __ATOMIC_ACQ_REL);
	memcpy(asked_why, v->switch_why, sizeof(asked_why));
	pthread_mutex_unlock(&v->lock);
	const struct engine_ops *from = vm->engine;
	if (!to || to == from)
		return 0;
	if (vm->nr_vcpus != 1 || !to->vcpu_adopt) {
		vmm_warn("switch: %s cannot take over a running guest%s", to->name,
			 vm->nr_vcpus != 1 ? " with more than one vCPU" : "");
		return 0;
	}
	uint64_t t0 = vmm_now_ns();
	struct x86_state s;
	if (from->regs_get(v, &s))
		return 0;
	char why[160] = "";
	if (!switch_point(vm, v, &s) ||
	    (to->adopt_check && to->adopt_check(vm, &s, why, sizeof(why)))) {
		v->core_ctr[VCPU_CTR_SWITCH_TRY].count++;
		vmm_debug(core, "vcpu%u: no switch to %s at rip %#llx yet%s%s", v->id, to->name,
			  (unsigned long long)s.rip, why[0] ? ": " : "", why);
		return 0;
	}
	char prefix[16];
	snprintf(prefix, sizeof(prefix), "%s.", from->name);
	if (perf_set_freeze(&v->stats, prefix))
		return 0;
	/* From here there is no way back: the old engine is gone. */
	if (from->vcpu_destroy)
		from->vcpu_destroy(v);
	if (from->vm_destroy)
		from->vm_destroy(vm);
	vm->engine = to;
	int r = to->vm_create(vm);
	if (!r) {
		r = to->vcpu_create(v);
		if (r)
			v->engine_priv = NULL;
	}
	if (!r)
		r = to->vcpu_adopt(v, &s);
	if (r) {
		vm_request_stop(vm, VM_STOP_HOST_ERROR, VM_EXIT_HOST,
				"switch: %s could not take the guest over from %s: %s", to->name,
				from->name, strerror(-r));
		return r;
	}
	uint64_t now = vmm_now_ns();
	perf_count(&v->core_ctr[VCPU_CTR_SWITCH], now - t0);
	__atomic_store_n(&v->switch_at_ns, now, __ATOMIC_RELEASE);
	vm_post_event(vm, VM_EV_SWITCH, v->id, 0, "%s %s %s", from->name, to->name, asked_why);
	vmm_info("mode: switched %s -> %s at %.1f ms%s%s", from->name, to->name,
		 (double)(now - vm->start_ns) / 1e6, asked_why[0] ? ": " : "", asked_why);
	vmm_debug(core, "vcpu%u: switched %s -> %s at rip %#llx cpl %u in %.2f ms", v->id,
		  from->name, to->name, (unsigned long long)s.rip, s.seg[X86_CS].sel & 3,
		  (double)(now - t0) / 1e6);
	return 0;
}
