/* load_elf.c: ELF program-header parsing for both classes (ELF32 for
 * Multiboot kernels, ELF64 for 64-bit kernels such as vmlinux), and the
 * ELF64 loader with the Linux 64-bit boot protocol entry.
 *
 * Field offsets follow the System V gABI ("ELF Header", "Program Header")
 * and its x86-64 psABI supplement. PT_LOAD segments load at p_paddr. */
#include "vmm/load/load_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ELF_PT_LOAD 1
#define ELF_PF_X 1
#define ELF_ET_EXEC 2
#define ELF_EM_386 3
#define ELF_EM_X86_64 62
#define ELF_PN_XNUM 0xffff

struct elf_ehdr {
	uint16_t type, machine, phentsize, phnum;
	uint64_t entry, phoff;
};

struct elf_phdr {
	uint32_t type, flags;
	uint64_t off, vaddr, paddr, filesz, memsz;
};

static int ehdr_ident(const struct load_image *im, unsigned cls)
{
	const uint8_t *b = im->img;
	if (im->len < 16 || memcmp(b, "\177ELF", 4)) {
		vmm_err("%s: not an ELF file (no \\177ELF magic)", im->name);
		return -ENOEXEC;
	}
	unsigned want = cls == 64 ? 2 : 1;
	if (b[4] != want) {
		vmm_err("%s: ELF class (EI_CLASS) %u is not ELFCLASS%u (%u)", im->name, b[4], cls,
			want);
		return -ENOEXEC;
	}
	if (b[5] != 1 || b[6] != 1) {
		vmm_err("%s: ELF EI_DATA %u / EI_VERSION %u: need little-endian (1), version 1",
			im->name, b[5], b[6]);
		return -ENOEXEC;
	}
	uint64_t ehsize = cls == 64 ? 64 : 52;
	if (im->len < ehsize) {
		vmm_err("%s: ELF header truncated (file is %llu bytes, header %llu)", im->name,
			(unsigned long long)im->len, (unsigned long long)ehsize);
		return -ENOEXEC;
	}
	return 0;
}

static int ehdr_read(const struct load_image *im, unsigned cls, struct elf_ehdr *eh)
{
	int r = ehdr_ident(im, cls);
	if (r)
		return r;
	const uint8_t *b = im->img;
	eh->type = load_le16(b + 16);
	eh->machine = load_le16(b + 18);
	eh->entry = cls == 64 ? load_le64(b + 24) : load_le32(b + 24);
	eh->phoff = cls == 64 ? load_le64(b + 32) : load_le32(b + 28);
	eh->phentsize = load_le16(b + (cls == 64 ? 54 : 42));
	eh->phnum = load_le16(b + (cls == 64 ? 56 : 44));
	unsigned machine = cls == 64 ? ELF_EM_X86_64 : ELF_EM_386;
	unsigned phentsize = cls == 64 ? 56 : 32;
	if (eh->type != ELF_ET_EXEC) {
		vmm_err("%s: ELF e_type %u is not ET_EXEC (2)", im->name, eh->type);
		return -ENOEXEC;
	}
	if (eh->machine != machine) {
		vmm_err("%s: ELF e_machine %u is not %s (%u)", im->name, eh->machine,
			cls == 64 ? "EM_X86_64" : "EM_386", machine);
		return -ENOEXEC;
	}
	if (eh->phentsize != phentsize || eh->phnum == 0 || eh->phnum == ELF_PN_XNUM) {
		vmm_err("%s: ELF e_phentsize %u / e_phnum %u: need %u-byte program headers, "
			"1 to 65534 of them", im->name, eh->phentsize, eh->phnum, phentsize);
		return -ENOEXEC;
	}
	if (!load_in_file(eh->phoff, (uint64_t)eh->phnum * phentsize, im->len)) {
		vmm_err("%s: ELF program headers (e_phoff %#llx, %u of %u bytes) run past the "
			"end of the file (%llu bytes)", im->name, (unsigned long long)eh->phoff,
			eh->phnum, phentsize, (unsigned long long)im->len);
		return -ENOEXEC;
	}
	return 0;
}

static void phdr_read(const uint8_t *p, unsigned cls, struct elf_phdr *ph)
{
	ph->type = load_le32(p);
	if (cls == 64) {
		ph->flags = load_le32(p + 4);
		ph->off = load_le64(p + 8);
		ph->vaddr = load_le64(p + 16);
		ph->paddr = load_le64(p + 24);
		ph->filesz = load_le64(p + 32);
		ph->memsz = load_le64(p + 40);
	} else {
		ph->off = load_le32(p + 4);
		ph->vaddr = load_le32(p + 8);
		ph->paddr = load_le32(p + 12);
		ph->filesz = load_le32(p + 16);
		ph->memsz = load_le32(p + 20);
		ph->flags = load_le32(p + 24);
	}
}

/* Bounds of one PT_LOAD: in the file, not wrapping, below 4 GiB for ELF32. */
static int phdr_check(const struct load_image *im, unsigned i, unsigned cls,
		      const struct elf_phdr *ph)
{
	if (ph->filesz > ph->memsz) {
		vmm_err("%s: ELF program header %u: p_filesz %#llx is larger than p_memsz %#llx",
			im->name, i, (unsigned long long)ph->filesz, (unsigned long long)ph->memsz);
		return -ENOEXEC;
	}
	if (!load_in_file(ph->off, ph->filesz, im->len)) {
		vmm_err("%s: ELF program header %u: p_offset %#llx + p_filesz %#llx is past the "
			"end of the file (%llu bytes)", im->name, i, (unsigned long long)ph->off,
			(unsigned long long)ph->filesz, (unsigned long long)im->len);
		return -ENOEXEC;
	}
	uint64_t end;
	if (__builtin_add_overflow(ph->paddr, ph->memsz, &end) || (cls == 32 && end > 4 * GiB)) {
		vmm_err("%s: ELF program header %u: p_paddr %#llx + p_memsz %#llx %s", im->name, i,
			(unsigned long long)ph->paddr, (unsigned long long)ph->memsz,
			cls == 32 ? "is beyond 4 GiB" : "overflows");
		return -ENOEXEC;
	}
	return 0;
}

/* The physical entry: e_entry inside a segment's [p_vaddr, +p_memsz) is
 * translated to p_paddr (as GRUB does for higher-half kernels); otherwise it
 * must lie inside a segment's physical range. */
static int entry_translate(const struct load_image *im, const struct load_plan *plan,
			   const uint64_t *vaddr, uint64_t e_entry, gpa_t *entry)
{
	for (unsigned i = 0; i < plan->nr_seg; i++)
		if (e_entry - vaddr[i] < plan->seg[i].memsz) {
			*entry = plan->seg[i].gpa + (e_entry - vaddr[i]);
			return 0;
		}
	for (unsigned i = 0; i < plan->nr_seg; i++)
		if (e_entry - plan->seg[i].gpa < plan->seg[i].memsz) {
			*entry = e_entry;
			return 0;
		}
	vmm_err("%s: ELF e_entry %#llx is not inside any PT_LOAD segment", im->name,
		(unsigned long long)e_entry);
	return -ENOEXEC;
}

int load_elf_parse(const struct load_image *im, unsigned cls, struct load_plan *plan)
{
	struct elf_ehdr eh;
	uint64_t vaddr[LOAD_MAX_SEGS];
	int r = ehdr_read(im, cls, &eh);
	for (unsigned i = 0; !r && i < eh.phnum; i++) {
		struct elf_phdr ph;
		phdr_read(im->img + eh.phoff + (uint64_t)i * eh.phentsize, cls, &ph);
		if (ph.type != ELF_PT_LOAD || ph.memsz == 0)
			continue;
		r = phdr_check(im, i, cls, &ph);
		if (r)
			break;
		char what[40];
		snprintf(what, sizeof(what), "ELF PT_LOAD (program header %u)", i);
		r = load_plan_add(im, plan, ph.paddr, ph.off, ph.filesz, ph.memsz,
				  ph.flags & ELF_PF_X ? cls : 0, what);
		if (!r)
			vaddr[plan->nr_seg - 1] = ph.vaddr;
	}
	if (r)
		return r;
	if (!plan->nr_seg) {
		vmm_err("%s: ELF image has no PT_LOAD segments", im->name);
		return -ENOEXEC;
	}
	return entry_translate(im, plan, vaddr, eh.entry, &plan->entry);
}

int load_elf64_parse(const struct load_image *im, struct load_plan *plan)
{
	int r = load_elf_parse(im, 64, plan);
	if (r)
		return r;
	plan->format = LOAD_ELF64;
	plan->bits = 64;
	plan->min_addr = LOAD_64BIT_FLOOR;
	/* The entry page tables map the first 4 GiB only. */
	for (unsigned i = 0; i < plan->nr_seg; i++) {
		const struct load_seg *s = &plan->seg[i];
		if (s->gpa + s->memsz > 4 * GiB) {
			vmm_err("%s: %s [%#llx-%#llx) reaches above 4 GiB, beyond the identity map "
				"of the 64-bit entry", im->name, s->what, (unsigned long long)s->gpa,
				(unsigned long long)(s->gpa + s->memsz));
			return -ENOEXEC;
		}
	}
	plan->linux.reserved_end = load_plan_end(plan);
	plan->linux.initrd_max = 0x7fffffff; /* x86-64 kernels' initrd_addr_max */
	plan->linux.cmdline_max = LOAD_CMDLINE_MAX - 1;
	return 0;
}

/* A zero page for a kernel without a setup header: the fields a 64-bit
 * kernel reads (boot.rst "64-bit BOOT PROTOCOL", zero-page.rst). */
static void zp_header(uint8_t *zp, const struct load_image *im, const struct load_plan *plan)
{
	load_put16(zp + LX_BOOT_FLAG, 0xaa55);
	load_put32(zp + LX_HEADER, LX_HDRS_MAGIC);
	load_put16(zp + LX_VERSION, 0x020f);
	zp[LX_LOADFLAGS] = LX_LOADED_HIGH;
	load_put32(zp + LX_INITRD_ADDR_MAX, (uint32_t)plan->linux.initrd_max);
	load_put16(zp + LX_XLOADFLAGS, LX_XLF_KERNEL_64);
	load_put32(zp + LX_CMDLINE_SIZE, (uint32_t)plan->linux.cmdline_max);
}

int load_elf64_load(const struct load_image *im, const struct guest_mem *m,
		    const struct load_plan *plan, struct load_result *res)
{
	return load_x86_linux_boot(im, m, plan, res, zp_header);
}

/* ---- symbol table: data objects inside code, for the guest probe ---- */

#define ELF_SHT_SYMTAB 2
#define ELF_SHF_EXECINSTR 4
#define ELF_STT_OBJECT 1

struct elf_shdr {
	uint32_t type;
	uint64_t flags, addr, off, size, entsize;
	uint32_t link;
};

static bool shdr_read(const uint8_t *img, uint64_t len, unsigned cls, unsigned i,
		      struct elf_shdr *sh)
{
	uint64_t shoff = cls == 64 ? load_le64(img + 40) : load_le32(img + 32);
	unsigned shentsize = load_le16(img + (cls == 64 ? 58 : 46));
	if (shentsize != (cls == 64 ? 64u : 40u) || !load_in_file(shoff + (uint64_t)i * shentsize,
								shentsize, len))
		return false;
	const uint8_t *p = img + shoff + (uint64_t)i * shentsize;
	sh->type = load_le32(p + 4);
	if (cls == 64) {
		sh->flags = load_le64(p + 8);
		sh->addr = load_le64(p + 16);
		sh->off = load_le64(p + 24);
		sh->size = load_le64(p + 32);
		sh->link = load_le32(p + 40);
		sh->entsize = load_le64(p + 56);
	} else {
		sh->flags = load_le32(p + 8);
		sh->addr = load_le32(p + 12);
		sh->off = load_le32(p + 16);
		sh->size = load_le32(p + 20);
		sh->link = load_le32(p + 24);
		sh->entsize = load_le32(p + 36);
	}
	return true;
}

/* Record symbol (value, size) if it lies in executable section (shndx). */
static void add_object(const uint8_t *img, uint64_t len, unsigned cls, unsigned shnum,
		       unsigned shndx, uint64_t value, uint64_t size, struct load_range *out,
		       unsigned max, unsigned *n)
{
	struct elf_shdr sec;
	if (!size || shndx == 0 || shndx >= shnum || !shdr_read(img, len, cls, shndx, &sec) ||
	    !(sec.flags & ELF_SHF_EXECINSTR) || value < sec.addr || value - sec.addr > sec.size ||
	    size > sec.size - (value - sec.addr))
		return;
	if (*n < max)
		out[*n] = (struct load_range){ sec.off + (value - sec.addr), size };
	(*n)++;
}

static int range_cmp(const void *a, const void *b)
{
	const struct load_range *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

unsigned load_elf_data_ranges(const uint8_t *img, uint64_t len, struct load_range *out,
			      unsigned max)
{
	if (len < 64 || memcmp(img, "\177ELF", 4) || (img[4] != 1 && img[4] != 2) || img[5] != 1)
		return 0;
	unsigned cls = img[4] == 2 ? 64 : 32;
	unsigned shnum = load_le16(img + (cls == 64 ? 60 : 48));
	unsigned n = 0;
	for (unsigned i = 1; i < shnum; i++) {
		struct elf_shdr st;
		unsigned esz = cls == 64 ? 24 : 16;
		if (!shdr_read(img, len, cls, i, &st) || st.type != ELF_SHT_SYMTAB ||
		    st.entsize != esz || !load_in_file(st.off, st.size, len))
			continue;
		for (uint64_t off = st.off; off + esz <= st.off + st.size; off += esz) {
			const uint8_t *s = img + off;
			unsigned info = cls == 64 ? s[4] : s[12];
			unsigned shndx = load_le16(s + (cls == 64 ? 6 : 14));
			uint64_t value = cls == 64 ? load_le64(s + 8) : load_le32(s + 4);
			uint64_t size = cls == 64 ? load_le64(s + 16) : load_le32(s + 8);
			if ((info & 0xf) == ELF_STT_OBJECT)
				add_object(img, len, cls, shnum, shndx, value, size, out, max, &n);
		}
	}
	unsigned stored = VMM_MIN(n, max);
	qsort(out, stored, sizeof(*out), range_cmp);
	return stored;
}
