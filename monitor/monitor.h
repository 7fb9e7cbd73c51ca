/* monitor.h: the monitor's services. For now: the disassembler (Capstone)
 * that the monitor's x/i and the engines' error reports share. */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include "vmm/core/vmm.h"

/* Disassemble one instruction of (bits)-bit code (16, 32, 64) at (addr)
 * into (buf) as "mnemonic operands" (Intel syntax). Returns its length in
 * bytes, or 0 if the bytes do not decode (buf says "(bad)"). */
unsigned mon_disas(const uint8_t *code, size_t len, unsigned bits, uint64_t addr, char *buf,
		   size_t buflen);

#endif
