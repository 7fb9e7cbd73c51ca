/* guests/lib/rt_paging.c: building the identity map and turning paging on
 * in 32-bit 2-level (SDM 3A 4.3), PAE (4.4) or 4-level (4.5) mode.
 * [0, 4 MiB) is mapped with 4 KiB pages so each part of the image gets its
 * own permissions (guest.ld); [4 MiB, RAM end) with large pages, user
 * read/write (the big region). Mapping is capped at 256 MiB. */
#include "rt_paging_internal.h"

#define IDMAP_MAX (256ul << 20)

static const struct pg_geom geoms[] = {
	[PG_MODE_2LEVEL] = { 2, 0, { 22, 12 }, { 10, 10 } },
	[PG_MODE_PAE] = { 3, 1, { 30, 21, 12 }, { 2, 9, 9 } },
	[PG_MODE_LONG] = { 4, 1, { 39, 30, 21, 12 }, { 9, 9, 9, 9 } },
};

const struct pg_geom *pg_geom;

/* The permissions of [0, 4 MiB), as ranges that end at the given
 * address; filled in by map_low() because they depend on pg_nx. */
struct low_range {
	ulong end;
	uint64_t flags;
};

static void low_ranges(struct low_range r[7])
{
	uint64_t nx = pg_nx ? PG_NX : 0;

	r[0] = (struct low_range){ 4096, 0 }; /* page 0 absent: null pointers fault */
	r[1] = (struct low_range){ (ulong)__image_start, PG_P | PG_RW | nx };
	r[2] = (struct low_range){ (ulong)__utext_start, PG_P }; /* kernel text, read-only (CR0.WP) */
	r[3] = (struct low_range){ (ulong)__utext_end, PG_P | PG_US };
	r[4] = (struct low_range){ (ulong)__udata_start, PG_P | PG_RW | nx };
	r[5] = (struct low_range){ (ulong)__udata_end, PG_P | PG_RW | PG_US | nx };
	r[6] = (struct low_range){ PMEM_POOL_END, PG_P | PG_RW | nx };
}

/* One tight loop per page table: a few instructions per PTE, because
 * some engines emulate every ring-0 instruction. */
static void map_low(void)
{
	unsigned leaf = pg_geom->levels - 1u;
	unsigned per_table = 1u << pg_geom->bits[leaf];
	struct low_range r[7];
	unsigned k = 0;

	low_ranges(r);
	for (ulong va = 0; va < PMEM_POOL_END; va += (ulong)per_table << 12) {
		char *pt = pg_walk(&pg_kernel, va, leaf, true);

		for (unsigned i = 0; i < per_table; i++) {
			ulong page = va + ((ulong)i << 12);

			while (page >= r[k].end)
				k++;
			if (pg_geom->wide)
				((uint64_t *)pt)[i] = page | r[k].flags;
			else
				((uint32_t *)pt)[i] = (uint32_t)(page | r[k].flags);
		}
	}
}

static void map_big(void)
{
	unsigned pd = pg_geom->levels - 2u;
	ulong size = 1ul << pg_geom->shift[pd]; /* 4 MiB or 2 MiB */
	ulong end = rt_mem_end < IDMAP_MAX ? (ulong)rt_mem_end : IDMAP_MAX;
	uint64_t flags = PG_P | PG_RW | PG_US | PG_PS | (pg_nx ? PG_NX : 0);

	for (ulong pa = PMEM_POOL_END; pa + size <= end; pa += size)
		pg_pte_write(pg_walk(&pg_kernel, pa, pd, true), pa | flags);
}

static void enable_nx(enum pg_mode mode)
{
	pg_nx = mode != PG_MODE_2LEVEL && cpu_has_nx();
	if (pg_nx)
		wrmsr(X86_MSR_EFER, rdmsr(X86_MSR_EFER) | X86_EFER_NXE);
}

#ifdef __x86_64__
static void switch_on(void)
{
	/* Already in long mode on the boot stub's tables: just move. */
	write_cr3(pg_kernel.root);
}
#else
static void switch_on(void)
{
	ulong cr4 = read_cr4() & ~(ulong)(X86_CR4_PAE | X86_CR4_PSE);

	/* Changing CR4.PAE needs paging off (SDM 3A 4.1.2); the code runs
	 * identity mapped, so switching off and on again is safe. */
	write_cr0(read_cr0() & ~(ulong)X86_CR0_PG);
	/* PSE enables 4 MiB pages in 2-level mode (SDM 3A 4.3). */
	cr4 |= pg_mode == PG_MODE_PAE ? X86_CR4_PAE : X86_CR4_PSE;
	write_cr4(cr4);
	write_cr3(pg_kernel.root);
	write_cr0(read_cr0() | X86_CR0_PG | X86_CR0_WP);
}
#endif

void pg_init(enum pg_mode mode)
{
#ifdef __x86_64__
	if (mode != PG_MODE_LONG)
		rt_panic("pg_init: the 64-bit build only has 4-level paging");
#else
	if (mode == PG_MODE_LONG || mode == PG_MODE_NONE)
		rt_panic("pg_init: bad mode for the 32-bit build");
#endif
	if (rt_mem_end < PMEM_POOL_END + (4ul << 20))
		rt_panic("pg_init: need at least 8 MiB of RAM");
	pg_mode = mode;
	pg_geom = &geoms[mode];
	enable_nx(mode);
	pg_kernel.root = (ulong)page_alloc();
	map_low();
	map_big();
#ifdef RT_PV
	vmi_map_window(&pg_kernel);
#endif
	switch_on();
}

void pg_ensure(void)
{
	if (pg_mode != PG_MODE_NONE)
		return;
#ifdef __x86_64__
	pg_init(PG_MODE_LONG);
#else
	pg_init(PG_MODE_2LEVEL);
#endif
}
