/* guests/lib/rt_x86.h: inline wrappers for the x86 instructions the runtime
 * and the guests use (port I/O, control registers, MSRs, CPUID, TSC, TLB).
 * Every wrapper is one instruction, so a guest only contains the privileged
 * instructions it actually calls. Works in both the -m32 and -m64 builds;
 * in PV builds (-DRT_PV) each goes through the VMI ROM when present. */
#ifndef GUESTS_LIB_RT_X86_H
#define GUESTS_LIB_RT_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ulong is the natural register width: 32 bits in the 32-bit build, 64 in
 * the 64-bit one (EIP/RIP, CR values, addresses). */
typedef unsigned long ulong;

/* PV builds: each privileged wrapper below goes through the VMI ROM when
 * there is one (rt_vmi.h), else runs the instruction. */
#ifdef RT_PV
#include "rt_vmi.h"
#define RT_VMI(stmt)                                                           \
	do {                                                                   \
		if (rt_vmi) {                                                  \
			stmt;                                                  \
			return;                                                \
		}                                                              \
	} while (0)
#define RT_VMI_RET(expr)                                                       \
	do {                                                                   \
		if (rt_vmi)                                                    \
			return (expr);                                         \
	} while (0)
#else
#define RT_VMI(stmt) do { } while (0)
#define RT_VMI_RET(expr) do { } while (0)
#endif

/* EFLAGS bits (SDM 1 3.4.3). */
#define X86_FL_CF 0x0001u
#define X86_FL_PF 0x0004u
#define X86_FL_AF 0x0010u
#define X86_FL_ZF 0x0040u
#define X86_FL_SF 0x0080u
#define X86_FL_TF 0x0100u
#define X86_FL_IF 0x0200u
#define X86_FL_DF 0x0400u
#define X86_FL_OF 0x0800u
#define X86_FL_IOPL 0x3000u
#define X86_FL_AC 0x40000u
#define X86_FL_ARITH (X86_FL_CF | X86_FL_PF | X86_FL_AF | X86_FL_ZF | X86_FL_SF | X86_FL_OF)

/* Control register bits (SDM 3A 2.5). */
#define X86_CR0_PE 0x00000001u
#define X86_CR0_MP 0x00000002u
#define X86_CR0_EM 0x00000004u
#define X86_CR0_TS 0x00000008u
#define X86_CR0_NE 0x00000020u
#define X86_CR0_WP 0x00010000u
#define X86_CR0_PG 0x80000000u
#define X86_CR4_PSE 0x00000010u
#define X86_CR4_PAE 0x00000020u
#define X86_CR4_PGE 0x00000080u
#define X86_CR4_OSFXSR 0x00000200u
#define X86_CR4_OSXMMEXCPT 0x00000400u

/* MSRs (SDM 4 2.1). */
#define X86_MSR_EFER 0xc0000080u
#define X86_MSR_STAR 0xc0000081u
#define X86_MSR_LSTAR 0xc0000082u
#define X86_MSR_FMASK 0xc0000084u
#define X86_MSR_GS_BASE 0xc0000101u
#define X86_MSR_KERNEL_GS_BASE 0xc0000102u
#define X86_EFER_SCE 0x001u
#define X86_EFER_LME 0x100u
#define X86_EFER_NXE 0x800u

static inline void outb(uint16_t port, uint8_t v)
{
	RT_VMI(vmi_call3(PV_CALL_IO_OUT, port, 1, v));
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	RT_VMI(vmi_call3(PV_CALL_IO_OUT, port, 2, v));
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	RT_VMI(vmi_call3(PV_CALL_IO_OUT, port, 4, v));
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	RT_VMI_RET((uint8_t)vmi_call2(PV_CALL_IO_IN, port, 1));
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	RT_VMI_RET(vmi_read_msr(msr));
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	RT_VMI(vmi_write_msr(msr, v));
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline ulong read_cr0(void)
{
	ulong v;

	RT_VMI_RET((ulong)vmi_call0(PV_CALL_READ_CR0));
	__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	return v;
}

static inline void write_cr0(ulong v)
{
	RT_VMI(vmi_call1(PV_CALL_WRITE_CR0, v));
	__asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline ulong read_cr2(void)
{
	ulong v;

	RT_VMI_RET((ulong)vmi_call0(PV_CALL_READ_CR2));
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline ulong read_cr3(void)
{
	ulong v;

	RT_VMI_RET((ulong)vmi_call0(PV_CALL_READ_CR3));
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(ulong v)
{
	RT_VMI(vmi_call1(PV_CALL_WRITE_CR3, v));
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline ulong read_cr4(void)
{
	ulong v;

	RT_VMI_RET((ulong)vmi_call0(PV_CALL_READ_CR4));
	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

static inline void write_cr4(ulong v)
{
	RT_VMI(vmi_call1(PV_CALL_WRITE_CR4, v));
	__asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void invlpg(ulong va)
{
	RT_VMI(vmi_call1(PV_CALL_INVLPG, va));
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline ulong read_flags(void)
{
	ulong v;

	RT_VMI_RET((ulong)vmi_call0(PV_CALL_IRQ_SAVE));
	__asm__ volatile("pushf; pop %0" : "=r"(v));
	return v;
}

static inline void cli(void)
{
	RT_VMI(vmi_call0(PV_CALL_IRQ_DISABLE));
	__asm__ volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	RT_VMI(vmi_call0(PV_CALL_IRQ_ENABLE));
	__asm__ volatile("sti" : : : "memory");
}

/* sti; hlt: SDM 2B STI: the interrupt shadow makes the pair atomic, so an
 * interrupt that is already pending wakes the hlt instead of being lost. */
static inline void sti_hlt(void)
{
	RT_VMI(vmi_call0(PV_CALL_SAFE_HALT));
	__asm__ volatile("sti; hlt" : : : "memory");
}

/* hlt with the current IF (the end of rt_exit). */
static inline void halt(void)
{
	RT_VMI(vmi_call0(PV_CALL_HALT));
	__asm__ volatile("hlt" : : : "memory");
}

static inline uint16_t read_cs(void)
{
	uint16_t v;
	__asm__ volatile("mov %%cs, %0" : "=r"(v));
	return v;
}

static inline void barrier(void)
{
	__asm__ volatile("" : : : "memory");
}

#endif
