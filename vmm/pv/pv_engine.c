/* pv_engine.c: the pv engine's ops: which guests it takes (those with a
 * valid Triplex VMI note), the per-VM and per-vCPU state (the channel and
 * the sandboxes' stacks in shared memory, created before the children),
 * the counters, and the registers as the core sees them. The work is in
 * pv_run.c (the VMM side) and the sandboxes (pv_child.c and friends). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#include "vmm/core/guest.h"
#include "vmm/core/host.h"
#include "vmm/pv/pv_internal.h"

static const char *const hc_labels[PV_HC_NR] = {
	[PV_CALL_VERSION] = "version", [PV_CALL_IRQ_SAVE] = "irq_save",
	[PV_CALL_IRQ_RESTORE] = "irq_restore", [PV_CALL_IRQ_DISABLE] = "irq_disable",
	[PV_CALL_IRQ_ENABLE] = "irq_enable", [PV_CALL_SAFE_HALT] = "safe_halt",
	[PV_CALL_HALT] = "halt", [PV_CALL_READ_CR0] = "read_cr0", [PV_CALL_WRITE_CR0] = "write_cr0",
	[PV_CALL_READ_CR2] = "read_cr2", [PV_CALL_WRITE_CR2] = "write_cr2",
	[PV_CALL_READ_CR3] = "read_cr3", [PV_CALL_WRITE_CR3] = "write_cr3",
	[PV_CALL_READ_CR4] = "read_cr4", [PV_CALL_WRITE_CR4] = "write_cr4",
	[PV_CALL_FLUSH_TLB] = "flush_tlb", [PV_CALL_INVLPG] = "invlpg",
	[PV_CALL_PTE_SET] = "pte_set", [PV_CALL_PTE_CLEAR] = "pte_clear",
	[PV_CALL_PTE_FLUSH] = "pte_flush", [PV_CALL_LOAD_GDT] = "load_gdt",
	[PV_CALL_LOAD_IDT] = "load_idt", [PV_CALL_LOAD_TR] = "load_tr",
	[PV_CALL_SET_KSTACK] = "set_kstack", [PV_CALL_IRET] = "iret", [PV_CALL_SYSRET] = "sysret",
	[PV_CALL_SET_SYSCALL] = "set_syscall", [PV_CALL_USER_INT80] = "user_int80",
	[PV_CALL_USER_SYSCALL] = "user_syscall", [PV_CALL_IO_IN] = "io_in",
	[PV_CALL_IO_OUT] = "io_out", [PV_CALL_TIMER_SET] = "timer_set",
	[PV_CALL_TIMER_READ] = "timer_read", [PV_CALL_CONSOLE_WRITE] = "console_write",
	[PV_CALL_SHUTDOWN] = "shutdown", [PV_CALL_READ_MSR] = "read_msr",
	[PV_CALL_WRITE_MSR] = "write_msr", [PV_HC_IRQ_WINDOW] = "irq_window",
};
static const char *const fwd_labels[PV_FWD_NR] = { "io", "console", "halt", "pause",
						     "msr (local APIC)" };
static const char *const sig_labels[PV_SIG_NR] = { "SIGSEGV", "SIGBUS", "SIGILL", "SIGFPE",
						   "SIGTRAP", "SIGSYS", "SIGUSR1 (kick)",
						   "SIGPROF (watchdog)",
						   "SIGTRAP (native ROM taken over)" };
static const char *const mmu_labels[PV_MMU_NR] = {
	"pte-updates", "batches", "batch-size-1", "batch-size-2-8", "batch-size-9-64", "mmap",
	"munmap", "fills-kernel", "fills-user", "cr3-writes", "flush-all",
};
static const char *const xfer_labels[PV_XFER_NR] = { "kernel->user", "user->kernel" };
static const char *vec_labels[PV_VEC_NR];

static int pv_probe(const struct host_caps *caps, char *why, size_t len)
{
	(void)caps;
	/* A sandbox needs seccomp filters; a VMM already under strict seccomp
	 * could not fork one. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
		snprintf(why, len, "pv: seccomp is not available: %s", strerror(errno));
		return -ENOSYS;
	}
	return 0;
}

static int pv_check_guest(const struct host_caps *caps, const struct guest_desc *g, char *why,
			  size_t len)
{
	(void)caps;
	if (!g->pv.present) {
		snprintf(why, len,
			 "%s has no Triplex VMI note (docs/vmi.md): build it with the guest "
			 "runtime's VMI layer (make guests builds NAME-pv-32.elf and NAME-pv-64.elf)",
			 g->info.name);
		return -ENOEXEC;
	}
	if (!g->pv.valid) {
		snprintf(why, len, "%s: %s", g->info.name, g->pv.why);
		return -ENOEXEC;
	}
	return 0;
}

static void pv_vm_destroy(struct vm *vm)
{
	free(vm->engine_priv);
	vm->engine_priv = NULL;
}

static int pv_vm_create(struct vm *vm)
{
	const struct mem_region *rom = NULL;
	for (unsigned i = 0; i < vm->mem.nr_regions; i++)
		if (!strcmp(vm->mem.region[i].name, "vmi-rom"))
			rom = &vm->mem.region[i];
	if (!rom) {
		vmm_err("pv: the guest has no VMI ROM window: it needs a Triplex VMI note "
			"(docs/vmi.md)");
		return -ENOEXEC;
	}
	if (vm->nr_vcpus != 1) {
		vmm_err("pv: %u vCPUs requested; the pv engine runs one", vm->nr_vcpus);
		return -EINVAL;
	}
	struct pv_vm *pvm = calloc(1, sizeof(*pvm));
	if (!pvm)
		return -ENOMEM;
	memcpy(&pvm->note, rom->hva + PV_ROM_NOTE_OFF, sizeof(pvm->note));
	pvm->bits = pvm->note.bits;
	pvm->rom = rom->hva;
	pvm->shared = mem_gpa_to_hva(&vm->mem, rom->gpa + PV_SHARED_OFF, PV_SHARED_SIZE);
	uint64_t top = VMM_MAX(VMM_MAX(pvm->note.kernel_end, pvm->note.user_end),
			       pvm->note.rom_addr + PV_WINDOW_SIZE);
	pvm->va_top = VMM_ALIGN_UP(top, 4096);
	if (!pvm->shared || rom->gpa != pvm->note.rom_addr ||
	    vmi_rom_build(rom->hva, rom->gpa, pvm->bits, PV_FLAVOUR_PV)) {
		vmm_err("pv: cannot build the pv flavour of the VMI ROM at %#llx",
			(unsigned long long)rom->gpa);
		free(pvm);
		return -EINVAL;
	}
	memcpy(rom->hva + PV_ROM_NOTE_OFF, &pvm->note, sizeof(pvm->note));
	pv_host_maps(pvm);
	vm->engine_priv = pvm;
	return 0;
}

static void pv_vcpu_destroy(struct vcpu *v)
{
	struct pv_vcpu *p = v->engine_priv;
	if (!p)
		return;
	pv_reap(p);
	if (p->chan)
		munmap(p->chan, sizeof(*p->chan));
	if (p->stack_k)
		munmap(p->stack_k, 2 * PV_STACK_SIZE);
	if (p->mapped)
		munmap(p->mapped, p->mapped_size);
	free(p);
	v->engine_priv = NULL;
}

static int add_counters(struct vcpu *v, struct pv_counters *c)
{
	for (unsigned i = 0; i < PV_VEC_NR; i++)
		if (!vec_labels[i])
			vec_labels[i] = i < 32 ? x86_vector_name(i) : NULL;
	vec_labels[PV_VEC_IRQ] = "interrupt";
	vec_labels[PV_VEC_INT80] = "int 0x80";
	vec_labels[PV_VEC_SYSCALL] = "syscall";
	int r = perf_set_add(&v->stats, "pv.hypercalls", "exits", hc_labels, PV_HC_NR, c->hcall,
			     false);
	r = r ? r : perf_set_add(&v->stats, "pv.in-guest", "calls", hc_labels, PV_MAX_CALLS,
				 c->fast, false);
	r = r ? r : perf_set_add(&v->stats, "pv.to-vmm", "requests", fwd_labels, PV_FWD_NR, c->fwd,
				 false);
	r = r ? r : perf_set_add(&v->stats, "pv.reflected", "traps", vec_labels, PV_VEC_NR, c->vec,
				 false);
	r = r ? r : perf_set_add(&v->stats, "pv.signals", "signals", sig_labels, PV_SIG_NR, c->sig,
				 false);
	r = r ? r : perf_set_add(&v->stats, "pv.mmu", "events", mmu_labels, PV_MMU_NR, c->mmu, false);
	return r ? r : perf_set_add(&v->stats, "pv.handoffs", "switches", xfer_labels, PV_XFER_NR,
				    c->xfer, false);
}

static int pv_vcpu_create(struct vcpu *v)
{
	struct pv_vcpu *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->engine_priv = p;
	p->chan = mmap(NULL, sizeof(*p->chan), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);
	p->stack_k = mmap(NULL, 2 * PV_STACK_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->chan == MAP_FAILED || p->stack_k == MAP_FAILED) {
		int e = errno;
		vmm_err("pv: cannot allocate the vCPU channel: %s", strerror(e));
		p->chan = p->chan == MAP_FAILED ? NULL : p->chan;
		p->stack_k = p->stack_k == MAP_FAILED ? NULL : p->stack_k;
		pv_vcpu_destroy(v);
		return -e;
	}
	p->stack_u = p->stack_k + PV_STACK_SIZE;
	/* pv_mmu.c's record of mapped pages: private, so each sandbox gets its
	 * own copy at the clone; too big for huge layouts (then: none). */
	struct pv_vm *pvm = v->vm->engine_priv;
	p->mapped_size = VMM_ALIGN_UP(pvm->va_top >> 12, 64) / 8;
	p->mapped = NULL;
	if (pvm->va_top <= 64 * GiB) {
		p->mapped = mmap(NULL, p->mapped_size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p->mapped == MAP_FAILED)
			p->mapped = NULL;
	}
	x86_state_reset(&p->entry);
	int r = add_counters(v, &p->chan->ctr);
	if (r)
		pv_vcpu_destroy(v);
	return r;
}

static void seg(struct x86_seg *s, uint16_t sel, bool code, bool l64, unsigned dpl)
{
	x86_seg_flat(s, sel, code, l64);
	s->dpl = (uint8_t)dpl;
}

static int pv_regs_get(struct vcpu *v, struct x86_state *s)
{
	struct pv_vcpu *p = v->engine_priv;
	struct pv_vm *pvm = v->vm->engine_priv;
	if (!p->started) {
		*s = p->entry;
		return 0;
	}
	const struct pv_cpu *cpu = &p->chan->cpu;
	const struct pv_regs *r = &cpu->r;
	memset(s, 0, sizeof(*s));
	memcpy(s->gpr, r->gpr, sizeof(s->gpr));
	s->rip = r->rip;
	s->rflags = r->rflags & ~X86_FLAGS_IF;
	if (r->cpl == 3 ? (r->rflags & X86_FLAGS_IF) : pvm->shared->vif)
		s->rflags |= X86_FLAGS_IF;
	bool l64 = pvm->bits == 64;
	seg(&s->seg[X86_CS], r->cs, true, l64, r->cpl);
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		if (i != X86_CS)
			seg(&s->seg[i], i == X86_SS ? r->ss : 0, false, false, r->cpl);
	s->cr0 = cpu->cr0;
	s->cr2 = cpu->cr2;
	s->cr3 = cpu->cr3;
	s->cr4 = cpu->cr4;
	s->efer = cpu->efer;
	s->idt.base = pvm->shared->idt_base;
	s->idt.limit = (uint16_t)pvm->shared->idt_limit;
	return 0;
}

static int pv_regs_set(struct vcpu *v, const struct x86_state *s)
{
	struct pv_vcpu *p = v->engine_priv;
	if (!p->started) {
		p->entry = *s;
		return 0;
	}
	/* A running guest: only while the VMM holds the vCPU. */
	if (__atomic_load_n(&p->chan->owner, __ATOMIC_ACQUIRE) != PV_OWN_PARENT)
		return -EBUSY;
	struct pv_regs *r = &p->chan->cpu.r;
	memcpy(r->gpr, s->gpr, sizeof(r->gpr));
	r->rip = s->rip;
	r->rflags = (r->rflags & X86_FLAGS_IF) | (s->rflags & ~X86_FLAGS_IF);
	return 0;
}

/* The width the guest's note declares, from the copy in its ROM window. */
static unsigned note_bits(struct vm *vm)
{
	for (unsigned i = 0; i < vm->mem.nr_regions; i++)
		if (!strcmp(vm->mem.region[i].name, "vmi-rom")) {
			struct pv_note n;
			memcpy(&n, vm->mem.region[i].hva + PV_ROM_NOTE_OFF, sizeof(n));
			return n.bits;
		}
	return 0;
}

static int pv_adopt_check(struct vm *vm, const struct x86_state *s, char *why, size_t len)
{
	/* 64-bit code: long mode and a 64-bit code segment (in compatibility
	 * mode, as right after enabling paging in long mode, it is 32-bit) */
	bool l64 = (s->efer & X86_EFER_LMA) && s->seg[X86_CS].l;
	unsigned bits = note_bits(vm), now = l64 ? 64 : 32;
	if (!bits) {
		snprintf(why, len, "the guest has no VMI ROM window");
		return -ENOEXEC;
	}
	if (bits != now) {
		snprintf(why, len, "the guest runs %u-bit code; its VMI note declares %u-bit code",
			 now, bits);
		return -EAGAIN;
	}
	return 0;
}

static int pv_vcpu_adopt(struct vcpu *v, const struct x86_state *s)
{
	struct pv_vcpu *p = v->engine_priv;
	struct pv_vm *pvm = v->vm->engine_priv;
	if (p->started)
		return -EBUSY;
	bool l64 = (s->efer & X86_EFER_LMA) && s->seg[X86_CS].l;
	if (l64 != (pvm->bits == 64)) {
		vmm_err("pv: cannot take over the guest: it runs %s code; its VMI note "
			"declares %u-bit code", l64 ? "64-bit" : "32-bit", pvm->bits);
		return -EINVAL;
	}
	p->entry = *s;
	p->adopt = true;
	return 0;
}

static void pv_vcpu_kick(struct vcpu *v)
{
	struct pv_vcpu *p = v->engine_priv;
	if (!p || !p->chan)
		return;
	__atomic_fetch_add(&p->chan->parent_seq, 2, __ATOMIC_ACQ_REL);
	syscall(SYS_futex, &p->chan->parent_seq, FUTEX_WAKE, 1, NULL, NULL, 0);
}

const struct engine_ops pv_engine_ops = {
	.name = "pv",
	.desc = "VMI-style paravirtualization: guest code runs on the host CPU in seccomp sandboxes",
	.probe = pv_probe,
	.check_guest = pv_check_guest,
	.vm_create = pv_vm_create,
	.vm_destroy = pv_vm_destroy,
	.vcpu_create = pv_vcpu_create,
	.vcpu_destroy = pv_vcpu_destroy,
	.vcpu_run = pv_vcpu_run,
	.regs_get = pv_regs_get,
	.regs_set = pv_regs_set,
	.vcpu_adopt = pv_vcpu_adopt,
	.adopt_check = pv_adopt_check,
	.vcpu_kick = pv_vcpu_kick,
	.calib_setup = pv_calib_setup,
};
