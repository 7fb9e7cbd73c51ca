/* hw_kvm.c: the hw engine: a KVM VM with Triplex's user-space device model.
 * Guest memory regions become KVM memory slots; port and MMIO exits go to
 * io_dispatch(); external interrupts come from the board's local APIC and
 * are injected with KVM_INTERRUPT, using interrupt-window exits when the
 * guest cannot take them yet (the local APIC's MSRs, CR8 and NMIs, and the
 * in-kernel irqchip experiment: hw_irq.c); HLT returns to the core, which
 * sleeps until an interrupt is due. Every exit is counted by reason with its handling time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/core/disas.h"
#include "vmm/core/host.h"
#include "vmm/hw/hw_internal.h"

static const char *const hw_exit_labels[HW_EXIT_NR] = {
	[HW_EXIT_IO_IN] = "io-in",	       [HW_EXIT_IO_OUT] = "io-out",
	[HW_EXIT_MMIO_READ] = "mmio-read",     [HW_EXIT_MMIO_WRITE] = "mmio-write",
	[HW_EXIT_HLT] = "hlt",		       [HW_EXIT_IRQ_WINDOW] = "irq-window",
	[HW_EXIT_INTR] = "signal (kick)",      [HW_EXIT_SHUTDOWN] = "shutdown",
	[HW_EXIT_FAIL_ENTRY] = "fail-entry",   [HW_EXIT_INTERNAL_ERROR] = "internal-error",
	[HW_EXIT_DEBUG] = "debug",	       [HW_EXIT_MSR] = "msr (local APIC)",
	[HW_EXIT_TPR] = "cr8 lowered",	       [HW_EXIT_OTHER] = "other",
};

static const char *const hw_evt_labels[HW_EVT_NR] = {
	[HW_EVT_IRQ_INJECTED] = "irq-injected",
	[HW_EVT_WINDOW_REQUESTED] = "irq-window-requested",
};

static int hw_probe(const struct host_caps *caps, char *why, size_t len)
{
	if (caps->kvm != HOST_KVM_OK) {
		snprintf(why, len, "%s", caps->kvm_why);
		return -ENODEV;
	}
	return 0;
}

static int hw_set_memory(struct vm *vm, struct hw_vm *hw)
{
	for (unsigned i = 0; i < vm->mem.nr_regions; i++) {
		const struct mem_region *r = &vm->mem.region[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.flags = (r->flags & MEM_READONLY) ? KVM_MEM_READONLY : 0,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uint64_t)(uintptr_t)r->hva,
		};
		if (ioctl(hw->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0) {
			vmm_err("hw: KVM_SET_USER_MEMORY_REGION '%s' at %#llx size %#llx: %s",
				r->name, (unsigned long long)r->gpa, (unsigned long long)r->size,
				strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static void hw_vm_destroy(struct vm *vm)
{
	struct hw_vm *hw = vm->engine_priv;
	if (!hw)
		return;
	hw_irq_fini(vm);
	if (hw->vm_fd >= 0)
		close(hw->vm_fd);
	if (hw->kvm_fd >= 0)
		close(hw->kvm_fd);
	free(hw->cpuid);
	free(hw);
	vm->engine_priv = NULL;
}

static int hw_vm_create(struct vm *vm)
{
	struct hw_vm *hw = calloc(1, sizeof(*hw));
	if (!hw)
		return -ENOMEM;
	hw->vm_fd = -1;
	vm->engine_priv = hw;
	int r;
	hw->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (hw->kvm_fd < 0) {
		r = -errno;
		vmm_err("hw: /dev/kvm: %s", strerror(errno));
		goto fail;
	}
	hw->vm_fd = ioctl(hw->kvm_fd, KVM_CREATE_VM, 0);
	if (hw->vm_fd < 0) {
		r = -errno;
		vmm_err("hw: KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	hw->run_size = ioctl(hw->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (hw->run_size <= 0) {
		r = -EINVAL;
		vmm_err("hw: KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
		goto fail;
	}
	/* Intel needs these for real mode; other KVMs accept and ignore them. */
	if (ioctl(hw->vm_fd, KVM_SET_TSS_ADDR, HW_TSS_ADDR) < 0)
		vmm_debug(hw, "KVM_SET_TSS_ADDR: %s", strerror(errno));
	uint64_t idmap = HW_IDENTITY_MAP_ADDR;
	if (ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0 &&
	    ioctl(hw->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0)
		vmm_debug(hw, "KVM_SET_IDENTITY_MAP_ADDR: %s", strerror(errno));
	hw->has_xcrs = ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	hw->has_events = ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS) > 0;
	hw->has_debugregs = ioctl(hw->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) > 0;
	hw_msrs_init(hw);
	r = hw_irq_init(vm, hw);
	if (r)
		goto fail;
	r = hw_cpuid_init(hw);
	if (r)
		goto fail;
	r = hw_set_memory(vm, hw);
	if (r)
		goto fail;
	return 0;
fail:
	hw_vm_destroy(vm);
	return r;
}

static void hw_vcpu_destroy(struct vcpu *v)
{
	struct hw_vcpu *h = v->engine_priv;
	if (!h)
		return;
	if (h->run)
		munmap(h->run, (size_t)((struct hw_vm *)v->vm->engine_priv)->run_size);
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	v->engine_priv = NULL;
}

static int hw_vcpu_create(struct vcpu *v)
{
	struct hw_vm *hw = v->vm->engine_priv;
	struct hw_vcpu *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	v->engine_priv = h;
	h->fd = ioctl(hw->vm_fd, KVM_CREATE_VCPU, v->id);
	if (h->fd < 0) {
		int e = errno;
		vmm_err("hw: KVM_CREATE_VCPU %u: %s", v->id, strerror(e));
		hw_vcpu_destroy(v);
		return -e;
	}
	h->run = mmap(NULL, (size_t)hw->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
	if (h->run == MAP_FAILED) {
		int e = errno;
		h->run = NULL;
		vmm_err("hw: mmap of kvm_run for vcpu %u: %s", v->id, strerror(e));
		hw_vcpu_destroy(v);
		return -e;
	}
	int r = hw_cpuid_set(hw, v, h->fd);
	if (!r)
		r = perf_set_add(&v->stats, "hw.exits", "exits", hw_exit_labels, HW_EXIT_NR,
				 h->exits, true);
	if (!r)
		r = perf_set_add(&v->stats, "hw.events", "events", hw_evt_labels, HW_EVT_NR,
				 h->evt, false);
	if (r) {
		hw_vcpu_destroy(v);
		return r;
	}
	return 0;
}

static void hw_vcpu_kick(struct vcpu *v)
{
	struct hw_vcpu *h = v->engine_priv;
	if (!h || !h->run)
		return;
	/* KVM_CAP_IMMEDIATE_EXIT: a KVM_RUN that starts after this returns at
	 * once; the signal interrupts one already running. */
	__atomic_store_n(&h->run->immediate_exit, 1, __ATOMIC_RELEASE);
	vcpu_signal(v);
}

/* Offer a pending PIC interrupt to the guest, or ask KVM to exit as soon as
 * the guest can take one (IF=1 and no interrupt shadow). */
static void hw_inject(struct vcpu *v, struct hw_vcpu *h)
{
	struct kvm_run *run = h->run;
	if (!vcpu_intr_pending(v) || h->stepping) {
		run->request_interrupt_window = 0;
		return;
	}
	if (run->ready_for_interrupt_injection && run->if_flag) {
		struct kvm_interrupt irq = { .irq = (uint32_t)vcpu_intr_ack(v) };
		if (ioctl(h->fd, KVM_INTERRUPT, &irq) < 0)
			vmm_warn("hw: KVM_INTERRUPT vector %u: %s", irq.irq, strerror(errno));
		h->evt[HW_EVT_IRQ_INJECTED].count++;
		run->request_interrupt_window = vcpu_intr_pending(v);
	} else {
		run->request_interrupt_window = 1;
		h->evt[HW_EVT_WINDOW_REQUESTED].count++;
	}
}

static void hw_pio(struct vm *vm, struct hw_vcpu *h)
{
	struct kvm_run *run = h->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	/* rep ins/outs arrive as (count) items of (size) bytes */
	for (uint32_t i = 0; i < run->io.count && !vm_stopping(vm); i++, data += run->io.size)
		io_dispatch(&vm->pio, run->io.port, data, run->io.size, out);
}

/* KVM could not emulate an instruction (a software KVM emulates all ring-0
 * code, and some instructions it cannot): name the instruction. */
static void format_internal_error(struct vcpu *v, struct kvm_run *run, char *buf, size_t len)
{
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		struct x86_state s;
		unsigned bits = 32;
		uint64_t rip = 0;
		if (hw_regs_get(v, &s) == 0) {
			bits = !(s.cr0 & X86_CR0_PE) ? 16 : s.seg[X86_CS].l ? 64 : s.seg[X86_CS].db ? 32 : 16;
			rip = s.rip;
		}
		char insn[64];
		unsigned size = VMM_MIN(run->emulation_failure.insn_size, 15u);
		disas_insn(run->emulation_failure.insn_bytes, size, bits, rip, insn, sizeof(insn));
		snprintf(buf, len, "KVM could not emulate '%s' at %#llx (%u-bit code)", insn,
			 (unsigned long long)rip, bits);
		return;
	}
	int n = snprintf(buf, len, "KVM internal error, suberror %u", run->internal.suberror);
	for (uint32_t i = 0; i < run->internal.ndata && i < 4 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, " data[%u]=%#llx", i,
			      (unsigned long long)run->internal.data[i]);
}

/* Handle one exit. Returns 1 to keep running, 0 with (ex) filled to return
 * to the core. */
static int hw_handle_exit(struct vcpu *v, struct hw_vcpu *h, struct vcpu_exit *ex)
{
	struct vm *vm = v->vm;
	struct kvm_run *run = h->run;
	enum hw_exit kind;
	int cont = 1;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		kind = run->io.direction == KVM_EXIT_IO_OUT ? HW_EXIT_IO_OUT : HW_EXIT_IO_IN;
		hw_pio(vm, h);
		h->incomplete = true;
		break;
	case KVM_EXIT_MMIO:
		kind = run->mmio.is_write ? HW_EXIT_MMIO_WRITE : HW_EXIT_MMIO_READ;
		io_dispatch(&vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			    run->mmio.is_write);
		h->incomplete = true;
		break;
	case KVM_EXIT_HLT:
		kind = HW_EXIT_HLT;
		ex->reason = VCPU_EXIT_HLT;
		ex->hlt_if = run->if_flag;
		cont = 0;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		kind = HW_EXIT_IRQ_WINDOW;
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		kind = HW_EXIT_MSR;
		hw_irq_msr_exit(v, h);
		h->incomplete = true;
		break;
	case KVM_EXIT_SET_TPR: /* CR8 lowered: hw_irq_post_run synced it */
		kind = HW_EXIT_TPR;
		break;
	case KVM_EXIT_SHUTDOWN:
		kind = HW_EXIT_SHUTDOWN;
		ex->reason = VCPU_EXIT_SHUTDOWN;
		snprintf(ex->msg, sizeof(ex->msg), "KVM reported a shutdown (triple fault)");
		cont = 0;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		kind = HW_EXIT_FAIL_ENTRY;
		ex->reason = VCPU_EXIT_ERROR;
		snprintf(ex->msg, sizeof(ex->msg),
			 "KVM could not enter the guest (hardware entry failure reason %#llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		cont = 0;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		kind = HW_EXIT_INTERNAL_ERROR;
		ex->reason = VCPU_EXIT_ERROR;
		format_internal_error(v, run, ex->msg, sizeof(ex->msg));
		cont = 0;
		break;
	case KVM_EXIT_DEBUG:
		kind = HW_EXIT_DEBUG;
		ex->reason = VCPU_EXIT_DEBUG;
		cont = 0;
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		kind = HW_EXIT_OTHER;
		ex->reason = VCPU_EXIT_SHUTDOWN;
		snprintf(ex->msg, sizeof(ex->msg), "KVM system event type %u",
			 run->system_event.type);
		cont = 0;
		break;
	default:
		kind = HW_EXIT_OTHER;
		ex->reason = VCPU_EXIT_ERROR;
		snprintf(ex->msg, sizeof(ex->msg), "unexpected KVM exit reason %u",
			 run->exit_reason);
		cont = 0;
		break;
	}
	perf_count(&h->exits[kind], vmm_now_ns() - h->run_start);
	return cont;
}

/* An I/O, MMIO or MSR exit is complete (RAX holds what IN read, RIP is past
 * the instruction) only once KVM_RUN is entered again (api.rst: "the
 * corresponding operations are complete ... only after userspace has
 * re-entered the kernel with KVM_RUN"). Before the core reads or replaces
 * the state (an engine switch, a pause), enter once with immediate_exit so
 * KVM finishes the operation and returns without running the guest. */
static void hw_complete(struct hw_vcpu *h)
{
	if (!h->incomplete)
		return;
	__atomic_store_n(&h->run->immediate_exit, 1, __ATOMIC_RELEASE);
	if (ioctl(h->fd, KVM_RUN, 0) == 0) /* an exit after all: nothing was run */
		vmm_debug(hw, "KVM_RUN with immediate_exit returned exit %u", h->run->exit_reason);
	__atomic_store_n(&h->run->immediate_exit, 0, __ATOMIC_RELEASE);
	h->incomplete = false;
}

int hw_vcpu_run(struct vcpu *v, struct vcpu_exit *ex)
{
	struct hw_vcpu *h = v->engine_priv;
	struct kvm_run *run = h->run;
	for (;;) {
		if (vcpu_has_requests(v) || vm_stopping(v->vm)) {
			hw_complete(h);
			ex->reason = VCPU_EXIT_REQUEST;
			return 0;
		}
		hw_irq_pre_run(v, h);
		hw_inject(v, h);
		int r = ioctl(h->fd, KVM_RUN, 0);
		h->incomplete = false;
		h->run_start = vmm_now_ns();
		hw_irq_post_run(v, h);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELEASE);
				perf_count(&h->exits[HW_EXIT_INTR], 0);
				continue;
			}
			int e = errno;
			ex->reason = VCPU_EXIT_ERROR;
			snprintf(ex->msg, sizeof(ex->msg), "KVM_RUN: %s", strerror(e));
			return 0;
		}
		if (!hw_handle_exit(v, h, ex))
			return 0;
	}
}

/* Breakpoints in the debug registers (SDM 3B 17.2: DR7 G0-G3 at bits 1, 3,
 * 5, 7; R/W and LEN 0 = instruction fetch), a step with the trap flag. */
static int hw_set_debug(struct vcpu *v, const struct vcpu_debug *d, char *why, size_t len)
{
	struct hw_vcpu *h = v->engine_priv;
	struct kvm_guest_debug dbg = { .control = 0 };
	if (d->nr_bp > 4) {
		snprintf(why, len, "hw holds 4 breakpoints (the debug registers), not %u",
			 d->nr_bp);
		return -ENOSPC;
	}
	if (d->step || d->nr_bp)
		dbg.control = KVM_GUESTDBG_ENABLE;
	if (d->step)
		dbg.control |= KVM_GUESTDBG_SINGLESTEP;
	if (d->nr_bp) {
		dbg.control |= KVM_GUESTDBG_USE_HW_BP;
		for (unsigned i = 0; i < d->nr_bp; i++) {
			dbg.arch.debugreg[i] = d->bp[i];
			dbg.arch.debugreg[7] |= 2ull << (i * 2);
		}
	}
	if (ioctl(h->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0) {
		int e = errno;
		snprintf(why, len, "KVM_SET_GUEST_DEBUG: %s", strerror(e));
		return -e;
	}
	h->stepping = d->step;
	return 0;
}

const struct engine_ops hw_engine_ops = {
	.name = "hw",
	.desc = "hardware assist through KVM (VT-x/AMD-V, or the host's software KVM)",
	.probe = hw_probe,
	.check_guest = hw_check_guest,
	.vm_create = hw_vm_create,
	.vm_destroy = hw_vm_destroy,
	.vcpu_create = hw_vcpu_create,
	.vcpu_destroy = hw_vcpu_destroy,
	.vcpu_run = hw_vcpu_run,
	.regs_get = hw_regs_get,
	.regs_set = hw_regs_set,
	.vcpu_kick = hw_vcpu_kick,
	.host_report = hw_host_report,
	.set_debug = hw_set_debug,
};
