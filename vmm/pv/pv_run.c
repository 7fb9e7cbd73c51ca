/* pv_run.c: the VMM side of a pv vCPU. While a sandbox runs the guest, the
 * vCPU thread sleeps on the channel's parent_seq futex; it wakes for a
 * request (the sandbox handed it the vCPU: port I/O, console output, halt,
 * pause, a fatal error), a kick (an interrupt from the PIC, a stop or pause
 * request) or a dead sandbox (CLONE_CHILD_CLEARTID zeroes the word).
 * Interrupts are acknowledged here and posted in the channel; the owning
 * sandbox is signalled and delivers the vector when the guest's virtual IF
 * allows. Nothing a sandbox writes is trusted: sizes and ports are checked
 * before they reach the device model. */
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm/pv/pv_internal.h"

#define PV_WAIT_NS (200 * 1000 * 1000) /* poll the children at least this often */
#define PV_STOP_NS (2000 * 1000 * 1000ull) /* a sandbox that ignores a stop this long is killed */

static void wake_owner(struct pv_chan *ch, enum pv_owner to)
{
	__atomic_store_n(&ch->owner, to, __ATOMIC_RELEASE);
	__atomic_fetch_add(&ch->turn[to], 1, __ATOMIC_ACQ_REL);
	syscall(SYS_futex, &ch->turn[to], FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void signal_owner(struct pv_vcpu *p)
{
	uint32_t o = __atomic_load_n(&p->chan->owner, __ATOMIC_ACQUIRE);
	pid_t pid = o == PV_OWN_K ? p->pid_k : o == PV_OWN_U ? p->pid_u : 0;
	if (pid > 0)
		(void)kill(pid, SIGUSR1); /* best effort: every resume checks again */
}

/* Acknowledge an interrupt the interrupt controller raised, if none is
 * waiting already and the guest can take it now. Like a CPU, which runs
 * INTA only with IF set: a vector acknowledged early and held across the
 * guest's cli window was delivered although the guest had masked or
 * reprogrammed its source meanwhile (apic-pv-64 moved from hw between
 * the 8259's ICW4 and its mask write took an unexpected vector 0x20).
 * While the virtual IF is clear, irq_pending makes the ROM's sti call
 * back, and pv_irq_check() then asks us again (PV_REQ_DONE). User mode
 * runs with IF set. */
static void post_irq(struct vcpu *v, struct pv_vcpu *p, bool signal)
{
	struct pv_chan *ch = p->chan;
	if (__atomic_load_n(&ch->irq_vector, __ATOMIC_ACQUIRE) >= 0 || !vcpu_intr_pending(v))
		return;
	struct pv_vm *pvm = v->vm->engine_priv;
	uint32_t who = __atomic_load_n(&ch->owner, __ATOMIC_ACQUIRE);
	if (who == PV_OWN_PARENT)
		who = ch->req.who;
	if (who != PV_OWN_U && !__atomic_load_n(&pvm->shared->vif, __ATOMIC_ACQUIRE)) {
		pvm->shared->irq_pending = 1;
		return;
	}
	__atomic_store_n(&ch->irq_vector, vcpu_intr_ack(v), __ATOMIC_RELEASE);
	pvm->shared->irq_pending = 1;
	if (signal)
		signal_owner(p);
}

/* The in-guest call counts live in the shared page (the ROM bumps them). */
static void sync_counters(struct pv_vcpu *p, const struct pv_vm *pvm)
{
	for (unsigned i = 0; i < PV_MAX_CALLS; i++)
		p->chan->ctr.fast[i].count = pvm->shared->fast[i];
}

static const char *child_name(const struct pv_vcpu *p, pid_t pid)
{
	return pid == p->pid_k ? "kernel" : pid == p->pid_u ? "user" : "?";
}

/* A sandbox ended on its own: say how. */
static bool child_died(struct pv_vcpu *p, struct vcpu_exit *ex);

/* parent_seq went even: a sandbox is exiting (its mm is released before it
 * becomes a zombie, so wait a little for waitpid to see it). */
static bool child_exiting(struct pv_vcpu *p, struct vcpu_exit *ex)
{
	for (int i = 0; i < 1000; i++) {
		if (child_died(p, ex))
			return true;
		struct timespec ts = { 0, 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	ex->reason = VCPU_EXIT_ERROR;
	snprintf(ex->msg, sizeof(ex->msg), "pv: a sandbox ended and cannot be reaped");
	return true;
}

static bool child_died(struct pv_vcpu *p, struct vcpu_exit *ex)
{
	pid_t pids[2] = { p->pid_k, p->pid_u };
	for (int i = 0; i < 2; i++) {
		int st;
		if (pids[i] <= 0 || waitpid(pids[i], &st, WNOHANG) != pids[i])
			continue;
		const char *who = child_name(p, pids[i]);
		*(i ? &p->pid_u : &p->pid_k) = 0;
		ex->reason = VCPU_EXIT_ERROR;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
			snprintf(ex->msg, sizeof(ex->msg),
				 "pv: the %s sandbox made a system call its seccomp filter forbids "
				 "(killed by SIGSYS)", who);
		else if (WIFSIGNALED(st))
			snprintf(ex->msg, sizeof(ex->msg), "pv: the %s sandbox died of signal %d (%s)",
				 who, WTERMSIG(st), strsignal(WTERMSIG(st)));
		else
			snprintf(ex->msg, sizeof(ex->msg),
				 "pv: the %s sandbox exited with status %d%s", who, WEXITSTATUS(st),
				 WEXITSTATUS(st) >= 100 ? " (its set-up failed)" : "");
		return true;
	}
	return false;
}

static void do_io(struct vm *vm, struct pv_req_msg *q)
{
	unsigned n = VMM_MIN(q->n, (uint32_t)PV_IO_MAX);
	for (unsigned i = 0; i < n && !vm_stopping(vm); i++) {
		struct pv_io_op *op = &q->io[i];
		if (op->size != 1 && op->size != 2 && op->size != 4)
			continue;
		uint32_t val = op->write ? op->value : 0;
		io_dispatch(&vm->pio, op->port, &val, op->size, op->write != 0);
		op->value = val;
	}
}

static void do_console(struct vm *vm, struct pv_req_msg *q)
{
	uint32_t n = VMM_MIN(q->n, (uint32_t)PV_CONSOLE_MAX);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)q->console[i];
		io_dispatch(&vm->pio, 0x3f8, &b, 1, true); /* COM1 THR */
	}
}

static void report(struct vm *vm, const struct pv_chan *ch, struct vcpu_exit *ex)
{
	if (ch->req.kind != PV_REQ_ERROR) {
		ex->reason = VCPU_EXIT_ERROR;
		snprintf(ex->msg, sizeof(ex->msg), "pv: the sandbox sent an unknown request %u",
			 ch->req.kind);
		return;
	}
	pv_format_error(vm->engine_priv, ch, ex->msg, sizeof(ex->msg));
	/* no way to deliver a trap: what the CPU would do is shut down */
	ex->reason = ch->req.err == PV_ERR_NO_HANDLER || ch->req.err == PV_ERR_BAD_STACK
			     ? VCPU_EXIT_SHUTDOWN : VCPU_EXIT_ERROR;
}

/* The vCPU is ours: answer the request. 1: the guest runs again; 0:
 * return to the core with (ex) filled. */
static int handle_request(struct vcpu *v, struct pv_vcpu *p, struct vcpu_exit *ex)
{
	struct pv_chan *ch = p->chan;
	struct pv_req_msg *q = &ch->req;
	struct vm *vm = v->vm;
	uint32_t who = q->who == PV_OWN_U ? PV_OWN_U : PV_OWN_K;
	switch (q->kind) {
	case PV_REQ_IO:
		do_io(vm, q);
		q->kind = PV_REQ_DONE; /* answered: a later run only resumes */
		break;
	case PV_REQ_CONSOLE:
		do_console(vm, q);
		q->kind = PV_REQ_DONE;
		break;
	case PV_REQ_MSR:
		q->msr_result = q->msr_write ? vcpu_msr_write(v, q->msr, q->msr_value, q->msr_tsc)
					     : vcpu_msr_read(v, q->msr, &q->msr_value);
		q->kind = PV_REQ_DONE;
		break;
	case PV_REQ_DONE:
		break;
	case PV_REQ_HALT:
		post_irq(v, p, false);
		if (!(q->hlt_if && ch->irq_vector >= 0)) {
			ex->reason = VCPU_EXIT_HLT;
			ex->hlt_if = q->hlt_if != 0;
			return 0; /* the core parks us; the next run resumes */
		}
		break;
	case PV_REQ_PAUSE:
		if (vcpu_has_requests(v) || vm_stopping(vm)) {
			ex->reason = VCPU_EXIT_REQUEST;
			return 0;
		}
		__atomic_store_n(&ch->want_exit, 0, __ATOMIC_RELEASE);
		break;
	default: /* PV_REQ_ERROR, or nonsense from a broken sandbox */
		report(vm, ch, ex);
		return 0;
	}
	if (vm_stopping(vm) || vcpu_has_requests(v)) {
		ex->reason = VCPU_EXIT_REQUEST; /* the guest resumes at the next run */
		return 0;
	}
	q->kind = PV_REQ_NONE;
	post_irq(v, p, false);
	wake_owner(ch, who);
	return 1;
}

static void wait_seq(struct pv_chan *ch, uint32_t seq)
{
	struct timespec ts = { 0, PV_WAIT_NS };
	syscall(SYS_futex, &ch->parent_seq, FUTEX_WAIT, seq, &ts, NULL, 0);
}

int pv_vcpu_run(struct vcpu *v, struct vcpu_exit *ex)
{
	struct pv_vcpu *p = v->engine_priv;
	struct pv_chan *ch = p->chan;
	if (!p->started) {
		int r = pv_spawn(v);
		if (r)
			return r;
	}
	uint64_t asked = 0;
	for (;;) {
		uint32_t seq = __atomic_load_n(&ch->parent_seq, __ATOMIC_ACQUIRE);
		if (!(seq & 1) && child_exiting(p, ex))
			break;
		if (__atomic_load_n(&ch->owner, __ATOMIC_ACQUIRE) == PV_OWN_PARENT) {
			if (!handle_request(v, p, ex))
				break;
			continue;
		}
		if (vcpu_has_requests(v) || vm_stopping(v->vm)) {
			__atomic_store_n(&ch->want_exit, 1, __ATOMIC_RELEASE);
			if (!asked) {
				signal_owner(p);
				asked = vmm_now_ns();
			} else if (vmm_now_ns() - asked > PV_STOP_NS) {
				pv_reap(p); /* it does not answer: the VMM comes first */
				ex->reason = VCPU_EXIT_ERROR;
				snprintf(ex->msg, sizeof(ex->msg),
					 "pv: the sandbox did not give the vCPU back within %llu ms; "
					 "killed", PV_STOP_NS / 1000000);
				break;
			}
		}
		post_irq(v, p, true);
		wait_seq(ch, seq);
		if (child_died(p, ex))
			break;
	}
	sync_counters(p, v->vm->engine_priv);
	return 0;
}

static const char *acc_name(uint64_t acc)
{
	return acc == PV_ACC_WRITE ? "wrote" : acc == PV_ACC_FETCH ? "executed" : "read";
}

void pv_format_error(const struct pv_vm *pvm, const struct pv_chan *c, char *buf, size_t len)
{
	const struct pv_req_msg *q = &c->req;
	const struct pv_note *n = &pvm->note;
	unsigned long long a = q->err_a, b = q->err_b, rip = c->cpu.r.rip;
	switch (q->err) {
	case PV_ERR_HOST_SYSCALL:
		snprintf(buf, len, "pv: guest made host system call %llu (%s) at rip %#llx: "
			 "stopped; the host never saw it", a,
			 b == 0x40000003ull ? "32-bit, int 0x80" : "64-bit, syscall", rip);
		break;
	case PV_ERR_LONG_MODE:
		snprintf(buf, len, "pv: the 32-bit guest switched to the host's 64-bit code segment "
			 "(CS 0x33, a far jump or call) and ran at rip %#llx: stopped", a);
		break;
	case PV_ERR_OUT_OF_RANGE:
		snprintf(buf, len, "pv: guest %s %#llx at rip %#llx, outside its declared address "
			 "space (kernel %#llx-%#llx, user %#llx-%#llx): stopped", acc_name(b), a, rip,
			 (unsigned long long)n->kernel_start, (unsigned long long)n->kernel_end,
			 (unsigned long long)n->user_start, (unsigned long long)n->user_end);
		break;
	case PV_ERR_RIP_OUT:
		snprintf(buf, len, "pv: guest code ran at %#llx, outside its declared address "
			 "space: stopped", a);
		break;
	case PV_ERR_NO_HANDLER:
		snprintf(buf, len, "pv: no usable IDT gate for vector %llu (%s) raised at rip %#llx: "
			 "the guest cannot handle its own trap", a,
			 x86_vector_name((unsigned)a) ? x86_vector_name((unsigned)a) : "interrupt", b);
		break;
	case PV_ERR_BAD_STACK:
		snprintf(buf, len, "pv: cannot use the guest's kernel stack at %#llx for a trap "
			 "frame (vector %llu): a double fault", a, b);
		break;
	case PV_ERR_MMIO:
		snprintf(buf, len, "pv: guest accessed unbacked guest-physical address %#llx "
			 "(virtual %#llx); pv has no MMIO (docs/vmi.md)", a, b);
		break;
	case PV_ERR_HOST_COLLISION:
		snprintf(buf, len, "pv: the guest mapped %#llx, where the VMM has its own mappings: "
			 "declare a layout that avoids them (docs/vmi.md)", a);
		break;
	default:
		snprintf(buf, len, "pv: host system call %llu failed in the sandbox: %s", a,
			 strerror((int)b));
		break;
	}
}
