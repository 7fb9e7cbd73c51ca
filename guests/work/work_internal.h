/* guests/work/work_internal.h: constants the kernel and user halves of a
 * workload share. */
#ifndef GUESTS_WORK_WORK_INTERNAL_H
#define GUESTS_WORK_WORK_INTERNAL_H

#include "rt.h"

/* Flags of PTEs a workload is about to use: PV builds set A (and D on
 * writable pages) as an OS that knows its access pattern would, so the pv
 * engine maps the page when the update is flushed instead of on the first
 * access (docs/vmi.md "Accessed and dirty bits"). */
#ifdef RT_PV
#define WORK_PG_AD(flags) ((flags) | PG_A | ((flags) & PG_RW ? PG_D : 0))
#else
#define WORK_PG_AD(flags) (flags)
#endif

/* pgfault: a window of pages, one mapped at a time, each backed by its
 * own frame whose first word is PGFAULT_STAMP(page). */
#define PGFAULT_VA PG_WINDOW
#define PGFAULT_PAGES 16u
#define PGFAULT_STAMP(k) (0x5000u + (k) * 0x11u)

/* ptemod: one page whose PTE flips between two frames. */
#define PTEMOD_VA (PG_WINDOW + 0x100000ul)

/* ctxsw: each task's private page, at the same address in both spaces. */
#define CTXSW_VA (PG_WINDOW + 0x200000ul)

/* divzero_*.S */
extern char divzero_site[], divzero_resume[];
ulong divzero_loop(ulong n);
#define DIVZERO_MARK 0xdead

#endif
