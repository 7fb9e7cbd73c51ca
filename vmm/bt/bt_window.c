/* bt_window.c: memory windows. A window is 4 GiB of host address space
 * (plus a guard) standing for one guest linear address space as seen at one
 * privilege (key: CR3, paging mode, CR0.WP, EFER.NXE, user/supervisor).
 * Translated code reaches guest memory as GS:[addr32], GS base = window,
 * so a flat guest access costs nothing extra. Windows start empty
 * (PROT_NONE); a host fault walks the guest page tables and maps the guest
 * frame from the memory fd at window + linear, read-only unless the guest
 * PTE is writable and dirty; or it becomes a guest #PF.
 *
 * Coherence. Every mapping remembers the frames it came from: its data
 * frame and the page-table frames of its walk (a reverse map). Page-table
 * frames and frames holding translated code are mapped read-only, so guest
 * writes to them fault, run in the interpreter, and invalidate exactly the
 * mappings that depend on the written entry (bt_win_pt_write). Windows are
 * therefore kept across CR3 switches. MMIO and ROM are never mapped.
 *
 * The fault path runs in the SIGSEGV handler: only the walk, mmap/mprotect
 * and preallocated tables are used there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "vmm/bt/bt_trans.h"
#include "vmm/bt/bt_window.h"

#define WIN_SPAN (4 * GiB)
#define WIN_GUARD (64 * KiB)
#define RMAP_BUCKETS (1u << 16)
#define RMAP_NODES (1u << 18)
#define MAX_MAPPED 40000u /* stay well below vm.max_map_count */
#define HEADS_SIZE (RMAP_BUCKETS * sizeof(uint32_t))
#define NODES_SIZE (RMAP_NODES * sizeof(struct rmap_node))
#define PT_BITMAP_SIZE ((WIN_SPAN / BT_PAGE) / 8)
#define MAPPED_SIZE ((WIN_SPAN / BT_PAGE) / 8)

enum rmap_level { RM_DATA, RM_PT, RM_PD };

/* Frame (pfn) is used by window (win): as the data page at linear (lin)
 * (RM_DATA), or as the page table (RM_PT) or directory (RM_PD) that maps
 * the linear region starting at (lin). One node per (frame, window, use). */
struct rmap_node {
	uint32_t pfn;   /* guest frame (below 4 GiB) */
	uint32_t lin;   /* linear page (data) or region base (tables) */
	uint8_t win;
	uint8_t level;  /* enum rmap_level */
	uint32_t next;  /* node index + 1, 0 = end */
};

struct bt_window {
	uint8_t *base;
	uint64_t cr3;
	uint32_t mode;          /* WM_* */
	uint64_t pdpte[4];      /* PAE: the PDPTEs it was built with */
	bool used;
	uint64_t stamp;         /* LRU */
	uint64_t *mapped;       /* bitmap of mapped pages */
	uint32_t nmapped;
};

#define WM_PG (1u << 0)
#define WM_PAE (1u << 1)
#define WM_PSE (1u << 2)
#define WM_NXE (1u << 3)
#define WM_WP (1u << 4)
#define WM_USER (1u << 5)

struct bt_wins {
	struct bt_window w[BT_NWIN];
	int cur;                /* window GS points at, -1 none */
	uint64_t clock;
	uint32_t *heads;        /* RMAP_BUCKETS */
	struct rmap_node *nodes;/* RMAP_NODES */
	uint32_t nnodes;
	uint8_t *pt_bitmap;     /* frames below 4 GiB used as page tables */
	uint32_t total_mapped;
	bool fsgsbase;
	uintptr_t gs;           /* current host GS base */
	uint64_t recent[8];     /* pages a page-table write unmapped lately */
	unsigned nrecent;
};

static uint32_t win_mode(const struct bt_cpu *c)
{
	uint32_t m = c->cpl == 3 ? WM_USER : 0;
	if (!bt_paging(c))
		return m;
	m |= WM_PG;
	if (c->cr4 & X86_CR4_PAE)
		m |= WM_PAE | ((c->efer & X86_EFER_NXE) ? WM_NXE : 0);
	else if (c->cr4 & X86_CR4_PSE)
		m |= WM_PSE;
	if (c->cr0 & X86_CR0_WP)
		m |= WM_WP;
	return m;
}

int bt_win_init(struct bt_cpu *c)
{
	struct bt_wins *ws = calloc(1, sizeof(*ws));
	if (!ws)
		return -ENOMEM;
	ws->cur = -1;
	ws->heads = bt_zalloc(HEADS_SIZE);
	ws->nodes = bt_zalloc(NODES_SIZE);
	ws->pt_bitmap = bt_zalloc(PT_BITMAP_SIZE);
	if (!ws->heads || !ws->nodes || !ws->pt_bitmap)
		goto fail;
	for (unsigned i = 0; i < BT_NWIN; i++) {
		struct bt_window *w = &ws->w[i];
		w->base = mmap(NULL, WIN_SPAN + WIN_GUARD, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		w->mapped = bt_zalloc(MAPPED_SIZE);
		if (w->base == MAP_FAILED || !w->mapped) {
			if (w->base == MAP_FAILED)
				w->base = NULL;
			vmm_err("bt: cannot reserve memory window %u: %s", i, strerror(errno));
			goto fail;
		}
	}
	ws->fsgsbase = getauxval(AT_HWCAP2) & 2; /* HWCAP2_FSGSBASE */
	c->wins = ws;
	return 0;
fail:
	c->wins = ws;
	bt_win_fini(c);
	return -ENOMEM;
}

void bt_win_fini(struct bt_cpu *c)
{
	struct bt_wins *ws = c->wins;
	if (!ws)
		return;
	for (unsigned i = 0; i < BT_NWIN; i++) {
		if (ws->w[i].base)
			munmap(ws->w[i].base, WIN_SPAN + WIN_GUARD);
		bt_zfree(ws->w[i].mapped, MAPPED_SIZE);
	}
	bt_zfree(ws->heads, HEADS_SIZE);
	bt_zfree(ws->nodes, NODES_SIZE);
	bt_zfree(ws->pt_bitmap, PT_BITMAP_SIZE);
	free(ws);
	c->wins = NULL;
}

static void set_gs(struct bt_wins *ws, uintptr_t base)
{
	if (ws->gs == base)
		return;
	if (ws->fsgsbase)
		__asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
	else
		(void)syscall_set_gs(base);
	ws->gs = base;
}

static void win_clear(struct bt_wins *ws, struct bt_window *w)
{
	if (w->nmapped) {
		/* one call replaces every mapping with the empty reservation */
		(void)mmap(w->base, WIN_SPAN + WIN_GUARD, PROT_NONE,
			   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		bt_zclear(w->mapped, MAPPED_SIZE);
		ws->total_mapped -= w->nmapped;
		w->nmapped = 0;
	}
}

void bt_win_flush_all(struct bt_cpu *c)
{
	struct bt_wins *ws = c->wins;
	if (!ws)
		return;
	for (unsigned i = 0; i < BT_NWIN; i++) {
		win_clear(ws, &ws->w[i]);
		ws->w[i].used = false;
	}
	if (ws->nnodes)
		bt_zclear(ws->heads, HEADS_SIZE);
	ws->nnodes = 0;
	ws->cur = -1;
	bt_mode_changed(c);
	c->ctr[BT_CTR_WIN_FLUSH].count++;
}

uintptr_t bt_win_select(struct bt_cpu *c)
{
	struct bt_wins *ws = c->wins;
	if (c->win_gen == c->mode_gen && ws->cur >= 0)
		return (uintptr_t)ws->w[ws->cur].base;
	c->win_gen = c->mode_gen;
	uint32_t mode = win_mode(c);
	int pick = -1, lru = 0;
	for (int i = 0; i < BT_NWIN; i++) {
		struct bt_window *w = &ws->w[i];
		if (w->used && w->mode == mode && (!(mode & WM_PG) || w->cr3 == c->cr3) &&
		    (!(mode & WM_PAE) || !memcmp(w->pdpte, c->pdpte, sizeof(w->pdpte)))) {
			pick = i;
			break;
		}
		if (!w->used || (ws->w[lru].used && w->stamp < ws->w[lru].stamp))
			lru = i;
	}
	if (pick < 0) {
		struct bt_window *w = &ws->w[lru];
		win_clear(ws, w);
		w->used = true;
		w->mode = mode;
		w->cr3 = c->cr3;
		memcpy(w->pdpte, c->pdpte, sizeof(w->pdpte));
		pick = lru;
	}
	ws->w[pick].stamp = ++ws->clock;
	ws->cur = pick;
	uintptr_t base = (uintptr_t)ws->w[pick].base;
	set_gs(ws, base);
	return base;
}

/* ---- reverse map ---- */

static unsigned rm_bucket(uint32_t pfn)
{
	return (pfn * 0x9e3779b1u) >> 16;
}

/* The linear region a table of (level) maps, for mode (mode). */
static uint32_t region_of(uint32_t mode, unsigned level, uint32_t lin)
{
	if (level == RM_PT)
		return lin & ((mode & WM_PAE) ? ~0x1fffffu : ~0x3fffffu);
	if (level == RM_PD)
		return (mode & WM_PAE) ? lin & ~0x3fffffffu : 0;
	return lin & BT_PAGE_MASK;
}

static bool rm_add(struct bt_wins *ws, uint64_t gpa, unsigned win, uint32_t lin, unsigned level)
{
	if (gpa >= WIN_SPAN)
		return false;
	uint32_t pfn = (uint32_t)(gpa >> 12);
	uint32_t at = region_of(ws->w[win].mode, level, lin);
	unsigned b = rm_bucket(pfn);
	for (uint32_t i = ws->heads[b]; i; i = ws->nodes[i - 1].next) {
		const struct rmap_node *n = &ws->nodes[i - 1];
		if (n->pfn == pfn && n->lin == at && n->win == win && n->level == level)
			return true; /* already known */
	}
	if (ws->nnodes == RMAP_NODES)
		return false;
	struct rmap_node *n = &ws->nodes[ws->nnodes];
	*n = (struct rmap_node){ pfn, at, (uint8_t)win, (uint8_t)level, ws->heads[b] };
	ws->heads[b] = ++ws->nnodes;
	return true;
}

static bool is_pt(const struct bt_wins *ws, uint64_t gpa_page)
{
	uint64_t pn = gpa_page >> 12;
	return pn < WIN_SPAN / BT_PAGE && ((ws->pt_bitmap[pn / 8] >> (pn % 8)) & 1);
}

static bool page_mapped(const struct bt_window *w, uint32_t lin)
{
	uint32_t pn = lin >> 12;
	return (w->mapped[pn / 64] >> (pn % 64)) & 1;
}

static void unmap_page(struct bt_wins *ws, struct bt_window *w, uint32_t lin)
{
	uint32_t pn = lin >> 12;
	if (!page_mapped(w, lin))
		return;
	ws->recent[ws->nrecent++ % VMM_ARRAY_SIZE(ws->recent)] =
		((uint64_t)(w - ws->w) << 32) | (lin & BT_PAGE_MASK) | 1;
	(void)mprotect(w->base + (lin & BT_PAGE_MASK), BT_PAGE, PROT_NONE);
	w->mapped[pn / 64] &= ~(1ull << (pn % 64));
	w->nmapped--;
	ws->total_mapped--;
}

static void protect_page(struct bt_window *w, uint32_t lin)
{
	if (page_mapped(w, lin))
		(void)mprotect(w->base + (lin & BT_PAGE_MASK), BT_PAGE, PROT_READ);
}

/* Frame (gpa_page) became special (code or page table): every data mapping
 * of it becomes read-only. */
static void protect_frame(struct bt_wins *ws, uint64_t gpa_page)
{
	if (gpa_page >= WIN_SPAN)
		return;
	uint32_t pfn = (uint32_t)(gpa_page >> 12);
	for (uint32_t i = ws->heads[rm_bucket(pfn)]; i; i = ws->nodes[i - 1].next) {
		struct rmap_node *n = &ws->nodes[i - 1];
		if (n->pfn == pfn && n->level == RM_DATA && ws->w[n->win].used)
			protect_page(&ws->w[n->win], n->lin);
	}
}

void bt_win_protect_frame(struct bt_cpu *c, uint64_t gpa_page)
{
	if (c->wins)
		protect_frame(c->wins, gpa_page);
}

static void mark_pt(struct bt_cpu *c, struct bt_wins *ws, uint64_t gpa_page)
{
	uint64_t pn = gpa_page >> 12;
	if (pn >= WIN_SPAN / BT_PAGE || ((ws->pt_bitmap[pn / 8] >> (pn % 8)) & 1))
		return;
	ws->pt_bitmap[pn / 8] |= (uint8_t)(1u << (pn % 8));
	protect_frame(ws, gpa_page);
	bt_tlb_protect_gpa(c, gpa_page); /* softmmu writes take the slow path too */
}

bool bt_win_is_pt(struct bt_cpu *c, uint64_t gpa_page)
{
	return c->wins && is_pt(c->wins, gpa_page);
}

/* Drop the mappings of window (w) in [lin, lin + len). */
static unsigned unmap_range(struct bt_wins *ws, struct bt_window *w, uint32_t lin, uint64_t len)
{
	unsigned n = 0;
	uint32_t first = lin >> 12, count = (uint32_t)(len >> 12);
	for (uint32_t pn = first; pn < first + count;) {
		if (!(pn % 64) && pn + 64 <= first + count && !w->mapped[pn / 64]) {
			pn += 64;
			continue;
		}
		if ((w->mapped[pn / 64] >> (pn % 64)) & 1) {
			unmap_page(ws, w, pn << 12);
			n++;
		}
		pn++;
	}
	return n;
}

void bt_win_pt_write(struct bt_cpu *c, uint64_t gpa, unsigned len)
{
	struct bt_wins *ws = c->wins;
	if (!ws || gpa >= WIN_SPAN)
		return;
	uint32_t pfn = (uint32_t)(gpa >> 12);
	unsigned off = (unsigned)(gpa & 0xfff);
	unsigned n = 0;
	for (uint32_t i = ws->heads[rm_bucket(pfn)]; i; i = ws->nodes[i - 1].next) {
		struct rmap_node *x = &ws->nodes[i - 1];
		if (x->pfn != pfn || x->level == RM_DATA || !ws->w[x->win].used)
			continue;
		struct bt_window *w = &ws->w[x->win];
		unsigned esz = (w->mode & WM_PAE) ? 8 : 4;
		/* the entries [first, last] the write touches, and what each maps */
		unsigned first = off / esz, last = (off + len - 1) / esz;
		uint64_t span = x->level == RM_PT ? BT_PAGE
				: (w->mode & WM_PAE) ? 2 * MiB : 4 * MiB;
		for (unsigned e = first; e <= last && e < BT_PAGE / esz; e++) {
			uint64_t at = (uint64_t)x->lin + e * span;
			if (at < WIN_SPAN)
				n += unmap_range(ws, w, (uint32_t)at, span);
		}
	}
	c->ctr[BT_CTR_WIN_INVAL].count += n;
}

/* ---- faults ---- */

int bt_win_fault(struct bt_cpu *c, uintptr_t addr, bool write, uint32_t *pf_err, uint32_t *cr2)
{
	struct bt_wins *ws = c->wins;
	if (!ws || ws->cur < 0)
		return BT_WIN_NOT_MINE;
	struct bt_window *w = &ws->w[ws->cur];
	if (addr < (uintptr_t)w->base || addr >= (uintptr_t)w->base + WIN_SPAN + WIN_GUARD)
		return BT_WIN_NOT_MINE;
	if (addr >= (uintptr_t)w->base + WIN_SPAN)
		return BT_WIN_SLOW; /* wrapped around 4 GiB */
	uint32_t lin = (uint32_t)(addr - (uintptr_t)w->base);
	bool user = w->mode & WM_USER;
	struct bt_walk wk;
	if (bt_walk(c, lin, write ? BT_ACC_W : BT_ACC_R, user, true, &wk)) {
		*pf_err = wk.pf;
		*cr2 = lin;
		return BT_WIN_PF;
	}
	uint64_t gpage = wk.gpa & ~0xfffull;
	const struct mem_region *r = mem_find(&c->vm->mem, gpage);
	if (!r || (r->flags & MEM_READONLY) || gpage >= WIN_SPAN)
		return BT_WIN_SLOW; /* MMIO, ROM, or beyond what the reverse map tracks */
	for (unsigned k = 0; k < wk.nframes; k++)
		if (wk.frames[k] >= WIN_SPAN)
			return BT_WIN_SLOW;
	bool special = bt_gpa_special(c, gpage);
	if (write && special)
		return BT_WIN_SLOW;
	if (ws->total_mapped >= MAX_MAPPED || ws->nnodes + 4 > RMAP_NODES) {
		/* too many mappings: start over (the faulting access retries) */
		bt_win_flush_all(c);
		bt_win_select(c);
		w = &ws->w[ws->cur];
	}
	/* remember the dependencies first: page-table frames become read-only */
	for (unsigned k = 0; k < wk.nframes; k++) {
		mark_pt(c, ws, wk.frames[k]);
		rm_add(ws, wk.frames[k], (unsigned)ws->cur, lin, wk.levels[k]);
	}
	rm_add(ws, gpage, (unsigned)ws->cur, lin, RM_DATA);
	special = bt_gpa_special(c, gpage);
	int prot = PROT_READ;
	struct bt_walk ww;
	if (!special && wk.dirty && (write || !bt_walk(c, lin, BT_ACC_W, user, false, &ww)))
		prot |= PROT_WRITE;
	void *at = w->base + (lin & BT_PAGE_MASK);
	if (mmap(at, BT_PAGE, prot, MAP_FIXED | MAP_SHARED, c->vm->mem.fd,
		 (off_t)(r->fd_off + (gpage - r->gpa))) == MAP_FAILED)
		return BT_WIN_SLOW;
	uint32_t pn = lin >> 12;
	if (!page_mapped(w, lin)) {
		w->mapped[pn / 64] |= 1ull << (pn % 64);
		w->nmapped++;
		ws->total_mapped++;
	}
	c->ctr[BT_CTR_WIN_FAULTS].count++;
	/* mapped again right after a page-table write dropped it: the access
	 * keeps chasing a changing mapping (tell the caller to adapt) */
	uint64_t me = ((uint64_t)ws->cur << 32) | (lin & BT_PAGE_MASK) | 1;
	for (unsigned k = 0; k < VMM_ARRAY_SIZE(ws->recent); k++)
		if (ws->recent[k] == me) {
			ws->recent[k] = 0;
			return BT_WIN_REMAPPED;
		}
	return BT_WIN_MAPPED;
}

/* ---- special frames ---- */

bool bt_gpa_special(struct bt_cpu *c, uint64_t gpa_page)
{
	return bt_page_has_code(c, gpa_page) || bt_win_is_pt(c, gpa_page);
}

void bt_special_write(struct bt_cpu *c, uint64_t gpa, unsigned len)
{
	if (bt_page_has_code(c, gpa & ~0xfffull))
		bt_code_write(c, gpa, len);
	if (bt_win_is_pt(c, gpa & ~0xfffull))
		bt_win_pt_write(c, gpa, len);
}

/* ---- instructions that use the software TLB (adaptive) ---- */

static unsigned soft_slot(uint64_t gpa, unsigned cap)
{
	return (unsigned)((gpa * 0x9e3779b97f4a7c15ull) >> 40) & (cap - 1);
}

bool bt_soft_has(const struct bt_cpu *c, uint64_t gpa)
{
	if (!c->soft_n)
		return false;
	for (unsigned i = soft_slot(gpa, c->soft_cap);; i = (i + 1) & (c->soft_cap - 1)) {
		if (c->soft[i] == gpa + 1)
			return true;
		if (!c->soft[i])
			return false;
	}
}

void bt_soft_add(struct bt_cpu *c, uint64_t gpa)
{
	if (bt_soft_has(c, gpa))
		return;
	if ((c->soft_n + 1) * 2 > c->soft_cap) {
		unsigned ncap = c->soft_cap ? c->soft_cap * 2 : 256;
		uint64_t *n = calloc(ncap, sizeof(*n));
		VMM_ASSERT(n);
		for (unsigned i = 0; i < c->soft_cap; i++) {
			if (!c->soft[i])
				continue;
			unsigned j = soft_slot(c->soft[i] - 1, ncap);
			while (n[j])
				j = (j + 1) & (ncap - 1);
			n[j] = c->soft[i];
		}
		free(c->soft);
		c->soft = n;
		c->soft_cap = ncap;
	}
	unsigned i = soft_slot(gpa, c->soft_cap);
	while (c->soft[i])
		i = (i + 1) & (c->soft_cap - 1);
	c->soft[i] = gpa + 1;
	c->soft_n++;
}
