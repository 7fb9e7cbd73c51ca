/* hw_irq.c: the hw engine's side of the core's interrupt controller (KVM
 * without its in-kernel irqchip): the local APIC's MSRs reach the device
 * model through KVM's user-space MSR exits (a filter sends IA32_APIC_BASE
 * and IA32_TSC_DEADLINE out; the x2APIC range, which KVM refuses without
 * its own APIC, exits as "invalid"), CR8 travels in kvm_run, NMIs go in with
 * KVM_NMI, and the guest's CPUID says x2APIC and TSC-deadline only when
 * those exits work. The xAPIC page needs nothing: no memory slot covers it,
 * so its accesses are MMIO exits like any device's.
 *
 * TRIPLEX_HW_IRQCHIP=kernel is a measurement, not a mode users should want:
 * KVM's in-kernel PIC, IOAPIC and local APIC (KVM_CREATE_IRQCHIP) replace
 * the board's, device lines go in with KVM_IRQ_LINE (routed as QEMU does:
 * GSI 0 to IOAPIC pin 2), and the guest sees KVM's controllers (an IOAPIC
 * of version 0x11 without the EOI register), not the machine bt and pv
 * show: docs/apic.md says what it costs and why the default is "user". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/hw/hw_internal.h"

static struct vm *kernel_vm; /* the VM whose lines go to KVM (one per process) */

static void kernel_set_irq(struct vm *vm, unsigned irq, int level)
{
	struct hw_vm *hw = vm->engine_priv;
	struct kvm_irq_level l = { .irq = irq, .level = level ? 1 : 0 };
	if (hw && ioctl(hw->vm_fd, KVM_IRQ_LINE, &l) < 0)
		vmm_warn("hw: KVM_IRQ_LINE %u: %s", irq, strerror(errno));
}

/* GSI routing as QEMU's pc with KVM's irqchip: ISA IRQ n to i8259 input n
 * (not 2, the cascade) and to IOAPIC pin n, IRQ 0 to pin 2. */
static int kernel_routing(struct hw_vm *hw)
{
	struct {
		struct kvm_irq_routing r;
		struct kvm_irq_routing_entry e[48];
	} rt = { .r.nr = 0 };
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		if (gsi < 16 && gsi != 2)
			rt.e[rt.r.nr++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
								 : KVM_IRQCHIP_PIC_SLAVE,
					       .pin = gsi & 7 } };
		if (gsi != 2)
			rt.e[rt.r.nr++] = (struct kvm_irq_routing_entry){
				.gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
				.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi ? gsi : 2 } };
	}
	if (ioctl(hw->vm_fd, KVM_SET_GSI_ROUTING, &rt) < 0) {
		vmm_err("hw: KVM_SET_GSI_ROUTING: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int kernel_init(struct vm *vm, struct hw_vm *hw)
{
	if (kernel_vm) {
		vmm_err("hw: TRIPLEX_HW_IRQCHIP=kernel: one such VM per process");
		return -EBUSY;
	}
	if (ioctl(hw->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		vmm_err("hw: TRIPLEX_HW_IRQCHIP=kernel: KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -errno;
	}
	int r = kernel_routing(hw);
	if (r)
		return r;
	hw->kernel_irqchip = true;
	kernel_vm = vm;
	vm->irq_bypass = kernel_set_irq;
	vmm_info("hw: KVM's in-kernel irqchip (TRIPLEX_HW_IRQCHIP=kernel): the guest sees KVM's "
		 "PIC, IOAPIC and local APIC, not the board's");
	return 0;
}

void hw_irq_fini(struct vm *vm)
{
	if (kernel_vm == vm) {
		vm->irq_bypass = NULL;
		kernel_vm = NULL;
	}
}

int hw_irq_init(struct vm *vm, struct hw_vm *hw)
{
	hw->apic = false;
	hw->apic_msrs = false;
	const char *want = getenv("TRIPLEX_HW_IRQCHIP");
	if (want && !strcmp(want, "kernel"))
		return kernel_init(vm, hw);
	if (want && *want && strcmp(want, "user")) {
		vmm_err("hw: TRIPLEX_HW_IRQCHIP: '%s' is not an irqchip (expected user or kernel)",
			want);
		return -EINVAL;
	}
	hw->apic = vm->irq_ops && vm->irq_ops->msr_read;
	if (!hw->apic)
		return 0;
	if (ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
	    ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0) {
		vmm_info("hw: KVM has no user-space MSR exits: the guest gets no x2APIC and no "
			 "TSC-deadline timer (CPUID says so)");
		return 0;
	}
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = { KVM_MSR_EXIT_REASON_FILTER | KVM_MSR_EXIT_REASON_INVAL },
	};
	if (ioctl(hw->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		vmm_warn("hw: KVM_ENABLE_CAP(X86_USER_SPACE_MSR): %s; no x2APIC or TSC-deadline",
			 strerror(errno));
		return 0;
	}
	static uint8_t deny; /* one MSR per range, its bit clear: exit to us */
	struct kvm_msr_filter f = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = {
			{ .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .nmsrs = 1,
			  .base = X86_MSR_APIC_BASE, .bitmap = &deny },
			{ .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .nmsrs = 1,
			  .base = X86_MSR_TSC_DEADLINE, .bitmap = &deny },
		},
	};
	if (ioctl(hw->vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0) {
		vmm_warn("hw: KVM_X86_SET_MSR_FILTER: %s; no x2APIC or TSC-deadline",
			 strerror(errno));
		return 0;
	}
	hw->apic_msrs = true;
	return 0;
}

void hw_irq_cpuid(const struct hw_vm *hw, struct kvm_cpuid_entry2 *e)
{
	if (e->function != 1)
		return;
	if (hw->kernel_irqchip) { /* KVM's APIC: x2APIC as KVM says, TSC-deadline too */
		if (ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
			e->ecx |= 1u << 24;
		return;
	}
	if (!hw->apic)
		e->edx &= ~(1u << 9); /* no board: no APIC */
	if (hw->apic_msrs)
		e->ecx |= 1u << 24 | 1u << 21;     /* TSC-deadline, x2APIC */
	else
		e->ecx &= ~(1u << 24 | 1u << 21);
}

/* The guest's TSC now (for a TSC-deadline write): KVM's, which may be
 * offset from the host's. */
static uint64_t guest_tsc(int fd)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = X86_MSR_TSC };
	if (ioctl(fd, KVM_GET_MSRS, &m) != 1)
		return 0;
	return m.e.data;
}

void hw_irq_msr_exit(struct vcpu *v, struct hw_vcpu *h)
{
	struct kvm_run *run = h->run;
	int r;
	if (run->exit_reason == KVM_EXIT_X86_RDMSR) {
		uint64_t val = 0;
		r = vcpu_msr_read(v, run->msr.index, &val);
		run->msr.data = r ? 0 : val;
	} else {
		uint64_t tsc = run->msr.index == X86_MSR_TSC_DEADLINE ? guest_tsc(h->fd) : 0;
		r = vcpu_msr_write(v, run->msr.index, run->msr.data, tsc);
	}
	/* not the APIC's (-ENOENT) or refused (-EINVAL): #GP, as KVM would */
	run->msr.error = r ? 1 : 0;
}

void hw_irq_pre_run(struct vcpu *v, struct hw_vcpu *h)
{
	if (!h->stepping && vcpu_nmi_pending(v) && vcpu_nmi_take(v)) {
		if (ioctl(h->fd, KVM_NMI) < 0)
			vmm_warn("hw: KVM_NMI: %s", strerror(errno));
	}
	if (!((struct hw_vm *)v->vm->engine_priv)->apic)
		return; /* no board (unit tests): CR8 is KVM's alone */
	h->cr8 = vcpu_cr8_get(v);
	h->run->cr8 = h->cr8;
}

void hw_irq_post_run(struct vcpu *v, struct hw_vcpu *h)
{
	if (((struct hw_vm *)v->vm->engine_priv)->apic && h->run->cr8 != h->cr8)
		/* the guest wrote CR8 (64-bit mode) */
		vcpu_cr8_set(v, h->run->cr8);
}
