/* bt_mmu.c: guest paging for the bt engine: page walks (32-bit two-level
 * with PSE, PAE with NX, IA-32e four-level; SDM 3A 4.3-4.5), accessed/dirty bits and CR0.WP as
 * the CPU applies them, a software TLB (one per privilege: supervisor and
 * user), and linear-address reads/writes/fetches through it. RAM accesses
 * hit host memory directly; MMIO goes to the VM's io space; writes to pages
 * holding decoded code invalidate that code first (bt_code_write).
 *
 * IA-32e paging (4 levels, 2 MiB and 1 GiB pages) applies while EFER.LMA
 * is set.
 *
 * TLB tags: a tag equal to the page address allows the access on the fast
 * path; BT_TLB_SLOW in a tag means "allowed, but take the slow path" (MMIO,
 * ROM, code pages); BT_TLB_INVALID never matches. */
#include <string.h>

#include "vmm/bt/bt_internal.h"

#define BT_TLB_SLOW 2u
#define PHYS_BITS 36
#define PAE_ADDR_MASK (((1ull << PHYS_BITS) - 1) & ~0xfffull)

void bt_tlb_flush(struct bt_cpu *c)
{
	for (unsigned u = 0; u < 2; u++)
		for (unsigned i = 0; i < BT_TLB_SIZE; i++) {
			struct bt_tlb_entry *e = &c->tlb[u][i];
			e->tag_r = e->tag_w = e->tag_x = BT_TLB_INVALID;
		}
	c->ctr[BT_CTR_TLB_FLUSH].count++;
	c->tlb_large = false;
	memset(c->large_regions, 0, sizeof(c->large_regions));
	c->ncode_pages = 0;
	c->code_pages_all = false;
	bt_jc_flush(c);
}

bool bt_tlb_flush_page(struct bt_cpu *c, uint64_t lin)
{
	uint64_t page = lin & BT_PAGE_MASK;
	for (unsigned u = 0; u < 2; u++) {
		struct bt_tlb_entry *e = &c->tlb[u][(lin >> 12) & (BT_TLB_SIZE - 1)];
		if ((e->tag_r & BT_PAGE_MASK) == page || (e->tag_w & BT_PAGE_MASK) == page ||
		    (e->tag_x & BT_PAGE_MASK) == page)
			e->tag_r = e->tag_w = e->tag_x = BT_TLB_INVALID;
	}
	/* 4 MiB / 2 MiB pages are cached as 4 KiB entries: INVLPG of any
	 * address in one drops them all (SDM 3A 4.10.4.1) */
	uint64_t region = lin & ~0x3fffffull;
	bool in_large = false;
	for (unsigned i = 0; c->tlb_large && i < VMM_ARRAY_SIZE(c->large_regions); i++)
		in_large |= c->large_regions[i] == (region | 1);
	/* IA-32e 1 GiB pages span many regions: drop every large entry */
	bool all_large = c->tlb_large && (c->efer & X86_EFER_LMA);
	if (in_large || all_large) {
		for (unsigned u = 0; u < 2; u++)
			for (unsigned i = 0; i < BT_TLB_SIZE; i++) {
				struct bt_tlb_entry *e = &c->tlb[u][i];
				if ((c->tlb_aux[u][i].flags & BT_TLBF_LARGE) &&
				    (all_large || (e->tag_r & ~0x3fffffull) == region))
					e->tag_r = e->tag_w = e->tag_x = BT_TLB_INVALID;
			}
	}
	/* lookups by linear EIP are only stale if this page held code we ran */
	bool code = c->code_pages_all;
	for (unsigned i = 0; !code && i < c->ncode_pages; i++)
		code = c->code_pages[i] == page || all_large ||
		       (c->tlb_large && (c->code_pages[i] & ~0x3fffffull) == region);
	if (code)
		bt_jc_flush(c);
	return code;
}

void bt_note_code_page(struct bt_cpu *c, uint64_t lin)
{
	uint64_t page = lin & BT_PAGE_MASK;
	for (unsigned i = 0; i < c->ncode_pages; i++)
		if (c->code_pages[i] == page)
			return;
	if (c->ncode_pages == VMM_ARRAY_SIZE(c->code_pages))
		c->code_pages_all = true;
	else
		c->code_pages[c->ncode_pages++] = page;
}

void bt_tlb_protect_gpa(struct bt_cpu *c, uint64_t gpa_page)
{
	for (unsigned u = 0; u < 2; u++)
		for (unsigned i = 0; i < BT_TLB_SIZE; i++) {
			struct bt_tlb_entry *e = &c->tlb[u][i];
			if (c->tlb_aux[u][i].gpa == gpa_page && !(e->tag_w & BT_TLB_INVALID))
				e->tag_w |= BT_TLB_SLOW;
		}
}

void bt_load_pdptes(struct bt_cpu *c)
{
	uint64_t base = c->cr3 & ~0x1fu;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t *p = bt_gpa_ptr(c, base + 8 * i, 8);
		c->pdpte[i] = p ? __atomic_load_n(p, __ATOMIC_RELAXED) : 0;
	}
}

void *bt_gpa_ptr(struct bt_cpu *c, uint64_t gpa, unsigned len)
{
	return gpa_to_hva(c->vm, gpa, len);
}

/* Set (bits) in the paging entry at (gpa) (32-bit access: A and D are in the
 * low dword in both formats), atomically as the CPU does (SDM 3A 4.8). */
static void pte_set(struct bt_cpu *c, uint64_t gpa, uint32_t bits)
{
	uint32_t *p = bt_gpa_ptr(c, gpa, 4);
	if (p)
		__atomic_fetch_or(p, bits, __ATOMIC_RELAXED);
}

static uint64_t pte_read(struct bt_cpu *c, uint64_t gpa, bool pae)
{
	if (pae) {
		uint64_t *p = bt_gpa_ptr(c, gpa, 8);
		return p ? __atomic_load_n(p, __ATOMIC_RELAXED) : 0;
	}
	uint32_t *p = bt_gpa_ptr(c, gpa, 4);
	return p ? __atomic_load_n(p, __ATOMIC_RELAXED) : 0;
}

static uint32_t pf_code(enum bt_acc acc, bool user, bool present, bool rsvd, bool nx_on)
{
	uint32_t e = 0;
	if (present)
		e |= X86_PF_P;
	if (acc == BT_ACC_W)
		e |= X86_PF_W;
	if (user)
		e |= X86_PF_U;
	if (rsvd)
		e |= X86_PF_RSVD | X86_PF_P;
	if (acc == BT_ACC_X && nx_on)
		e |= X86_PF_I;
	return e;
}

/* The permission checks of SDM 3A 4.6 for the combined rights. */
static bool allowed(const struct bt_cpu *c, const struct bt_walk *w, enum bt_acc acc, bool user)
{
	if (user && !w->u)
		return false;
	if (acc == BT_ACC_W && !w->w && (user || (c->cr0 & X86_CR0_WP)))
		return false;
	if (acc == BT_ACC_X && !w->x)
		return false;
	return true;
}

/* IA-32e paging (SDM 3A 4.5): PML4, PDPT (1 GiB pages), PD (2 MiB pages),
 * PT; the rights are the AND of every level's, NX the OR. */
static int walk_ia32e(struct bt_cpu *c, uint64_t lin, enum bt_acc acc, bool user, bool set_ad,
		      struct bt_walk *w)
{
	bool nxe = c->efer & X86_EFER_NXE;
	uint64_t rsvd_hi = ~((1ull << PHYS_BITS) - 1) & ~X86_PTE_NX;
	uint64_t rsvd = rsvd_hi | (nxe ? 0 : X86_PTE_NX);
	uint64_t table = c->cr3 & PAE_ADDR_MASK;
	uint64_t ent_gpa[4], ent[4];
	bool rw = true, us = true, nx = false;
	unsigned level = 4, n = 0;
	for (;;) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t gpa = ent_gpa[n] = table + ((lin >> shift) & 0x1ff) * 8;
		w->frames[w->nframes] = table;
		w->levels[w->nframes++] = (uint8_t)level;
		uint64_t e = ent[n++] = pte_read(c, gpa, true);
		if (!(e & X86_PTE_P))
			goto not_present;
		if (e & rsvd)
			goto reserved;
		rw = rw && (e & X86_PTE_RW);
		us = us && (e & X86_PTE_US);
		nx = nx || (nxe && (e & X86_PTE_NX));
		bool leaf = level == 1; /* (bit 7 of a PTE is PAT) */
		if (level > 1 && (e & X86_PTE_PS)) {
			/* PS is reserved in a PML4E; 1 GiB and 2 MiB pages have
			 * reserved bits from 13 up to the page's offset bits */
			if (level == 4 || (e & (((1ull << shift) - 1) & ~0x1fffull)))
				goto reserved;
			leaf = true;
		}
		if (leaf) {
			uint64_t off_mask = (1ull << shift) - 1;
			w->gpa = (e & PAE_ADDR_MASK & ~off_mask) | (lin & off_mask);
			w->large = level > 1;
			break;
		}
		table = e & PAE_ADDR_MASK;
		level--;
	}
	w->w = rw;
	w->u = us;
	w->x = !nx;
	if (!allowed(c, w, acc, user)) {
		w->pf = pf_code(acc, user, true, false, nxe);
		return -1;
	}
	w->dirty = (ent[n - 1] & X86_PTE_D) || acc == BT_ACC_W;
	if (set_ad) {
		for (unsigned i = 0; i + 1 < n; i++)
			if (!(ent[i] & X86_PTE_A))
				pte_set(c, ent_gpa[i], X86_PTE_A);
		uint32_t bits = X86_PTE_A | (acc == BT_ACC_W ? X86_PTE_D : 0);
		if ((ent[n - 1] & bits) != bits)
			pte_set(c, ent_gpa[n - 1], bits);
	}
	return 0;
not_present:
	w->pf = pf_code(acc, user, false, false, nxe);
	return -1;
reserved:
	w->pf = pf_code(acc, user, true, true, nxe);
	return -1;
}

int bt_walk(struct bt_cpu *c, uint64_t lin, enum bt_acc acc, bool user, bool set_ad,
	    struct bt_walk *w)
{
	memset(w, 0, sizeof(*w));
	if (!bt_paging(c)) {
		w->gpa = lin;
		w->w = w->u = w->x = w->dirty = true;
		return 0;
	}
	if (c->efer & X86_EFER_LMA)
		return walk_ia32e(c, lin, acc, user, set_ad, w);
	bool pae = c->cr4 & X86_CR4_PAE;
	bool nxe = pae && (c->efer & X86_EFER_NXE);
	uint64_t rsvd_nx = nxe ? 0 : X86_PTE_NX;
	uint64_t pde_gpa, pte_gpa = 0, pde, pte = 0;
	bool rw = true, us = true, nx = false, large = false;
	if (pae) {
		uint64_t pdpte = c->pdpte[lin >> 30];
		if (!(pdpte & X86_PTE_P))
			goto not_present;
		if (pdpte & (0x1e6ull | ~((1ull << PHYS_BITS) - 1)))
			goto reserved;
		pde_gpa = (pdpte & PAE_ADDR_MASK) + ((lin >> 21) & 0x1ff) * 8;
		w->frames[w->nframes] = pdpte & PAE_ADDR_MASK;
		w->levels[w->nframes++] = 2;
		pde = pte_read(c, pde_gpa, true);
		if (!(pde & X86_PTE_P))
			goto not_present;
		if (pde & (rsvd_nx | (~((1ull << PHYS_BITS) - 1) & ~X86_PTE_NX)))
			goto reserved;
		rw = pde & X86_PTE_RW;
		us = pde & X86_PTE_US;
		nx = nxe && (pde & X86_PTE_NX);
		if (pde & X86_PTE_PS) {
			if (pde & 0x1fe000ull)
				goto reserved;
			large = true;
			w->gpa = (pde & PAE_ADDR_MASK & ~0x1fffffull) | (lin & 0x1fffff);
		} else {
			pte_gpa = (pde & PAE_ADDR_MASK) + ((lin >> 12) & 0x1ff) * 8;
			w->frames[w->nframes] = pde & PAE_ADDR_MASK;
			w->levels[w->nframes++] = 1;
			pte = pte_read(c, pte_gpa, true);
			if (!(pte & X86_PTE_P))
				goto not_present;
			if (pte & (rsvd_nx | (~((1ull << PHYS_BITS) - 1) & ~X86_PTE_NX)))
				goto reserved;
			rw = rw && (pte & X86_PTE_RW);
			us = us && (pte & X86_PTE_US);
			nx = nx || (nxe && (pte & X86_PTE_NX));
			w->gpa = (pte & PAE_ADDR_MASK) | (lin & 0xfff);
		}
	} else {
		pde_gpa = (c->cr3 & BT_PAGE_MASK) + (lin >> 22) * 4;
		w->frames[w->nframes] = c->cr3 & BT_PAGE_MASK;
		w->levels[w->nframes++] = 2;
		pde = pte_read(c, pde_gpa, false);
		if (!(pde & X86_PTE_P))
			goto not_present;
		rw = pde & X86_PTE_RW;
		us = pde & X86_PTE_US;
		if ((pde & X86_PTE_PS) && (c->cr4 & X86_CR4_PSE)) {
			/* PSE-36: PDE bits 20:13 are physical address bits 39:32 */
			if (pde & (1u << 21))
				goto reserved;
			large = true;
			uint64_t hi = (pde >> 13) & 0xff;
			if (hi >> (PHYS_BITS - 32))
				goto reserved;
			w->gpa = (pde & 0xffc00000u) | (hi << 32) | (lin & 0x3fffff);
		} else {
			pte_gpa = (pde & BT_PAGE_MASK) + ((lin >> 12) & 0x3ff) * 4;
			w->frames[w->nframes] = pde & BT_PAGE_MASK;
			w->levels[w->nframes++] = 1;
			pte = pte_read(c, pte_gpa, false);
			if (!(pte & X86_PTE_P))
				goto not_present;
			rw = rw && (pte & X86_PTE_RW);
			us = us && (pte & X86_PTE_US);
			w->gpa = (pte & BT_PAGE_MASK) | (lin & 0xfff);
		}
	}
	w->w = rw;
	w->u = us;
	w->x = !nx;
	if (!allowed(c, w, acc, user)) {
		w->pf = pf_code(acc, user, true, false, nxe);
		return -1;
	}
	uint64_t leaf = large ? pde : pte;
	w->large = large;
	w->dirty = (leaf & X86_PTE_D) || acc == BT_ACC_W;
	if (set_ad) {
		if (!(pde & X86_PTE_A) || (large && acc == BT_ACC_W && !(pde & X86_PTE_D)))
			pte_set(c, pde_gpa, X86_PTE_A | (large && acc == BT_ACC_W ? X86_PTE_D : 0));
		if (!large && (!(pte & X86_PTE_A) || (acc == BT_ACC_W && !(pte & X86_PTE_D))))
			pte_set(c, pte_gpa, X86_PTE_A | (acc == BT_ACC_W ? X86_PTE_D : 0));
	}
	return 0;
not_present:
	w->pf = pf_code(acc, user, false, false, nxe);
	return -1;
reserved:
	w->pf = pf_code(acc, user, true, true, nxe);
	return -1;
}

static inline struct bt_tlb_entry *tlb_ent(struct bt_cpu *c, uint64_t lin, bool user)
{
	return &c->tlb[user][(lin >> 12) & (BT_TLB_SIZE - 1)];
}

VMM_NORETURN static void raise_pf(struct bt_cpu *c, uint64_t lin, uint32_t err)
{
	c->cr2 = lin;
	c->ctr[BT_CTR_GUEST_PF].count++;
	bt_raise(c, X86_EXC_PF, err, true);
}

/* Walk for (acc) and fill the TLB entry for (lin); raise #PF on failure. */
static struct bt_tlb_entry *tlb_fill(struct bt_cpu *c, uint64_t lin, enum bt_acc acc, bool user)
{
	struct bt_walk w;
	c->ctr[BT_CTR_TLB_MISS].count++;
	int fault = bt_walk(c, lin, acc, user, true, &w);
	vmm_debug(mem, "bt: tlb fill %#llx acc %d user %d: %s %#llx", (unsigned long long)lin, acc, user,
		  fault ? "#PF" : "gpa", fault ? (unsigned long long)w.pf : (unsigned long long)w.gpa);
	if (fault)
		raise_pf(c, lin, w.pf);
	struct bt_tlb_entry *e = tlb_ent(c, lin, user);
	struct bt_tlb_aux *a = bt_tlb_aux_of(c, e);
	uint64_t page = lin & BT_PAGE_MASK;
	uint64_t gpage = w.gpa & ~0xfffull;
	a->gpa = gpage;
	a->flags = 0;
	e->tag_r = page;
	e->tag_w = (allowed(c, &w, BT_ACC_W, user) && w.dirty) ? page : BT_TLB_INVALID;
	e->tag_x = allowed(c, &w, BT_ACC_X, user) ? page : BT_TLB_INVALID;
	if (w.large) {
		a->flags |= BT_TLBF_LARGE;
		c->tlb_large = true;
		uint64_t region = (lin & ~0x3fffffull) | 1;
		unsigned i, free_slot = VMM_ARRAY_SIZE(c->large_regions);
		for (i = 0; i < VMM_ARRAY_SIZE(c->large_regions); i++) {
			if (c->large_regions[i] == region)
				break;
			if (!c->large_regions[i] && free_slot == VMM_ARRAY_SIZE(c->large_regions))
				free_slot = i;
		}
		if (i == VMM_ARRAY_SIZE(c->large_regions)) {
			if (free_slot == VMM_ARRAY_SIZE(c->large_regions))
				free_slot = (lin >> 22) % VMM_ARRAY_SIZE(c->large_regions);
			/* an evicted region's entries can no longer be found by
			 * INVLPG: drop them now */
			uint64_t old = c->large_regions[free_slot];
			for (unsigned u = 0; old && u < 2; u++)
				for (unsigned k = 0; k < BT_TLB_SIZE; k++) {
					struct bt_tlb_entry *x = &c->tlb[u][k];
					if ((c->tlb_aux[u][k].flags & BT_TLBF_LARGE) &&
					    ((x->tag_r & ~0x3fffffull) | 1) == old)
						x->tag_r = x->tag_w = x->tag_x = BT_TLB_INVALID;
				}
			c->large_regions[free_slot] = region;
		}
	}
	const struct mem_region *r = mem_find(&c->vm->mem, gpage);
	if (!r) {
		a->flags = BT_TLBF_MMIO;
		e->addend = 0;
		e->tag_r |= BT_TLB_SLOW;
		e->tag_w |= BT_TLB_SLOW;
		e->tag_x = BT_TLB_INVALID; /* code from MMIO: bt_fetch reads it */
	} else {
		e->addend = (uintptr_t)(r->hva + (gpage - r->gpa)) - page;
		if (r->flags & MEM_READONLY) {
			a->flags = BT_TLBF_ROM;
			e->tag_w |= BT_TLB_SLOW;
		} else if (bt_gpa_special(c, gpage)) {
			e->tag_w |= BT_TLB_SLOW;
		}
	}
	return e;
}

static uint64_t host_load(uintptr_t p, unsigned size)
{
	switch (size) {
	case 1: return *(volatile uint8_t *)p;
	case 2: { uint16_t v; memcpy(&v, (void *)p, 2); return v; }
	case 4: { uint32_t v; memcpy(&v, (void *)p, 4); return v; }
	default: { uint64_t v; memcpy(&v, (void *)p, 8); return v; }
	}
}

static void host_store(uintptr_t p, uint64_t v, unsigned size)
{
	switch (size) {
	case 1: *(volatile uint8_t *)p = (uint8_t)v; break;
	case 2: { uint16_t x = (uint16_t)v; memcpy((void *)p, &x, 2); break; }
	case 4: { uint32_t x = (uint32_t)v; memcpy((void *)p, &x, 4); break; }
	default: memcpy((void *)p, &v, 8); break;
	}
}

static uint64_t read_page(struct bt_cpu *c, uint64_t lin, unsigned size, bool user)
{
	struct bt_tlb_entry *e = tlb_ent(c, lin, user);
	uint64_t page = lin & BT_PAGE_MASK;
	if ((e->tag_r & ~(uint64_t)BT_TLB_SLOW) != page)
		e = tlb_fill(c, lin, BT_ACC_R, user);
	const struct bt_tlb_aux *a = bt_tlb_aux_of(c, e);
	if (a->flags & BT_TLBF_MMIO) {
		uint64_t v = 0;
		io_dispatch(&c->vm->mmio, a->gpa | (lin & 0xfff), &v, size, false);
		return v;
	}
	return host_load(e->addend + lin, size);
}

uint64_t bt_lread_slow(struct bt_cpu *c, uint64_t lin, unsigned size, bool user)
{
	if ((lin & 0xfff) + size <= BT_PAGE)
		return read_page(c, lin, size, user);
	/* crosses a page: both parts must be readable (fault on the first) */
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= read_page(c, lin + i, 1, user) << (8 * i);
	return v;
}

static struct bt_tlb_entry *write_entry(struct bt_cpu *c, uint64_t lin, bool user)
{
	struct bt_tlb_entry *e = tlb_ent(c, lin, user);
	if ((e->tag_w & ~(uint64_t)BT_TLB_SLOW) != (lin & BT_PAGE_MASK))
		e = tlb_fill(c, lin, BT_ACC_W, user);
	return e;
}

static void write_page(struct bt_cpu *c, uint64_t lin, uint64_t v, unsigned size, bool user)
{
	struct bt_tlb_entry *e = write_entry(c, lin, user);
	const struct bt_tlb_aux *a = bt_tlb_aux_of(c, e);
	if (a->flags & BT_TLBF_MMIO) {
		io_dispatch(&c->vm->mmio, a->gpa | (lin & 0xfff), &v, size, true);
		return;
	}
	if (a->flags & BT_TLBF_ROM)
		return; /* writes to ROM are dropped */
	if (e->tag_w & BT_TLB_SLOW) {
		/* code or a page table: invalidate what depends on these bytes */
		bt_special_write(c, a->gpa | (lin & 0xfff), size);
		if (!bt_gpa_special(c, a->gpa))
			e->tag_w = lin & BT_PAGE_MASK;
	}
	host_store(e->addend + lin, v, size);
}

void bt_tlb_touch(struct bt_cpu *c, uint64_t lin, bool write, bool user)
{
	struct bt_tlb_entry *e = tlb_ent(c, lin, user);
	uint64_t tag = write ? e->tag_w : e->tag_r;
	if ((tag & ~(uint64_t)BT_TLB_SLOW) != (lin & BT_PAGE_MASK))
		tlb_fill(c, lin, write ? BT_ACC_W : BT_ACC_R, user);
}

void bt_probe_write(struct bt_cpu *c, uint64_t lin, unsigned len, bool user)
{
	write_entry(c, lin, user);
	if ((lin & 0xfff) + len > BT_PAGE)
		write_entry(c, (lin & BT_PAGE_MASK) + BT_PAGE, user);
}

void bt_lwrite_slow(struct bt_cpu *c, uint64_t lin, uint64_t v, unsigned size, bool user)
{
	if ((lin & 0xfff) + size <= BT_PAGE) {
		write_page(c, lin, v, size, user);
		return;
	}
	/* crosses a page: check both before writing either (no partial write) */
	bt_probe_write(c, lin, size, user);
	for (unsigned i = 0; i < size; i++)
		write_page(c, lin + i, (v >> (8 * i)) & 0xff, 1, user);
}

uint64_t bt_sread(struct bt_cpu *c, uint64_t lin, unsigned size)
{
	return bt_lread(c, lin, size, false);
}

void bt_swrite(struct bt_cpu *c, uint64_t lin, uint64_t v, unsigned size)
{
	bt_lwrite(c, lin, v, size, false);
}

/* The TLB entry allowing a fetch at (lin); raises #PF. *(io) is set when
 * the page is not RAM or ROM (a device, or nothing): its tag_x stays
 * invalid and the bytes come from bt_fetch's I/O path. */
static const struct bt_tlb_entry *fetch_entry(struct bt_cpu *c, uint64_t lin, bool *io)
{
	bool user = c->cpl == 3;
	struct bt_tlb_entry *e = tlb_ent(c, lin, user);
	uint64_t page = lin & BT_PAGE_MASK;
	if (e->tag_x != page)
		e = tlb_fill(c, lin, BT_ACC_X, user);
	/* the walk allowed the fetch (else it raised #PF): only a page
	 * without RAM leaves tag_x invalid */
	*io = e->tag_x != page;
	return e;
}

uint64_t bt_code_gpa(struct bt_cpu *c, uint64_t lin, bool *io)
{
	return bt_tlb_aux_of(c, fetch_entry(c, lin, io))->gpa | (lin & 0xfff);
}

/* Code from a page without RAM, as QEMU runs it: a device's bytes are read
 * through the device; an address nothing claims reads as zeros (00 00 is
 * ADD [EAX], AL: the guest runs on, as on QEMU, rather than taking a #PF
 * that paging off cannot raise). */
static void fetch_io(struct bt_cpu *c, uint64_t gpa, uint8_t *buf, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		buf[i] = 0;
		if (io_lookup(&c->vm->mmio, gpa + i))
			io_dispatch(&c->vm->mmio, gpa + i, &buf[i], 1, false);
	}
}

unsigned bt_fetch(struct bt_cpu *c, uint64_t lin, uint8_t *buf, unsigned len, uint64_t *gpa)
{
	bool io;
	const struct bt_tlb_entry *e = fetch_entry(c, lin, &io);
	unsigned n = VMM_MIN(len, BT_PAGE - (lin & 0xfff));
	uint64_t at = bt_tlb_aux_of(c, e)->gpa | (lin & 0xfff);
	if (io)
		fetch_io(c, at, buf, n);
	else
		memcpy(buf, (void *)(e->addend + lin), n);
	if (gpa)
		*gpa = at;
	return n;
}
