/* guests/arch/start_64.S: Multiboot v1 header and entry of the 64-bit build.
 * The loader enters _start in 32-bit protected mode (the image is an ELF32
 * container, see docs/guests.md). We zero .bss, load the static identity
 * map of the first GiB (2 MiB pages, below), enable long mode (SDM 3A
 * 10.8.5: CR4.PAE, CR3, EFER.LME, then CR0.PG) and far-jump to 64-bit
 * code, which calls rt_main(mbi). PV builds (-DRT_PV) also map the VMI ROM
 * window (the top 2 MiB below 4 GiB) and have a second entry for the pv
 * engine, rt_pv_start64, named by their note (docs/vmi.md). */
#include "multiboot.h"
#ifdef RT_PV
#include "vmm/pv/pv_abi.h"
#endif

	.section .multiboot, "a"
	.p2align 2
	.long MB_HEADER_MAGIC, MB_HEADER_FLAGS, -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.section .text.boot, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	cmp $MB_BOOT_MAGIC, %eax
	jne 9f
	mov %ebx, %ebp
	/* Our GDT's 0x08 is a 64-bit segment, which is 16-bit code outside
	 * IA-32e mode (SDM 3A 3.4.5: L is only meaningful in IA-32e mode), so
	 * run the rest of this stub on the 32-bit SEL_KCODE32. */
	lgdt rt_gdt_ptr
	ljmp $0x48, $1f
1:	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx
	rep stosl
	mov $boot_stack_top, %esp
	mov %cr4, %eax
	or $0x20, %eax			/* CR4.PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	or $0x100, %eax
	wrmsr
	mov %cr0, %eax
	or $0x80010000, %eax		/* CR0.PG | CR0.WP */
	mov %eax, %cr0
	ljmp $0x08, $3f

	.code64
3:	mov $boot_stack_top, %rsp
	mov %ebp, %edi
	call rt_main
#ifdef RT_PV
/* The pv engine starts here in 64-bit mode (RBX = the Multiboot info) on
 * its own identity map: the same as the path above from 3:, with the boot
 * page tables loaded through the ROM. */
	.globl rt_pv_start64
rt_pv_start64:
	cld
	mov %ebx, %ebp
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	mov $boot_stack_top, %esp
	mov $boot_pml4, %edi
	movabs $(PV_ROM_DEFAULT_ADDR + 48 + 8 * PV_CALL_WRITE_CR3), %rax
	call *(%rax)
	movabs $(PV_ROM_DEFAULT_ADDR + 48 + 8 * PV_CALL_READ_CR0), %rax
	call *(%rax)
	or $0x80010000, %eax		/* CR0.PG | CR0.WP, as the native path */
	mov %rax, %rdi
	movabs $(PV_ROM_DEFAULT_ADDR + 48 + 8 * PV_CALL_WRITE_CR0), %rax
	call *(%rax)
	mov %ebp, %edi
	call rt_main
#endif
	.code32
9:	mov $0x7f, %eax
	outl %eax, $0xf4
4:	hlt
	jmp 4b

/* PML4[0] -> PDPT[0] -> PD of 512 2 MiB pages (SDM 3A 4.5): present,
 * writable, ring-0 only. Static data, so the stub runs no loop to build
 * it (every instruction of this 32-bit stub is emulated on some hosts). */
	.data
	.p2align 12
	.globl boot_pml4, boot_pdpt, boot_pd
boot_pml4:
	.quad boot_pdpt + 3
	.fill 511, 8, 0
boot_pdpt:
	.quad boot_pd + 3
#ifdef RT_PV
	.quad 0, 0
	.quad boot_pd_rom + 3	/* 3-4 GiB: the ROM window */
	.fill 508, 8, 0
#else
	.fill 511, 8, 0
#endif
boot_pd:
	.set pa, 0
	.rept 512
	.quad pa + 0x83
	.set pa, pa + 0x200000
	.endr
#ifdef RT_PV
	.globl boot_pd_rom
boot_pd_rom:
	.fill 511, 8, 0
	.quad 0xffe00000 + 0x83	/* 2 MiB holding the ROM window, ring 0 */
#endif

	.section .bss.stack, "aw", @nobits
	.p2align 12
	.globl boot_stack
boot_stack:
	.space 16384
	.globl boot_stack_top
boot_stack_top:
