/* bt_cpuid.c: the CPU the bt engine presents: one model (CPUID identity,
 * the feature bits bt implements, the MSRs it has), plus the Triplex
 * hypervisor leaves (0x40000000 "TriplexVMM", 0x40000001 engine 1 "bt") and
 * the TSC (host TSC plus an offset the guest sets through MSR 0x10).
 *
 * The model is a GenuineIntel family 6 model 6 stepping 3 ("Triplex bt
 * virtual CPU"), the identity QEMU's qemu32 CPU gives TCG guests: guests run
 * their generic Intel code with no model-specific MSR paths (a host's AMD
 * family 25 would send Linux to AMD-only MSRs bt does not have). Features:
 * only what bt implements, one line each in bt_cpuid_bits[] naming who does;
 * adding a feature is adding a line there (docs/bt.md "CPU model"). MSRs:
 * those bt_rdmsr/bt_wrmsr list; any other raises #GP. */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <x86intrin.h>

#include "vmm/bt/bt_internal.h"

#define BT_PHYS_BITS 36
#define BT_MAX_EXT_LEAF 0x80000008u
/* CPUID leaf 1 EAX: family 6, model 6, stepping 3 (SDM 2A, "Version
 * Information": stepping 3:0, model 7:4, family 11:8) */
#define BT_SIGNATURE 0x00000663u
#define BT_VENDOR "GenuineIntel"
#define BT_BRAND "Triplex bt virtual CPU"

enum { R_EAX, R_EBX, R_ECX, R_EDX };
struct bt_cpuid_bit {
	uint32_t leaf; /* subleaf 0 for leaves that have subleaves */
	uint8_t reg;
	uint8_t bit;
	const char *name;
};
#define F(leaf, reg, bit, name) { leaf, R_##reg, bit, name }

/* Every feature bit bt advertises (SDM 2A CPUID, tables 3-10, 3-11; leaf
 * 0x80000001: table 3-8). One line per feature, with what implements it.
 * Not listed, so never advertised: SSE3 and later SIMD extensions,
 * MTRR, MCE/MCA, VME, PSN, ACPI, DS, SS, HTT, TM,
 * and every instruction-set extension (POPCNT, MOVBE, LZCNT, BMI, ADX ...):
 * bt_decode.c runs their encodings as the older instruction or raises #UD
 * as a CPU without them does (advertising one of them means implementing
 * it in the interpreter first: decode then keeps Capstone's meaning). The
 * FPU line (leaf 1 EDX bit 0) also lets bt_check_guest() accept guests
 * whose code sets up FPU state (GUEST_NEEDS_FPU). */
static const struct bt_cpuid_bit bt_cpuid_bits[] = {
	F(1, EDX, 0, "fpu"),      /* x87 on the host FPU, CR0.EM/TS/NE (bt_fpu.c) */
	F(1, EDX, 2, "de"),       /* CR4.DE, DR4/DR5 (bt_interp_sys.c) */
	F(1, EDX, 3, "pse"),      /* 4 MiB pages (bt_mmu.c) */
	F(1, EDX, 4, "tsc"),      /* RDTSC, CR4.TSD (bt_interp_sys.c, here) */
	F(1, EDX, 5, "msr"),      /* RDMSR/WRMSR (here) */
	F(1, EDX, 6, "pae"),      /* PAE paging (bt_mmu.c) */
	F(1, EDX, 8, "cx8"),      /* CMPXCHG8B (bt_interp_alu.c) */
	F(1, EDX, 9, "apic"),     /* the core's local APIC (vmm/dev/lapic.c) */
	F(1, EDX, 11, "sep"),     /* SYSENTER/SYSEXIT (bt_interp_sys.c) */
	F(1, EDX, 13, "pge"),     /* global pages, CR4.PGE (bt_mmu.c) */
	F(1, EDX, 15, "cmov"),    /* CMOVcc, FCMOV needs FPU too (bt_interp_alu.c) */
	F(1, EDX, 16, "pat"),     /* MSR 0x277 (here; memory types ignored) */
	F(1, EDX, 17, "pse36"),   /* PSE pages above 4 GiB (bt_mmu.c) */
	F(1, EDX, 19, "clflush"), /* CLFLUSH: faults as a load, 64-byte line (bt_fpu.c) */
	F(1, EDX, 23, "mmx"),     /* MMX, EMMS (bt_fpu.c) */
	F(1, EDX, 24, "fxsr"),    /* FXSAVE/FXRSTOR, CR4.OSFXSR (bt_fpu.c) */
	F(1, EDX, 25, "sse"),     /* SSE, MXCSR, CR4.OSXMMEXCPT -> #XM (bt_fpu.c) */
	F(1, EDX, 26, "sse2"),    /* SSE2, fences, MOVNTI (bt_fpu.c) */
	F(1, ECX, 13, "cx16"),    /* CMPXCHG16B (bt_interp_alu.c) */
	F(1, ECX, 21, "x2apic"),  /* x2APIC MSRs 0x800-0x8ff (here, to lapic.c) */
	F(1, ECX, 24, "tsc_deadline"), /* IA32_TSC_DEADLINE (lapic_timer.c) */
	F(1, ECX, 31, "hypervisor"), /* leaves 0x40000000.. (here) */
	F(0x80000001, ECX, 0, "lahf_lm"), /* LAHF/SAHF in 64-bit mode (bt_interp.c) */
	F(0x80000001, EDX, 11, "syscall"), /* SYSCALL/SYSRET, EFER.SCE (bt_long.c) */
	F(0x80000001, EDX, 20, "nx"), /* EFER.NXE, PAE XD bit (bt_mmu.c) */
	F(0x80000001, EDX, 26, "pdpe1gb"), /* 1 GiB pages in IA-32e paging (bt_mmu.c) */
	F(0x80000001, EDX, 27, "rdtscp"), /* RDTSCP, IA32_TSC_AUX (bt_long.c) */
	F(0x80000001, EDX, 29, "lm"), /* IA-32e mode, interpreted (bt_long.c, bt_mmu.c) */
};
#undef F

static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

bool bt_cpuid_has(uint32_t leaf, unsigned reg, unsigned bit)
{
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(bt_cpuid_bits); i++) {
		const struct bt_cpuid_bit *f = &bt_cpuid_bits[i];
		if (f->leaf == leaf && f->reg == reg && f->bit == bit)
			return true;
	}
	return false;
}

/* The highest basic leaf: 1, or the highest one a feature line names. */
static uint32_t max_basic_leaf(void)
{
	uint32_t max = 1;
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(bt_cpuid_bits); i++)
		if (bt_cpuid_bits[i].leaf < 0x40000000u)
			max = VMM_MAX(max, bt_cpuid_bits[i].leaf);
	return max;
}

/* A guest with a Triplex VMI ROM may be moved to pv at run time, and pv
 * runs CPUID natively (no CPUID faulting here): such a guest sees the
 * host's vendor and signature under bt too, so they never change under it
 * (docs/vmi.md). Every other guest sees the model's identity. */
static bool host_identity(const struct bt_cpu *c)
{
	if (!c->vcpu)
		return false;
	const struct guest_mem *m = &c->vcpu->vm->mem;
	for (unsigned i = 0; i < m->nr_regions; i++)
		if (!strcmp(m->region[i].name, "vmi-rom"))
			return true;
	return false;
}

static void leaf0(const struct bt_cpu *c, uint32_t r[4])
{
	if (host_identity(c)) {
		host_cpuid(0, 0, r); /* the highest leaf too: leaves bt lacks read 0 */
		return;
	}
	r[R_EAX] = max_basic_leaf();
	memcpy(&r[R_EBX], BT_VENDOR, 4);
	memcpy(&r[R_EDX], BT_VENDOR + 4, 4);
	memcpy(&r[R_ECX], BT_VENDOR + 8, 4);
}

/* Leaves whose ECX selects a subleaf (SDM 2A CPUID): the feature lines are
 * subleaf 0's. */
static bool has_subleaves(uint32_t leaf)
{
	return leaf == 4 || leaf == 7 || leaf == 0xb || leaf == 0xd || leaf == 0xf ||
	       leaf == 0x10 || leaf == 0x12 || leaf == 0x14 || leaf == 0x17 || leaf == 0x18 ||
	       leaf == 0x1f || leaf == 0x8000001d;
}

static void leaf1(const struct bt_cpu *c, uint32_t r[4])
{
	uint32_t sig = BT_SIGNATURE;
	if (host_identity(c)) {
		host_cpuid(1, 0, r);
		sig = r[R_EAX] & 0x0fff3fff; /* family/model/stepping */
	}
	r[R_EAX] = sig;
	/* EBX: APIC ID 31:24, one logical processor 23:16, CLFLUSH line 15:8 */
	r[R_EBX] = (c->vcpu ? (uint32_t)c->vcpu->id << 24 : 0) | 1u << 16;
	if (bt_cpuid_has(1, R_EDX, 19))
		r[R_EBX] |= 8u << 8; /* 8 x 8 = 64 bytes */
}

void bt_cpuid(struct bt_cpu *c)
{
	uint32_t leaf = c->gpr[X86_RAX], sub = c->gpr[X86_RCX];
	uint32_t r[4] = { 0, 0, 0, 0 };
	switch (leaf) {
	case 0:
		leaf0(c, r);
		break;
	case 1:
		leaf1(c, r);
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
		r[0] = BT_MAX_EXT_LEAF;
		break;
	case 0x80000002: case 0x80000003: case 0x80000004: {
		static const char brand[48] = BT_BRAND;
		memcpy(r, brand + (leaf - 0x80000002) * 16, 16);
		break;
	}
	case 0x80000008:
		r[0] = BT_PHYS_BITS | (48u << 8); /* 48-bit linear addresses (IA-32e) */
		break;
	default:
		break; /* leaves without features read as zero */
	}
	/* the feature lines (beyond the highest leaf: nothing, as zeroes) */
	bool in_range = leaf <= max_basic_leaf() ||
			(leaf >= 0x80000000u && leaf <= BT_MAX_EXT_LEAF);
	if (in_range && (sub == 0 || !has_subleaves(leaf)))
		for (unsigned i = 0; i < VMM_ARRAY_SIZE(bt_cpuid_bits); i++)
			if (bt_cpuid_bits[i].leaf == leaf)
				r[bt_cpuid_bits[i].reg] |= 1u << bt_cpuid_bits[i].bit;
	c->gpr[X86_RAX] = r[0];
	c->gpr[X86_RBX] = r[1];
	c->gpr[X86_RCX] = r[2];
	c->gpr[X86_RDX] = r[3];
}

uint64_t bt_rdtsc(struct bt_cpu *c)
{
	return __rdtsc() + (uint64_t)c->tsc_offset;
}

/* The local APIC's MSRs (IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC) live
 * in the core's device model: 1 if (idx) was one of them (*r: 0 or -1 for
 * #GP), 0 if not. Without a board (unit tests) APIC_BASE is bt's own. */
static bool apic_msr(struct bt_cpu *c, uint32_t idx, uint64_t *v, bool write, int *r)
{
	if (!c->vcpu)
		return false;
	int e = write ? vcpu_msr_write(c->vcpu, idx, *v, bt_rdtsc(c))
		      : vcpu_msr_read(c->vcpu, idx, v);
	if (e == -ENOENT)
		return false;
	*r = e ? -1 : 0;
	return true;
}

/* The MSRs bt has (SDM 4, table 2-2 "IA-32 Architectural MSRs"); any other
 * index raises #GP (the caller injects it), AMD's 0xc001xxxx included. */
int bt_rdmsr(struct bt_cpu *c, uint32_t idx, uint64_t *v)
{
	int r;
	if (apic_msr(c, idx, v, false, &r))
		return r;
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
	case 0x17:                 /* IA32_PLATFORM_ID */
	case 0x8b:                 /* IA32_BIOS_SIGN_ID: microcode revision 0 */
		*v = 0;
		return 0;
	default:
		return bt_lm_rdmsr(c, idx, v); /* bt_long.c */
	}
}

int bt_wrmsr(struct bt_cpu *c, uint32_t idx, uint64_t v)
{
	int r;
	if (apic_msr(c, idx, &v, true, &r))
		return r;
	switch (idx) {
	case X86_MSR_TSC: c->tsc_offset = (int64_t)(v - __rdtsc()); return 0;
	case X86_MSR_APIC_BASE: c->msr.apic_base = v; return 0;
	case X86_MSR_SYSENTER_CS: c->msr.sysenter_cs = v & 0xffff; return 0;
	case X86_MSR_SYSENTER_ESP: c->msr.sysenter_esp = (uint32_t)v; return 0;
	case X86_MSR_SYSENTER_EIP: c->msr.sysenter_eip = (uint32_t)v; return 0;
	case X86_MSR_MISC_ENABLE: c->msr.misc_enable = v; return 0;
	case X86_MSR_PAT: c->msr.pat = v; return 0;
	case X86_MSR_EFER: return bt_efer_write(c, v); /* bt_long.c */
	case 0x2ff:                /* MTRRdefType: accepted, no effect */
	case 0x8b:                 /* microcode update signature: Linux writes 0 */
		return 0;
	default:
		if (idx >= 0x200 && idx < 0x210)
			return 0; /* variable MTRRs: accepted, no effect */
		return bt_lm_wrmsr(c, idx, v); /* bt_long.c */
	}
}
