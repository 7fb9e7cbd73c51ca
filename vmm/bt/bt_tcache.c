/* bt_tcache.c: the code cache. One memfd mapped twice: a writable view the
 * translator fills and an executable view the CPU runs, so no address is
 * ever writable and executable. A poll page sits just below the executable
 * view: every block entry reads it, and a kick makes it fault (so leaving
 * translated code for an interrupt costs nothing until one is pending).
 * Also here: the block index by host address (for faults), direct-chain
 * patching and the indirect-branch table. When the cache fills up, every
 * translation is dropped at once. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/bt/bt_emit.h"
#include "vmm/bt/bt_trans.h"
#include "vmm/bt/bt_window.h"

static void emit_tramp(struct bt_emit *e, const void *target)
{
	emov_ri64(e, H_R11, (uint64_t)(uintptr_t)target);
	e8(e, 0x41); /* jmp *%r11 */
	e8(e, 0xff);
	e8(e, 0xe3);
}

/* mov [r15 + slot], r11 where r11 = (rx target, patched later if NULL) */
static uint8_t *emit_set_slot(struct bt_emit *e, int32_t slot, const uint8_t *target)
{
	uint8_t *imm = e->p + 2;
	emov_ri64(e, H_T2, (uint64_t)(uintptr_t)target);
	estore(e, true, H_T2, H_ENV, slot);
	return imm;
}

/* The lazy FPU switch (bt_fpu.c, docs/bt.md "FPU"): translated code calls
 * [r15 + BT_OFF_FPU_LOAD] before a native FP instruction and [r15 +
 * BT_OFF_FPU_SAVE] before C code; each slot holds a lone RET or the
 * routine that switches and swaps the slots. No flags are touched. The
 * host's FIP/FDP would be addresses of translated code: the saved image
 * gets the guest's FIP and FOP that translated code stored after each x87
 * instruction (fpu_last_fip/fop), CS, and FDP 0. */
static void emit_fpu_fixed(struct bt_tcache *tc, struct bt_emit *e)
{
	static const uint8_t fx[2] = { 0x0f, 0xae }, movimm = 0xc7;
	int32_t fpu = (int32_t)offsetof(struct bt_cpu, fpu);
	int32_t hmx = (int32_t)offsetof(struct bt_cpu, fpu_host_mxcsr);
	int32_t lfip = (int32_t)offsetof(struct bt_cpu, fpu_last_fip);
	int32_t lfop = (int32_t)offsetof(struct bt_cpu, fpu_last_fop);
	int32_t cs = (int32_t)offsetof(struct bt_cpu, seg[X86_CS].sel);
	static const uint8_t movzw[2] = { 0x0f, 0xb7 };
	tc->fpu_ret = e->p + tc->delta;
	e8(e, 0xc3);
	tc->fpu_load = e->p + tc->delta;
	e8(e, 0x41); e8(e, 0x53);                              /* push r11 */
	eop_mem(e, false, fx, 2, 1, H_ENV, H_NONE, 1, fpu);     /* fxrstor [r15+fpu] */
	eload(e, false, H_T2, H_ENV, fpu + 8);                  /* the guest's FIP, FOP */
	estore(e, false, H_T2, H_ENV, lfip);
	eop_mem(e, false, movzw, 2, H_T2, H_ENV, H_NONE, 1, fpu + 6);
	estore(e, false, H_T2, H_ENV, lfop);
	(void)emit_set_slot(e, BT_OFF_FPU_LOAD, tc->fpu_ret);
	uint8_t *save_imm = emit_set_slot(e, BT_OFF_FPU_SAVE, NULL);
	e8(e, 0x41); e8(e, 0x5b);                              /* pop r11 */
	e8(e, 0xc3);
	tc->fpu_save = e->p + tc->delta;
	e8(e, 0x41); e8(e, 0x53);
	eop_mem(e, false, fx, 2, 0, H_ENV, H_NONE, 1, fpu);     /* fxsave [r15+fpu] */
	eload(e, false, H_T2, H_ENV, lfip);                     /* FIP, FCS, FOP: ours */
	estore(e, false, H_T2, H_ENV, fpu + 8);
	eop_mem(e, false, movzw, 2, H_T2, H_ENV, H_NONE, 1, cs);
	estore(e, false, H_T2, H_ENV, fpu + 12);
	eop_mem(e, false, movzw, 2, H_T2, H_ENV, H_NONE, 1, lfop);
	e8(e, 0x66);
	estore(e, false, H_T2, H_ENV, fpu + 6);
	eop_mem(e, true, &movimm, 1, 0, H_ENV, H_NONE, 1, fpu + 16); /* FDP: not tracked */
	e32(e, 0);
	e8(e, 0xdb); e8(e, 0xe3);                              /* fninit */
	eop_mem(e, false, fx, 2, 2, H_ENV, H_NONE, 1, hmx);     /* ldmxcsr [host] */
	(void)emit_set_slot(e, BT_OFF_FPU_LOAD, tc->fpu_load);
	(void)emit_set_slot(e, BT_OFF_FPU_SAVE, tc->fpu_ret);
	e8(e, 0x41); e8(e, 0x5b);
	e8(e, 0xc3);
	uint64_t save = (uint64_t)(uintptr_t)tc->fpu_save;
	memcpy(save_imm, &save, 8);
}

/* The fixed part at the start of the cache: exit trampolines, the FPU
 * switch. */
static void emit_fixed(struct bt_tcache *tc)
{
	struct bt_emit e = { .p = tc->rw, .end = tc->rw + 512 };
	tc->exit_tramp = e.p + tc->delta;
	emit_tramp(&e, bt_asm_exit);
	tc->exit_nosave_tramp = e.p + tc->delta;
	emit_tramp(&e, bt_asm_exit_nosave);
	emit_fpu_fixed(tc, &e);
	VMM_ASSERT(!e.overflow);
	tc->code_start = VMM_ALIGN_UP((size_t)(e.p - tc->rw), 64);
	tc->used = tc->code_start;
}

static bool host_has_lahf(void)
{
	unsigned a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x80000001u), "c"(0));
	return c & 1;
}

int bt_trans_init(struct bt_cpu *c)
{
	struct bt_tcache *tc = calloc(1, sizeof(*tc));
	if (!tc)
		return -ENOMEM;
	tc->fd = -1;
	tc->size = BT_CODE_CACHE_SIZE;
	const char *kb = getenv("TRIPLEX_BT_CACHE_KB"); /* tests: force flushes */
	if (kb && atoi(kb) >= 64)
		tc->size = VMM_ALIGN_UP((size_t)atoi(kb) * KiB, BT_PAGE);
	int r = -ENOMEM;
	tc->fd = memfd_create("triplex-bt-code", MFD_CLOEXEC);
	if (tc->fd < 0 || ftruncate(tc->fd, (off_t)tc->size) < 0) {
		r = -errno;
		vmm_err("bt: code cache memfd: %s", strerror(errno));
		goto fail;
	}
	/* reserve poll page + executable view together, near our own code so
	 * helper calls could use rel32 */
	void *hint = (void *)(((uintptr_t)bt_asm_enter + 512 * MiB) & ~(uintptr_t)0xfffff);
	uint8_t *base = mmap(hint, tc->size + BT_PAGE, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		r = -errno;
		vmm_err("bt: code cache reservation: %s", strerror(errno));
		goto fail;
	}
	tc->poll = base;
	if (mmap(base, BT_PAGE, PROT_READ, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED ||
	    mmap(base + BT_PAGE, tc->size, PROT_READ | PROT_EXEC, MAP_FIXED | MAP_SHARED, tc->fd,
		 0) == MAP_FAILED) {
		r = -errno;
		vmm_err("bt: code cache executable view: %s", strerror(errno));
		munmap(base, tc->size + BT_PAGE);
		tc->poll = NULL;
		goto fail;
	}
	tc->rx = base + BT_PAGE;
	tc->rw = mmap(NULL, tc->size, PROT_READ | PROT_WRITE, MAP_SHARED, tc->fd, 0);
	if (tc->rw == MAP_FAILED) {
		r = -errno;
		tc->rw = NULL;
		vmm_err("bt: code cache writable view: %s", strerror(errno));
		goto fail;
	}
	tc->delta = tc->rx - tc->rw;
	tc->ibtc = calloc(BT_IBTC_SIZE, sizeof(*tc->ibtc));
	if (!tc->ibtc)
		goto fail;
	tc->lahf_ok = host_has_lahf();
	if (!tc->lahf_ok) {
		r = -ENODEV;
		vmm_err("bt: the host CPU lacks LAHF/SAHF in 64-bit mode; the translator needs it");
		goto fail;
	}
	tc->gen = 1;
	emit_fixed(tc);
	c->tc = tc;
	c->fpu_load_fn = (uint64_t)(uintptr_t)tc->fpu_load;
	c->fpu_save_fn = (uint64_t)(uintptr_t)tc->fpu_ret;
	c->ibtc = (uint64_t)(uintptr_t)tc->ibtc;
	r = bt_signal_init();
	if (r)
		goto fail;
	return 0;
fail:
	c->tc = tc;
	bt_trans_fini(c);
	return r;
}

void bt_trans_fini(struct bt_cpu *c)
{
	struct bt_tcache *tc = c->tc;
	if (!tc)
		return;
	if (tc->poll)
		munmap(tc->poll, tc->size + BT_PAGE);
	if (tc->rw)
		munmap(tc->rw, tc->size);
	if (tc->fd >= 0)
		close(tc->fd);
	free(tc->ibtc);
	free(tc->index);
	free(tc);
	c->tc = NULL;
}

uint8_t *bt_tcache_alloc(struct bt_tcache *tc, size_t len)
{
	size_t at = VMM_ALIGN_UP(tc->used, 16);
	if (at + len > tc->size)
		return NULL;
	tc->used = at + len;
	return tc->rw + at;
}

static void ibtc_clear(struct bt_cpu *c)
{
	struct bt_tcache *tc = c->tc;
	tc->gen++;
	if (tc->gen >= (1u << 20)) {
		/* generations wrap: clear for real */
		memset(tc->ibtc, 0, BT_IBTC_SIZE * sizeof(*tc->ibtc));
		tc->gen = 1;
	}
	bt_ibtc_update_tag(c);
}

void bt_tcache_flush(struct bt_cpu *c)
{
	struct bt_tcache *tc = c->tc;
	for (size_t i = 0; i < tc->nindex; i++) {
		struct bt_block *b = tc->index[i].b;
		if (b) {
			b->host = NULL;
			b->host_len = 0;
		}
	}
	tc->nindex = 0;
	tc->used = tc->code_start;
	ibtc_clear(c);
	c->exit_slot = 0;
	c->ctr[BT_CTR_CACHE_FLUSH].count++;
}

void bt_tcache_add_index(struct bt_tcache *tc, struct bt_block *b);
void bt_tcache_add_index(struct bt_tcache *tc, struct bt_block *b)
{
	if (tc->nindex == tc->capindex) {
		size_t n = tc->capindex ? tc->capindex * 2 : 1024;
		struct bt_tindex *p = realloc(tc->index, n * sizeof(*p));
		VMM_ASSERT(p);
		tc->index = p;
		tc->capindex = n;
	}
	tc->index[tc->nindex++] = (struct bt_tindex){ (uintptr_t)b->host, b->host_len, b };
}

static struct bt_tindex *index_find(struct bt_tcache *tc, uintptr_t rip)
{
	size_t lo = 0, hi = tc->nindex;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		struct bt_tindex *x = &tc->index[mid];
		if (rip < x->start)
			hi = mid;
		else if (rip >= x->start + x->len)
			lo = mid + 1;
		else
			return x;
	}
	return NULL;
}

struct bt_block *bt_tcache_find(struct bt_tcache *tc, uintptr_t rip)
{
	struct bt_tindex *x = index_find(tc, rip);
	return x ? x->b : NULL;
}

void bt_tcache_chain(struct bt_tcache *tc, uint64_t slot, const void *target)
{
	uint8_t *rx = (uint8_t *)(uintptr_t)slot;
	uint8_t *rw = rx - tc->delta;
	epatch_rel32(rw, rx, target);
}

void bt_ibtc_update_tag(struct bt_cpu *c)
{
	/* the key's low 10 bits and its FPU and TSD bits (IA-32e blocks are
	 * never translated, so LMA/CS64 need no room) */
	uint32_t k = bt_mode_key(c);
	uint64_t key = (k & 0x3ff) | ((k & BT_KEY_FPU) ? 0x400u : 0) |
		       ((k & BT_KEY_TSD) ? 0x800u : 0);
	c->ibtc_tag = (((uint64_t)c->tc->gen << 12) | key) << 32;
}

void bt_ibtc_insert(struct bt_cpu *c, uint32_t eip, const struct bt_block *b)
{
	struct bt_ibtc_entry *e = &c->tc->ibtc[eip & (BT_IBTC_SIZE - 1)];
	e->neg_tag = (uint64_t)0 - (c->ibtc_tag | eip);
	e->host = (uint64_t)(uintptr_t)b->host;
}

void bt_trans_jc_flush(struct bt_cpu *c)
{
	if (c->tc)
		ibtc_clear(c);
}

void bt_trans_block_invalidate(struct bt_cpu *c, struct bt_block *b)
{
	/* Only blocks of the same page chain into each other and a page is
	 * invalidated as a whole; the indirect table may point anywhere. The
	 * code stays in the cache (unreachable) until the next flush. */
	if (!c->tc || !b->host)
		return;
	struct bt_tindex *x = index_find(c->tc, (uintptr_t)b->host);
	if (x && x->b == b)
		x->b = NULL;
	ibtc_clear(c);
}

void bt_trans_page_protect(struct bt_cpu *c, uint64_t gpa_page)
{
	bt_win_protect_frame(c, gpa_page);
}

void bt_trans_page_unprotect(struct bt_cpu *c, uint64_t gpa_page)
{
	(void)c;
	(void)gpa_page;
}

void bt_poll_arm(struct bt_cpu *c)
{
	struct bt_tcache *tc = c->tc;
	if (tc && !__atomic_exchange_n(&tc->poll_armed, true, __ATOMIC_ACQ_REL))
		(void)mprotect(tc->poll, BT_PAGE, PROT_NONE); /* best effort: a kick */
}

void bt_poll_disarm(struct bt_cpu *c)
{
	struct bt_tcache *tc = c->tc;
	if (tc && __atomic_load_n(&tc->poll_armed, __ATOMIC_ACQUIRE)) {
		__atomic_store_n(&tc->poll_armed, false, __ATOMIC_RELEASE);
		(void)mprotect(tc->poll, BT_PAGE, PROT_READ);
	}
}
