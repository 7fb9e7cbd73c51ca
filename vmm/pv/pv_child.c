/* pv_child.c: the signal side of a pv sandbox (K or U; pv_internal.h has
 * the picture). Guest code runs until the host delivers a signal; the
 * handler (on the alternate stack, every signal blocked) reads the guest's
 * registers from the ucontext, decides, and writes them back for
 * sigreturn. K reflects traps and runs hypercalls; U fills its own
 * mappings and hands everything else to K. Hand-offs block inside the
 * handler on the channel's futex until the vCPU comes back.
 *
 * Only async-signal-safe code here: no libc after the fork, no malloc; the
 * system calls go through pv_sys (the seccomp filter allows no other). */
#include <linux/audit.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>

#include "vmm/pv/pv_internal.h"

struct pv_child pv_me;

/* ucontext gregs in enum x86_gpr order (sys/ucontext.h REG_*). */
static const int gpr_reg[X86_NR_GPRS] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

#define HOST_CS32 0x23 /* Linux __USER32_CS */
#define HOST_CS64 0x33 /* __USER_CS */
#define HOST_DS 0x2b   /* __USER_DS */
#define UC_SS_FLAGS 0x6 /* UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */

static bool guest_if(const struct pv_child *c)
{
	return c->user ? (c->chan->cpu.r.rflags & X86_FLAGS_IF) != 0 : c->vm->shared->vif != 0;
}

void pv_regs_from_uc(struct pv_regs *r, const ucontext_t *uc)
{
	for (unsigned i = 0; i < X86_NR_GPRS; i++)
		r->gpr[i] = (uint64_t)uc->uc_mcontext.gregs[gpr_reg[i]];
	r->rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	r->rflags = ((uint64_t)uc->uc_mcontext.gregs[REG_EFL] & ~X86_FLAGS_IF) |
		    (guest_if(&pv_me) ? X86_FLAGS_IF : 0);
}

void pv_regs_to_uc(const struct pv_regs *r, ucontext_t *uc, unsigned bits)
{
	uint64_t mask = bits == 32 ? 0xffffffffull : ~0ull;
	for (unsigned i = 0; i < X86_NR_GPRS; i++)
		uc->uc_mcontext.gregs[gpr_reg[i]] = (greg_t)(r->gpr[i] & mask);
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(r->rip & mask);
	/* The host keeps IF set in user mode; IOPL, NT, VM are not ours. */
	uint64_t fl = (r->rflags & ~(X86_FLAGS_IOPL | X86_FLAGS_NT | X86_FLAGS_VM)) |
		      X86_FLAGS_IF | X86_FLAGS_FIXED;
	uc->uc_mcontext.gregs[REG_EFL] = (greg_t)fl;
	uint64_t csgsfs = (uint64_t)uc->uc_mcontext.gregs[REG_CSGSFS];
	csgsfs = (csgsfs & 0x0000ffffffff0000ull) | (bits == 32 ? HOST_CS32 : HOST_CS64) |
		 (uint64_t)HOST_DS << 48;
	uc->uc_mcontext.gregs[REG_CSGSFS] = (greg_t)csgsfs;
	uc->uc_flags |= UC_SS_FLAGS;
}

/* The XSAVE image of the signal frame (its size from the software bytes,
 * Linux arch/x86/include/uapi/asm/sigcontext.h). */
static uint32_t fp_size(const ucontext_t *uc)
{
	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic, size;
	memcpy(&magic, fp + 464, 4);
	memcpy(&size, fp + 464 + 12, 4);
	if (magic != 0x46505853u || size < 512 || size > sizeof(((struct pv_chan *)0)->fp))
		return 512;
	return size;
}

void pv_fp_save(struct pv_chan *ch, const ucontext_t *uc)
{
	ch->ho.fp_size = fp_size(uc);
	memcpy(ch->fp, uc->uc_mcontext.fpregs, ch->ho.fp_size);
}

void pv_fp_load(const struct pv_chan *ch, ucontext_t *uc)
{
	uint32_t n = fp_size(uc);
	if (ch->ho.fp_size == n)
		memcpy(uc->uc_mcontext.fpregs, ch->fp, n);
}

static void futex_wake(uint32_t *w)
{
	pv_sys(SYS_futex, (long)w, FUTEX_WAKE, 0x7fffffff, 0, 0, 0);
}

void pv_wait_turn(struct pv_child *c)
{
	struct pv_chan *ch = c->chan;
	uint32_t me = c->user ? PV_OWN_U : PV_OWN_K;
	for (;;) {
		/* the turn word first: a hand-off after this read wakes us */
		uint32_t t = __atomic_load_n(&ch->turn[me], __ATOMIC_ACQUIRE);
		uint32_t o = __atomic_load_n(&ch->owner, __ATOMIC_ACQUIRE);
		if (o == me)
			return;
		if (o == PV_OWN_NONE)
			pv_sys(SYS_exit_group, 0, 0, 0, 0, 0, 0);
		pv_sys(SYS_futex, (long)&ch->turn[me], FUTEX_WAIT, t, 0, 0, 0);
	}
}

void pv_handoff(struct pv_child *c, enum pv_owner to)
{
	struct pv_chan *ch = c->chan;
	__atomic_store_n(&ch->owner, to, __ATOMIC_RELEASE);
	if (to == PV_OWN_K || to == PV_OWN_U) {
		__atomic_fetch_add(&ch->turn[to], 1, __ATOMIC_ACQ_REL);
		futex_wake(&ch->turn[to]);
	} else if (to == PV_OWN_PARENT) {
		__atomic_fetch_add(&ch->parent_seq, 2, __ATOMIC_ACQ_REL);
		futex_wake(&ch->parent_seq);
	}
	pv_wait_turn(c);
}

void pv_ask_parent(struct pv_child *c)
{
	c->chan->req.who = c->user ? PV_OWN_U : PV_OWN_K;
	pv_handoff(c, PV_OWN_PARENT);
}

void pv_fatal(struct pv_child *c, enum pv_err err, uint64_t a, uint64_t b)
{
	struct pv_req_msg *q = &c->chan->req;
	q->kind = PV_REQ_ERROR;
	q->err = err;
	q->err_a = a;
	q->err_b = b;
	/* The VMM stops the VM and kills us; it never hands the vCPU back.
	 * (A loop here would let the compiler deduce noreturn: see the
	 * declaration.) */
	pv_ask_parent(c);
}

/* ---- U: every trap but its own page fills goes to K ---- */

static void user_to_kernel(struct pv_child *c, ucontext_t *uc, enum pv_event ev, unsigned vec,
			   bool has_err, uint32_t err)
{
	struct pv_chan *ch = c->chan;
	for (;;) {
		ch->ho.event = ev;
		ch->ho.vector = vec;
		ch->ho.has_err = has_err;
		ch->ho.err = err;
		pv_fp_save(ch, uc);
		ch->ctr.xfer[PV_XFER_U_TO_K].count++;
		pv_handoff(c, PV_OWN_K);
		/* Back in user mode: K's iret left the registers in ch->cpu. */
		pv_fp_load(ch, uc);
		pv_mmu_user_sync(c);
		if (ch->irq_vector < 0 || !(ch->cpu.r.rflags & X86_FLAGS_IF))
			return;
		ev = PV_EV_IRQ; /* arrived while we were away */
		vec = (unsigned)ch->irq_vector;
		has_err = false;
	}
}

/* The int3 just executed (rip is after it): a hypercall site of the ROM
 * (its kind), a native take-over site (PV_MAX_CALLS, *eo the pv entry's ROM
 * offset, *delta the stack bytes to drop), or neither (-1). */
static int rom_site(const struct pv_child *c, uint64_t rip, uint64_t *eo, unsigned *delta)
{
	uint64_t off = rip - 1 - c->window;
	if (off >= PV_ROM_SIZE)
		return -1;
	int kind = vmi_rom_site(c->bits, off);
	if (kind < 0 && vmi_rom_redirect(c->bits, off, eo, delta))
		return PV_MAX_CALLS;
	return kind;
}

static void user_sigtrap(struct pv_child *c, ucontext_t *uc, const siginfo_t *si)
{
	int trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
	uint64_t eo;
	unsigned delta;
	/* a take-over site is a native kernel instruction: as it would */
	int kind = rom_site(c, c->chan->cpu.r.rip, &eo, &delta);
	if (kind == PV_CALL_USER_INT80)
		user_to_kernel(c, uc, PV_EV_INT, 0x80, false, 0);
	else if (kind == PV_CALL_USER_SYSCALL)
		user_to_kernel(c, uc, PV_EV_SYSCALL, 0, false, 0);
	else if (kind >= 0) /* a ring-0 entry called from ring 3: as its instruction would */
		user_to_kernel(c, uc, PV_EV_EXC, X86_EXC_GP, true, 0);
	else if (trapno == X86_EXC_DB || si->si_code == TRAP_TRACE)
		user_to_kernel(c, uc, PV_EV_EXC, X86_EXC_DB, false, 0);
	else /* int3 or int $3: a software interrupt, the gate's DPL applies */
		user_to_kernel(c, uc, PV_EV_INT, X86_EXC_BP, false, 0);
}

/* A host system call from user mode: the guest's int 0x80 or SYSCALL. */
static void user_sigsys(struct pv_child *c, ucontext_t *uc, const siginfo_t *si)
{
	uint64_t rip = c->chan->cpu.r.rip;
	uint8_t insn[2] = { 0, 0 };
	uint64_t fva;
	bool int80 = rip >= 2 && !pv_gva_read(c, rip - 2, insn, 2, &fva) && insn[0] == 0xcd &&
		     insn[1] == 0x80;
	if (int80) {
		c->chan->cpu.r.gpr[X86_RAX] = (uint64_t)si->si_syscall; /* the guest's EAX */
		user_to_kernel(c, uc, PV_EV_INT, 0x80, false, 0);
	} else if (c->bits == 64 && si->si_arch == AUDIT_ARCH_X86_64) {
		c->chan->cpu.r.gpr[X86_RAX] = (uint64_t)si->si_syscall;
		user_to_kernel(c, uc, PV_EV_SYSCALL, 0, false, 0);
	} else {
		user_to_kernel(c, uc, PV_EV_EXC, X86_EXC_UD, false, 0);
	}
}

/* The access a host #PF error code describes (W bit 1, I/D bit 4). */
static int host_pf_access(uint64_t err)
{
	return (err & 2) ? PV_ACC_WRITE : (err & 16) ? PV_ACC_FETCH : PV_ACC_READ;
}

/* Whether (rip) is in the code of a ROM entry user mode may not call: a
 * kernel entry called from ring 3 that faults (a bad pointer, the ring-0
 * shared page) does so where its native instruction would raise #GP(0). */
static bool in_kernel_entry(const struct pv_child *c, uint64_t rip)
{
	uint64_t off = rip - c->window;
	if (off >= PV_ROM_SIZE)
		return false;
	int call = vmi_rom_call_at(c->bits, off);
	return call >= 0 && call != PV_CALL_USER_INT80 && call != PV_CALL_USER_SYSCALL &&
	       call != PV_CALL_VERSION;
}

static void user_fault(struct pv_child *c, ucontext_t *uc, const siginfo_t *si, int trapno)
{
	uint64_t err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
	if (in_kernel_entry(c, c->chan->cpu.r.rip)) {
		user_to_kernel(c, uc, PV_EV_EXC, X86_EXC_GP, true, 0);
		return;
	}
	if (trapno == X86_EXC_PF) {
		uint64_t va = (uint64_t)(uintptr_t)si->si_addr;
		uint32_t pf = pv_fault(c, va, host_pf_access(err));
		if (!pf)
			return;
		c->chan->ho.cr2 = va;
		user_to_kernel(c, uc, PV_EV_EXC, X86_EXC_PF, true, pf & 0x1f);
		return;
	}
	bool has_err = trapno == X86_EXC_GP || trapno == X86_EXC_SS || trapno == X86_EXC_NP ||
		       trapno == X86_EXC_AC;
	user_to_kernel(c, uc, PV_EV_EXC, (unsigned)trapno, has_err, (uint32_t)err);
}

static void user_signal(struct pv_child *c, int sig, siginfo_t *si, ucontext_t *uc)
{
	struct pv_chan *ch = c->chan;
	int trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
	switch (sig) {
	case SIGTRAP:
		user_sigtrap(c, uc, si);
		break;
	case SIGSYS:
		user_sigsys(c, uc, si);
		break;
	case SIGSEGV:
	case SIGBUS:
		user_fault(c, uc, si, sig == SIGBUS && trapno != X86_EXC_AC ? X86_EXC_SS : trapno);
		break;
	case SIGILL:
		user_to_kernel(c, uc, PV_EV_EXC, X86_EXC_UD, false, 0);
		break;
	case SIGFPE:
		user_to_kernel(c, uc, PV_EV_EXC, trapno == X86_EXC_MF || trapno == X86_EXC_XM
							  ? (unsigned)trapno : X86_EXC_DE, false, 0);
		break;
	case SIGUSR1:
		if (__atomic_load_n(&ch->want_exit, __ATOMIC_ACQUIRE)) {
			pv_fp_save(ch, uc);
			ch->req.kind = PV_REQ_PAUSE;
			pv_ask_parent(c);
			pv_fp_load(ch, uc);
		}
		if (ch->irq_vector >= 0 && (ch->cpu.r.rflags & X86_FLAGS_IF))
			user_to_kernel(c, uc, PV_EV_IRQ, (unsigned)ch->irq_vector, false, 0);
		break;
	default:
		break;
	}
}

/* ---- K ---- */

static void kernel_fault(struct pv_child *c, const siginfo_t *si, const ucontext_t *uc,
			 int trapno)
{
	uint64_t err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
	if (trapno == X86_EXC_PF) {
		uint64_t va = (uint64_t)(uintptr_t)si->si_addr;
		uint32_t pf = pv_fault(c, va, host_pf_access(err));
		if (!pf)
			return;
		c->chan->cpu.cr2 = va;
		c->vm->shared->cr2 = va;
		pv_reflect(c, X86_EXC_PF, true, pf & 0x1f, false);
		return;
	}
	bool has_err = trapno == X86_EXC_GP || trapno == X86_EXC_SS || trapno == X86_EXC_NP ||
		       trapno == X86_EXC_AC;
	pv_reflect(c, (unsigned)trapno, has_err, (uint32_t)err, false);
}

static void kernel_sigtrap(struct pv_child *c, const siginfo_t *si, ucontext_t *uc)
{
	int trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
	uint64_t eo;
	unsigned delta;
	int kind = rom_site(c, c->chan->cpu.r.rip, &eo, &delta);
	if (kind == PV_MAX_CALLS) {
		/* a guest that started under another engine, in or about to call
		 * the native ROM: the same call, the pv way */
		c->chan->cpu.r.rip = c->window + eo;
		c->chan->cpu.r.gpr[X86_RSP] += delta;
		c->chan->ctr.sig[PV_SIG_TAKEOVER].count++;
	} else if (kind >= 0)
		pv_hcall(c, kind, uc);
	else if (trapno == X86_EXC_DB || si->si_code == TRAP_TRACE)
		pv_reflect(c, X86_EXC_DB, false, 0, false);
	else
		pv_reflect(c, X86_EXC_BP, false, 0, true);
}

static void kernel_signal(struct pv_child *c, int sig, siginfo_t *si, ucontext_t *uc)
{
	struct pv_chan *ch = c->chan;
	int trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
	switch (sig) {
	case SIGTRAP:
		kernel_sigtrap(c, si, uc);
		break;
	case SIGSYS: /* guest kernel code asked the host kernel: never allowed */
		pv_fatal(c, PV_ERR_HOST_SYSCALL, (uint64_t)si->si_syscall, si->si_arch);
		break;
	case SIGSEGV:
	case SIGBUS:
		kernel_fault(c, si, uc, sig == SIGBUS && trapno != X86_EXC_AC ? X86_EXC_SS : trapno);
		break;
	case SIGILL:
		pv_reflect(c, X86_EXC_UD, false, 0, false);
		break;
	case SIGFPE:
		pv_reflect(c, trapno == X86_EXC_MF || trapno == X86_EXC_XM ? (unsigned)trapno
									  : X86_EXC_DE,
			   false, 0, false);
		break;
	case SIGUSR1:
		if (__atomic_load_n(&ch->want_exit, __ATOMIC_ACQUIRE)) {
			ch->req.kind = PV_REQ_PAUSE;
			pv_ask_parent(c);
		}
		pv_irq_check(c);
		break;
	default:
		break;
	}
}

/* The first entry into the guest: K from the boot state, U when K first
 * irets to user mode. */
static void enter(struct pv_child *c, ucontext_t *uc)
{
	struct pv_chan *ch = c->chan;
	if (c->user) {
		pv_wait_turn(c);
		pv_fp_load(ch, uc);
		pv_mmu_user_sync(c);
	}
	c->entered = true;
	if (!c->user && ch->adopt)
		pv_adopt_enter(c, uc);
	pv_regs_to_uc(&ch->cpu.r, uc, c->bits);
}

static bool in_guest(const struct pv_child *c, uint64_t rip)
{
	return pv_in_layout(c, rip);
}

static const int sig_ctr[PV_SIG_NR] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS,
					SIGUSR1, SIGPROF };

void pv_on_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct pv_child *c = &pv_me;
	struct pv_chan *ch = c->chan;
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	uint16_t cs = (uint16_t)uc->uc_mcontext.gregs[REG_CSGSFS];
	for (unsigned i = 0; i < PV_SIG_NR; i++)
		if (sig_ctr[i] == sig)
			ch->ctr.sig[i].count++;
	if (sig == SIGTRAP && rip == (uint64_t)(uintptr_t)pv_sys_enter_site) {
		enter(c, uc);
		return;
	}
	if (!c->entered)
		return; /* a kick or the watchdog during set-up */
	pv_regs_from_uc(&ch->cpu.r, uc);
	if (c->bits == 32 && cs == HOST_CS64) {
		pv_fatal(c, PV_ERR_LONG_MODE, rip, 0);
		return;
	}
	if (!in_guest(c, rip)) {
		pv_fatal(c, PV_ERR_RIP_OUT, rip, 0);
		return;
	}
	if (c->user)
		user_signal(c, sig, si, uc);
	else
		kernel_signal(c, sig, si, uc);
	pv_regs_to_uc(&ch->cpu.r, uc, c->bits);
}
