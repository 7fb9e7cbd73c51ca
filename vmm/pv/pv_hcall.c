/* pv_hcall.c: the hypercalls of the pv ROM (docs/vmi.md), run by K when
 * the guest kernel executes one of the ROM's int3 sites. Arguments come
 * from the guest's stack (32-bit cdecl) or registers (64-bit System V);
 * the result goes to EAX/RAX. Port I/O, console output, the timer and halt
 * go to the VMM; the rest is the engine's own business. Malformed
 * arguments get -PV_EINVAL / -PV_EFAULT, never more. */
#include <string.h>

#include "vmm/pv/pv_internal.h"

#define PIT_FREQ 1193182u

struct call {
	struct pv_child *c;
	struct pv_regs *r;
	bool fault; /* an argument could not be read */
};

static uint64_t arg(struct call *k, unsigned i)
{
	static const int regs[] = { X86_RDI, X86_RSI, X86_RDX, X86_RCX, X86_R8 };
	if (k->c->bits == 64)
		return i < VMM_ARRAY_SIZE(regs) ? k->r->gpr[regs[i]] : 0;
	uint32_t v = 0;
	uint64_t fva;
	if (pv_gva_read(k->c, k->r->gpr[X86_RSP] + 4 + 4ull * i, &v, 4, &fva))
		k->fault = true;
	return v;
}

/* A 64-bit argument: one register, or two stack slots. */
static uint64_t arg64(struct call *k, unsigned i)
{
	if (k->c->bits == 64)
		return arg(k, i);
	return arg(k, i) | arg(k, i + 1) << 32;
}

static void ret(struct call *k, uint64_t v)
{
	k->r->gpr[X86_RAX] = k->c->bits == 32 ? (uint32_t)v : v;
	if (k->c->bits == 32)
		k->r->gpr[X86_RDX] = (uint32_t)(v >> 32);
}

/* Port accesses, done by the VMM in one round trip. */
static void io(struct pv_child *c, const struct pv_io_op *ops, unsigned n)
{
	struct pv_req_msg *q = &c->chan->req;
	q->kind = PV_REQ_IO;
	q->n = n;
	memcpy(q->io, ops, n * sizeof(*ops));
	c->chan->ctr.fwd[PV_FWD_IO].count++;
	pv_ask_parent(c);
}

static void hc_io(struct call *k, bool out)
{
	uint64_t port = arg(k, 0), size = arg(k, 1);
	if (k->fault || port > 0xffff || (size != 1 && size != 2 && size != 4)) {
		ret(k, (uint64_t)-PV_EINVAL);
		return;
	}
	struct pv_io_op op = { .port = (uint16_t)port, .size = (uint8_t)size, .write = out,
			       .value = out ? (uint32_t)arg(k, 2) : 0 };
	io(k->c, &op, 1);
	ret(k, out ? 0 : k->c->chan->req.io[0].value);
}

/* PIT channel 0 as the native ROM programs it (8254 datasheet). */
static void hc_timer_set(struct call *k)
{
	uint64_t hz = arg(k, 0);
	struct pv_io_op ops[3] = { { .port = 0x43, .size = 1, .write = 1, .value = 0x30 } };
	unsigned n = 1;
	if (hz) {
		uint32_t div = (uint32_t)((PIT_FREQ + hz / 2) / hz);
		ops[0].value = 0x34;
		ops[1] = (struct pv_io_op){ .port = 0x40, .size = 1, .write = 1, .value = div & 0xff };
		ops[2] = (struct pv_io_op){ .port = 0x40, .size = 1, .write = 1,
					    .value = (div >> 8) & 0xff };
		n = 3;
	}
	io(k->c, ops, n);
	ret(k, 0);
}

static void hc_timer_read(struct call *k)
{
	struct pv_io_op ops[3] = {
		{ .port = 0x43, .size = 1, .write = 1, .value = 0 },
		{ .port = 0x40, .size = 1 },
		{ .port = 0x40, .size = 1 },
	};
	io(k->c, ops, 3);
	const struct pv_io_op *r = k->c->chan->req.io;
	ret(k, (r[1].value & 0xff) | (r[2].value & 0xff) << 8);
}

static void hc_console(struct call *k)
{
	struct pv_req_msg *q = &k->c->chan->req;
	uint64_t buf = arg(k, 0), len = arg(k, 1), fva;
	if (k->fault || len > PV_CONSOLE_MAX) {
		ret(k, (uint64_t)-PV_EINVAL);
		return;
	}
	if (pv_gva_read(k->c, buf, q->console, len, &fva)) {
		ret(k, (uint64_t)-PV_EFAULT);
		return;
	}
	q->kind = PV_REQ_CONSOLE;
	q->n = (uint32_t)len;
	k->c->chan->ctr.fwd[PV_FWD_CONSOLE].count++;
	pv_ask_parent(k->c);
	ret(k, len);
}

/* hlt: with an interrupt waiting and IF set, it is taken at once; else the
 * VMM parks the vCPU until one is due (or, IF clear, for good). */
static void hc_halt(struct call *k, bool safe)
{
	struct pv_chan *ch = k->c->chan;
	struct pv_shared *sh = k->c->vm->shared;
	ret(k, 0);
	if (safe)
		sh->vif = 1;
	if (!(sh->vif && ch->irq_vector >= 0)) {
		ch->req.kind = PV_REQ_HALT;
		ch->req.hlt_if = sh->vif;
		ch->ctr.fwd[PV_FWD_HALT].count++;
		pv_ask_parent(k->c);
	}
	pv_irq_check(k->c);
}

static void hc_cr(struct call *k, int n)
{
	struct pv_cpu *cpu = &k->c->chan->cpu;
	struct pv_shared *sh = k->c->vm->shared;
	uint64_t v = arg(k, 0), old;
	ret(k, 0);
	switch (n) {
	case 0:
		old = cpu->cr0;
		cpu->cr0 = sh->cr0 = v | X86_CR0_PE | X86_CR0_ET;
		if ((old ^ cpu->cr0) & (X86_CR0_PG | X86_CR0_WP))
			pv_mmu_flush_all(k->c);
		break;
	case 2:
		cpu->cr2 = sh->cr2 = v;
		break;
	case 3:
		pv_mmu_flush_queue(k->c);
		old = cpu->cr3;
		cpu->cr3 = sh->cr3 = v;
		pv_mmu_cr3(k->c, old, v);
		break;
	case 4:
		old = cpu->cr4;
		cpu->cr4 = sh->cr4 = v;
		if ((old ^ v) & (X86_CR4_PAE | X86_CR4_PSE | X86_CR4_PGE))
			pv_mmu_flush_all(k->c);
		break;
	}
}

static uint64_t host_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* The local APIC's MSRs: one round trip to the VMM's device model. No
 * #GP comes back through the ROM call: a refused read returns 0 and a
 * refused write has no effect (docs/vmi.md). */
static bool apic_msr(struct call *k, uint32_t msr, bool write, uint64_t v)
{
	if (msr != X86_MSR_APIC_BASE && msr != X86_MSR_TSC_DEADLINE && (msr < 0x800 || msr > 0x8ff))
		return false;
	struct pv_req_msg *q = &k->c->chan->req;
	q->kind = PV_REQ_MSR;
	q->msr = msr;
	q->msr_write = write;
	q->msr_value = v;
	q->msr_tsc = host_rdtsc(); /* a pv guest's RDTSC is the host's */
	k->c->chan->ctr.fwd[PV_FWD_MSR].count++;
	pv_ask_parent(k->c);
	ret(k, write || q->msr_result ? 0 : q->msr_value);
	/* an interrupt the access raised (a self-IPI, a lowered TPR, an EOI
	 * uncovering the next vector) is taken after the call, as after WRMSR */
	pv_irq_check(k->c);
	return true;
}

/* MSRs: EFER as the guest may change it (NXE, SCE; long mode is fixed by
 * the note), the TSC, the local APIC's (in the VMM), and the rest
 * remembered but without effect. */
static void hc_msr(struct call *k, bool write)
{
	struct pv_cpu *cpu = &k->c->chan->cpu;
	uint32_t msr = (uint32_t)arg(k, 0);
	uint64_t v = write ? arg64(k, 1) : 0;
	if (apic_msr(k, msr, write, v))
		return;
	if (msr == X86_MSR_EFER) {
		if (!write) {
			ret(k, cpu->efer);
			return;
		}
		uint64_t old = cpu->efer;
		uint64_t keep = k->c->bits == 64 ? X86_EFER_LME | X86_EFER_LMA : 0;
		cpu->efer = (v & (X86_EFER_NXE | X86_EFER_SCE)) | keep;
		if ((old ^ cpu->efer) & X86_EFER_NXE)
			pv_mmu_flush_all(k->c);
		ret(k, 0);
	} else if (msr == X86_MSR_TSC && !write) {
		ret(k, host_rdtsc());
	} else {
		ret(k, 0);
	}
}

void pv_hcall(struct pv_child *c, int kind, ucontext_t *uc)
{
	struct call k = { .c = c, .r = &c->chan->cpu.r };
	if (kind >= 0 && kind < PV_HC_NR)
		c->chan->ctr.hcall[kind].count++;
	switch (kind) {
	case PV_HC_IRQ_WINDOW: pv_irq_check(c); break;
	case PV_CALL_SAFE_HALT: hc_halt(&k, true); break;
	case PV_CALL_HALT: hc_halt(&k, false); break;
	case PV_CALL_WRITE_CR0: hc_cr(&k, 0); break;
	case PV_CALL_WRITE_CR2: hc_cr(&k, 2); break;
	case PV_CALL_WRITE_CR3: hc_cr(&k, 3); break;
	case PV_CALL_WRITE_CR4: hc_cr(&k, 4); break;
	case PV_CALL_FLUSH_TLB:
		pv_mmu_flush_queue(c);
		pv_mmu_flush_all(c);
		ret(&k, 0);
		break;
	case PV_CALL_INVLPG:
		pv_mmu_invlpg(c, arg(&k, 0));
		ret(&k, 0);
		break;
	case PV_CALL_PTE_FLUSH:
		pv_mmu_flush_queue(c);
		ret(&k, 0);
		break;
	case PV_CALL_IRET: pv_iret(c, false, uc); break;
	case PV_CALL_SYSRET: pv_iret(c, true, uc); break;
	case PV_CALL_USER_INT80: pv_reflect(c, 0x80, false, 0, true); break;
	case PV_CALL_USER_SYSCALL: pv_reflect(c, X86_EXC_UD, false, 0, false); break;
	case PV_CALL_IO_IN: hc_io(&k, false); break;
	case PV_CALL_IO_OUT: hc_io(&k, true); break;
	case PV_CALL_TIMER_SET: hc_timer_set(&k); break;
	case PV_CALL_TIMER_READ: hc_timer_read(&k); break;
	case PV_CALL_CONSOLE_WRITE: hc_console(&k); break;
	case PV_CALL_SHUTDOWN: {
		struct pv_io_op op = { .port = 0xf4, .size = 4, .write = 1,
				       .value = (uint32_t)arg(&k, 0) };
		io(c, &op, 1);
		ret(&k, 0);
		break;
	}
	case PV_CALL_READ_MSR: hc_msr(&k, false); break;
	case PV_CALL_WRITE_MSR: hc_msr(&k, true); break;
	default: ret(&k, (uint64_t)-PV_ENOSYS); break;
	}
}
