/* sel_guest.c: the guest probe: format and entry mode from the loader's
 * probe, and the CPU features the code may use, found by a Capstone linear
 * sweep of what the format says is code (ELF: the executable segments minus
 * data objects; bzImage: the protected-mode kernel minus its compressed
 * payload, from the boot protocol's payload_offset/payload_length). What only
 * the sweep found is a hint (guest_desc.hints): the hw engine refuses a guest
 * whose format or entry mode its compatibility probe found missing; hints
 * only steer auto mode and are named when a named mode fails on them.
 *
 * The sweep is conservative by design: any MOV to CR0 in 32-bit code of an
 * image that never enters long mode counts as "enables 32-bit paging". An
 * image enters long mode if its 32-bit code writes EFER (MSR 0xc0000080)
 * with LME set (mov ecx, 0xc0000080 ... or reg, 0x100 ... wrmsr); its 32-bit
 * code is then the switch to long mode and its code is scanned again as
 * 64-bit code. ELF data objects in code sections are skipped (symbols).
 * The image's Triplex VMI note, if any, makes it PV-capable (pv_note.c). */
#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/select/select.h"

struct sweep {
	bool cr0_write, msr_write, soft_int, syscall, iret;
	bool fpu;                /* x87 (escape opcodes D8-DF, FXSAVE...), MMX or SSE */
	bool efer_lme;           /* a wrmsr to EFER with LME set */
	bool ecx_is_efer, lme_bit; /* the data flow leading to it */
	char cr0_ev[80], int_ev[80], sys_ev[80], iret_ev[80], fpu_ev[80];
};

/* An instruction that sets up or switches FPU state, which a system that
 * uses the x87/MMX/SSE FPU must run (a linear sweep also decodes jump
 * tables and other data as code, so ordinary arithmetic such as movups or
 * fld is no evidence: bytes like 0f 10 fill every table of addresses near
 * 1 MiB). */
static bool is_fpu_insn(const cs_insn *in)
{
	static const char *const m[] = { "fninit", "finit", "fxsave", "fxrstor", "fnsave",
					 "frstor", "fldcw", "fnstcw", "ldmxcsr", "stmxcsr",
					 "emms", "xsave", "xrstor" };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(m); i++)
		if (!strcmp(in->mnemonic, m[i]))
			return true;
	return false;
}

static void note(char *ev, size_t len, const cs_insn *in)
{
	if (!ev[0])
		snprintf(ev, len, "%s%s%s at %#llx", in->mnemonic, in->op_str[0] ? " " : "",
			 in->op_str, (unsigned long long)in->address);
}

#define SEL_MAX_DATA_RANGES 4096

struct sweep_input {
	const uint8_t *img;
	uint64_t len;
	struct load_range *data;   /* data objects to skip, sorted by offset */
	unsigned nr_data;
};

/* The end of the data object containing file offset (off), or 0. */
static uint64_t data_end(const struct sweep_input *in, uint64_t off)
{
	unsigned lo = 0, hi = in->nr_data;
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		const struct load_range *r = &in->data[mid];
		if (off < r->off)
			hi = mid;
		else if (off - r->off >= r->size)
			lo = mid + 1;
		else
			return r->off + r->size;
	}
	return 0;
}

/* The immediate after ", " in an operand string, or -1. */
static long long op_imm(const char *ops)
{
	const char *c = strstr(ops, ", ");
	return c ? strtoll(c + 2, NULL, 0) : -1;
}

/* Follow `mov ecx, 0xc0000080` ... `or eax, 0x100` (or `or ah, 1`, or
 * `bts eax, 8`) ... `wrmsr`: an EFER write that sets LME (SDM 3A 10.8.5). */
static void track_efer(struct sweep *s, const cs_insn *in)
{
	if (in->id == X86_INS_MOV && !strncmp(in->op_str, "ecx, ", 5)) {
		s->ecx_is_efer = op_imm(in->op_str) == 0xc0000080;
		s->lme_bit = false;
	} else if (in->id == X86_INS_OR || in->id == X86_INS_BTS) {
		long long imm = op_imm(in->op_str);
		bool ah = !strncmp(in->op_str, "ah, ", 4);
		if (in->id == X86_INS_BTS)
			s->lme_bit |= imm == 8;
		else if (imm > 0)
			s->lme_bit |= ah ? (imm & 1) : (imm & 0x100) != 0;
	} else if (in->id == X86_INS_WRMSR) {
		if (s->ecx_is_efer && s->lme_bit)
			s->efer_lme = true;
		s->lme_bit = false;
	}
}

/* Decode the image bytes [off, off+len), loaded at (gpa), in (bits)-bit mode.
 * Undecodable bytes are skipped one at a time; known data objects whole. */
static int sweep_code(const struct sweep_input *im, uint64_t off, uint64_t len, uint64_t gpa,
		      unsigned bits, struct sweep *s)
{
	csh h;
	cs_mode mode = bits == 64 ? CS_MODE_64 : bits == 16 ? CS_MODE_16 : CS_MODE_32;
	if (cs_open(CS_ARCH_X86, mode, &h) != CS_ERR_OK) {
		vmm_err("sel: capstone cs_open failed");
		return -EIO;
	}
	cs_insn *in = cs_malloc(h);
	const uint8_t *code = im->img + off;
	size_t left = len;
	uint64_t addr = gpa;
	while (left) {
		uint64_t skip_to = data_end(im, (uint64_t)(code - im->img));
		if (skip_to) {
			uint64_t n = VMM_MIN(skip_to - (uint64_t)(code - im->img), (uint64_t)left);
			code += n;
			left -= n;
			addr += n;
			continue;
		}
		if (!cs_disasm_iter(h, &code, &left, &addr, in)) {
			code++;
			left--;
			addr++;
			continue;
		}
		track_efer(s, in);
		if (!s->fpu && is_fpu_insn(in)) {
			s->fpu = true;
			note(s->fpu_ev, sizeof(s->fpu_ev), in);
		}
		switch (in->id) {
		case X86_INS_MOV:
			if (!strncmp(in->op_str, "cr0,", 4)) {
				s->cr0_write = true;
				note(s->cr0_ev, sizeof(s->cr0_ev), in);
			}
			break;
		case X86_INS_IRET:
		case X86_INS_IRETD:
			s->iret = true;
			note(s->iret_ev, sizeof(s->iret_ev), in);
			break;
		case X86_INS_WRMSR:
			s->msr_write = true;
			break;
		case X86_INS_INT:
			s->soft_int = true;
			note(s->int_ev, sizeof(s->int_ev), in);
			break;
		case X86_INS_SYSCALL:
		case X86_INS_SYSRET:
			s->syscall = true;
			note(s->sys_ev, sizeof(s->sys_ev), in);
			break;
		default:
			break;
		}
	}
	cs_free(in, 1);
	cs_close(&h);
	return 0;
}


static void need(struct guest_desc *g, enum guest_need n, const char *ev)
{
	g->needs |= n;
	g->hints &= ~n; /* known from the format: no longer only a hint */
	unsigned bit = (unsigned)__builtin_ctz(n);
	if (!g->evidence[bit][0])
		snprintf(g->evidence[bit], sizeof(g->evidence[bit]), "%s", ev);
}

/* Sweep every code segment in its own width; for an image that switches to
 * long mode, sweep its 32-bit segments again as 64-bit code. */
static int sweep_all(const struct sweep_input *im, const struct guest_info *info,
		     struct sweep *s32, struct sweep *s64, bool *switches)
{
	for (unsigned i = 0; i < info->nr_code; i++) {
		uint64_t off = info->code[i].file_off, size = info->code[i].size;
		if (off > im->len || size > im->len - off)
			continue; /* the loader's probe already rejected such images */
		int r = sweep_code(im, off, size, info->code[i].gpa, info->code[i].bits,
				   info->code[i].bits == 64 ? s64 : s32);
		if (r)
			return r;
	}
	*switches = info->bits != 64 && s32->efer_lme;
	for (unsigned i = 0; *switches && i < info->nr_code; i++) {
		uint64_t off = info->code[i].file_off, size = info->code[i].size;
		if (info->code[i].bits == 32 && off <= im->len && size <= im->len - off) {
			int r = sweep_code(im, off, size, info->code[i].gpa, 64, s64);
			if (r)
				return r;
		}
	}
	return 0;
}

/* A need only the sweep found: a hint (guest_desc.hints). */
static void hint(struct guest_desc *g, enum guest_need n, const char *ev)
{
	bool known = g->needs & n && !(g->hints & n);
	need(g, n, ev);
	if (!known)
		g->hints |= n;
}

/* Turn what the sweeps saw into needs, with the evidence for each. */
static void classify(struct guest_desc *g, const struct sweep *s32, const struct sweep *s64,
		     bool switches)
{
	const struct guest_info *info = &g->info;
	if (info->bits == 16)
		need(g, GUEST_NEEDS_REAL, "16-bit entry");
	if (info->bits == 16 || info->bits == 32)
		need(g, GUEST_NEEDS_PROT32, info->bits == 16 ? "may switch to protected mode"
							     : "32-bit entry");
	if (switches) {
		hint(g, GUEST_NEEDS_LONG_SWITCH, "sets EFER.LME from 32-bit code");
		hint(g, GUEST_NEEDS_LONG, "enters long mode");
	} else if (info->bits == 64) {
		need(g, GUEST_NEEDS_LONG, "64-bit entry");
	} else {
		if (s32->cr0_write)
			hint(g, GUEST_NEEDS_PAGING32, s32->cr0_ev);
		if (s32->soft_int)
			hint(g, GUEST_NEEDS_USER_INT32, s32->int_ev);
		if (s32->iret)
			hint(g, GUEST_NEEDS_IRET32, s32->iret_ev);
	}
	if (s32->fpu || s64->fpu)
		hint(g, GUEST_NEEDS_FPU, s32->fpu ? s32->fpu_ev : s64->fpu_ev);
	if (switches || info->bits == 64) {
		if (s64->soft_int)
			hint(g, GUEST_NEEDS_USER_INT64, s64->int_ev);
		if (s64->syscall)
			hint(g, GUEST_NEEDS_SYSCALL64, s64->sys_ev);
	}
}

/* What kind of OS the image is, from its format and its bytes. */
static void os_hint(const uint8_t *img, uint64_t len, struct guest_desc *g)
{
	static const char linux_banner[] = "Linux version ";
	const char *hint = "unknown";
	if (g->info.format == LOAD_BZIMAGE)
		hint = "linux";
	else if (memmem(img, len, linux_banner, sizeof(linux_banner) - 1))
		hint = "linux";
	else if (g->info.format == LOAD_MULTIBOOT)
		hint = "multiboot kernel";
	else if (g->info.format == LOAD_FLAT)
		hint = "flat binary";
	snprintf(g->os_hint, sizeof(g->os_hint), "%s", hint);
}

int sel_guest_scan(const uint8_t *img, uint64_t len, struct guest_desc *g)
{
	struct sweep s32 = { 0 }, s64 = { 0 };
	struct sweep_input im = { .img = img, .len = len };
	bool switches = false;
	g->needs = g->hints = 0;
	memset(g->evidence, 0, sizeof(g->evidence));
	im.data = malloc(SEL_MAX_DATA_RANGES * sizeof(*im.data));
	if (im.data && g->info.format == LOAD_BZIMAGE)
		im.nr_data = load_bzimage_payload(img, len, &im.data[0]) ? 1 : 0;
	else if (im.data)
		im.nr_data = load_elf_data_ranges(img, len, im.data, SEL_MAX_DATA_RANGES);
	int r = sweep_all(&im, &g->info, &s32, &s64, &switches);
	free(im.data);
	if (r)
		return r;
	classify(g, &s32, &s64, switches);
	os_hint(img, len, g);
	(void)pv_note_parse(img, len, &g->pv); /* a malformed note: g->pv.why */
	return 0;
}

int sel_guest_probe(const struct load_params *p, struct guest_desc *g)
{
	memset(g, 0, sizeof(*g));
	struct load_file f;
	int r = load_file_open(&f, p->kernel); /* mapped: read as the scan needs it */
	if (r)
		return r;
	const uint8_t *img = f.data;
	uint64_t len = f.len;
	r = load_probe_image(p->kernel, img, len, p, &g->info);
	if (!r)
		r = sel_guest_scan(img, len, g);
	if (!r && g->pv.present && !g->pv.valid)
		vmm_warn("%s: %s; the guest is not PV-capable", p->kernel, g->pv.why);
	load_file_close(&f);
	return r;
}
