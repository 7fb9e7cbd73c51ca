/* disas.h: the disassembler (Capstone) that the monitor's x/i and the
 * engines' error reports share: a core utility, so an engine needs nothing
 * above it to name an instruction. */
#ifndef VMM_CORE_DISAS_H
#define VMM_CORE_DISAS_H

#include "vmm/core/vmm.h"

/* Disassemble one instruction of (bits)-bit code (16, 32, 64) at (addr)
 * into (buf) as "mnemonic operands" (Intel syntax). Returns its length in
 * bytes, or 0 if the bytes do not decode (buf says "(bad)"). */
unsigned disas_insn(const uint8_t *code, size_t len, unsigned bits, uint64_t addr, char *buf,
		    size_t buflen);

#endif
