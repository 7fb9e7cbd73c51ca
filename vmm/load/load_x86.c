/* load_x86.c: what the loaders build for the CPU: the boot GDT, identity
 * page tables for the 64-bit entry, the entry states (real, 32-bit flat
 * protected, 64-bit long mode), and the Linux boot_params ("zero page") with
 * its command line, initrd and e820 map, shared by the ELF64 and bzImage
 * loaders. The states are documented in docs/boot.md. */
#include "vmm/load/load_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* GDT at LOAD_GDT_ADDR: 0x00 null, 0x08 and 0x10 flat code (32-bit, or
 * 64-bit with L=1 for long mode), 0x18 flat read/write data. 0x10/0x18 are
 * Linux's __BOOT_CS/__BOOT_DS (boot.rst, "32-bit/64-bit BOOT PROTOCOL"); the
 * accessed bits are preset so the CPU never writes the table. */
int load_x86_gdt(const struct guest_mem *m, bool long_mode)
{
	struct x86_seg code, data;
	uint8_t buf[LOAD_GDT_ENTRIES * 8] = { 0 };
	x86_seg_flat(&code, LOAD_SEL_CODE, true, long_mode);
	x86_seg_flat(&data, LOAD_SEL_DATA, false, false);
	load_put64(buf + 0x08, x86_seg_to_desc(&code));
	load_put64(buf + LOAD_SEL_CODE, x86_seg_to_desc(&code));
	load_put64(buf + LOAD_SEL_DATA, x86_seg_to_desc(&data));
	if (mem_write(m, LOAD_GDT_ADDR, buf, sizeof(buf))) {
		vmm_err("load: cannot write the GDT at %#llx", LOAD_GDT_ADDR);
		return -EFAULT;
	}
	return 0;
}

/* Identity map of the first 4 GiB: PML4[0] -> PDPT, PDPT[0..3] -> four
 * page directories of 2 MiB pages (SDM 3A 4.5, tables 4-15, 4-17), present
 * and writable. */
int load_x86_page_tables(const struct guest_mem *m)
{
	uint64_t *pd = calloc(4 * 512, sizeof(*pd));
	uint64_t pml4[512] = { 0 }, pdpt[512] = { 0 };
	if (!pd) {
		vmm_err("load: page tables: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	pml4[0] = LOAD_PDPT_ADDR | X86_PTE_P | X86_PTE_RW;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (LOAD_PD_ADDR + i * 4096) | X86_PTE_P | X86_PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i * 2 * MiB) | X86_PTE_P | X86_PTE_RW | X86_PTE_PS;
	int r = 0;
	if (mem_write(m, LOAD_PML4_ADDR, pml4, sizeof(pml4)) ||
	    mem_write(m, LOAD_PDPT_ADDR, pdpt, sizeof(pdpt)) ||
	    mem_write(m, LOAD_PD_ADDR, pd, 4 * 512 * sizeof(*pd))) {
		vmm_err("load: cannot write the page tables at %#llx", LOAD_PML4_ADDR);
		r = -EFAULT;
	}
	free(pd);
	return r;
}

void load_x86_state_real(struct x86_state *s, uint16_t cs, uint16_t ip, uint16_t sp)
{
	x86_state_reset(s);
	s->cr0 = X86_CR0_ET; /* caches on, as a BIOS leaves them */
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		x86_seg_real(&s->seg[i], 0, false);
	x86_seg_real(&s->seg[X86_CS], cs, true);
	s->rip = ip;
	s->gpr[X86_RSP] = sp;
	s->idt.base = 0;
	s->idt.limit = 0x3ff; /* the real-mode IVT */
}

/* Flat segments from the boot GDT, no IDT, a TR that never faults. */
static void state_prot(struct x86_state *s, gpa_t entry, bool long_mode)
{
	x86_state_reset(s);
	x86_seg_flat(&s->seg[X86_CS], LOAD_SEL_CODE, true, long_mode);
	static const enum x86_sreg data[] = { X86_ES, X86_SS, X86_DS, X86_FS, X86_GS };
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(data); i++)
		x86_seg_flat(&s->seg[data[i]], LOAD_SEL_DATA, false, false);
	s->gdt.base = LOAD_GDT_ADDR;
	s->gdt.limit = LOAD_GDT_ENTRIES * 8 - 1;
	s->idt.base = 0;
	s->idt.limit = 0x3ff;
	/* SDM 3A 7.2.1: a busy TSS (32-bit, or 64-bit in long mode: same type). */
	memset(&s->tr, 0, sizeof(s->tr));
	s->tr.type = X86_SEG_TYPE_TSS32_BUSY;
	s->tr.present = 1;
	s->tr.limit = 0x67;
	s->rflags = X86_FLAGS_FIXED; /* IF and VM clear */
	s->rip = entry;
	s->gpr[X86_RSP] = LOAD_STACK_TOP;
}

/* Multiboot spec 3.2 "Machine state": PE set, PG clear, IF/VM clear. */
void load_x86_state_prot32(struct x86_state *s, gpa_t entry)
{
	state_prot(s, entry, false);
	s->cr0 = X86_CR0_PE | X86_CR0_ET;
}

/* boot.rst "64-bit BOOT PROTOCOL": long mode, paging on with an identity
 * map, __BOOT_CS/__BOOT_DS, interrupts off. RSI is set by the caller. */
void load_x86_state_long(struct x86_state *s, gpa_t entry)
{
	state_prot(s, entry, true);
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s->cr3 = LOAD_PML4_ADDR;
	s->cr4 = X86_CR4_PAE;
	s->efer = X86_EFER_LME | X86_EFER_LMA;
}

static int check_cmdline(const struct load_image *im, const struct load_plan *plan,
			 struct load_linux_boot *lb)
{
	lb->cmdline = im->p->cmdline ? im->p->cmdline : "";
	lb->cmdline_len = strlen(lb->cmdline);
	uint64_t max = VMM_MIN(plan->linux.cmdline_max, LOAD_CMDLINE_MAX - 1);
	if (lb->cmdline_len > max) {
		vmm_err("%s: command line is %llu bytes; %s takes at most %llu", im->name,
			(unsigned long long)lb->cmdline_len,
			plan->linux.cmdline_max < LOAD_CMDLINE_MAX - 1 ? "the kernel (cmdline_size)"
								       : "the loader",
			(unsigned long long)max);
		return -E2BIG;
	}
	return 0;
}

/* boot.rst "initrd_addr_max": the initrd goes as high as it may, page
 * aligned, and above the kernel's decompression footprint (init_size). */
static int place_initrd(const struct guest_mem *m, const struct load_plan *plan,
			struct load_linux_boot *lb)
{
	uint64_t size = lb->initrd.len;
	uint64_t top = load_ram_end(m);
	if (plan->linux.initrd_max < top)
		top = plan->linux.initrd_max + 1;
	gpa_t addr = size <= top ? VMM_ALIGN_DOWN(top - size, 4096) : 0;
	if (size > top || addr < plan->linux.reserved_end) {
		vmm_err("%s: initrd of %llu bytes does not fit between the kernel's end %#llx "
			"and %#llx (initrd_addr_max or the end of low RAM)", lb->initrd.path,
			(unsigned long long)size, (unsigned long long)plan->linux.reserved_end,
			(unsigned long long)top);
		return -ENOSPC;
	}
	lb->initrd_addr = addr;
	return 0;
}

int load_x86_linux_prepare(const struct load_image *im, const struct guest_mem *m,
			   const struct load_plan *plan, struct load_linux_boot *lb)
{
	memset(lb, 0, sizeof(*lb));
	int r = check_cmdline(im, plan, lb);
	if (r || !im->p->initrd || !*im->p->initrd)
		return r;
	r = load_file_open(&lb->initrd, im->p->initrd);
	if (r)
		return r;
	lb->has_initrd = true;
	r = place_initrd(m, plan, lb);
	if (r)
		load_x86_linux_abort(lb);
	return r;
}

void load_x86_linux_abort(struct load_linux_boot *lb)
{
	if (lb->has_initrd)
		load_file_close(&lb->initrd);
	lb->has_initrd = false;
}

/* zero-page.rst: e820_entries at 0x1e8, e820_table at 0x2d0 (20 bytes each). */
static void zp_fill(const struct guest_mem *m, const struct load_linux_boot *lb, uint8_t *zp)
{
	struct e820_entry e[MEM_MAX_E820];
	unsigned n = mem_e820(m, e, MEM_MAX_E820);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *d = zp + LX_E820_TABLE + 20 * i;
		load_put64(d, e[i].addr);
		load_put64(d + 8, e[i].size);
		load_put32(d + 16, e[i].type);
	}
	zp[LX_E820_ENTRIES] = (uint8_t)n;
	zp[LX_TYPE_OF_LOADER] = 0xff; /* boot.rst: "undefined" boot loader */
	zp[LX_LOADFLAGS] |= LX_CAN_USE_HEAP;
	/* The setup code does not run (32- and 64-bit entries); the heap is
	 * given as the zero page's own span up to the page tables' place. */
	load_put16(zp + LX_HEAP_END_PTR, (uint16_t)(LOAD_PML4_ADDR - LOAD_ZERO_PAGE - 0x200));
	load_put32(zp + LX_CMD_LINE_PTR, (uint32_t)LOAD_CMDLINE_ADDR);
	load_put32(zp + LX_RAMDISK_IMAGE, lb->has_initrd ? (uint32_t)lb->initrd_addr : 0);
	load_put32(zp + LX_RAMDISK_SIZE, lb->has_initrd ? (uint32_t)lb->initrd.len : 0);
}

int load_x86_linux_commit(const struct load_image *im, const struct guest_mem *m,
			  struct load_linux_boot *lb, uint8_t *zp, gpa_t entry, unsigned bits,
			  struct load_result *res)
{
	bool long_mode = bits == 64;
	int r = 0;
	zp_fill(m, lb, zp);
	/* zero-page.rst: acpi_rsdp_addr (protocol 2.14+; older kernels ignore it) */
	load_put64(zp + LX_ACPI_RSDP_ADDR, im->p->acpi_rsdp);
	if (mem_write(m, LOAD_CMDLINE_ADDR, lb->cmdline, lb->cmdline_len + 1) ||
	    (lb->has_initrd && mem_write(m, lb->initrd_addr, lb->initrd.data, lb->initrd.len)) ||
	    mem_write(m, LOAD_ZERO_PAGE, zp, LX_ZP_SIZE)) {
		vmm_err("%s: cannot write the command line, initrd or zero page", im->name);
		r = -EFAULT;
	}
	if (!r && long_mode)
		r = load_x86_page_tables(m);
	if (!r)
		r = load_x86_gdt(m, long_mode);
	if (!r) {
		/* boot.rst "32-bit BOOT PROTOCOL": flat __BOOT_CS/__BOOT_DS,
		 * paging off, interrupts off, ESI = boot_params and EBP, EDI,
		 * EBX zero (x86_state_reset cleared them) */
		if (long_mode)
			load_x86_state_long(&res->entry, entry);
		else
			load_x86_state_prot32(&res->entry, entry);
		res->entry.gpr[X86_RSI] = LOAD_ZERO_PAGE;
		res->cmdline_addr = LOAD_CMDLINE_ADDR;
		res->cmdline_size = (uint32_t)lb->cmdline_len + 1;
		res->initrd_addr = lb->has_initrd ? lb->initrd_addr : 0;
		res->initrd_size = lb->has_initrd ? lb->initrd.len : 0;
	}
	load_x86_linux_abort(lb);
	return r;
}

int load_x86_linux_boot(const struct load_image *im, const struct guest_mem *m,
			const struct load_plan *plan, struct load_result *res, load_zp_fill_fn fill)
{
	struct load_linux_boot lb;
	int r = load_x86_linux_prepare(im, m, plan, &lb);
	if (r)
		return r;
	uint8_t *zp = calloc(1, LX_ZP_SIZE);
	if (!zp) {
		vmm_err("%s: zero page: %s", im->name, strerror(ENOMEM));
		load_x86_linux_abort(&lb);
		return -ENOMEM;
	}
	r = load_plan_copy(im, m, plan, res);
	if (r) {
		load_x86_linux_abort(&lb);
	} else {
		fill(zp, im, plan);
		r = load_x86_linux_commit(im, m, &lb, zp, plan->entry, plan->bits, res);
	}
	free(zp);
	return r;
}
