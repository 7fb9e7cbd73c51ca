/* mon_mmu.c: guest memory as the guest sees it, for the monitor and the gdb
 * stub: linear-to-physical translation and a walk of every mapping through
 * the guest's own page tables (SDM 3A 4.3 32-bit paging with 4 MiB pages,
 * 4.4 PAE, 4.5 4-level), and reads/writes that stop at the first address
 * that is not mapped or not RAM. Read-only on the tables (no A/D updates). */
#include <errno.h>
#include <string.h>

#include "monitor/mon_internal.h"

unsigned mon_code_bits(const struct x86_state *s)
{
	if (!(s->cr0 & X86_CR0_PE) || (s->rflags & X86_FLAGS_VM))
		return 16;
	if ((s->efer & X86_EFER_LMA) && s->seg[X86_CS].l)
		return 64;
	return s->seg[X86_CS].db ? 32 : 16;
}

static bool read_pte(struct vm *vm, gpa_t gpa, bool wide, uint64_t *v)
{
	const void *p = gpa_to_hva(vm, gpa, wide ? 8 : 4);
	if (!p)
		return false;
	if (wide) {
		memcpy(v, p, 8);
	} else {
		uint32_t x;
		memcpy(&x, p, 4);
		*v = x;
	}
	return true;
}

#define ADDR_MASK_4K 0x000ffffffffff000ull
#define PERM (X86_PTE_RW | X86_PTE_US)

struct walk {
	struct vm *vm;
	mon_map_fn fn;
	void *opaque;
	bool wide;          /* 8-byte entries (PAE, 4-level) */
	bool pse;           /* 32-bit paging: CR4.PSE */
	unsigned levels;
};

/* Level (lvl) (levels-1 = top) table at (table); (lin) the linear base it
 * covers; (flags) the effective permissions so far. */
static void walk_table(struct walk *w, gpa_t table, unsigned lvl, uint64_t lin, uint64_t flags)
{
	unsigned bits = w->wide ? 9 : 10, entries = 1u << bits;
	unsigned shift = 12 + lvl * bits;
	for (unsigned i = 0; i < entries; i++) {
		uint64_t e;
		if (!read_pte(w->vm, table + i * (w->wide ? 8 : 4), w->wide, &e) || !(e & X86_PTE_P))
			continue;
		uint64_t l = lin | ((uint64_t)i << shift);
		if (w->levels == 4 && lvl == 3 && (l & (1ull << 47)))
			l |= 0xffff000000000000ull; /* canonical upper half */
		uint64_t f = (flags & (e | ~PERM)) | (e & (X86_PTE_NX | X86_PTE_G | X86_PTE_D |
							    X86_PTE_A | X86_PTE_PCD | X86_PTE_PWT));
		bool large = lvl > 0 && (e & X86_PTE_PS) && (w->wide ? lvl <= 2 : w->pse);
		if (lvl == 0 || large) {
			uint64_t size = 1ull << shift, gpa;
			if (!w->wide && large) /* PSE-36: bits 13-20 are PA 32-39 */
				gpa = (e & 0xffc00000u) | ((e >> 13) & 0xff) << 32;
			else
				gpa = e & ADDR_MASK_4K & ~(size - 1);
			struct mon_map m = { l, gpa, size, f | (large ? X86_PTE_PS : 0) };
			w->fn(w->opaque, &m);
			continue;
		}
		walk_table(w, e & ADDR_MASK_4K, lvl - 1, l, f);
	}
}

const char *mon_walk(struct vm *vm, const struct x86_state *s, mon_map_fn fn, void *opaque)
{
	if (!(s->cr0 & X86_CR0_PG))
		return "none";
	struct walk w = { .vm = vm, .fn = fn, .opaque = opaque };
	uint64_t all = PERM;
	if (s->efer & X86_EFER_LMA) {
		w.wide = true;
		w.levels = 4;
		walk_table(&w, s->cr3 & ADDR_MASK_4K, 3, 0, all);
		return "4-level";
	}
	if (s->cr4 & X86_CR4_PAE) {
		w.wide = true;
		w.levels = 3;
		for (unsigned i = 0; i < 4; i++) {
			uint64_t e;
			if (!read_pte(vm, (s->cr3 & 0xffffffe0u) + i * 8, true, &e) ||
			    !(e & X86_PTE_P))
				continue;
			walk_table(&w, e & ADDR_MASK_4K, 1, (uint64_t)i << 30, all);
		}
		return "PAE";
	}
	w.levels = 2;
	w.pse = s->cr4 & X86_CR4_PSE;
	walk_table(&w, s->cr3 & 0xfffff000u, 1, 0, all);
	return "32-bit";
}

int mon_virt_to_phys(struct vm *vm, const struct x86_state *s, uint64_t lin, uint64_t *gpa)
{
	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = lin & 0xffffffffull;
		return 0;
	}
	bool lma = s->efer & X86_EFER_LMA, pae = lma || (s->cr4 & X86_CR4_PAE);
	unsigned bits = pae ? 9 : 10;
	unsigned levels = lma ? 4 : pae ? 2 : 2;
	uint64_t table;
	if (lma) {
		table = s->cr3 & ADDR_MASK_4K;
	} else if (pae) {
		uint64_t e;
		lin &= 0xffffffffull;
		if (!read_pte(vm, (s->cr3 & 0xffffffe0u) + ((lin >> 30) & 3) * 8, true, &e) ||
		    !(e & X86_PTE_P))
			return -EFAULT;
		table = e & ADDR_MASK_4K;
	} else {
		lin &= 0xffffffffull;
		table = s->cr3 & 0xfffff000u;
	}
	for (int lvl = (int)levels - 1; lvl >= 0; lvl--) {
		unsigned shift = 12 + (unsigned)lvl * bits;
		uint64_t idx = (lin >> shift) & ((1u << bits) - 1), e;
		if (!read_pte(vm, table + idx * (pae ? 8 : 4), pae, &e) || !(e & X86_PTE_P))
			return -EFAULT;
		bool large = lvl > 0 && (e & X86_PTE_PS) && (pae ? lvl <= 2 : (s->cr4 & X86_CR4_PSE));
		if (lvl == 0 || large) {
			uint64_t size = 1ull << shift, base;
			if (!pae && large)
				base = (e & 0xffc00000u) | ((e >> 13) & 0xff) << 32;
			else
				base = e & ADDR_MASK_4K & ~(size - 1);
			*gpa = base | (lin & (size - 1));
			return 0;
		}
		table = e & ADDR_MASK_4K;
	}
	return -EFAULT;
}

int mon_mem_rw(struct vm *vm, const struct x86_state *s, bool virt, uint64_t addr, void *buf,
	       size_t len, bool write, uint64_t *bad)
{
	uint8_t *p = buf;
	while (len) {
		size_t n = VMM_MIN(len, 0x1000 - (addr & 0xfff));
		uint64_t gpa = addr;
		if (virt && mon_virt_to_phys(vm, s, addr, &gpa)) {
			*bad = addr;
			return -EFAULT;
		}
		uint8_t *h = gpa_to_hva(vm, gpa, n);
		if (!h) {
			*bad = addr;
			return -EFAULT;
		}
		if (write) {
			memcpy(h, p, n);
			vm_mem_written(vm, gpa, n);
		} else {
			memcpy(p, h, n);
		}
		p += n;
		addr += n;
		len -= n;
	}
	return 0;
}
