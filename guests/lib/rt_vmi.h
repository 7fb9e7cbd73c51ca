/* guests/lib/rt_vmi.h: the runtime's VMI layer (docs/vmi.md), in PV builds
 * only (-DRT_PV): when the Triplex VMI ROM is present, every privileged
 * operation of rt_x86.h goes through its entry table; without it (QEMU,
 * another hypervisor) the native instruction runs, so the same PV image
 * boots anywhere. Included by rt_x86.h after the ulong typedef.
 *
 *	vmi_init();                          // rt_main, before anything else
 *	if (rt_vmi) vmi_call1(PV_CALL_INVLPG, va); else invlpg natively
 */
#ifndef GUESTS_LIB_RT_VMI_H
#define GUESTS_LIB_RT_VMI_H

#include "vmm/pv/pv_abi.h"

/* Where PV images ask for the ROM window (their note says so too). */
#define RT_VMI_ROM_ADDR PV_ROM_DEFAULT_ADDR

/* The ROM, or NULL when there is none (checked once by vmi_init). */
extern const struct pv_rom_header *rt_vmi;
/* The ROM's flavour (PV_FLAVOUR_*), 0 without a ROM. */
extern unsigned rt_vmi_flavour;

/* Look for the ROM at RT_VMI_ROM_ADDR: magic, version and code width. */
void vmi_init(void);

/* Entries user code may call, in user-accessible memory (0: none). */
struct rt_vmi_user {
	ulong int80;   /* PV_CALL_USER_INT80 */
	ulong syscall; /* PV_CALL_USER_SYSCALL */
};
extern struct rt_vmi_user rt_vmi_user;

/* Where the trap stubs, the user entry and the syscall path return through:
 * the ROM's PV_CALL_IRET / PV_CALL_SYSRET, else a native stub. */
extern ulong rt_vmi_iret, rt_vmi_sysret;

#define VMI_FN(nr, type) ((type)(ulong)rt_vmi->entry[nr])

static inline long vmi_call0(unsigned nr)
{
	return VMI_FN(nr, long (*)(void))();
}

static inline long vmi_call1(unsigned nr, ulong a)
{
	return VMI_FN(nr, long (*)(ulong))(a);
}

static inline long vmi_call2(unsigned nr, ulong a, ulong b)
{
	return VMI_FN(nr, long (*)(ulong, ulong))(a, b);
}

static inline long vmi_call3(unsigned nr, ulong a, ulong b, ulong c)
{
	return VMI_FN(nr, long (*)(ulong, ulong, ulong))(a, b, c);
}

static inline uint64_t vmi_read_msr(uint32_t msr)
{
	return VMI_FN(PV_CALL_READ_MSR, uint64_t (*)(ulong))(msr);
}

static inline void vmi_write_msr(uint32_t msr, uint64_t v)
{
	VMI_FN(PV_CALL_WRITE_MSR, long (*)(ulong, uint64_t))(msr, v);
}

/* (ptep, val, va, flags): the store and, under pv, the queued update. */
static inline void vmi_pte_set(void *ptep, uint64_t val, ulong va, unsigned flags)
{
	VMI_FN(PV_CALL_PTE_SET, long (*)(void *, uint64_t, ulong, ulong))(ptep, val, va, flags);
}

#endif
