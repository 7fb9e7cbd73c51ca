/* mon_gdb.h: the gdb stub's private interface: the register file and target
 * descriptions (mon_gdb_regs.c) the protocol side (mon_gdb.c) uses. (wide):
 * the x86-64 layout (a 64-bit guest) rather than i386. */
#ifndef MONITOR_MON_GDB_H
#define MONITOR_MON_GDB_H

#include "monitor/mon_internal.h"

unsigned gdb_nr_regs(bool wide);
unsigned gdb_regs_size(bool wide);
/* Register (n) of (s) into / from (buf); returns its size in bytes. */
unsigned gdb_reg_get(const struct x86_state *s, bool wide, unsigned n, uint8_t *buf);
unsigned gdb_reg_set(struct x86_state *s, bool wide, unsigned n, const uint8_t *buf);
/* target.xml for qXfer:features:read. */
void gdb_target_xml(bool wide, struct mon_buf *o);

#endif
