/* pv_spawn.c: creating the two sandboxes of a pv vCPU (K for the guest's
 * kernel mode, U for its user mode) and locking them down. Each is a
 * clone of the vCPU thread (so it shares nothing with the VMM but the
 * VM's memfd and the channel), whose exit clears and wakes the channel's
 * parent_seq (CLONE_CHILD_CLEARTID), so the VMM notices a dead sandbox at
 * once. A child closes every other file descriptor, leaves the terminal's
 * process group, installs its handlers on an alternate stack, maps the ROM
 * window, installs the seccomp filter and enters the guest. After the
 * clone a child runs no libc: another VMM thread may have held a lock. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmm/pv/pv_internal.h"

struct kernel_sigaction {
	uintptr_t handler; /* a function, or SIG_IGN */
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#define KSA_RESTORER 0x04000000ul

static const int handled[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGUSR1,
			       SIGPROF };
static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN,
			       SIGTTOU, SIGALRM, SIGUSR2, SIGCHLD };

static long child_signals(void)
{
	struct kernel_sigaction sa = { .handler = (uintptr_t)pv_on_signal,
				       .flags = SA_SIGINFO | SA_ONSTACK | KSA_RESTORER,
				       .restorer = pv_sys_restorer, .mask = ~0ull };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(handled); i++) {
		long r = pv_sys(SYS_rt_sigaction, handled[i], (long)&sa, 0, 8, 0, 0);
		if (r)
			return r;
	}
	struct kernel_sigaction ign = { .handler = 1 /* SIG_IGN */,
					.flags = KSA_RESTORER, .restorer = pv_sys_restorer };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(ignored); i++)
		pv_sys(SYS_rt_sigaction, ignored[i], (long)&ign, 0, 8, 0, 0);
	uint64_t none = 0;
	return pv_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8, 0, 0);
}

/* Everything a sandbox does before it is locked; 0 or -errno. */
static long child_setup(struct pv_child *c, uint8_t *stack)
{
	long r = pv_sys(SYS_setpgid, 0, 0, 0, 0, 0, 0);
	r = r ? r : pv_sys(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
	if (!r && c->memfd > 0)
		r = pv_sys(SYS_close_range, 0, c->memfd - 1, 0, 0, 0, 0);
	r = r ? r : pv_sys(SYS_close_range, c->memfd + 1, ~0u, 0, 0, 0, 0);
	stack_t ss = { .ss_sp = stack, .ss_size = PV_STACK_SIZE };
	r = r ? r : pv_sys(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0);
	r = r ? r : child_signals();
	/* The watchdog: every 20 ms of guest CPU time a signal checks that the
	 * guest still runs in its own code and mode (pv_child.c). */
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	r = r ? r : pv_sys(SYS_setitimer, ITIMER_PROF, (long)&it, 0, 0, 0, 0);
	if (!r && c->bits == 32) /* compatibility mode needs usable DS/ES */
		__asm__ volatile("mov %0, %%ds; mov %0, %%es" : : "r"(0x2b));
	r = r ? r : pv_mmu_map_window(c);
	return r ? r : pv_seccomp_install(c);
}

void pv_child_main(struct vcpu *v, bool user)
{
	struct pv_vcpu *p = v->engine_priv;
	struct pv_vm *pvm = v->vm->engine_priv;
	pv_me = (struct pv_child){
		.chan = p->chan, .vm = pvm, .mem = &v->vm->mem, .memfd = v->vm->mem.fd,
		.user = user, .bits = pvm->bits, .window = pvm->note.rom_addr,
		.mapped = p->mapped, .mapped_pages = p->mapped ? pvm->va_top >> 12 : 0,
	};
	long r = child_setup(&pv_me, user ? p->stack_u : p->stack_k);
	if (r)
		pv_sys(SYS_exit_group, 100 + (-r & 0xff), 0, 0, 0, 0, 0);
	pv_sys_enter(); /* the SIGTRAP handler enters the guest */
	pv_sys(SYS_exit_group, 99, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

/* A running guest another engine exported (vcpu_adopt): its registers and
 * control registers as they are; the shared page keeps what the native ROM
 * wrote there (64-bit: the kernel stack, the SYSCALL set-up) and gets the
 * rest; K reads the kernel stack from the TSS (pv_adopt_enter). */
static void adopt_state(struct pv_vcpu *p, struct pv_vm *pvm)
{
	struct pv_chan *ch = p->chan;
	struct pv_cpu *cpu = &ch->cpu;
	const struct x86_state *s = &p->entry;
	bool l64 = pvm->bits == 64;
	memset(cpu, 0, sizeof(*cpu));
	memcpy(cpu->r.gpr, s->gpr, sizeof(cpu->r.gpr));
	if (!l64)
		for (unsigned i = 0; i < X86_NR_GPRS; i++)
			cpu->r.gpr[i] = (uint32_t)cpu->r.gpr[i];
	cpu->r.rip = s->rip;
	cpu->r.rflags = s->rflags | X86_FLAGS_FIXED;
	cpu->r.cs = s->seg[X86_CS].sel;
	cpu->r.ss = s->seg[X86_SS].sel;
	cpu->r.cpl = (s->seg[X86_CS].sel & 3) ? 3 : 0;
	cpu->cr0 = s->cr0 | X86_CR0_PE | X86_CR0_ET;
	cpu->cr2 = s->cr2;
	cpu->cr3 = s->cr3;
	cpu->cr4 = s->cr4;
	cpu->efer = (s->efer & (X86_EFER_NXE | X86_EFER_SCE)) |
		    (l64 ? X86_EFER_LME | X86_EFER_LMA : 0);
	cpu->kernel_ss = s->seg[X86_SS].sel;
	struct pv_shared *sh = pvm->shared;
	sh->vif = (s->rflags & X86_FLAGS_IF) != 0;
	sh->irq_pending = 0;
	sh->cr0 = cpu->cr0;
	sh->cr2 = cpu->cr2;
	sh->cr3 = cpu->cr3;
	sh->cr4 = cpu->cr4;
	sh->idt_base = s->idt.base;
	sh->idt_limit = s->idt.limit;
	sh->queue_len = 0;
	ch->adopt = 1;
	ch->adopt_tss = s->tr.base;
	ch->adopt_fpu = s->fpu;
}

/* The boot state (docs/boot.md) as the engine keeps it. */
static void boot_state(struct pv_vcpu *p, struct pv_vm *pvm)
{
	if (p->adopt) {
		adopt_state(p, pvm);
		return;
	}
	struct pv_cpu *cpu = &p->chan->cpu;
	const struct x86_state *s = &p->entry;
	memset(cpu, 0, sizeof(*cpu));
	memcpy(cpu->r.gpr, s->gpr, sizeof(cpu->r.gpr));
	cpu->r.rip = pvm->note.entry ? pvm->note.entry : s->rip;
	cpu->r.rflags = s->rflags | X86_FLAGS_FIXED;
	cpu->r.cs = pvm->bits == 64 ? 0x08 : s->seg[X86_CS].sel;
	cpu->r.ss = s->seg[X86_SS].sel;
	cpu->cr0 = s->cr0 | X86_CR0_PE | X86_CR0_ET | (pvm->bits == 64 ? X86_CR0_PG : 0);
	cpu->cr4 = pvm->bits == 64 ? X86_CR4_PAE : s->cr4;
	cpu->efer = pvm->bits == 64 ? X86_EFER_LME | X86_EFER_LMA : 0;
	struct pv_shared *sh = pvm->shared;
	memset(sh, 0, sizeof(*sh));
	sh->vif = (s->rflags & X86_FLAGS_IF) != 0;
	sh->cr0 = cpu->cr0;
	sh->cr4 = cpu->cr4;
}

/* The vCPU thread and its sandboxes hand the vCPU to each other with futex
 * wake-ups; across CPUs each costs an inter-processor interrupt, which is
 * dear in a VM, on the same CPU it is a plain context switch. So all three
 * share the CPU the vCPU thread is on (TRIPLEX_PV_PIN=0: no pinning). */
static void pin(void)
{
	const char *e = getenv("TRIPLEX_PV_PIN");
	int cpu = sched_getcpu();
	if ((e && !strcmp(e, "0")) || cpu < 0)
		return;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	int r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (r)
		vmm_debug(pv, "pinning the vCPU thread to CPU %d: %s", cpu, strerror(r));
}

int pv_spawn(struct vcpu *v)
{
	struct pv_vcpu *p = v->engine_priv;
	struct pv_vm *pvm = v->vm->engine_priv;
	struct pv_chan *ch = p->chan;
	boot_state(p, pvm);
	pin();
	ch->irq_vector = -1;
	ch->parent_seq = 1;
	ch->owner = PV_OWN_K;
	fflush(NULL); /* nothing buffered may be written twice */
	for (int i = 0; i < 2; i++) {
		long pid = syscall(SYS_clone, SIGCHLD | CLONE_CHILD_CLEARTID, NULL, NULL,
				   &ch->parent_seq, 0);
		if (pid < 0) {
			int e = errno;
			vmm_err("pv: cannot create the %s sandbox: clone: %s", i ? "user" : "kernel",
				strerror(e));
			pv_reap(p);
			return -e;
		}
		if (pid == 0)
			pv_child_main(v, i == 1);
		*(i ? &p->pid_u : &p->pid_k) = (pid_t)pid;
	}
	p->started = true;
	return 0;
}

void pv_reap(struct pv_vcpu *p)
{
	pid_t *pids[2] = { &p->pid_k, &p->pid_u };
	for (int i = 0; i < 2; i++) {
		if (*pids[i] <= 0)
			continue;
		(void)kill(*pids[i], SIGKILL);
		while (waitpid(*pids[i], NULL, 0) < 0 && errno == EINTR)
			;
		*pids[i] = 0;
	}
}

void pv_host_maps(struct pv_vm *pvm)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	pvm->nr_forbid = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];
		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3 || lo >= pvm->va_top)
			continue;
		if (!strncmp(perms, "---", 3))
			continue; /* a reservation: the guest may map over it */
		if (pvm->nr_forbid < PV_MAX_FORBID) {
			pvm->forbid[pvm->nr_forbid].lo = lo;
			pvm->forbid[pvm->nr_forbid++].hi = hi;
		} else {
			vmm_warn("pv: more than %d host mappings below %#llx", PV_MAX_FORBID,
				 (unsigned long long)pvm->va_top);
		}
	}
	fclose(f);
}
