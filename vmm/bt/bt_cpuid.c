/* bt_cpuid.c: what the bt engine's CPU says it is (CPUID: the host's vendor
 * and family with the features bt implements, and the Triplex hypervisor
 * leaves 0x40000000 "TriplexVMM" / 0x40000001 engine 1 "bt"), its MSRs, and
 * the TSC (host TSC plus an offset the guest can set through MSR 0x10). */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

#include "vmm/bt/bt_internal.h"

#define BT_PHYS_BITS 36

/* Leaf 1 EDX: DE PSE TSC MSR PAE CX8 SEP PGE CMOV PAT PSE36 (no x87, no
 * MMX/SSE: bt does not emulate them) */
#define LEAF1_EDX                                                              \
	((1u << 2) | (1u << 3) | (1u << 4) | (1u << 5) | (1u << 6) | \
	 (1u << 8) | (1u << 11) | (1u << 13) | (1u << 15) | (1u << 16) | (1u << 17))
#define LEAF1_ECX (1u << 31) /* hypervisor present */

static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

void bt_cpuid(struct bt_cpu *c)
{
	uint32_t leaf = c->gpr[X86_RAX], sub = c->gpr[X86_RCX];
	uint32_t r[4] = { 0, 0, 0, 0 };
	switch (leaf) {
	case 0:
		/* the host's vendor and highest leaf, as an engine that runs
		 * CPUID natively (pv) answers, so a guest moved there sees the
		 * same leaf 0; the leaves bt does not describe read as zero */
		host_cpuid(0, 0, r);
		break;
	case 1:
		host_cpuid(1, 0, r);
		r[0] &= 0x0fff3fff;                        /* family/model/stepping */
		r[1] = (r[1] & 0x0000ffffu) | (c->vcpu ? c->vcpu->id << 24 : 0);
		r[1] &= ~0xff00u;
		r[1] |= 1u << 16;                          /* one logical processor */
		r[2] = LEAF1_ECX;
		r[3] = LEAF1_EDX;
		break;
	case 0x40000000:
		r[0] = 0x40000001;
		memcpy(&r[1], "Trip", 4);
		memcpy(&r[2], "lexV", 4);
		memcpy(&r[3], "MM\0\0", 4);
		break;
	case 0x40000001:
		r[0] = BT_ENGINE_ID;
		memcpy(&r[1], "bt\0\0", 4);
		break;
	case 0x80000000:
		r[0] = 0x80000008;
		break;
	case 0x80000001:
		r[3] = 1u << 20; /* NX */
		break;
	case 0x80000002: case 0x80000003: case 0x80000004: {
		static const char brand[48] = "Triplex bt virtual CPU";
		memcpy(r, brand + (leaf - 0x80000002) * 16, 16);
		break;
	}
	case 0x80000008:
		r[0] = BT_PHYS_BITS | (32u << 8);
		break;
	default:
		break; /* unknown leaves read as zero */
	}
	(void)sub;
	c->gpr[X86_RAX] = r[0];
	c->gpr[X86_RBX] = r[1];
	c->gpr[X86_RCX] = r[2];
	c->gpr[X86_RDX] = r[3];
}

uint64_t bt_rdtsc(struct bt_cpu *c)
{
	return __rdtsc() + (uint64_t)c->tsc_offset;
}

int bt_rdmsr(struct bt_cpu *c, uint32_t idx, uint64_t *v)
{
	switch (idx) {
	case X86_MSR_TSC: *v = bt_rdtsc(c); return 0;
	case X86_MSR_APIC_BASE: *v = c->msr.apic_base; return 0;
	case X86_MSR_SYSENTER_CS: *v = c->msr.sysenter_cs; return 0;
	case X86_MSR_SYSENTER_ESP: *v = c->msr.sysenter_esp; return 0;
	case X86_MSR_SYSENTER_EIP: *v = c->msr.sysenter_eip; return 0;
	case X86_MSR_MISC_ENABLE: *v = c->msr.misc_enable; return 0;
	case X86_MSR_PAT: *v = c->msr.pat; return 0;
	case X86_MSR_EFER: *v = c->efer; return 0;
	case 0xfe:                 /* MTRRcap: no variable ranges */
	case 0x2ff:                /* MTRRdefType */
	case 0x17:                 /* platform id */
	case 0x8b:                 /* microcode revision */
		*v = 0;
		return 0;
	default:
		return -1;
	}
}

int bt_wrmsr(struct bt_cpu *c, uint32_t idx, uint64_t v)
{
	switch (idx) {
	case X86_MSR_TSC: c->tsc_offset = (int64_t)(v - __rdtsc()); return 0;
	case X86_MSR_APIC_BASE: c->msr.apic_base = v; return 0;
	case X86_MSR_SYSENTER_CS: c->msr.sysenter_cs = v & 0xffff; return 0;
	case X86_MSR_SYSENTER_ESP: c->msr.sysenter_esp = (uint32_t)v; return 0;
	case X86_MSR_SYSENTER_EIP: c->msr.sysenter_eip = (uint32_t)v; return 0;
	case X86_MSR_MISC_ENABLE: c->msr.misc_enable = v; return 0;
	case X86_MSR_PAT: c->msr.pat = v; return 0;
	case X86_MSR_EFER:
		/* no long mode and no SYSCALL here: only NXE may be set */
		if (v & X86_EFER_LME) {
			snprintf(c->error_msg, sizeof(c->error_msg),
				 "bt: the guest enables long mode (EFER.LME), which the bt engine "
				 "does not support yet");
			c->stop_block = true;
			return 0;
		}
		if (v & ~(uint64_t)X86_EFER_NXE)
			return -1;
		if ((c->efer ^ v) & X86_EFER_NXE)
			bt_tlb_flush(c);
		c->efer = v;
		bt_mode_changed(c);
		return 0;
	case 0x2ff:
	case 0x8b:
		return 0;
	default:
		if (idx >= 0x200 && idx < 0x210)
			return 0; /* variable MTRRs: accepted, no effect */
		return -1;
	}
}
