/* guests/lib/rt_paging_internal.h: the paging-structure geometry shared by
 * rt_paging.c (set-up) and rt_paging_map.c (walks). One walker serves the
 * three formats (SDM 3A 4.3 32-bit, 4.4 PAE, 4.5 4-level). */
#ifndef GUESTS_LIB_RT_PAGING_INTERNAL_H
#define GUESTS_LIB_RT_PAGING_INTERNAL_H

#include "rt_internal.h"

struct pg_geom {
	uint8_t levels;	  /* 2, 3 or 4 */
	uint8_t wide;	  /* 8-byte entries */
	uint8_t shift[4]; /* address bit of each level's index, top first */
	uint8_t bits[4];  /* index width of each level */
};

extern const struct pg_geom *pg_geom;

/* The address bits of an entry (no flags, no NX). */
#define PG_ADDR_MASK (pg_geom->wide ? 0x000ffffffffff000ull : 0xfffff000ull)

uint64_t pg_ent_get(const void *table, unsigned idx);
void pg_ent_set(void *table, unsigned idx, uint64_t v);
unsigned pg_index(unsigned level, ulong va);

/* Pointer to the entry for (va) at (level) (0 = top), creating the tables
 * above it when (create); NULL when a table is missing and !create. */
void *pg_walk(const struct aspace *as, ulong va, unsigned level, bool create);

#ifdef RT_PV
/* Map the VMI ROM window in (as) at its own address, when there is a ROM:
 * the ROM user-readable and executable (user code calls its syscall
 * entries), the shared page ring-0 read/write (rt_vmi.c). */
void vmi_map_window(const struct aspace *as);
#endif

#endif
