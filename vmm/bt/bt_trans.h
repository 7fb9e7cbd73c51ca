/* bt_trans.h: the translator's interface to the rest of the bt engine:
 * running a block's host code, and the hooks the block cache and the MMU
 * call when blocks, pages or the address space change. */
#ifndef VMM_BT_BT_TRANS_H
#define VMM_BT_BT_TRANS_H

#include "vmm/bt/bt_internal.h"

/* Translator state for (c); 0 or -errno (logged). */
int bt_trans_init(struct bt_cpu *c);
void bt_trans_fini(struct bt_cpu *c);
/* Whether the segment state lets translated code use flat addressing. */
bool bt_trans_flat(const struct bt_cpu *c);
/* Hooks from the block cache. */
void bt_trans_jc_flush(struct bt_cpu *c);
void bt_trans_block_invalidate(struct bt_cpu *c, struct bt_block *b);
void bt_trans_page_protect(struct bt_cpu *c, uint64_t gpa_page);
void bt_trans_page_unprotect(struct bt_cpu *c, uint64_t gpa_page);

#endif
