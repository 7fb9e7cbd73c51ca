/* bt_signal.c: host signals raised by translated code.
 *   SIGSEGV on the poll page: a kick is pending at a block entry; leave to
 *     the dispatcher with the state of that block's start.
 *   SIGSEGV in a memory window: map the guest page (retry), or leave with
 *     the state at the faulting instruction to deliver a guest #PF or to
 *     interpret the instruction (MMIO, writes to code and page tables).
 *     Instructions that keep doing this get retranslated on the software
 *     TLB (adaptive).
 *   SIGFPE: a guest #DE from a native DIV/IDIV.
 *   Any other SIGSEGV, SIGBUS or SIGILL in translated code is a translator
 *     bug: the vCPU stops with an error and the guest state of the
 *     instruction (the core prints it; status 4), never a silent death.
 *   SIGFPE/SIGSEGV in an FPU stub of the interpreter (bt_fpu.c): #XM or
 *     #GP of the guest instruction the stub runs.
 *   SIGFPE at a native FP instruction: #MF or #XM; SIGSEGV from a #GP
 *     (SI_KERNEL) there: #GP(0) (misaligned operand, reserved MXCSR bits).
 * The state at the instruction is exact: translated code never commits
 * guest state before an access that can fault (bt_trans_insn.c). Faults
 * outside the code cache go to the handler that was installed before ours
 * (the core's terminal-restoring one, or the default action), after a line
 * saying which guest instruction bt was running. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "vmm/bt/bt_fpu.h"
#include "vmm/bt/bt_trans.h"
#include "vmm/bt/bt_window.h"

extern __thread struct bt_cpu *bt_cur_cpu;

static struct sigaction old_segv, old_fpe, old_bus, old_ill;

static struct sigaction *old_of(int sig)
{
	switch (sig) {
	case SIGSEGV: return &old_segv;
	case SIGFPE: return &old_fpe;
	case SIGBUS: return &old_bus;
	default: return &old_ill;
	}
}

static const char *sig_name(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGFPE: return "SIGFPE";
	case SIGBUS: return "SIGBUS";
	default: return "SIGILL";
	}
}

static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = old_of(sig);
	if (old->sa_flags & SA_SIGINFO) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old->sa_handler == SIG_DFL || old->sa_handler == SIG_IGN) {
		/* re-run the faulting instruction with the default action */
		signal(sig, SIG_DFL);
		return;
	}
	old->sa_handler(sig);
}

#define ADAPT_FAULTS 4

/* The instruction of (b) containing host address (rip); -1 if outside the
 * instructions' code (exit stubs, slow paths). */
static int insn_at(const struct bt_block *b, uintptr_t rip, uint32_t *eip_off)
{
	uint32_t off = (uint32_t)(rip - (uintptr_t)b->host), goff = 0;
	if (!b->insn_host_off)
		return -1;
	for (unsigned i = 0; i < b->ninsn; i++) {
		if (off >= b->insn_host_off[i] && off < b->insn_host_off[i + 1]) {
			*eip_off = goff;
			return (int)i;
		}
		goff += b->insn[i].len;
	}
	return -1;
}

/* Leave translated code with the guest state of the instruction at
 * (eip_off) of (b), taken from the interrupted registers. */
static void leave(struct bt_cpu *c, greg_t *g, const struct bt_block *b, uint32_t eip_off)
{
	c->gpr[0] = (uint32_t)g[REG_RAX];
	c->gpr[1] = (uint32_t)g[REG_RCX];
	c->gpr[2] = (uint32_t)g[REG_RDX];
	c->gpr[3] = (uint32_t)g[REG_RBX];
	c->gpr[4] = (uint32_t)g[REG_R12];
	c->gpr[5] = (uint32_t)g[REG_RBP];
	c->gpr[6] = (uint32_t)g[REG_RSI];
	c->gpr[7] = (uint32_t)g[REG_RDI];
	c->hflags = (uint64_t)g[REG_EFL];
	c->eip = b->eip + eip_off;
	c->exit_slot = 0;
	g[REG_RIP] = (greg_t)(uintptr_t)bt_asm_exit_nosave;
}

/* Count a window fault that was not a plain mapping; after a few, ask
 * the dispatcher to retranslate with this instruction on the TLB. */
static void adapt(struct bt_cpu *c, uint64_t gpa)
{
	unsigned i = (unsigned)((gpa ^ (gpa >> 8)) & 255);
	if (c->adapt[i].gpa != gpa) {
		c->adapt[i].gpa = gpa;
		c->adapt[i].n = 0;
	}
	if (++c->adapt[i].n >= ADAPT_FAULTS) {
		c->adapt[i].n = 0;
		c->adapt_pending = true;
		c->adapt_gpa = gpa;
	}
}

static bool window_fault(struct bt_cpu *c, struct bt_tcache *tc, greg_t *g, uintptr_t addr)
{
	uint32_t err = 0, cr2 = 0;
	bool write = g[REG_ERR] & 2;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	struct bt_block *b = bt_tcache_find(tc, rip);
	uint32_t off = 0;
	int idx = b ? insn_at(b, rip, &off) : -1;
	if (idx < 0)
		return false;
	int r = bt_win_fault(c, addr, write, &err, &cr2);
	switch (r) {
	case BT_WIN_MAPPED:
		return true;
	case BT_WIN_REMAPPED:
		adapt(c, b->gpa + off);
		return true;
	case BT_WIN_PF:
		leave(c, g, b, off);
		c->cr2 = cr2;
		c->exc_vector = X86_EXC_PF;
		c->exc_error = err;
		c->exc_has_error = true;
		c->exc_soft = false;
		c->sig_exc = true;
		c->ctr[BT_CTR_GUEST_PF].count++;
		c->ctr[BT_CTR_WIN_PF].count++;
		adapt(c, b->gpa + off);
		return true;
	case BT_WIN_SLOW:
		leave(c, g, b, off);
		c->interp_one = true;
		c->ctr[BT_CTR_WIN_PROT].count++;
		adapt(c, b->gpa + off);
		return true;
	default:
		return false;
	}
}

/* SIGFPE or a #GP (SIGSEGV, SI_KERNEL) at a native FP instruction: #MF for
 * a pending x87 exception (x87, MMX, WAIT), #XM (#UD without
 * CR4.OSXMMEXCPT) for an unmasked SSE one, #GP(0) for a misaligned operand
 * or reserved MXCSR bits. The FPU state of the fault comes back at
 * sigreturn and the exit saves it. */
static bool fpu_fault(struct bt_cpu *c, struct bt_tcache *tc, ucontext_t *uc, int sig)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	struct bt_block *b = bt_tcache_find(tc, rip);
	uint32_t off = 0;
	int idx = b ? insn_at(b, rip, &off) : -1;
	if (idx < 0 || !b->insn[idx].fpc)
		return false;
	unsigned fpc = b->insn[idx].fpc;
	const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	bool x87_pending = fp && (fp->swd & 0x80) && fpc != BT_FP_SSE;
	leave(c, g, b, off);
	c->exc_error = 0;
	c->exc_has_error = sig == SIGSEGV;
	if (sig == SIGSEGV)
		c->exc_vector = X86_EXC_GP;
	else if (x87_pending)
		c->exc_vector = X86_EXC_MF;
	else
		c->exc_vector = (c->cr4 & X86_CR4_OSXMMEXCPT) ? X86_EXC_XM : X86_EXC_UD;
	c->exc_soft = false;
	c->sig_exc = true;
	return true;
}

/* A signal in translated code that nothing above explains: stop the vCPU
 * with an error at the guest instruction it came from. */
static void host_fault(struct bt_cpu *c, struct bt_tcache *tc, greg_t *g, int sig,
		       uintptr_t addr)
{
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	struct bt_block *b = bt_tcache_find(tc, rip);
	uint32_t off = 0;
	if (b) {
		if (insn_at(b, rip, &off) < 0)
			off = 0; /* an exit stub or slow path: the block's start */
		leave(c, g, b, off);
	} else {
		c->exit_slot = 0;
		g[REG_RIP] = (greg_t)(uintptr_t)bt_asm_exit; /* stores the guest registers */
	}
	snprintf(c->error_msg, sizeof(c->error_msg),
		 "bt: host %s in translated code at guest eip %#x (host rip %#lx, address %#lx): "
		 "a translator bug",
		 sig_name(sig), c->eip, (unsigned long)(rip - (uintptr_t)tc->rx),
		 (unsigned long)addr);
}

/* A fault in the VMM itself while it ran guest code: say where the guest
 * was before the process dies of it (async-signal-safe: write(2) only,
 * snprintf of integers into a local buffer). */
static void vmm_fault_note(const struct bt_cpu *c, int sig)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf),
			 "triplex: bt: host %s in the VMM while running guest eip %#x (cs %#x)\n",
			 sig_name(sig), c->eip, c->seg[X86_CS].sel);
	if (n > 0)
		(void)!write(2, buf, (size_t)VMM_MIN(n, (int)sizeof(buf) - 1));
}

static void handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct bt_cpu *c = bt_cur_cpu;
	struct bt_tcache *tc = c ? c->tc : NULL;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	if (c && bt_fpu_stub_fault(c, sig, ucv))
		return;
	if (tc && rip >= (uintptr_t)tc->rx && rip < (uintptr_t)tc->rx + tc->used) {
		uintptr_t addr = (uintptr_t)si->si_addr;
		if (sig == SIGSEGV && addr >= (uintptr_t)tc->poll &&
		    addr < (uintptr_t)tc->poll + BT_PAGE) {
			struct bt_block *b = bt_tcache_find(tc, rip);
			if (b && rip == (uintptr_t)b->host) {
				__atomic_store_n(&tc->poll_armed, false, __ATOMIC_RELEASE);
				(void)mprotect(tc->poll, BT_PAGE, PROT_READ);
				c->eip = b->eip;
				c->exit_slot = 0;
				g[REG_RIP] = (greg_t)(uintptr_t)bt_asm_exit;
				return;
			}
		}
		if ((sig == SIGFPE || (sig == SIGSEGV && si->si_code == SI_KERNEL)) &&
		    fpu_fault(c, tc, uc, sig))
			return;
		if (sig == SIGSEGV && c->wins && window_fault(c, tc, g, addr))
			return;
		if (sig == SIGFPE) {
			struct bt_block *b = bt_tcache_find(tc, rip);
			uint32_t off = 0;
			if (b && insn_at(b, rip, &off) >= 0) {
				leave(c, g, b, off);
				c->exc_vector = X86_EXC_DE;
				c->exc_error = 0;
				c->exc_has_error = false;
				c->exc_soft = false;
				c->sig_exc = true;
				adapt(c, b->gpa + off); /* a divide that keeps faulting: helper */
				return;
			}
		}
		if (sig != SIGFPE) {
			host_fault(c, tc, g, sig, addr);
			return;
		}
	}
	if (c && sig != SIGFPE)
		vmm_fault_note(c, sig);
	chain(sig, si, ucv);
}

/* Install for (sig) unless ours is already there; keep the current one to
 * chain to. Called at every vCPU creation: a program (a test harness) may
 * have installed its own handler since. */
static int install_one(int sig, struct sigaction *old)
{
	struct sigaction cur, sa;
	if (sigaction(sig, NULL, &cur))
		return -1;
	if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == handler)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, old);
}

int bt_signal_init(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&lock);
	int r = install_one(SIGSEGV, &old_segv) || install_one(SIGFPE, &old_fpe) ||
		install_one(SIGBUS, &old_bus) || install_one(SIGILL, &old_ill);
	pthread_mutex_unlock(&lock);
	if (r) {
		vmm_err("bt: cannot install the SIGSEGV/SIGFPE/SIGBUS/SIGILL handlers");
		return -EINVAL;
	}
	return 0;
}
