/* bt_block.c: the block cache. A block is a run of decoded guest
 * instructions starting at a guest physical address, ending at a branch or
 * mode change, a page boundary or BT_BLOCK_MAX_INSNS; it may carry host
 * code from the translator. Blocks are found by (physical address, mode
 * key) in a hash table, and through a per-vCPU jump cache by linear EIP
 * that is dropped on every TLB flush. Each guest page with blocks is known,
 * so a write to it (bt_code_write) invalidates them. */
#include <stdlib.h>
#include <string.h>

#include "vmm/bt/bt_internal.h"
#include "vmm/bt/bt_trans.h"
#include "vmm/bt/bt_window.h"

#define HASH_BITS 15
#define PAGE_HASH_BITS 12

struct bt_page {
	uint64_t pn;              /* guest physical page number */
	struct bt_block *blocks;  /* via pnext */
	struct bt_page *next;
	uint64_t bytes[BT_PAGE / 64]; /* bytes covered by blocks: writes elsewhere
				       * in the page (data next to code) keep them */
};

#define SMC_BITS 8

struct bt_bcache {
	struct bt_block *hash[1u << HASH_BITS];
	struct { uint64_t pn; uint32_t writes; } smc[1u << SMC_BITS]; /* code overwritten */
	struct bt_page *pages[1u << PAGE_HASH_BITS];
	struct bt_block *dead;    /* invalidated, freed at the next safe point */
	uint8_t *bitmap;          /* pages < bitmap_pages: has code */
	uint64_t bitmap_pages;
	uint64_t nr_blocks;
};

struct bt_bcache *bt_bcache_create(void)
{
	struct bt_bcache *bc = bt_zalloc(sizeof(*bc));
	if (!bc)
		return NULL;
	bc->bitmap_pages = (4 * GiB) / BT_PAGE;
	bc->bitmap = bt_zalloc(bc->bitmap_pages / 8);
	if (!bc->bitmap) {
		bt_zfree(bc, sizeof(*bc));
		return NULL;
	}
	return bc;
}

static void free_dead(struct bt_bcache *bc)
{
	while (bc->dead) {
		struct bt_block *b = bc->dead;
		bc->dead = b->hnext;
		bt_block_free(b);
	}
}

void bt_block_free(struct bt_block *b)
{
	free(b->insn_host_off);
	free(b);
}

static void drop_all(struct bt_bcache *bc)
{
	for (unsigned i = 0; i < (1u << HASH_BITS); i++) {
		while (bc->hash[i]) {
			struct bt_block *b = bc->hash[i];
			bc->hash[i] = b->hnext;
			bt_block_free(b);
		}
	}
	for (unsigned i = 0; i < (1u << PAGE_HASH_BITS); i++) {
		while (bc->pages[i]) {
			struct bt_page *p = bc->pages[i];
			bc->pages[i] = p->next;
			if (p->pn < bc->bitmap_pages)
				bc->bitmap[p->pn / 8] &= (uint8_t)~(1u << (p->pn % 8));
			free(p);
		}
	}
	free_dead(bc);
	bc->nr_blocks = 0;
}

void bt_bcache_destroy(struct bt_bcache *bc)
{
	if (!bc)
		return;
	drop_all(bc);
	bt_zfree(bc->bitmap, bc->bitmap_pages / 8);
	bt_zfree(bc, sizeof(*bc));
}

static inline unsigned hash_of(uint64_t gpa, uint32_t key)
{
	uint64_t h = (gpa ^ ((uint64_t)key << 40)) * 0x9e3779b97f4a7c15ull;
	return (unsigned)(h >> (64 - HASH_BITS));
}

static inline unsigned jc_of(uint32_t lin)
{
	return (lin ^ (lin >> BT_JC_BITS)) & (BT_JC_SIZE - 1);
}

static struct bt_page **page_slot(struct bt_bcache *bc, uint64_t pn)
{
	struct bt_page **pp = &bc->pages[(pn * 0x9e3779b1u) & ((1u << PAGE_HASH_BITS) - 1)];
	while (*pp && (*pp)->pn != pn)
		pp = &(*pp)->next;
	return pp;
}

bool bt_page_has_code(struct bt_cpu *c, uint64_t gpa_page)
{
	struct bt_bcache *bc = c->bc;
	uint64_t pn = gpa_page >> 12;
	if (pn < bc->bitmap_pages)
		return (bc->bitmap[pn / 8] >> (pn % 8)) & 1;
	return *page_slot(bc, pn) != NULL;
}

void bt_jc_flush(struct bt_cpu *c)
{
	/* entries carry the generation they were made in */
	if (++c->jc_gen == 0 && c->jc) {
		memset(c->jc, 0, BT_JC_SIZE * sizeof(*c->jc));
		c->jc_gen = 1;
	}
	bt_trans_jc_flush(c);
}

void bt_block_flush_all(struct bt_cpu *c)
{
	bt_jc_flush(c);
	if (c->tc)
		bt_tcache_flush(c);
	bt_win_flush_all(c);
	drop_all(c->bc);
	memset(c->jc, 0, BT_JC_SIZE * sizeof(*c->jc)); /* no pointers to freed blocks */
	c->code_dirty = true;
}

static void unlink_block(struct bt_cpu *c, struct bt_block *b)
{
	struct bt_bcache *bc = c->bc;
	struct bt_block **pp = &bc->hash[hash_of(b->gpa, b->key)];
	while (*pp && *pp != b)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = b->hnext;
	unsigned j = jc_of(b->cs_base + b->eip);
	if (c->jc[j] == b)
		c->jc[j] = NULL;
	bt_trans_block_invalidate(c, b);
	b->invalid = true;
	b->hnext = bc->dead;
	bc->dead = b;
	bc->nr_blocks--;
}

static bool range_has_code(const struct bt_page *p, unsigned off, unsigned len)
{
	for (unsigned i = off; i < off + len && i < BT_PAGE; i++)
		if ((p->bytes[i / 64] >> (i % 64)) & 1)
			return true;
	return false;
}

void bt_code_write(struct bt_cpu *c, uint64_t gpa, unsigned len)
{
	struct bt_bcache *bc = c->bc;
	uint64_t pn = gpa >> 12;
	struct bt_page **pp = page_slot(bc, pn);
	struct bt_page *p = *pp;
	if (!p)
		return;
	/* a write that spills into the next page is checked there by the caller */
	if (len && !range_has_code(p, (unsigned)(gpa & 0xfff), len))
		return;
	*pp = p->next;
	if (pn < bc->bitmap_pages)
		bc->bitmap[pn / 8] &= (uint8_t)~(1u << (pn % 8));
	if (len) {
		unsigned k = (unsigned)(pn * 0x9e3779b1u) >> (32 - SMC_BITS);
		if (bc->smc[k].pn != pn) {
			bc->smc[k].pn = pn;
			bc->smc[k].writes = 0;
		}
		if (bc->smc[k].writes < BT_SMC_HOT)
			bc->smc[k].writes++;
	}
	unsigned n = 0;
	while (p->blocks) {
		struct bt_block *b = p->blocks;
		p->blocks = b->pnext;
		unlink_block(c, b);
		n++;
	}
	free(p);
	bt_trans_page_unprotect(c, gpa & ~0xfffull);
	c->ctr[BT_CTR_INVAL_PAGES].count++;
	c->ctr[BT_CTR_INVAL_BLOCKS].count += n;
	c->code_dirty = true;
}

bool bt_block_smc_interp(struct bt_cpu *c, struct bt_block *b)
{
	uint64_t pn = b->gpa >> 12;
	unsigned k = (unsigned)(pn * 0x9e3779b1u) >> (32 - SMC_BITS);
	if (b->exec_count >= BT_SMC_TRUST || c->bc->smc[k].pn != pn ||
	    c->bc->smc[k].writes < BT_SMC_HOT)
		return false;
	b->exec_count++;
	c->ctr[BT_CTR_SMC_INTERP].count++;
	return true;
}

static void add_to_page(struct bt_cpu *c, struct bt_block *b)
{
	struct bt_bcache *bc = c->bc;
	uint64_t pn = b->gpa >> 12;
	struct bt_page **pp = page_slot(bc, pn);
	if (!*pp) {
		struct bt_page *p = calloc(1, sizeof(*p));
		VMM_ASSERT(p);
		p->pn = pn;
		*pp = p;
		if (pn < bc->bitmap_pages)
			bc->bitmap[pn / 8] |= (uint8_t)(1u << (pn % 8));
		bt_tlb_protect_gpa(c, pn << 12);
		bt_trans_page_protect(c, pn << 12);
	}
	b->pnext = (*pp)->blocks;
	(*pp)->blocks = b;
	unsigned off = (unsigned)(b->gpa & 0xfff);
	for (unsigned i = off; i < off + b->len && i < BT_PAGE; i++)
		(*pp)->bytes[i / 64] |= 1ull << (i % 64);
}

static uint32_t mode_key(const struct bt_cpu *c)
{
	uint32_t k = c->cpl << BT_KEY_CPL_SHIFT;
	if (c->seg[X86_CS].db)
		k |= BT_KEY_CS32;
	if (c->cr0 & X86_CR0_PE)
		k |= BT_KEY_PE;
	if (bt_paging(c))
		k |= BT_KEY_PG;
	if (c->eflags & X86_FLAGS_VM)
		k |= BT_KEY_VM86;
	if (c->efer & X86_EFER_LMA)
		k |= BT_KEY_LMA;
	if (bt_lm64(c))
		k |= BT_KEY_CS64;
	if (!(c->cr0 & (X86_CR0_EM | X86_CR0_TS)) && (c->cr0 & X86_CR0_NE) &&
	    (c->cr4 & X86_CR4_OSFXSR))
		k |= BT_KEY_FPU;
	if ((c->cr4 & X86_CR4_TSD) && c->cpl != 0)
		k |= BT_KEY_TSD;
	if (c->tc && bt_trans_flat(c)) {
		k |= BT_KEY_FLAT;
		for (unsigned i = X86_FS; i <= X86_GS; i++) {
			const struct x86_seg *s = &c->seg[i];
			if (!s->unusable && s->present && s->limit == 0xffffffffu &&
			    (s->type & 0xe) == 0x2)
				k |= i == X86_FS ? BT_KEY_FS_OK : BT_KEY_GS_OK;
		}
	}
	return k;
}

/* CS base as fetches use it: none in 64-bit mode. */
static inline uint64_t cs_base_of(const struct bt_cpu *c)
{
	return bt_lm64(c) ? 0 : (uint32_t)c->seg[X86_CS].base;
}

uint32_t bt_mode_key(struct bt_cpu *c)
{
	if (c->key_gen != c->mode_gen) {
		c->key = mode_key(c);
		c->key_gen = c->mode_gen;
	}
	return c->key;
}

/* Decode a new block at linear (lin) whose first (n) bytes are in (buf).
 * (*uncached) in: one instruction only, never cached (code from a device
 * or from no RAM, fetched again each time as QEMU does); out: the block
 * must not be cached. */
static struct bt_block *decode_block(struct bt_cpu *c, uint64_t lin, uint64_t gpa,
				     const uint8_t *first, unsigned n, bool *uncached)
{
	bool one = *uncached;
	struct bt_insn insns[BT_BLOCK_MAX_INSNS];
	uint8_t buf[BT_PAGE + 16];
	unsigned bits = bt_code_bits(c);
	unsigned ni = 0, off = 0;
	memcpy(buf, first, n);
	uint64_t eip = c->rip;
	while (ni < BT_BLOCK_MAX_INSNS) {
		struct bt_insn *in = &insns[ni];
		unsigned avail = n - off;
		if (bt_decode(c->dec, buf + off, avail, eip + off, bits, in)) {
			bool at_end = avail < BT_INSN_MAX && off + avail == n;
			if (ni == 0 && at_end) {
				/* the first instruction continues on the next page */
				uint8_t more[BT_INSN_MAX];
				unsigned got = bt_fetch(c, (lin + n), more, BT_INSN_MAX, NULL);
				memcpy(buf + n, more, got);
				if (bt_decode(c->dec, buf + off, avail + got, eip + off, bits, in))
					bt_raise_ud(c);
				*uncached = true;
				ni = 1;
				break;
			}
			if (ni == 0)
				bt_raise_ud(c);
			break;
		}
		ni++;
		off += in->len;
		if ((in->flags & BT_I_BRANCH) || off >= n || one)
			break;
	}
	size_t sz = sizeof(struct bt_block) + ni * sizeof(struct bt_insn);
	struct bt_block *b = calloc(1, sz);
	VMM_ASSERT(b);
	memcpy(b->insn, insns, ni * sizeof(struct bt_insn));
	b->ninsn = (uint16_t)ni;
	b->len = (uint16_t)off;
	if (*uncached)
		b->len = insns[0].len;
	b->gpa = gpa;
	b->key = bt_mode_key(c);
	b->eip = c->rip;
	b->cs_base = cs_base_of(c);
	b->uncached = *uncached;
	c->ctr[BT_CTR_BLOCKS].count++;
	return b;
}

struct bt_block *bt_block_get(struct bt_cpu *c)
{
	struct bt_bcache *bc = c->bc;
	if (bc->dead)
		free_dead(bc);
	if (c->tmp_block) {
		bt_block_free(c->tmp_block);
		c->tmp_block = NULL;
	}
	uint64_t cs_base = cs_base_of(c);
	bool m64 = bt_lm64(c);
	uint64_t lin = m64 ? c->rip : (uint32_t)(cs_base + c->eip);
	uint32_t key = bt_mode_key(c);
	unsigned j = jc_of((uint32_t)lin);
	struct bt_block *b = c->jc[j];
	if (b && b->jc_gen == c->jc_gen && b->eip == c->rip && b->cs_base == cs_base &&
	    b->key == key)
		return b;
	/* CS limit: the first byte must be inside (SDM 3A 5.3); in 64-bit
	 * mode RIP must be canonical (#GP at the branch is delivered here) */
	if (m64 ? !bt_canonical(c->rip) : c->eip > c->seg[X86_CS].limit)
		bt_raise_gp(c, 0);
	bool io;
	uint64_t gpa = bt_code_gpa(c, lin, &io);
	for (b = io ? NULL : bc->hash[hash_of(gpa, key)]; b; b = b->hnext)
		if (b->gpa == gpa && b->key == key && b->eip == c->rip && b->cs_base == cs_base)
			break;
	if (!b) {
		bool uncached = io;
		uint8_t buf[BT_PAGE];
		unsigned n = bt_fetch(c, lin, buf, io ? BT_INSN_MAX : BT_PAGE, &gpa);
		uint64_t t0 = vmm_now_ns();
		b = decode_block(c, lin, gpa, buf, n, &uncached);
		perf_count(&c->xlate[BT_X_DECODE], vmm_now_ns() - t0);
		c->xlate[BT_X_DECODE_INSNS].count += b->ninsn;
		if (uncached) {
			c->tmp_block = b;
			return b;
		}
		unsigned h = hash_of(gpa, key);
		b->hnext = bc->hash[h];
		bc->hash[h] = b;
		bc->nr_blocks++;
		add_to_page(c, b);
	}
	b->jc_gen = c->jc_gen;
	c->jc[j] = b;
	bt_note_code_page(c, lin);
	return b;
}
