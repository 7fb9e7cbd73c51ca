/* bt_window.h: memory windows for translated code (bt_window.c). */
#ifndef VMM_BT_BT_WINDOW_H
#define VMM_BT_BT_WINDOW_H

#include <sys/syscall.h>
#include <unistd.h>

#include "vmm/bt/bt_internal.h"

#define BT_NWIN 8

enum bt_win_result {
	BT_WIN_NOT_MINE,  /* not a window address */
	BT_WIN_MAPPED,    /* mapped: retry the access */
	BT_WIN_REMAPPED,  /* mapped again after a page-table write dropped it */
	BT_WIN_PF,        /* a guest #PF: error code and CR2 returned */
	BT_WIN_SLOW,      /* MMIO, ROM, a write to code or a page table: interpret */
};

/* Reserve the windows for (c); 0 or -ENOMEM (logged). */
int bt_win_init(struct bt_cpu *c);
void bt_win_fini(struct bt_cpu *c);
/* Pick (or make) the window for the current mode and point GS at it.
 * Returns its base. Call before entering translated code. */
uintptr_t bt_win_select(struct bt_cpu *c);
/* A host fault at (addr) in translated code; from the signal handler. */
int bt_win_fault(struct bt_cpu *c, uintptr_t addr, bool write, uint32_t *pf_err, uint32_t *cr2);
/* Frame (gpa_page) now holds decoded code: map it read-only everywhere. */
void bt_win_protect_frame(struct bt_cpu *c, uint64_t gpa_page);
/* Whether (gpa_page) is a page table some window mapping came from. */
bool bt_win_is_pt(struct bt_cpu *c, uint64_t gpa_page);
/* A guest write of (len) bytes at (gpa) in a page table: drop the window
 * mappings that depend on the written entries. */
void bt_win_pt_write(struct bt_cpu *c, uint64_t gpa, unsigned len);
/* Drop every mapping of every window. */
void bt_win_flush_all(struct bt_cpu *c);

static inline long syscall_set_gs(uintptr_t base)
{
	return syscall(SYS_arch_prctl, 0x1001 /* ARCH_SET_GS */, base);
}

#endif
