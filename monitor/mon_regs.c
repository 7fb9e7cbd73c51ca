/* mon_regs.c: `info registers`: all of struct x86_state laid out as QEMU's
 * x86 `info registers` (target/i386/cpu-dump.c): 64-bit names and widths in
 * long mode, 32-bit ones otherwise; segment flags as the descriptor's high
 * word; then the MSRs, FPU/SSE and pending events QEMU shows elsewhere. */
#include <string.h>

#include "monitor/mon_internal.h"

static const char *const seg_names[] = { "ES", "CS", "SS", "DS", "FS", "GS" };

/* QEMU's cpu_x86_dump_seg_cache: selector, base, limit, flags, a summary. */
static void dump_seg(struct mon_buf *o, bool lm, const char *name, const struct x86_seg *s,
		     const struct x86_state *st)
{
	uint32_t flags = (uint32_t)(x86_seg_to_desc(s) >> 32) & 0x00f0ff00u;
	if (lm)
		mon_printf(o, "%-3s=%04x %016llx %08x %08x", name, s->sel,
			   (unsigned long long)s->base, s->limit, flags);
	else
		mon_printf(o, "%-3s=%04x %08x %08x %08x", name, s->sel, (unsigned)s->base,
			   s->limit, flags);
	if (!(st->cr0 & X86_CR0_PE) || !s->present) {
		mon_printf(o, "\n");
		return;
	}
	mon_printf(o, " DPL=%u ", s->dpl);
	if (s->s) {
		if (s->type & 8)
			mon_printf(o, s->l ? "CS64 [%c%c%c]" : s->db ? "CS32 [%c%c%c]" : "CS16 [%c%c%c]",
				   (s->type & 4) ? 'C' : '-', (s->type & 2) ? 'R' : '-',
				   (s->type & 1) ? 'A' : '-');
		else
			mon_printf(o, s->db ? "DS   [%c%c%c]" : "DS16 [%c%c%c]",
				   (s->type & 4) ? 'E' : '-', (s->type & 2) ? 'W' : '-',
				   (s->type & 1) ? 'A' : '-');
	} else {
		static const char *const sys[16] = {
			"Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16", "TaskGate",
			"IntGate16", "TrapGate16", "Reserved", "TSS32-avl", "Reserved", "TSS32-busy",
			"CallGate32", "Reserved", "IntGate32", "TrapGate32" };
		mon_printf(o, "%s", sys[s->type & 15]);
	}
	mon_printf(o, "\n");
}

static double fp80(const uint8_t *b)
{
	uint64_t mant;
	uint16_t se;
	memcpy(&mant, b, 8);
	memcpy(&se, b + 8, 2);
	long double v = (long double)mant;
	int e = (se & 0x7fff) - 16383 - 63;
	if ((se & 0x7fff) == 0 && mant == 0)
		return (se & 0x8000) ? -0.0 : 0.0;
	while (e > 0) { v *= 2; e--; }
	while (e < 0) { v /= 2; e++; }
	return (double)((se & 0x8000) ? -v : v);
}

void mon_format_regs(const struct x86_state *s, struct mon_buf *o)
{
	static const char *const g64[] = { "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
					   "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15" };
	static const int idx[] = { X86_RAX, X86_RBX, X86_RCX, X86_RDX, X86_RSI, X86_RDI,
				   X86_RBP, X86_RSP, 8, 9, 10, 11, 12, 13, 14, 15 };
	bool lm = s->efer & X86_EFER_LMA;
	uint64_t f = s->rflags;
	if (lm) {
		for (unsigned i = 0; i < 16; i++)
			mon_printf(o, "%-3s=%016llx%s", g64[i], (unsigned long long)s->gpr[idx[i]],
				   i % 4 == 3 ? "\n" : " ");
		mon_printf(o, "RIP=%016llx RFL=%08llx", (unsigned long long)s->rip,
			   (unsigned long long)f);
	} else {
		static const char *const g32[] = { "EAX", "EBX", "ECX", "EDX",
						   "ESI", "EDI", "EBP", "ESP" };
		for (unsigned i = 0; i < 8; i++)
			mon_printf(o, "%s=%08x%s", g32[i], (unsigned)s->gpr[idx[i]],
				   i % 4 == 3 ? "\n" : " ");
		mon_printf(o, "EIP=%08x EFL=%08x", (unsigned)s->rip, (unsigned)f);
	}
	mon_printf(o, " [%c%c%c%c%c%c%c] CPL=%u II=%u A20=1 SMM=0 HLT=%u\n",
		   (f & X86_FLAGS_DF) ? 'D' : '-', (f & X86_FLAGS_OF) ? 'O' : '-',
		   (f & X86_FLAGS_SF) ? 'S' : '-', (f & X86_FLAGS_ZF) ? 'Z' : '-',
		   (f & X86_FLAGS_AF) ? 'A' : '-', (f & X86_FLAGS_PF) ? 'P' : '-',
		   (f & X86_FLAGS_CF) ? 'C' : '-', x86_cpl(s), s->ev.int_shadow ? 1 : 0,
		   s->ev.halted ? 1 : 0);
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		dump_seg(o, lm, seg_names[i], &s->seg[i], s);
	dump_seg(o, lm, "LDT", &s->ldt, s);
	dump_seg(o, lm, "TR", &s->tr, s);
	const char *w = lm ? "%016llx" : "%08llx";
	char fmt[96];
	snprintf(fmt, sizeof(fmt), "GDT=     %s %%08x\n", w);
	mon_printf(o, fmt, (unsigned long long)s->gdt.base, s->gdt.limit);
	snprintf(fmt, sizeof(fmt), "IDT=     %s %%08x\n", w);
	mon_printf(o, fmt, (unsigned long long)s->idt.base, s->idt.limit);
	snprintf(fmt, sizeof(fmt), "CR0=%%08llx CR2=%s CR3=%s CR4=%%08llx\n", w, w);
	mon_printf(o, fmt, (unsigned long long)s->cr0, (unsigned long long)s->cr2,
		   (unsigned long long)s->cr3, (unsigned long long)s->cr4);
	snprintf(fmt, sizeof(fmt), "DR%%u=%s ", w);
	for (unsigned i = 0; i < 4; i++)
		mon_printf(o, fmt, i, (unsigned long long)s->dr[i]);
	snprintf(fmt, sizeof(fmt), "\nDR6=%s DR7=%s\n", w, w);
	mon_printf(o, fmt, (unsigned long long)s->dr[6], (unsigned long long)s->dr[7]);
	mon_printf(o, "CCS=%016llx CCD=%016llx CCO=EFLAGS\n", 0ull, (unsigned long long)f);
	mon_printf(o, "EFER=%016llx CR8=%016llx XCR0=%016llx\n", (unsigned long long)s->efer,
		   (unsigned long long)s->cr8, (unsigned long long)s->xcr0);
	const struct x86_fpu *fp = &s->fpu;
	mon_printf(o, "FCW=%04x FSW=%04x [ST=%u] FTW=%02x MXCSR=%08x\n", fp->fcw, fp->fsw,
		   (fp->fsw >> 11) & 7, fp->ftw, fp->mxcsr);
	for (unsigned i = 0; i < 8; i++) {
		uint64_t mant;
		uint16_t se;
		memcpy(&mant, fp->st[i], 8);
		memcpy(&se, fp->st[i] + 8, 2);
		mon_printf(o, "FPR%u=%016llx %04x (%g)%s", i, (unsigned long long)mant, se,
			   fp80(fp->st[i]), i % 2 ? "\n" : " ");
	}
	unsigned nxmm = lm ? 16 : 8;
	for (unsigned i = 0; i < nxmm; i++) {
		uint64_t lo, hi;
		memcpy(&lo, fp->xmm[i], 8);
		memcpy(&hi, fp->xmm[i] + 8, 8);
		mon_printf(o, "XMM%02u=%016llx%016llx%s", i, (unsigned long long)hi,
			   (unsigned long long)lo, i % 2 ? "\n" : " ");
	}
	mon_printf(o, "FOP=%04x FIP=%016llx FDP=%016llx\n", fp->fop, (unsigned long long)fp->fip,
		   (unsigned long long)fp->fdp);
	const struct x86_msrs *m = &s->msr;
	mon_printf(o, "TSC=%016llx APIC_BASE=%016llx PAT=%016llx MISC_ENABLE=%016llx\n",
		   (unsigned long long)m->tsc, (unsigned long long)m->apic_base,
		   (unsigned long long)m->pat, (unsigned long long)m->misc_enable);
	mon_printf(o, "SYSENTER_CS=%016llx SYSENTER_ESP=%016llx SYSENTER_EIP=%016llx\n",
		   (unsigned long long)m->sysenter_cs, (unsigned long long)m->sysenter_esp,
		   (unsigned long long)m->sysenter_eip);
	mon_printf(o, "STAR=%016llx LSTAR=%016llx CSTAR=%016llx SFMASK=%016llx\n",
		   (unsigned long long)m->star, (unsigned long long)m->lstar,
		   (unsigned long long)m->cstar, (unsigned long long)m->sfmask);
	mon_printf(o, "KERNEL_GS_BASE=%016llx TSC_AUX=%016llx\n",
		   (unsigned long long)m->kernel_gs_base, (unsigned long long)m->tsc_aux);
	const struct x86_events *e = &s->ev;
	mon_printf(o, "EXC=%s vec=%u err=%s%x IRQ=%s vec=%u NMI=%u NMI_MASKED=%u SHADOW=%u "
		   "HALTED=%u\n", e->exc_pending ? "pending" : "none", e->exc_vector,
		   e->exc_has_error ? "" : "-", e->exc_error, e->irq_pending ? "pending" : "none",
		   e->irq_vector, e->nmi_pending, e->nmi_masked, e->int_shadow, e->halted);
}
