/* hw_regs.c: x86_state <-> KVM register ioctls (REGS, SREGS, FPU, MSRS,
 * VCPU_EVENTS, DEBUGREGS, XCRS), and the guest CPUID table. */
#include <errno.h>
#include <x86intrin.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/hw/hw_internal.h"

/* The MSRs x86_state carries, in the order of struct x86_msrs. */
static const uint32_t state_msrs[] = {
	X86_MSR_TSC,	    X86_MSR_SYSENTER_CS, X86_MSR_SYSENTER_ESP, X86_MSR_SYSENTER_EIP,
	X86_MSR_STAR,	    X86_MSR_LSTAR,	 X86_MSR_CSTAR,	       X86_MSR_SFMASK,
	X86_MSR_KERNEL_GS_BASE, X86_MSR_TSC_AUX, X86_MSR_PAT,	       X86_MSR_APIC_BASE,
	X86_MSR_MISC_ENABLE,
};
_Static_assert(VMM_ARRAY_SIZE(state_msrs) * 8 == sizeof(struct x86_msrs),
	       "state_msrs matches struct x86_msrs");

void hw_msrs_init(struct hw_vm *hw)
{
	struct { struct kvm_msr_list l; uint32_t idx[1024]; } list = { .l.nmsrs = 1024 };
	bool have_list = ioctl(hw->kvm_fd, KVM_GET_MSR_INDEX_LIST, &list) == 0;
	hw->nr_msrs = 0;
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(state_msrs); i++) {
		bool ok = !have_list;
		for (unsigned j = 0; have_list && j < list.l.nmsrs; j++)
			ok |= list.l.indices[j] == state_msrs[i];
		/* APIC_BASE and MISC_ENABLE are emulated MSRs, not in the list */
		ok |= state_msrs[i] == X86_MSR_APIC_BASE || state_msrs[i] == X86_MSR_MISC_ENABLE;
		if (ok)
			hw->msr_index[hw->nr_msrs++] = state_msrs[i];
	}
}

static uint64_t *msr_slot(struct x86_msrs *m, uint32_t index)
{
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(state_msrs); i++)
		if (state_msrs[i] == index)
			return (uint64_t *)m + i;
	return NULL;
}

static void seg_from_kvm(struct x86_seg *s, const struct kvm_segment *k)
{
	*s = (struct x86_seg){ .base = k->base, .limit = k->limit, .sel = k->selector,
			       .type = k->type, .s = k->s, .dpl = k->dpl,
			       .present = k->present, .avl = k->avl, .l = k->l, .db = k->db,
			       .g = k->g, .unusable = k->unusable };
}

static void seg_to_kvm(struct kvm_segment *k, const struct x86_seg *s)
{
	*k = (struct kvm_segment){ .base = s->base, .limit = s->limit, .selector = s->sel,
				   .type = s->type, .s = s->s, .dpl = s->dpl,
				   .present = s->present, .avl = s->avl, .l = s->l, .db = s->db,
				   .g = s->g, .unusable = s->unusable };
}

static int xioctl(int fd, unsigned long req, void *arg, const char *name)
{
	if (ioctl(fd, req, arg) < 0) {
		int e = errno;
		vmm_err("hw: %s: %s", name, strerror(e));
		return -e;
	}
	return 0;
}

struct msrs_buf {
	struct kvm_msrs hdr;
	struct kvm_msr_entry e[HW_MAX_MSRS];
};

static void fpu_from_kvm(struct x86_fpu *f, const struct kvm_fpu *k)
{
	memset(f, 0, sizeof(*f));
	f->fcw = k->fcw;
	f->fsw = k->fsw;
	f->ftw = k->ftwx;
	f->fop = k->last_opcode;
	f->fip = k->last_ip;
	f->fdp = k->last_dp;
	f->mxcsr = k->mxcsr;
	f->mxcsr_mask = 0xffff;
	memcpy(f->st, k->fpr, sizeof(f->st));
	memcpy(f->xmm, k->xmm, sizeof(f->xmm));
}

static void fpu_to_kvm(struct kvm_fpu *k, const struct x86_fpu *f)
{
	memset(k, 0, sizeof(*k));
	k->fcw = f->fcw;
	k->fsw = f->fsw;
	k->ftwx = f->ftw;
	k->last_opcode = f->fop;
	k->last_ip = f->fip;
	k->last_dp = f->fdp;
	k->mxcsr = f->mxcsr;
	memcpy(k->fpr, f->st, sizeof(k->fpr));
	memcpy(k->xmm, f->xmm, sizeof(k->xmm));
}

static int get_extra(struct hw_vm *hw, int fd, struct x86_state *s)
{
	struct msrs_buf m = { .hdr.nmsrs = hw->nr_msrs };
	for (unsigned i = 0; i < hw->nr_msrs; i++)
		m.e[i].index = hw->msr_index[i];
	int n = ioctl(fd, KVM_GET_MSRS, &m);
	for (int i = 0; i < n; i++) {
		uint64_t *p = msr_slot(&s->msr, m.e[i].index);
		if (p)
			*p = m.e[i].data;
	}
	if (hw->has_events) {
		struct kvm_vcpu_events ev;
		if (xioctl(fd, KVM_GET_VCPU_EVENTS, &ev, "KVM_GET_VCPU_EVENTS"))
			return -EIO;
		s->ev.exc_pending = ev.exception.injected;
		s->ev.exc_vector = ev.exception.nr;
		s->ev.exc_has_error = ev.exception.has_error_code;
		s->ev.exc_error = ev.exception.error_code;
		s->ev.irq_pending = ev.interrupt.injected;
		s->ev.irq_vector = ev.interrupt.nr;
		s->ev.int_shadow = ev.interrupt.shadow;
		s->ev.nmi_pending = ev.nmi.pending || ev.nmi.injected;
		s->ev.nmi_masked = ev.nmi.masked;
	}
	if (hw->has_debugregs) {
		struct kvm_debugregs d;
		if (ioctl(fd, KVM_GET_DEBUGREGS, &d) == 0) {
			memcpy(s->dr, d.db, sizeof(d.db));
			s->dr[6] = d.dr6;
			s->dr[7] = d.dr7;
		}
	}
	if (hw->has_xcrs) {
		struct kvm_xcrs x;
		if (ioctl(fd, KVM_GET_XCRS, &x) == 0)
			for (uint32_t i = 0; i < x.nr_xcrs; i++)
				if (x.xcrs[i].xcr == 0)
					s->xcr0 = x.xcrs[i].value;
	}
	return 0;
}

int hw_regs_get(struct vcpu *v, struct x86_state *s)
{
	struct hw_vm *hw = v->vm->engine_priv;
	struct hw_vcpu *h = v->engine_priv;
	struct kvm_regs r;
	struct kvm_sregs sr;
	struct kvm_fpu fpu;
	memset(s, 0, sizeof(*s));
	if (xioctl(h->fd, KVM_GET_REGS, &r, "KVM_GET_REGS") ||
	    xioctl(h->fd, KVM_GET_SREGS, &sr, "KVM_GET_SREGS") ||
	    xioctl(h->fd, KVM_GET_FPU, &fpu, "KVM_GET_FPU"))
		return -EIO;
	uint64_t g[X86_NR_GPRS] = { r.rax, r.rcx, r.rdx, r.rbx, r.rsp, r.rbp, r.rsi, r.rdi,
				    r.r8,  r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15 };
	memcpy(s->gpr, g, sizeof(g));
	s->rip = r.rip;
	s->rflags = r.rflags;
	const struct kvm_segment *ks[X86_NR_SREGS] = { &sr.es, &sr.cs, &sr.ss, &sr.ds, &sr.fs, &sr.gs };
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		seg_from_kvm(&s->seg[i], ks[i]);
	seg_from_kvm(&s->ldt, &sr.ldt);
	seg_from_kvm(&s->tr, &sr.tr);
	s->gdt = (struct x86_dtable){ sr.gdt.base, sr.gdt.limit };
	s->idt = (struct x86_dtable){ sr.idt.base, sr.idt.limit };
	s->cr0 = sr.cr0;
	s->cr2 = sr.cr2;
	s->cr3 = sr.cr3;
	s->cr4 = sr.cr4;
	s->cr8 = sr.cr8;
	s->efer = sr.efer;
	fpu_from_kvm(&s->fpu, &fpu);
	int r2 = get_extra(hw, h->fd, s);
	s->msr.apic_base = sr.apic_base;
	s->ev.halted = v->halted;
	return r2;
}

static int set_extra(struct hw_vm *hw, int fd, const struct x86_state *s)
{
	struct msrs_buf m = { .hdr.nmsrs = hw->nr_msrs };
	for (unsigned i = 0; i < hw->nr_msrs; i++) {
		m.e[i].index = hw->msr_index[i];
		m.e[i].data = *msr_slot((struct x86_msrs *)&s->msr, hw->msr_index[i]);
		/* TSC 0 (a reset state) is the host's TSC, as on bt and pv (which
		 * runs RDTSC natively): a guest moved between engines sees one
		 * continuous TSC. KVM's own reset value 0 made it jump forward by
		 * the host's uptime at a hw -> pv switch, in the middle of a
		 * guest's APIC-timer calibration (apic-pv-64: "oneshot.early"). */
		if (hw->msr_index[i] == X86_MSR_TSC && !m.e[i].data)
			m.e[i].data = __rdtsc();
	}
	int n = ioctl(fd, KVM_SET_MSRS, &m);
	if (n < 0 || (unsigned)n < hw->nr_msrs)
		vmm_debug(hw, "KVM_SET_MSRS set %d of %u (stopped at %#x)", n, hw->nr_msrs,
			  n >= 0 && (unsigned)n < hw->nr_msrs ? hw->msr_index[n] : 0);
	if (hw->has_events) {
		struct kvm_vcpu_events ev = { 0 };
		ev.exception.injected = s->ev.exc_pending;
		ev.exception.nr = s->ev.exc_vector;
		ev.exception.has_error_code = s->ev.exc_has_error;
		ev.exception.error_code = s->ev.exc_error;
		ev.interrupt.injected = s->ev.irq_pending;
		ev.interrupt.nr = s->ev.irq_vector;
		ev.interrupt.shadow = s->ev.int_shadow;
		ev.nmi.pending = s->ev.nmi_pending;
		ev.nmi.masked = s->ev.nmi_masked;
		ev.flags = KVM_VCPUEVENT_VALID_SHADOW | KVM_VCPUEVENT_VALID_NMI_PENDING;
		if (xioctl(fd, KVM_SET_VCPU_EVENTS, &ev, "KVM_SET_VCPU_EVENTS"))
			return -EIO;
	}
	if (hw->has_debugregs) {
		struct kvm_debugregs d = { 0 };
		memcpy(d.db, s->dr, sizeof(d.db));
		d.dr6 = s->dr[6];
		d.dr7 = s->dr[7];
		if (ioctl(fd, KVM_SET_DEBUGREGS, &d) < 0)
			vmm_debug(hw, "KVM_SET_DEBUGREGS: %s", strerror(errno));
	}
	if (hw->has_xcrs && s->xcr0) {
		struct kvm_xcrs x = { .nr_xcrs = 1 };
		x.xcrs[0].xcr = 0;
		x.xcrs[0].value = s->xcr0;
		if (ioctl(fd, KVM_SET_XCRS, &x) < 0)
			vmm_debug(hw, "KVM_SET_XCRS: %s", strerror(errno));
	}
	return 0;
}

int hw_regs_set(struct vcpu *v, const struct x86_state *s)
{
	struct hw_vm *hw = v->vm->engine_priv;
	struct hw_vcpu *h = v->engine_priv;
	struct kvm_sregs sr;
	/* Start from KVM's view so fields x86_state lacks (interrupt bitmap) stay sane. */
	if (xioctl(h->fd, KVM_GET_SREGS, &sr, "KVM_GET_SREGS"))
		return -EIO;
	struct kvm_segment *ks[X86_NR_SREGS] = { &sr.es, &sr.cs, &sr.ss, &sr.ds, &sr.fs, &sr.gs };
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		seg_to_kvm(ks[i], &s->seg[i]);
	seg_to_kvm(&sr.ldt, &s->ldt);
	seg_to_kvm(&sr.tr, &s->tr);
	sr.gdt.base = s->gdt.base;
	sr.gdt.limit = s->gdt.limit;
	sr.idt.base = s->idt.base;
	sr.idt.limit = s->idt.limit;
	sr.cr0 = s->cr0;
	sr.cr2 = s->cr2;
	sr.cr3 = s->cr3;
	sr.cr4 = s->cr4;
	sr.cr8 = s->cr8;
	sr.efer = s->efer;
	if (s->msr.apic_base)
		sr.apic_base = s->msr.apic_base;
	memset(sr.interrupt_bitmap, 0, sizeof(sr.interrupt_bitmap));
	if (xioctl(h->fd, KVM_SET_SREGS, &sr, "KVM_SET_SREGS"))
		return -EIO;
	const uint64_t *g = s->gpr;
	struct kvm_regs r = { .rax = g[X86_RAX], .rbx = g[X86_RBX], .rcx = g[X86_RCX],
			      .rdx = g[X86_RDX], .rsi = g[X86_RSI], .rdi = g[X86_RDI],
			      .rsp = g[X86_RSP], .rbp = g[X86_RBP], .r8 = g[X86_R8],
			      .r9 = g[X86_R9], .r10 = g[X86_R10], .r11 = g[X86_R11],
			      .r12 = g[X86_R12], .r13 = g[X86_R13], .r14 = g[X86_R14],
			      .r15 = g[X86_R15], .rip = s->rip, .rflags = s->rflags | X86_FLAGS_FIXED };
	if (xioctl(h->fd, KVM_SET_REGS, &r, "KVM_SET_REGS"))
		return -EIO;
	struct kvm_fpu fpu;
	fpu_to_kvm(&fpu, &s->fpu);
	if (xioctl(h->fd, KVM_SET_FPU, &fpu, "KVM_SET_FPU"))
		return -EIO;
	return set_extra(hw, h->fd, s);
}

/* ---- CPUID ---- */

#define HW_CPUID_MAX 256

int hw_cpuid_init(struct hw_vm *hw)
{
	size_t sz = sizeof(struct kvm_cpuid2) + HW_CPUID_MAX * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = calloc(1, sz);
	if (!c)
		return -ENOMEM;
	c->nent = HW_CPUID_MAX;
	if (ioctl(hw->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		int e = errno;
		vmm_err("hw: KVM_GET_SUPPORTED_CPUID: %s", strerror(e));
		free(c);
		return -e;
	}
	/* Replace KVM's own hypervisor leaves with Triplex's (docs/guests.md). */
	uint32_t n = 0;
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function >= 0x40000000 && e->function < 0x50000000)
			continue;
		if (e->function == 1)
			e->ecx |= 1u << 31; /* hypervisor present */
		hw_irq_cpuid(hw, e);
		c->entries[n++] = *e;
	}
	if (n + 2 > HW_CPUID_MAX) {
		free(c);
		return -ENOSPC;
	}
	struct kvm_cpuid_entry2 sig = { .function = 0x40000000, .eax = 0x40000001 };
	memcpy(&sig.ebx, "Trip", 4);
	memcpy(&sig.ecx, "lexV", 4);
	memcpy(&sig.edx, "MM\0\0", 4);
	struct kvm_cpuid_entry2 eng = { .function = 0x40000001, .eax = 2 };
	memcpy(&eng.ebx, "hw\0\0", 4);
	c->entries[n++] = sig;
	c->entries[n++] = eng;
	c->nent = n;
	hw->cpuid = c;
	return 0;
}

int hw_cpuid_set(struct hw_vm *hw, struct vcpu *v, int fd)
{
	size_t sz = sizeof(struct kvm_cpuid2) + hw->cpuid->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(sz);
	if (!c)
		return -ENOMEM;
	memcpy(c, hw->cpuid, sz);
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1) /* initial APIC ID */
			e->ebx = (e->ebx & 0x00ffffff) | (v->id << 24);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->id;
	}
	int r = 0;
	if (ioctl(fd, KVM_SET_CPUID2, c) < 0) {
		r = -errno;
		vmm_err("hw: KVM_SET_CPUID2 for vcpu %u: %s", v->id, strerror(errno));
	}
	free(c);
	return r;
}
