/* disas.c: one-instruction disassembly with Capstone, for the monitor's
 * x/i and for error reports (e.g. which instruction KVM failed to emulate). */
#include <capstone/capstone.h>
#include <stdio.h>

#include "vmm/core/disas.h"

unsigned disas_insn(const uint8_t *code, size_t len, unsigned bits, uint64_t addr, char *buf,
		    size_t buflen)
{
	csh h;
	cs_mode mode = bits == 64 ? CS_MODE_64 : bits == 16 ? CS_MODE_16 : CS_MODE_32;
	snprintf(buf, buflen, "(bad)");
	if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK)
		return 0;
	cs_insn *in = NULL;
	unsigned n = 0;
	if (cs_disasm(h, code, len, addr, 1, &in) == 1) {
		snprintf(buf, buflen, "%s%s%s", in->mnemonic, in->op_str[0] ? " " : "", in->op_str);
		n = in->size;
		cs_free(in, 1);
	}
	cs_close(&h);
	return n;
}
