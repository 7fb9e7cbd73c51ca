/* x86.c: helpers over struct x86_state: reset values, flat and real-mode
 * segments, descriptor encode/decode, mode names and register dumps. */
#include "vmm/core/x86.h"

#include <stdio.h>
#include <string.h>

void x86_state_reset(struct x86_state *s)
{
	memset(s, 0, sizeof(*s));
	s->rflags = X86_FLAGS_FIXED;
	s->rip = 0xfff0;
	s->cr0 = X86_CR0_ET | X86_CR0_NW | X86_CR0_CD;
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		x86_seg_real(&s->seg[i], 0, false);
	x86_seg_real(&s->seg[X86_CS], 0xf000, true);
	s->seg[X86_CS].base = 0xffff0000;
	s->gdt.limit = 0xffff;
	s->idt.limit = 0xffff;
	s->ldt.limit = 0xffff;
	s->ldt.type = X86_SEG_TYPE_LDT;
	s->ldt.present = 1;
	s->tr.limit = 0xffff;
	s->tr.type = X86_SEG_TYPE_TSS32_BUSY;
	s->tr.present = 1;
	s->dr[6] = 0xffff0ff0;
	s->dr[7] = 0x400;
	s->xcr0 = 1;
	s->msr.pat = 0x0007040600070406ull;
	s->msr.apic_base = 0xfee00000 | (1u << 11) | (1u << 8); /* enabled, BSP */
	s->fpu.fcw = 0x37f;
	s->fpu.mxcsr = 0x1f80;
	s->fpu.mxcsr_mask = 0xffff;
}

void x86_seg_flat(struct x86_seg *seg, uint16_t sel, bool code, bool long_mode)
{
	memset(seg, 0, sizeof(*seg));
	seg->sel = sel;
	seg->base = 0;
	seg->limit = 0xffffffff;
	seg->type = code ? X86_SEG_TYPE_CODE_RX : X86_SEG_TYPE_DATA_RW;
	seg->s = 1;
	seg->present = 1;
	seg->g = 1;
	seg->l = code && long_mode;
	seg->db = !(code && long_mode);
}

void x86_seg_real(struct x86_seg *seg, uint16_t sel, bool code)
{
	memset(seg, 0, sizeof(*seg));
	seg->sel = sel;
	seg->base = (uint64_t)sel << 4;
	seg->limit = 0xffff;
	seg->type = code ? X86_SEG_TYPE_CODE_RX : X86_SEG_TYPE_DATA_RW;
	seg->s = 1;
	seg->present = 1;
}

/* SDM 3A 3.4.5, figure 3-8: segment descriptor layout. */
void x86_seg_from_desc(struct x86_seg *seg, uint16_t sel, uint64_t d)
{
	memset(seg, 0, sizeof(*seg));
	seg->sel = sel;
	seg->base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
	uint32_t limit = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16));
	seg->type = (d >> 40) & 0xf;
	seg->s = (d >> 44) & 1;
	seg->dpl = (d >> 45) & 3;
	seg->present = (d >> 47) & 1;
	seg->avl = (d >> 52) & 1;
	seg->l = (d >> 53) & 1;
	seg->db = (d >> 54) & 1;
	seg->g = (d >> 55) & 1;
	seg->limit = seg->g ? (limit << 12) | 0xfff : limit;
}

uint64_t x86_seg_to_desc(const struct x86_seg *seg)
{
	uint32_t limit = seg->g ? seg->limit >> 12 : seg->limit;
	uint64_t d = limit & 0xffff;
	d |= (seg->base & 0xffffff) << 16;
	d |= (uint64_t)(seg->type & 0xf) << 40;
	d |= (uint64_t)(seg->s & 1) << 44;
	d |= (uint64_t)(seg->dpl & 3) << 45;
	d |= (uint64_t)(seg->present & 1) << 47;
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(seg->avl & 1) << 52;
	d |= (uint64_t)(seg->l & 1) << 53;
	d |= (uint64_t)(seg->db & 1) << 54;
	d |= (uint64_t)(seg->g & 1) << 55;
	d |= ((seg->base >> 24) & 0xff) << 56;
	return d;
}

const char *x86_mode_name(const struct x86_state *s)
{
	if (!(s->cr0 & X86_CR0_PE))
		return "real";
	if (s->rflags & X86_FLAGS_VM)
		return "vm86";
	if (s->efer & X86_EFER_LMA)
		return s->seg[X86_CS].l ? "long" : "compat";
	return s->seg[X86_CS].db ? "prot32" : "prot16";
}

unsigned x86_cpl(const struct x86_state *s)
{
	if (!(s->cr0 & X86_CR0_PE))
		return 0;
	if (s->rflags & X86_FLAGS_VM)
		return 3;
	return s->seg[X86_CS].dpl;
}

static const char *const vector_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
	"#DF", NULL,  "#TS", "#NP", "#SS", "#GP", "#PF", NULL,
	"#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

const char *x86_vector_name(unsigned vector)
{
	return vector < 32 ? vector_names[vector] : NULL;
}

static size_t fmt_seg(char *buf, size_t len, const char *name, const struct x86_seg *s)
{
	int n = snprintf(buf, len,
			 "%s =%04x %016llx %08x type=%x s=%u dpl=%u p=%u l=%u db=%u g=%u%s\n",
			 name, s->sel, (unsigned long long)s->base, s->limit, s->type,
			 s->s, s->dpl, s->present, s->l, s->db, s->g,
			 s->unusable ? " unusable" : "");
	return n < 0 ? 0 : VMM_MIN((size_t)n, len ? len - 1 : 0);
}

size_t x86_state_format(const struct x86_state *s, char *buf, size_t len)
{
	static const char *const gpr[] = { "RAX", "RCX", "RDX", "RBX", "RSP", "RBP",
					   "RSI", "RDI", "R8 ", "R9 ", "R10", "R11",
					   "R12", "R13", "R14", "R15" };
	static const char *const sreg[] = { "ES ", "CS ", "SS ", "DS ", "FS ", "GS " };
	size_t off = 0;
	if (!len)
		return 0;
	buf[0] = 0;
#define EMIT(...)                                                              \
	do {                                                                   \
		int n_ = snprintf(buf + off, len - off, __VA_ARGS__);          \
		if (n_ > 0)                                                    \
			off += VMM_MIN((size_t)n_, len - off - 1);             \
	} while (0)
	for (unsigned i = 0; i < X86_NR_GPRS; i++)
		EMIT("%s=%016llx%s", gpr[i], (unsigned long long)s->gpr[i],
		     (i % 4 == 3) ? "\n" : " ");
	EMIT("RIP=%016llx RFL=%08llx [%c%c%c%c%c%c%c%c] CPL=%u mode=%s%s\n",
	     (unsigned long long)s->rip, (unsigned long long)s->rflags,
	     (s->rflags & X86_FLAGS_OF) ? 'O' : '-', (s->rflags & X86_FLAGS_DF) ? 'D' : '-',
	     (s->rflags & X86_FLAGS_IF) ? 'I' : '-', (s->rflags & X86_FLAGS_SF) ? 'S' : '-',
	     (s->rflags & X86_FLAGS_ZF) ? 'Z' : '-', (s->rflags & X86_FLAGS_AF) ? 'A' : '-',
	     (s->rflags & X86_FLAGS_PF) ? 'P' : '-', (s->rflags & X86_FLAGS_CF) ? 'C' : '-',
	     x86_cpl(s), x86_mode_name(s), s->ev.halted ? " HLT" : "");
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		off += fmt_seg(buf + off, len - off, sreg[i], &s->seg[i]);
	off += fmt_seg(buf + off, len - off, "LDT", &s->ldt);
	off += fmt_seg(buf + off, len - off, "TR ", &s->tr);
	EMIT("GDT=     %016llx %08x\n", (unsigned long long)s->gdt.base, s->gdt.limit);
	EMIT("IDT=     %016llx %08x\n", (unsigned long long)s->idt.base, s->idt.limit);
	EMIT("CR0=%08llx CR2=%016llx CR3=%016llx CR4=%08llx\n",
	     (unsigned long long)s->cr0, (unsigned long long)s->cr2,
	     (unsigned long long)s->cr3, (unsigned long long)s->cr4);
	EMIT("EFER=%016llx", (unsigned long long)s->efer);
#undef EMIT
	return off;
}
