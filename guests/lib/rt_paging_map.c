/* guests/lib/rt_paging_map.c: walking and editing paging structures in the
 * current format, and per-task address spaces that share the identity map
 * and own the window [PG_WINDOW, PG_WINDOW_END). Paging structures are
 * identity mapped, so a physical table address is also its pointer. */
#include "rt_paging_internal.h"

uint64_t pg_ent_get(const void *table, unsigned idx)
{
	if (pg_geom->wide)
		return ((const volatile uint64_t *)table)[idx];
	return ((const volatile uint32_t *)table)[idx];
}

void pg_ent_set(void *table, unsigned idx, uint64_t v)
{
	if (pg_geom->wide)
		pg_pte_write((uint64_t *)table + idx, v);
	else
		((volatile uint32_t *)table)[idx] = (uint32_t)v;
}

uint64_t pg_pte_read(const void *pte)
{
	return pg_ent_get(pte, 0);
}

void pg_pte_write(void *pte, uint64_t v)
{
	pg_pte_set(pte, v, (ulong)-1);
}

void pg_pte_set(void *pte, uint64_t v, ulong va)
{
#ifdef RT_PV
	/* Through the ROM: the store, and under pv the queued update of va. */
	if (rt_vmi) {
		vmi_pte_set(pte, v, va, pg_geom->wide ? PV_PTE_WIDE : 0);
		return;
	}
#endif
	(void)va;
	if (!pg_geom->wide) {
		*(volatile uint32_t *)pte = (uint32_t)v;
		return;
	}
#ifdef __x86_64__
	*(volatile uint64_t *)pte = v;
#else
	/* PAE from 32-bit code: two stores. Clear P first so the CPU never
	 * sees half of the old and half of the new entry (SDM 3A 4.10.4.1). */
	volatile uint32_t *w = pte;
	w[0] = 0;
	w[1] = (uint32_t)(v >> 32);
	w[0] = (uint32_t)v;
#endif
}

unsigned pg_index(unsigned level, ulong va)
{
	return (unsigned)((uint64_t)va >> pg_geom->shift[level]) & ((1u << pg_geom->bits[level]) - 1);
}

/* Flags of a non-leaf entry: the leaf decides. PAE PDPTEs only have P
 * (SDM 3A 4.4.1: bits 1, 2 are reserved there). */
static uint64_t table_flags(unsigned level)
{
	if (pg_geom->levels == 3 && level == 0)
		return PG_P;
	return PG_P | PG_RW | PG_US;
}

void *pg_walk(const struct aspace *as, ulong va, unsigned level, bool create)
{
	void *table = (void *)(as->root & ~0xffful);

	for (unsigned l = 0; l < level; l++) {
		unsigned idx = pg_index(l, va);
		uint64_t e = pg_ent_get(table, idx);

		if (!(e & PG_P)) {
			if (!create)
				return NULL;
			e = (ulong)page_alloc() | table_flags(l);
			pg_ent_set(table, idx, e);
			/* PDPTEs are cached when CR3 is loaded (SDM 3A 4.4.1). */
			if (pg_geom->levels == 3 && l == 0 && as->root == read_cr3())
				write_cr3(as->root);
		}
		if (e & PG_PS)
			rt_panic("pg_walk: large page in the way");
		table = (void *)(ulong)(e & PG_ADDR_MASK);
	}
	return (char *)table + pg_index(level, va) * (pg_geom->wide ? 8 : 4);
}

void *pg_pte(const struct aspace *as, ulong va)
{
	return pg_walk(as, va, pg_geom->levels - 1u, true);
}

void pg_map(const struct aspace *as, ulong va, uint64_t pa, uint64_t flags)
{
	pg_pte_set(pg_pte(as, va), pa | flags, va);
	invlpg(va);
}

void pg_switch(const struct aspace *as)
{
	write_cr3(as->root);
}

/* Share into (dst) the part of (src) below PG_WINDOW: copy the entries
 * that lie entirely below it, and give dst a private copy of a table whose
 * span straddles it (the 4-level PML4 entry 0). */
static void share_below_window(void *dst, const void *src, unsigned level)
{
	uint64_t span = 1ull << pg_geom->shift[level];

	if (span > PG_WINDOW) {
		uint64_t e = pg_ent_get(src, 0);
		void *copy = page_alloc();

		share_below_window(copy, (void *)(ulong)(e & PG_ADDR_MASK), level + 1);
		pg_ent_set(dst, 0, (ulong)copy | (e & ~PG_ADDR_MASK));
		return;
	}
	for (unsigned i = 0; i < PG_WINDOW / span; i++)
		pg_ent_set(dst, i, pg_ent_get(src, i));
}

#ifdef RT_PV
void vmi_map_window(const struct aspace *as)
{
	ulong rom = RT_VMI_ROM_ADDR, shared = RT_VMI_ROM_ADDR + PV_SHARED_OFF;

	if (!rt_vmi)
		return;
	for (ulong off = 0; off < PV_ROM_SIZE; off += 4096)
		pg_pte_write(pg_pte(as, rom + off), (rom + off) | PG_P | PG_US);
	pg_pte_write(pg_pte(as, shared), shared | PG_P | PG_RW | (pg_nx ? PG_NX : 0));
}
#endif

struct aspace *pg_aspace_create(void)
{
	static struct aspace spaces[8];
	static unsigned used;
	struct aspace *as;

	if (pg_mode == PG_MODE_NONE || used == 8)
		rt_panic("pg_aspace_create: paging off or too many address spaces");
	as = &spaces[used++];
	as->root = (ulong)page_alloc();
	share_below_window((void *)as->root, (void *)pg_kernel.root, 0);
#ifdef RT_PV
	vmi_map_window(as);
#endif
	return as;
}
