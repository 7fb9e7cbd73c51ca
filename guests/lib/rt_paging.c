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

/* Permissions of the 4 KiB page at (va) in [0, 4 MiB). */
static uint64_t low_page_flags(ulong va)
{
	uint64_t nx = pg_nx ? PG_NX : 0;

	if (va == 0)
		return 0; /* catch null pointers */
	if (va < (ulong)__image_start)
		return PG_P | PG_RW | nx;
	if (va < (ulong)__utext_start)
		return PG_P; /* kernel text: read-only (CR0.WP=1) */
	if (va < (ulong)__utext_end)
		return PG_P | PG_US;
	if (va < (ulong)__udata_start)
		return PG_P | PG_RW | nx;
	if (va < (ulong)__udata_end)
		return PG_P | PG_RW | PG_US | nx;
	return PG_P | PG_RW | nx;
}

static void map_low(void)
{
	unsigned leaf = pg_geom->levels - 1u;
	ulong span = 1ul << pg_geom->shift[leaf - 1]; /* one page table's reach */

	for (ulong base = 0; base < PMEM_POOL_END; base += span) {
		void *pte = pg_walk(&pg_kernel, base, leaf, true);
		unsigned n = 1u << pg_geom->bits[leaf];

		for (unsigned i = 0; i < n; i++) {
			ulong va = base + ((ulong)i << 12);
			pg_ent_set(pte, i, va | low_page_flags(va));
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
