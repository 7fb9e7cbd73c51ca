/* mon_mem.c: guest memory commands: x/FMT and xp/FMT (QEMU's memory_dump:
 * count, format x d u o t a c i, size b h w g), and info mem / info tlb (the
 * mappings of the guest's page tables, QEMU's layout). Virtual addresses
 * go through vCPU 0's paging; nothing here writes guest state. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/mon_internal.h"

struct fmt {
	unsigned count;
	char format;   /* x d u o t a c i */
	unsigned size; /* 1 2 4 8 */
};

/* "/[count][format][size]" (any order of format and size letters). */
static int parse_fmt(const char **args, struct fmt *f, struct mon_buf *out, const char *cmd)
{
	const char *p = *args;
	f->count = 1;
	f->format = 'x';
	f->size = 0;
	if (*p != '/')
		goto done;
	p++;
	if (isdigit((unsigned char)*p)) {
		char *end;
		unsigned long n = strtoul(p, &end, 10);
		if (n == 0 || n > 4096) {
			mon_printf(out, "%s: count %lu out of range (1 to 4096)\n", cmd, n);
			return -EINVAL;
		}
		f->count = (unsigned)n;
		p = end;
	}
	while (*p && *p != ' ') {
		char c = *p++;
		if (strchr("xduotaci", c))
			f->format = c;
		else if (c == 'b')
			f->size = 1;
		else if (c == 'h')
			f->size = 2;
		else if (c == 'w')
			f->size = 4;
		else if (c == 'g')
			f->size = 8;
		else {
			mon_printf(out, "%s: unknown format letter '%c' (formats x d u o t a c i, "
				   "sizes b h w g)\n", cmd, c);
			return -EINVAL;
		}
	}
done:
	while (*p == ' ')
		p++;
	*args = p;
	if (!f->size)
		f->size = f->format == 'c' ? 1 : f->format == 'a' ? 8 : 4;
	return 0;
}

static void print_value(struct mon_buf *out, const struct fmt *f, uint64_t v)
{
	unsigned bits = f->size * 8;
	switch (f->format) {
	case 'o':
		mon_printf(out, " %#*" PRIo64, (bits + 2) / 3, v);
		break;
	case 'x':
	case 'a':
		mon_printf(out, " 0x%0*" PRIx64, bits / 4, v);
		break;
	case 'u':
		mon_printf(out, " %*" PRIu64, (bits * 10 + 32) / 33, v);
		break;
	case 'd': {
		int64_t sv = bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits);
		mon_printf(out, " %*" PRId64, (bits * 10 + 32) / 33, sv);
		break;
	}
	case 't':
		mon_printf(out, " ");
		for (int i = (int)bits - 1; i >= 0; i--)
			mon_printf(out, "%c", (v >> i) & 1 ? '1' : '0');
		break;
	case 'c':
		if (v >= 32 && v < 127 && v != '\\' && v != '\'')
			mon_printf(out, " '%c'", (int)v);
		else
			mon_printf(out, " '\\x%02x'", (unsigned)(v & 0xff));
		break;
	}
}

static void print_addr(struct mon_buf *out, uint64_t a, bool wide)
{
	mon_printf(out, wide ? "%016" PRIx64 ":" : "%08" PRIx64 ":", a);
}

static int dump_insns(struct mon *m, const struct x86_state *s, bool virt, uint64_t addr,
		      unsigned count, struct mon_buf *out)
{
	unsigned bits = mon_code_bits(s);
	for (unsigned i = 0; i < count; i++) {
		uint8_t code[16];
		uint64_t bad;
		size_t n = sizeof(code);
		/* shorten the read at an unmapped page so the last insns still decode */
		while (n && mon_mem_rw(m->vm, s, virt, addr, code, n, false, &bad))
			n = bad > addr ? (size_t)(bad - addr) : 0;
		if (!n) {
			mon_printf(out, "Cannot access memory at %s address 0x%" PRIx64 "\n",
				   virt ? "virtual" : "physical", addr);
			return -EFAULT;
		}
		char text[128];
		unsigned len = disas_insn(code, n, bits, addr, text, sizeof(text));
		mon_printf(out, bits == 64 ? "0x%016" PRIx64 ":  %s\n" : "0x%08" PRIx64 ":  %s\n",
			   addr, text);
		addr += len ? len : 1;
	}
	return 0;
}

static int memory_dump(struct mon *m, const char *args, struct mon_buf *out, bool virt)
{
	const char *cmd = virt ? "x" : "xp";
	struct fmt f;
	if (parse_fmt(&args, &f, out, cmd))
		return -EINVAL;
	uint64_t addr;
	if (!*args) {
		mon_printf(out, "%s: missing address (usage: %s/FMT ADDR)\n", cmd, cmd);
		return -EINVAL;
	}
	if (mon_parse_value(m, args, &addr, out))
		return -EINVAL;
	struct x86_state s;
	int r = vm_regs_get(m->vm, 0, &s);
	if (r) {
		mon_printf(out, "%s: cannot read vcpu0's paging state: %s\n", cmd, strerror(-r));
		return r;
	}
	if (f.format == 'i')
		return dump_insns(m, &s, virt, addr, f.count, out);
	bool wide = (s.efer & X86_EFER_LMA) || addr > 0xffffffffull;
	unsigned line = f.size == 1 ? 8 : 16;
	uint64_t total = (uint64_t)f.count * f.size;
	while (total) {
		unsigned l = (unsigned)VMM_MIN(total, (uint64_t)line);
		uint8_t buf[16];
		uint64_t bad;
		if (mon_mem_rw(m->vm, &s, virt, addr, buf, l, false, &bad)) {
			mon_printf(out, "Cannot access memory at %s address 0x%" PRIx64 "\n",
				   virt ? "virtual" : "physical", bad);
			return -EFAULT;
		}
		print_addr(out, addr, wide);
		for (unsigned i = 0; i < l; i += f.size) {
			uint64_t v = 0;
			memcpy(&v, buf + i, f.size); /* little-endian host and guest */
			print_value(out, &f, v);
		}
		mon_printf(out, "\n");
		addr += l;
		total -= l;
	}
	return 0;
}

static int cmd_x(struct mon *m, const char *args, struct mon_buf *out)
{
	return memory_dump(m, args, out, true);
}

static int cmd_xp(struct mon *m, const char *args, struct mon_buf *out)
{
	return memory_dump(m, args, out, false);
}

/* ---- info mem: merged ranges; info tlb: every page ---- */

struct mem_ctx {
	struct mon_buf *out;
	bool wide;
	bool have;
	uint64_t start, end, prot;
	unsigned pages;
};

#define MEM_PROT (X86_PTE_US | X86_PTE_RW | X86_PTE_NX)

static void mem_flush(struct mem_ctx *c)
{
	if (!c->have)
		return;
	const char *f = c->wide ? "%016" PRIx64 "-%016" PRIx64 " %016" PRIx64 " %c%c%c\n"
				: "%08" PRIx64 "-%08" PRIx64 " %08" PRIx64 " %c%c%c\n";
	mon_printf(c->out, f, c->start, c->end, c->end - c->start,
		   (c->prot & X86_PTE_US) ? 'u' : '-', 'r', (c->prot & X86_PTE_RW) ? 'w' : '-');
	c->have = false;
}

static void mem_one(void *opaque, const struct mon_map *mp)
{
	struct mem_ctx *c = opaque;
	uint64_t prot = mp->flags & MEM_PROT;
	if (c->have && c->end == mp->lin && c->prot == prot) {
		c->end += mp->size;
		return;
	}
	mem_flush(c);
	c->have = true;
	c->start = mp->lin;
	c->end = mp->lin + mp->size;
	c->prot = prot;
}

static void tlb_one(void *opaque, const struct mon_map *mp)
{
	struct mem_ctx *c = opaque;
	uint64_t f = mp->flags;
	/* QEMU prints one line per leaf entry: large pages once, at their size */
	mon_printf(c->out, c->wide ? "%016" PRIx64 ": %016" PRIx64 " %c%c%c%c%c%c%c%c%c\n"
				   : "%08" PRIx64 ": %08" PRIx64 " %c%c%c%c%c%c%c%c%c\n",
		   mp->lin, mp->gpa, (f & X86_PTE_NX) ? 'X' : '-', (f & X86_PTE_G) ? 'G' : '-',
		   (f & X86_PTE_PS) ? 'P' : '-', (f & X86_PTE_D) ? 'D' : '-',
		   (f & X86_PTE_A) ? 'A' : '-', (f & X86_PTE_PCD) ? 'C' : '-',
		   (f & X86_PTE_PWT) ? 'T' : '-', (f & X86_PTE_US) ? 'U' : '-',
		   (f & X86_PTE_RW) ? 'W' : '-');
	c->pages++;
}

static int walk_cmd(struct mon *m, struct mon_buf *out, bool tlb)
{
	struct x86_state s;
	int r = vm_regs_get(m->vm, 0, &s);
	if (r) {
		mon_printf(out, "info %s: cannot read vcpu0's paging state: %s\n",
			   tlb ? "tlb" : "mem", strerror(-r));
		return r;
	}
	struct mem_ctx c = { .out = out, .wide = (s.efer & X86_EFER_LMA) != 0 };
	const char *mode = mon_walk(m->vm, &s, tlb ? tlb_one : mem_one, &c);
	if (!strcmp(mode, "none")) {
		mon_printf(out, "PG disabled\n");
		return 0;
	}
	mem_flush(&c);
	return 0;
}

static int info_mem(struct mon *m, const char *args, struct mon_buf *out)
{
	return walk_cmd(m, out, false);
}

static int info_tlb(struct mon *m, const char *args, struct mon_buf *out)
{
	return walk_cmd(m, out, true);
}

const struct mon_cmd mon_mem_cmds[] = {
	{ "x", "/FMT ADDR", "virtual memory dump (FMT: count, format x d u o t a c i, "
			    "size b h w g; ADDR may be $pc)", cmd_x },
	{ "xp", "/FMT ADDR", "physical memory dump (as x)", cmd_xp },
	{ "info mem", "", "the guest's mapped virtual ranges (from its page tables)", info_mem },
	{ "info tlb", "", "every page mapping: virtual, physical, flags", info_tlb },
	{ NULL, NULL, NULL, NULL },
};
