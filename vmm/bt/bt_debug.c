/* bt_debug.c: single-step and breakpoints for debuggers (engine_ops
 * set_debug, vmm/core/debug.c). Breakpoints are linear addresses checked
 * before each interpreted instruction; a block that holds one is never run
 * translated (the code cache is flushed when the list changes, so no
 * translated block or chain leads into one), so the guest sees no change
 * to its memory. A step interprets one instruction with interrupts held. */
#include <string.h>

#include "vmm/bt/bt_internal.h"
#include "vmm/bt/bt_trans.h"
#include "vmm/bt/bt_window.h"

static uint64_t linear_rip(const struct bt_cpu *c)
{
	return c->seg[X86_CS].base + c->rip;
}

bool bt_dbg_at_bp(struct bt_cpu *c)
{
	uint64_t lin = linear_rip(c);
	for (unsigned i = 0; i < c->dbg.nr; i++)
		if (c->dbg.bp[i] == lin) {
			c->dbg.hit = true;
			return true;
		}
	return false;
}

bool bt_dbg_block_has_bp(const struct bt_cpu *c, const struct bt_block *b)
{
	uint64_t lo = (uint64_t)b->cs_base + b->eip, hi = lo + b->len;
	for (unsigned i = 0; i < c->dbg.nr; i++)
		if (c->dbg.bp[i] >= lo && c->dbg.bp[i] < hi)
			return true;
	return false;
}

int bt_set_debug(struct vcpu *v, const struct vcpu_debug *d, char *why, size_t len)
{
	struct bt_cpu *c = bt_cpu_of(v);
	bool changed = d->nr_bp != c->dbg.nr ||
		       memcmp(d->bp, c->dbg.bp, d->nr_bp * sizeof(d->bp[0]));
	c->dbg.step = d->step;
	c->dbg.done = c->dbg.hit = false;
	c->dbg.nr = VMM_MIN(d->nr_bp, (unsigned)VCPU_DEBUG_MAX_BP);
	memcpy(c->dbg.bp, d->bp, c->dbg.nr * sizeof(d->bp[0]));
	if (changed && c->dbg.nr && c->tc)
		bt_tcache_flush(c); /* no translated block may lead into a breakpoint */
	return 0;
}

void bt_mem_written(struct vcpu *v, gpa_t gpa, uint64_t len)
{
	struct bt_cpu *c = bt_cpu_of(v);
	while (len) {
		uint64_t page = gpa & ~0xfffull;
		unsigned n = (unsigned)VMM_MIN(len, page + 0x1000 - gpa);
		if (bt_gpa_special(c, page))
			bt_special_write(c, gpa, n);
		gpa += n;
		len -= n;
	}
}
