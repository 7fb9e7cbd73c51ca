/* pv_mmu.c: guest memory in a pv sandbox. The host MMU translates: each
 * guest page the guest touches is mmap'ed from the VM's memfd at its guest
 * virtual address, with the protection its page tables give in this
 * process's mode (K: kernel, U: user). So host mappings are the guest's
 * TLB: filled on a host fault by walking the guest's tables (SDM 3A 4.3
 * 32-bit, 4.4 PAE, 4.5 4-level; accessed and dirty bits as 4.8: a
 * writable page with D clear is mapped read-only until the first write),
 * filled at once for PTE updates the guest queues (docs/vmi.md), and
 * dropped by INVLPG, by what differs between two CR3s, and by flushes.
 * K tells U what to drop through the hand-off's invalidation list. With
 * paging off (and a 64-bit guest before its first CR3) guest-virtual is
 * guest-physical. */
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "vmm/pv/pv_internal.h"

enum { MODE_OFF, MODE_2L, MODE_PAE, MODE_4L };

struct geom {
	unsigned levels, esz;
	unsigned shift[4], bits[4];
};

static const struct geom geoms[] = {
	[MODE_2L] = { 2, 4, { 22, 12 }, { 10, 10 } },
	[MODE_PAE] = { 3, 8, { 30, 21, 12 }, { 2, 9, 9 } },
	[MODE_4L] = { 4, 8, { 39, 30, 21, 12 }, { 9, 9, 9, 9 } },
};

#define ADDR52 0x000ffffffffff000ull

static int mode(const struct pv_child *c)
{
	const struct pv_cpu *cpu = &c->chan->cpu;
	if (c->bits == 64)
		return cpu->cr3 ? MODE_4L : MODE_OFF;
	if (!(cpu->cr0 & X86_CR0_PG))
		return MODE_OFF;
	return (cpu->cr4 & X86_CR4_PAE) ? MODE_PAE : MODE_2L;
}

bool pv_in_layout(const struct pv_child *c, uint64_t va)
{
	const struct pv_note *n = &c->vm->note;
	return (va >= n->kernel_start && va < n->kernel_end) ||
	       (va >= n->user_start && va < n->user_end) || va - c->window < PV_WINDOW_SIZE;
}

static void *phys(const struct pv_child *c, uint64_t gpa, uint64_t len)
{
	return mem_gpa_to_hva(c->mem, gpa, len);
}

/* The top table's address, and where a level's entries point. */
static uint64_t root(const struct pv_child *c, int m)
{
	uint64_t cr3 = c->chan->cpu.cr3;
	return m == MODE_PAE ? cr3 & 0xffffffe0ull : m == MODE_2L ? cr3 & 0xfffff000ull : cr3 & ADDR52;
}

static uint64_t entry_addr(int m, uint64_t e)
{
	return m == MODE_2L ? e & 0xfffff000ull : e & ADDR52;
}

struct walk {
	uint64_t gpa, span;  /* the page's frame and size */
	bool user, write, nx;
	uint64_t leaf;       /* the leaf entry */
	void *ent[4];        /* entries walked, for A/D */
	unsigned n;
};

/* Walk to the leaf; 0, or a #PF error code with PV_PF_FAULT for a missing
 * entry (no P bit in the code). */
static uint32_t walk_raw(const struct pv_child *c, int m, uint64_t va, struct walk *w)
{
	const struct geom *g = &geoms[m];
	uint64_t table = root(c, m);
	bool nxe = (c->chan->cpu.efer & X86_EFER_NXE) != 0;
	w->user = w->write = true;
	w->nx = false;
	w->n = 0;
	for (unsigned l = 0; l < g->levels; l++) {
		unsigned idx = (unsigned)(va >> g->shift[l]) & ((1u << g->bits[l]) - 1);
		void *p = phys(c, table + (uint64_t)idx * g->esz, g->esz);
		if (!p)
			return PV_PF_FAULT | X86_PF_RSVD; /* tables outside RAM */
		uint64_t e = g->esz == 4 ? *(uint32_t *)p : *(uint64_t *)p;
		if (!(e & X86_PTE_P))
			return PV_PF_FAULT;
		w->ent[w->n++] = p;
		bool pdpte = m == MODE_PAE && l == 0; /* only P is defined (SDM 3A 4.4.1) */
		if (!pdpte) {
			w->user &= (e & X86_PTE_US) != 0;
			w->write &= (e & X86_PTE_RW) != 0;
			w->nx |= nxe && g->esz == 8 && (e & X86_PTE_NX);
		}
		bool large = !pdpte && l + 1 < g->levels && (e & X86_PTE_PS) &&
			     (m != MODE_2L || (c->chan->cpu.cr4 & X86_CR4_PSE));
		if (large || l + 1 == g->levels) {
			uint64_t size = 1ull << g->shift[l];
			w->span = size;
			w->gpa = (entry_addr(m, e) & ~(size - 1)) | (va & (size - 1) & ~0xfffull);
			w->leaf = e;
			return 0;
		}
		table = entry_addr(m, e);
	}
	return PV_PF_FAULT;
}

static void set_bits(void *p, unsigned esz, uint64_t bits)
{
	if (esz == 4)
		*(uint32_t *)p |= (uint32_t)bits;
	else
		*(uint64_t *)p |= bits;
}

uint32_t pv_walk(struct pv_child *c, uint64_t va, int acc, bool user, uint64_t *gpa,
		 uint64_t *span, unsigned *prot, bool set_ad)
{
	int m = mode(c);
	uint32_t code = (acc == PV_ACC_WRITE ? X86_PF_W : 0) | (user ? X86_PF_U : 0) |
			(acc == PV_ACC_FETCH && (c->chan->cpu.efer & X86_EFER_NXE) ? X86_PF_I : 0);
	if (m == MODE_OFF) { /* a 2 MiB chunk at a time (host_map trims it) */
		*gpa = va & ~0xfffull;
		*span = 2 * MiB;
		*prot = PROT_READ | PROT_WRITE | PROT_EXEC;
		return 0;
	}
	struct walk w;
	uint32_t r = walk_raw(c, m, va, &w);
	if (r)
		return r | code;
	bool wp = (c->chan->cpu.cr0 & X86_CR0_WP) != 0;
	bool may_write = w.write || (!user && !wp);
	if ((user && !w.user) || (acc == PV_ACC_WRITE && !may_write) ||
	    (acc == PV_ACC_FETCH && w.nx))
		return PV_PF_FAULT | X86_PF_P | code;
	unsigned esz = geoms[m].esz;
	if (set_ad) {
		for (unsigned i = 0; i < w.n; i++)
			if (!(m == MODE_PAE && i == 0))
				set_bits(w.ent[i], esz, X86_PTE_A);
		if (acc == PV_ACC_WRITE)
			set_bits(w.ent[w.n - 1], esz, X86_PTE_D);
	}
	uint64_t leaf = esz == 4 ? *(uint32_t *)w.ent[w.n - 1] : *(uint64_t *)w.ent[w.n - 1];
	*gpa = w.gpa;
	*span = w.span;
	*prot = PROT_READ | (w.nx ? 0 : PROT_EXEC);
	if (may_write && (leaf & X86_PTE_D))
		*prot |= PROT_WRITE;
	if (!set_ad && !(leaf & X86_PTE_A))
		return PV_PF_FAULT; /* not accessed yet: let the access map it */
	return 0;
}

/* ---- host mappings ---- */

static void sys_fail(struct pv_child *c, long call, long r)
{
	pv_fatal(c, PV_ERR_INTERNAL, (uint64_t)call, (uint64_t)-r);
}

/* The ranges we never unmap: the ROM window and the VMM's own mappings. */
static void holes(const struct pv_child *c, uint64_t *lo, uint64_t *hi, unsigned *n)
{
	unsigned k = 0;
	lo[k] = c->window;
	hi[k++] = c->window + PV_WINDOW_SIZE;
	for (unsigned i = 0; i < c->vm->nr_forbid; i++, k++) {
		lo[k] = c->vm->forbid[i].lo;
		hi[k] = c->vm->forbid[i].hi;
	}
	*n = k;
}

/* Which pages this process has mapped (a bit per page below va_top, kept
 * by pv_spawn.c's allocation; NULL: unknown), so invalidating what was
 * never mapped costs no system call. */
static void mark(struct pv_child *c, uint64_t lo, uint64_t hi, bool set)
{
	if (!c->mapped)
		return;
	for (uint64_t p = lo >> 12; p < hi >> 12 && p < c->mapped_pages; p++) {
		if (set)
			c->mapped[p / 64] |= 1ull << (p % 64);
		else
			c->mapped[p / 64] &= ~(1ull << (p % 64));
	}
}

static void do_munmap(struct pv_child *c, uint64_t lo, uint64_t hi)
{
	long r = pv_sys(SYS_munmap, (long)lo, (long)(hi - lo), 0, 0, 0, 0);
	if (r)
		sys_fail(c, SYS_munmap, r);
	c->chan->ctr.mmu[PV_MMU_UNMAPS].count++;
}

/* munmap the mapped runs of [lo, hi) (page aligned, no holes inside). */
static void unmap_marked(struct pv_child *c, uint64_t lo, uint64_t hi)
{
	if (!c->mapped) {
		do_munmap(c, lo, hi);
		return;
	}
	uint64_t p = lo >> 12, end = VMM_MIN(hi >> 12, c->mapped_pages);
	while (p < end) {
		uint64_t w = c->mapped[p / 64] >> (p % 64);
		if (!w) { /* the rest of this word is unmapped */
			p = (p | 63) + 1;
			continue;
		}
		p += (uint64_t)__builtin_ctzll(w);
		if (p >= end)
			break;
		uint64_t q = p;
		while (q < end && (c->mapped[q / 64] >> (q % 64) & 1))
			q++;
		do_munmap(c, p << 12, q << 12);
		mark(c, p << 12, q << 12, false);
		p = q;
	}
}

/* munmap [lo, hi) except the holes. */
static void host_unmap(struct pv_child *c, uint64_t lo, uint64_t hi)
{
	uint64_t hlo[PV_MAX_FORBID + 1], hhi[PV_MAX_FORBID + 1];
	unsigned nh;
	if (hi > c->vm->va_top)
		hi = c->vm->va_top;
	holes(c, hlo, hhi, &nh);
	while (lo < hi) {
		uint64_t end = hi, next = hi;
		for (unsigned i = 0; i < nh; i++) {
			if (lo >= hlo[i] && lo < hhi[i]) { /* inside a hole: skip it */
				end = lo;
				next = VMM_MIN(hhi[i], hi);
				break;
			}
			if (hlo[i] > lo && hlo[i] < end) {
				end = hlo[i];
				next = VMM_MIN(hhi[i], hi);
			}
		}
		if (end > lo)
			unmap_marked(c, lo, end);
		lo = next > lo ? next : hi;
	}
}

static bool collides(const struct pv_child *c, uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < c->vm->nr_forbid; i++)
		if (lo < c->vm->forbid[i].hi && c->vm->forbid[i].lo < hi)
			return true;
	return hi > c->vm->va_top || (lo < c->window + PV_WINDOW_SIZE && c->window < hi);
}

/* Map guest page (va) -> (gpa), a large page as a whole where possible. */
static void host_map(struct pv_child *c, uint64_t va, uint64_t gpa, uint64_t span, unsigned prot,
		     bool populate)
{
	uint64_t base = va & ~(span - 1), gbase = gpa - (va & (span - 1) & ~0xfffull);
	const struct mem_region *r = mem_find(c->mem, gbase);
	if (span > 4096 && (!r || gbase + span - r->gpa > r->size || collides(c, base, base + span) ||
			    !pv_in_layout(c, base) || !pv_in_layout(c, base + span - 1))) {
		span = 4096; /* only the page asked for */
		base = va & ~0xfffull;
		gbase = gpa;
		r = mem_find(c->mem, gbase);
	}
	if (!r) {
		pv_fatal(c, PV_ERR_MMIO, gbase, va);
		return;
	}
	if (collides(c, base, base + span)) {
		pv_fatal(c, PV_ERR_HOST_COLLISION, base, span);
		return;
	}
	if (r->flags & MEM_READONLY)
		prot &= ~(unsigned)PROT_WRITE;
	long flags = MAP_SHARED | MAP_FIXED | (populate && span == 4096 ? MAP_POPULATE : 0);
	long m = pv_sys(SYS_mmap, (long)base, (long)span, prot, flags, c->memfd,
			(long)(r->fd_off + (gbase - r->gpa)));
	if (m < 0 && m > -4096)
		sys_fail(c, SYS_mmap, m);
	mark(c, base, base + span, true);
	c->chan->ctr.mmu[PV_MMU_MAPS].count++;
}

uint32_t pv_fault(struct pv_child *c, uint64_t va, int acc)
{
	if (!pv_in_layout(c, va)) {
		/* A user program's stray pointer (0, a kernel address) that the
		 * guest's tables do not map is the guest's #PF, as on any CPU;
		 * only a mapping outside the layout, or the kernel reaching
		 * outside it, is hostile. */
		uint64_t gpa, span;
		unsigned prot;
		uint32_t r = c->user ? pv_walk(c, va, acc, true, &gpa, &span, &prot, false) : 0;
		if (r & 0x1f)
			return r;
		pv_fatal(c, PV_ERR_OUT_OF_RANGE, va, (uint64_t)acc);
		return PV_PF_FAULT;
	}
	uint32_t code = (acc == PV_ACC_WRITE ? X86_PF_W : 0) | (c->user ? X86_PF_U : 0);
	if (va - c->window < PV_WINDOW_SIZE) /* pre-mapped: the access is not allowed */
		return PV_PF_FAULT | X86_PF_P | code;
	uint64_t gpa, span;
	unsigned prot;
	uint32_t r = pv_walk(c, va, acc, c->user, &gpa, &span, &prot, true);
	if (r)
		return r;
	host_map(c, va, gpa, span, prot, true);
	c->chan->ctr.mmu[c->user ? PV_MMU_FILLS_U : PV_MMU_FILLS_K].count++;
	return 0;
}

/* ---- invalidation ---- */

static void user_inval(struct pv_child *c, uint64_t lo, uint64_t hi)
{
	struct pv_handoff *h = &c->chan->ho;
	if (c->user)
		return;
	if (h->nr_inval >= PV_INVAL_MAX) {
		h->inval_all = 1;
		return;
	}
	h->inval_lo[h->nr_inval] = lo;
	h->inval_hi[h->nr_inval++] = hi;
}

/* One page changed: map it again at once if the guest already marked it
 * accessed and this process may use it (K: kernel pages; U: user pages),
 * else drop it until the next access. */
static void update_page(struct pv_child *c, uint64_t page)
{
	if (!pv_in_layout(c, page) || page - c->window < PV_WINDOW_SIZE)
		return;
	uint64_t gpa, span;
	unsigned prot;
	int m = mode(c);
	struct walk w;
	bool eager = m != MODE_OFF && !pv_walk(c, page, PV_ACC_READ, c->user, &gpa, &span, &prot, false);
	if (eager && !c->user && !walk_raw(c, m, page, &w) && w.user)
		eager = false; /* K seldom touches user pages: let it fault if it does */
	if (eager && mem_find(c->mem, gpa) && !collides(c, page, page + 4096))
		host_map(c, page, gpa, 4096, prot, true);
	else
		host_unmap(c, page, page + 4096);
}

void pv_mmu_update(struct pv_child *c, uint64_t va)
{
	uint64_t page = va & ~0xfffull;
	update_page(c, page);
	user_inval(c, page, page + 4096);
}

void pv_mmu_flush_queue(struct pv_child *c)
{
	struct pv_shared *sh = c->vm->shared;
	uint32_t n = VMM_MIN(sh->queue_len, (uint32_t)PV_QUEUE_MAX);
	struct perf_ctr *m = c->chan->ctr.mmu;
	for (uint32_t i = 0; i < n; i++)
		pv_mmu_update(c, sh->queue[i]);
	sh->queue_len = 0;
	if (!n)
		return;
	m[PV_MMU_PTE_UPDATES].count += n;
	m[PV_MMU_BATCHES].count++;
	m[n == 1 ? PV_MMU_BATCH_1 : n <= 8 ? PV_MMU_BATCH_2_8 : PV_MMU_BATCH_9_64].count++;
}

void pv_mmu_invlpg(struct pv_child *c, uint64_t va)
{
	const struct pv_shared *sh = c->vm->shared;
	uint32_t n = VMM_MIN(sh->queue_len, (uint32_t)PV_QUEUE_MAX);
	bool queued = false;
	for (uint32_t i = 0; i < n && !queued; i++)
		queued = (sh->queue[i] ^ va) < 4096; /* the flush handles it */
	pv_mmu_flush_queue(c);
	if (!queued)
		pv_mmu_update(c, va);
}

void pv_mmu_flush_all(struct pv_child *c)
{
	host_unmap(c, 0, c->vm->va_top);
	c->chan->ctr.mmu[PV_MMU_FLUSH_ALL].count++;
	if (!c->user)
		c->chan->ho.inval_all = 1;
}

static uint64_t read_entry(const struct pv_child *c, uint64_t gpa, unsigned esz, bool *ok)
{
	void *p = phys(c, gpa, esz);
	*ok = p != NULL;
	return !p ? 0 : esz == 4 ? *(uint32_t *)p : *(uint64_t *)p;
}

/* Drop what translates differently under the new tables: identical entries
 * (shared tables) keep everything below them (SDM 3A 4.10.4.1: a CR3 load
 * flushes; we keep what provably did not change, as the guest tells us of
 * every change to a present entry). */
static void diff(struct pv_child *c, int m, uint64_t to, uint64_t tn, unsigned l, uint64_t va)
{
	const struct geom *g = &geoms[m];
	unsigned n = 1u << g->bits[l];
	uint64_t size = 1ull << g->shift[l];
	for (unsigned i = 0; i < n; i++) {
		uint64_t lo = va + i * size;
		if (lo >= c->vm->va_top)
			break;
		bool ok_o, ok_n;
		uint64_t eo = read_entry(c, to + (uint64_t)i * g->esz, g->esz, &ok_o);
		uint64_t en = read_entry(c, tn + (uint64_t)i * g->esz, g->esz, &ok_n);
		uint64_t mask = ~(uint64_t)(X86_PTE_A | X86_PTE_D);
		if (ok_o && ok_n && (eo & mask) == (en & mask))
			continue;
		bool pdpte = m == MODE_PAE && l == 0;
		bool tables = ok_o && ok_n && (eo & en & X86_PTE_P) && l + 1 < g->levels &&
			      (pdpte || !((eo | en) & X86_PTE_PS));
		if (tables) {
			diff(c, m, entry_addr(m, eo), entry_addr(m, en), l + 1, lo);
			continue;
		}
		host_unmap(c, lo, lo + size);
		user_inval(c, lo, lo + size);
	}
}

void pv_mmu_cr3(struct pv_child *c, uint64_t old_cr3, uint64_t new_cr3)
{
	c->chan->ctr.mmu[PV_MMU_CR3].count++;
	int m = mode(c);
	if (m == MODE_OFF || old_cr3 == new_cr3)
		return;
	if (!old_cr3) { /* a 64-bit guest leaving the boot identity map */
		pv_mmu_flush_all(c);
		return;
	}
	struct pv_cpu *cpu = &c->chan->cpu;
	uint64_t saved = cpu->cr3;
	cpu->cr3 = old_cr3;
	uint64_t to = root(c, m);
	cpu->cr3 = new_cr3;
	uint64_t tn = root(c, m);
	cpu->cr3 = saved;
	diff(c, m, to, tn, 0, 0);
}

void pv_mmu_user_sync(struct pv_child *c)
{
	struct pv_handoff *h = &c->chan->ho;
	if (h->inval_all) {
		host_unmap(c, 0, c->vm->va_top);
	} else {
		for (uint32_t i = 0; i < h->nr_inval && i < PV_INVAL_MAX; i++) {
			if (h->inval_hi[i] - h->inval_lo[i] == 4096)
				update_page(c, h->inval_lo[i]);
			else
				host_unmap(c, h->inval_lo[i], h->inval_hi[i]);
		}
	}
	h->inval_all = 0;
	h->nr_inval = 0;
}

int pv_mmu_map_window(struct pv_child *c)
{
	const struct mem_region *rom = mem_find(c->mem, c->window);
	const struct mem_region *sh = mem_find(c->mem, c->window + PV_SHARED_OFF);
	if (!rom || !sh)
		return -1;
	long r = pv_sys(SYS_mmap, (long)c->window, PV_ROM_SIZE, PROT_READ | PROT_EXEC,
			MAP_SHARED | MAP_FIXED | MAP_POPULATE, c->memfd, (long)rom->fd_off);
	if (r < 0 && r > -4096)
		return (int)r;
	if (c->user)
		return 0;
	r = pv_sys(SYS_mmap, (long)(c->window + PV_SHARED_OFF), PV_SHARED_SIZE,
		   PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED | MAP_POPULATE, c->memfd,
		   (long)sh->fd_off);
	return r < 0 && r > -4096 ? (int)r : 0;
}

/* ---- the engine's own accesses to guest virtual memory (as ring 0) ---- */

static uint32_t gva_copy(struct pv_child *c, uint64_t va, void *buf, size_t len, bool write,
			 uint64_t *fault_va)
{
	uint8_t *b = buf;
	while (len) {
		size_t chunk = VMM_MIN(len, (size_t)(4096 - (va & 4095)));
		uint64_t gpa, span;
		unsigned prot;
		uint32_t r = 0;
		if (va - c->window < PV_WINDOW_SIZE)
			gpa = va & ~0xfffull;
		else
			r = pv_walk(c, va, write ? PV_ACC_WRITE : PV_ACC_READ, false, &gpa, &span,
				    &prot, true);
		uint8_t *p = r ? NULL : phys(c, gpa + (va & 4095), chunk);
		if (!p) {
			*fault_va = va;
			return r ? r : PV_PF_FAULT;
		}
		if (write)
			memcpy(p, b, chunk);
		else
			memcpy(b, p, chunk);
		va += chunk;
		b += chunk;
		len -= chunk;
	}
	return 0;
}

uint32_t pv_gva_read(struct pv_child *c, uint64_t va, void *dst, size_t len, uint64_t *fault_va)
{
	return gva_copy(c, va, dst, len, false, fault_va);
}

uint32_t pv_gva_write(struct pv_child *c, uint64_t va, const void *src, size_t len,
		      uint64_t *fault_va)
{
	return gva_copy(c, va, (void *)(uintptr_t)src, len, true, fault_va);
}
