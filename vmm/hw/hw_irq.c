/* hw_irq.c: the hw engine's side of the core's interrupt controller (KVM
 * without its in-kernel irqchip): the local APIC's MSRs reach the device
 * model through KVM's user-space MSR exits (a filter sends IA32_APIC_BASE
 * and IA32_TSC_DEADLINE out; the x2APIC range, which KVM refuses without
 * its own APIC, exits as "invalid"), CR8 travels in kvm_run, NMIs go in with
 * KVM_NMI, and the guest's CPUID says x2APIC and TSC-deadline only when
 * those exits work. The xAPIC page needs nothing: no memory slot covers it,
 * so its accesses are MMIO exits like any device's. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/hw/hw_internal.h"

void hw_irq_init(struct vm *vm, struct hw_vm *hw)
{
	hw->apic = vm->irq_ops && vm->irq_ops->msr_read;
	hw->apic_msrs = false;
	if (!hw->apic)
		return;
	if (ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
	    ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0) {
		vmm_info("hw: KVM has no user-space MSR exits: the guest gets no x2APIC and no "
			 "TSC-deadline timer (CPUID says so)");
		return;
	}
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_X86_USER_SPACE_MSR,
		.args = { KVM_MSR_EXIT_REASON_FILTER | KVM_MSR_EXIT_REASON_INVAL },
	};
	if (ioctl(hw->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		vmm_warn("hw: KVM_ENABLE_CAP(X86_USER_SPACE_MSR): %s; no x2APIC or TSC-deadline",
			 strerror(errno));
		return;
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
		return;
	}
	hw->apic_msrs = true;
}

void hw_irq_cpuid(const struct hw_vm *hw, struct kvm_cpuid_entry2 *e)
{
	if (e->function != 1)
		return;
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
