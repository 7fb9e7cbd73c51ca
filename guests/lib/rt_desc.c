/* guests/lib/rt_desc.c: the GDT and the TSS. The GDT is a constant table
 * (the 64-bit boot stub loads it before C runs); only the TSS descriptor is
 * filled in at run time because its base is split across fields. Layout
 * and selectors: rt.h. Accessed bits are preset so the CPU never writes
 * the table (SDM 3A 3.4.5: it sets A on a segment load otherwise). */
#include "rt_internal.h"

/* Flat 4 GiB segments, G=1 (SDM 3A 3.4.5 figure 3-8). */
#define DESC_CODE32(dpl) (0x00cf9b000000ffffull | ((uint64_t)(dpl) << 45))
#define DESC_DATA(dpl) (0x00cf93000000ffffull | ((uint64_t)(dpl) << 45))
/* 64-bit code: L=1, D=0 (SDM 3A 5.2.1). */
#define DESC_CODE64(dpl) (0x00af9b000000ffffull | ((uint64_t)(dpl) << 45))

#ifdef __x86_64__
#define DESC_KCODE DESC_CODE64(0)
#define DESC_UCODE64 DESC_CODE64(3)
#else
#define DESC_KCODE DESC_CODE32(0)
#define DESC_UCODE64 0
#endif

uint64_t rt_gdt[10] __attribute__((aligned(16))) = {
	0,
	DESC_KCODE,		/* 0x08 SEL_KCODE */
	DESC_DATA(0),		/* 0x10 SEL_KDATA */
	DESC_CODE32(3),		/* 0x18 SEL_UCODE32 */
	DESC_DATA(3),		/* 0x20 SEL_UDATA */
	DESC_UCODE64,		/* 0x28 SEL_UCODE64 */
	0, 0,			/* 0x30 SEL_TSS (16 bytes in 64-bit mode) */
	DESC_KCODE,		/* 0x40 SEL_KCODE_ALIAS */
	DESC_CODE32(0),		/* 0x48 SEL_KCODE32 */
};

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	ulong base;
};

const struct desc_ptr rt_gdt_ptr = { sizeof(rt_gdt) - 1, (ulong)rt_gdt };

/* The TSS: only the ring-0 stack matters (no I/O bitmap: the map base
 * points past the limit, so ring-3 port I/O faults). SDM 3A 8.2.1 (32-bit)
 * and 8.7 (64-bit). */
struct __attribute__((packed)) tss {
#ifdef __x86_64__
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
#else
	uint32_t link;
	uint32_t esp0, ss0;
	uint32_t other[22];
	uint16_t trap;
#endif
	uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss) == 104, "TSS layout");

static struct tss rt_tss;

/* EFLAGS of new ring-3 code (bit 1 is always 1); pic_init() adds IF. */
ulong rt_user_flags = 0x2;

#ifdef __x86_64__
struct rt_percpu rt_percpu;
#endif

static void tss_descriptor(void)
{
	ulong base = (ulong)&rt_tss;
	uint64_t d = (sizeof(rt_tss) - 1) | ((uint64_t)(base & 0xffffff) << 16) |
		     (0x89ull << 40) | ((uint64_t)((base >> 24) & 0xff) << 56);

	/* Type 9: available 32-bit / 64-bit TSS (SDM 3A 8.2.2, 8.7). */
	rt_gdt[SEL_TSS / 8] = d;
#ifdef __x86_64__
	rt_gdt[SEL_TSS / 8 + 1] = base >> 32;
#endif
}

void desc_init(void)
{
	tss_descriptor();
	rt_tss.iomap_base = sizeof(rt_tss);
#ifdef __x86_64__
	rt_percpu.self = (ulong)&rt_percpu;
#else
	rt_tss.ss0 = SEL_KDATA;
#endif
	desc_set_kstack((ulong)boot_stack_top);
#ifdef RT_PV
	if (rt_vmi) {
		vmi_call3(PV_CALL_LOAD_GDT, (ulong)&rt_gdt_ptr, SEL_KCODE, SEL_KDATA);
		vmi_call1(PV_CALL_LOAD_TR, SEL_TSS);
		return;
	}
#endif
	__asm__ volatile("lgdt %0" : : "m"(rt_gdt_ptr));
#ifdef __x86_64__
	/* CS is already SEL_KCODE (start_64.S); refresh the data segments. */
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss; mov %1, %%fs; mov %1, %%gs"
			 : : "r"(SEL_KDATA), "r"(0));
#else
	/* The Multiboot loader's CS/DS are its own: reload all of them
	 * (SDM 3A 3.4.3: a far jump is how CS is loaded). */
	__asm__ volatile("ljmp %0, $1f\n1:\n\t"
			 "mov %1, %%ds; mov %1, %%es; mov %1, %%ss; mov %2, %%fs; mov %2, %%gs"
			 : : "i"(SEL_KCODE), "r"(SEL_KDATA), "r"(0));
#endif
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
}

void desc_set_kstack(ulong top)
{
#ifdef RT_PV
	/* TSS.ESP0/RSP0 (at offset 4 in both formats) and the hypervisor's copy */
	if (rt_vmi)
		vmi_call2(PV_CALL_SET_KSTACK, (ulong)&rt_tss, top);
#endif
#ifdef __x86_64__
	rt_tss.rsp[0] = top;
	rt_percpu.kstack = top;
#else
	rt_tss.esp0 = top;
#endif
}
