/* mon_gdb_regs.c: the gdb stub's registers: the target descriptions
 * (org.gnu.gdb.i386.core and .sse, the layouts of gdb's i386/32bit-*.xml
 * and i386/64bit-*.xml) and the conversion between struct x86_state and the
 * 'g' packet's register file in that order. */
#include <string.h>

#include "monitor/mon_gdb.h"

/* One register: its name, size in bytes, gdb type and group. */
struct gdb_reg {
	const char *name;
	unsigned size;
	const char *type;
};

#define GPR(n, t) { n, 0, t }  /* size 0: the word size (4 or 8) */
static const struct gdb_reg core32[] = {
	GPR("eax", "int32"), GPR("ecx", "int32"), GPR("edx", "int32"), GPR("ebx", "int32"),
	GPR("esp", "data_ptr"), GPR("ebp", "data_ptr"), GPR("esi", "int32"), GPR("edi", "int32"),
	GPR("eip", "code_ptr"),
};
static const struct gdb_reg core64[] = {
	GPR("rax", "int64"), GPR("rbx", "int64"), GPR("rcx", "int64"), GPR("rdx", "int64"),
	GPR("rsi", "int64"), GPR("rdi", "int64"), GPR("rbp", "data_ptr"), GPR("rsp", "data_ptr"),
	GPR("r8", "int64"), GPR("r9", "int64"), GPR("r10", "int64"), GPR("r11", "int64"),
	GPR("r12", "int64"), GPR("r13", "int64"), GPR("r14", "int64"), GPR("r15", "int64"),
	GPR("rip", "code_ptr"),
};
/* x86_state.gpr index of each core64 register (rax rbx rcx rdx rsi rdi rbp rsp) */
static const int gpr64_idx[16] = { X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_RSI, X86_RDI,
				   X86_RBP, X86_RSP, 8, 9, 10, 11, 12, 13, 14, 15 };
static const char *const segs[] = { "cs", "ss", "ds", "es", "fs", "gs" };
static const int seg_idx[] = { X86_CS, X86_SS, X86_DS, X86_ES, X86_FS, X86_GS };
static const char *const fctl[] = { "fctrl", "fstat", "ftag", "fiseg", "fioff", "foseg",
				    "fooff", "fop" };

static unsigned nr_gprs(bool wide)
{
	return wide ? VMM_ARRAY_SIZE(core64) : VMM_ARRAY_SIZE(core32); /* with the pc */
}

unsigned gdb_nr_regs(bool wide)
{
	/* gprs+pc, eflags, 6 segs, 8 st, 8 fpu control, xmm, mxcsr */
	return nr_gprs(wide) + 1 + 6 + 8 + 8 + (wide ? 16 : 8) + 1;
}

/* Size of register (n). */
static unsigned reg_size(bool wide, unsigned n)
{
	unsigned g = nr_gprs(wide);
	if (n < g)
		return wide ? 8 : 4;
	n -= g;
	if (n < 7)
		return 4;   /* eflags, segments */
	n -= 7;
	if (n < 8)
		return 10;  /* st0-7 */
	n -= 8;
	if (n < 8)
		return 4;   /* fctrl..fop */
	n -= 8;
	return n < (wide ? 16u : 8u) ? 16 : 4;
}

/* The bytes of register (n) of (s) into (buf); returns the size. */
unsigned gdb_reg_get(const struct x86_state *s, bool wide, unsigned n, uint8_t *buf)
{
	unsigned g = nr_gprs(wide), size = reg_size(wide, n);
	uint64_t v = 0;
	memset(buf, 0, size);
	if (n + 1 < g)
		v = s->gpr[wide ? (unsigned)gpr64_idx[n] : n];
	else if (n + 1 == g)
		v = s->rip;
	else if (n == g)
		v = s->rflags;
	else if (n < g + 7)
		v = s->seg[seg_idx[n - g - 1]].sel;
	else if (n < g + 15) {
		memcpy(buf, s->fpu.st[n - g - 7], 10);
		return size;
	} else if (n < g + 23) {
		const struct x86_fpu *f = &s->fpu;
		uint16_t ftw = 0;
		for (unsigned i = 0; i < 8; i++) /* abridged -> full tag word: 3 = empty */
			ftw |= (uint16_t)(((f->ftw >> i) & 1 ? 0 : 3) << (2 * i));
		uint64_t vals[8] = { f->fcw, f->fsw, ftw, 0, f->fip & 0xffffffff, 0,
				     f->fdp & 0xffffffff, f->fop };
		v = vals[n - g - 15];
	} else if (n < g + 23 + (wide ? 16 : 8)) {
		memcpy(buf, s->fpu.xmm[n - g - 23], 16);
		return size;
	} else {
		v = s->fpu.mxcsr;
	}
	memcpy(buf, &v, VMM_MIN(size, 8u));
	return size;
}

/* Set register (n) of (s) from (buf) (reg_size bytes). */
unsigned gdb_reg_set(struct x86_state *s, bool wide, unsigned n, const uint8_t *buf)
{
	unsigned g = nr_gprs(wide), size = reg_size(wide, n);
	uint64_t v = 0;
	memcpy(&v, buf, VMM_MIN(size, 8u));
	if (n + 1 < g)
		s->gpr[wide ? (unsigned)gpr64_idx[n] : n] = v;
	else if (n + 1 == g)
		s->rip = v;
	else if (n == g)
		s->rflags = v | X86_FLAGS_FIXED;
	else if (n < g + 7)
		; /* a selector alone cannot be loaded: its descriptor decides */
	else if (n < g + 15)
		memcpy(s->fpu.st[n - g - 7], buf, 10);
	else if (n < g + 23) {
		struct x86_fpu *f = &s->fpu;
		switch (n - g - 15) {
		case 0: f->fcw = (uint16_t)v; break;
		case 1: f->fsw = (uint16_t)v; break;
		case 7: f->fop = (uint16_t)v; break;
		default: break;
		}
	} else if (n < g + 23 + (wide ? 16 : 8))
		memcpy(s->fpu.xmm[n - g - 23], buf, 16);
	else
		s->fpu.mxcsr = (uint32_t)v;
	return size;
}

unsigned gdb_regs_size(bool wide)
{
	unsigned t = 0;
	for (unsigned i = 0; i < gdb_nr_regs(wide); i++)
		t += reg_size(wide, i);
	return t;
}

/* The target description: i386 or i386:x86-64 with the core and sse
 * features, register by register (gdb validates names and sizes). */
void gdb_target_xml(bool wide, struct mon_buf *o)
{
	mon_printf(o, "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
		      "<target><architecture>%s</architecture>"
		      "<feature name=\"org.gnu.gdb.i386.core\">",
		   wide ? "i386:x86-64" : "i386");
	mon_printf(o, "<flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" "
		      "end=\"0\"/><field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" "
		      "start=\"7\" end=\"7\"/><field name=\"IF\" start=\"9\" end=\"9\"/></flags>");
	const struct gdb_reg *core = wide ? core64 : core32;
	unsigned bits = wide ? 64 : 32, n = 0;
	for (unsigned i = 0; i < nr_gprs(wide); i++)
		mon_printf(o, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"/>",
			   core[i].name, bits, core[i].type, n++);
	mon_printf(o, "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\" regnum=\"%u\"/>",
		   n++);
	for (unsigned i = 0; i < 6; i++)
		mon_printf(o, "<reg name=\"%s\" bitsize=\"32\" type=\"int32\" regnum=\"%u\"/>",
			   segs[i], n++);
	for (unsigned i = 0; i < 8; i++)
		mon_printf(o, "<reg name=\"st%u\" bitsize=\"80\" type=\"i387_ext\" regnum=\"%u\"/>",
			   i, n++);
	for (unsigned i = 0; i < 8; i++)
		mon_printf(o, "<reg name=\"%s\" bitsize=\"32\" type=\"int\" group=\"float\" "
			      "regnum=\"%u\"/>", fctl[i], n++);
	mon_printf(o, "</feature><feature name=\"org.gnu.gdb.i386.sse\">"
		      "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
		      "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
		      "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
		      "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
		      "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
		      "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
		      "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
		      "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>"
		      "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>"
		      "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>"
		      "</union>");
	for (unsigned i = 0; i < (wide ? 16u : 8u); i++)
		mon_printf(o, "<reg name=\"xmm%u\" bitsize=\"128\" type=\"vec128\" regnum=\"%u\"/>",
			   i, n++);
	mon_printf(o, "<reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\" "
		      "regnum=\"%u\"/></feature></target>", n++);
}
