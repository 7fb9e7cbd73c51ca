/* hw_compat_guests.S: the hw compatibility probe's guest, assembled into the
 * triplex binary as data. One flat image loaded at HW_PROBE_BASE (0x1000)
 * with one entry point per test (the table at its start). Every test ends by
 * writing a 32-bit result to port 0x99: 0x600d = passed; 0x600X = an
 * interrupt handler ran at CPL X; 0xE0VV = exception vector VV was taken.
 * Fixed scratch memory (the probe VM has 2 MiB): TSS32 0x12000, TSS64
 * 0x13000, IDT 0x14000, page tables 0x20000-0x26fff, user stack 0x70000,
 * kernel stack 0x80000. */

#define BASE 0x1000
#define A(x) ((x) - hw_probe_blob + BASE)
#define RESULT_PORT 0x99
#define IDT 0x14000
#define TSS32 0x12000
#define TSS64 0x13000
#define IDT 0x14000
#define KSTACK 0x80000
#define USTACK 0x70000

#include "vmm/core/probe_guest.inc"

	.section .rodata
	.globl hw_probe_blob
	.globl hw_probe_blob_end
	.balign 4096
hw_probe_blob:
	/* entry table: one 32-bit address per enum hw_compat_test */
	.long A(real_entry)
	.long A(prot32_entry)
	.long A(iret32_entry)
	.long A(user_int32_entry)
	.long A(paging32_entry)
	.long A(pae32_entry)
	.long A(long_switch_entry)
	.long A(user_int64_entry)
	.long A(syscall64_entry)
	.long A(user_exc64_entry)

	PROBE_GDT

/* ---------------- real mode ---------------- */
	.code16
real_entry:
	mov $0x600d, %eax
	out %eax, $RESULT_PORT
	cli
1:	hlt
	jmp 1b

/* ---------------- 32-bit protected mode ---------------- */
	.code32
/* Load our GDT and segments, an IDT whose vectors 0-31 report themselves,
 * and a stack; returns to the caller (called with a valid flat stack). */
setup32:
	lgdt A(gdtr)
	ljmp $0x08, $A(1f)
1:	mov $0x18, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	PROBE_IDT32_FILL
	/* int 0x80: a DPL 3 gate */
	mov $A(int80_32), %eax
	mov $(IDT + 0x80 * 8), %edi
	mov %ax, (%edi)
	movw $0x08, 2(%edi)
	movw $0xee00, 4(%edi)
	shr $16, %eax
	mov %ax, 6(%edi)
	lidt A(idtr32)
	ret

idtr32:
	.word 256 * 8 - 1
	.long IDT

	PROBE_STUBS32 RESULT_PORT
	.code32

int80_32:
	mov %cs, %eax
	and $3, %eax
	or $0x6000, %eax
	out %eax, $RESULT_PORT
1:	hlt
	jmp 1b

done32:
	mov $0x600d, %eax
	out %eax, $RESULT_PORT
1:	hlt
	jmp 1b

prot32_entry:
	mov $KSTACK, %esp
	call setup32
	/* a little arithmetic: sum 1..100 must be 5050 */
	xor %eax, %eax
	mov $100, %ecx
1:	add %ecx, %eax
	loop 1b
	cmp $5050, %eax
	jne 2f
	jmp done32
2:	mov $0xbad0, %eax
	out %eax, $RESULT_PORT
	hlt

/* An interrupt handled at CPL 0 and returned from with iret. */
iret32_entry:
	mov $KSTACK, %esp
	call setup32
	mov $A(iret_handler), %eax
	mov $(IDT + 0x81 * 8), %edi
	mov %ax, (%edi)
	movw $0x08, 2(%edi)
	movw $0x8e00, 4(%edi)
	shr $16, %eax
	mov %ax, 6(%edi)
	int $0x81
	jmp done32
iret_handler:
	iret

user_int32_entry:
	mov $KSTACK, %esp
	call setup32
	movl $KSTACK, (TSS32 + 4)	/* esp0 */
	movl $0x18, (TSS32 + 8)		/* ss0 */
	mov $0x38, %ax
	ltr %ax
	push $(0x28 | 3)		/* ss */
	push $USTACK			/* esp */
	push $0x2			/* eflags */
	push $(0x20 | 3)		/* cs */
	push $A(user32)
	iret
user32:
	int $0x80
1:	jmp 1b

/* 32-bit two-level paging, identity-mapping the first 4 MiB with 4 KiB pages. */
paging32_entry:
	mov $KSTACK, %esp
	call setup32
	mov $0x21000, %edi		/* page table */
	mov $0x7, %eax
	mov $1024, %ecx
1:	mov %eax, (%edi)
	add $0x1000, %eax
	add $4, %edi
	loop 1b
	movl $(0x21000 | 7), (0x20000)	/* PDE 0 */
	mov $0x20000, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	jmp done32

/* 32-bit PAE paging: PDPT -> PD with two 2 MiB pages. */
pae32_entry:
	mov $KSTACK, %esp
	call setup32
	movl $(0x23000 | 1), (0x22000)	/* PDPTE 0: P only (bits 1-2 reserved) */
	movl $0x83, (0x23000)
	movl $0x200083, (0x23008)
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $0x22000, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	jmp done32

/* Enter long mode the way a Multiboot kernel does; returns in 64-bit mode
 * with a 64-bit IDT (via jmp to the address in %esi... we use a flag). */
long_switch:
	movl $(0x25000 | 7), (0x24000)	/* PML4E 0 */
	movl $(0x26000 | 7), (0x25000)	/* PDPTE 0 */
	movl $0x87, (0x26000)		/* PDE 0: 2 MiB, user */
	movl $0x200087, (0x26008)
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov $0x24000, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x101, %eax			/* LME | SCE */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	ljmp $0x10, $A(long64)

	.code64
long64:
	mov $0x18, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $KSTACK, %rsp
	PROBE_IDT64_FILL
	/* int 0x80: a DPL 3 gate */
	mov $A(int80_64), %rax
	mov $(IDT + 0x80 * 16), %rdi
	mov %ax, (%rdi)
	movw $0x10, 2(%rdi)
	movw $0xee00, 4(%rdi)
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	lidt A(idtr64)
	movq $KSTACK, (TSS64 + 4)	/* rsp0 */
	mov $0x40, %ax
	ltr %ax
	jmp *(A(long_next))

idtr64:
	.word 256 * 16 - 1
	.quad IDT
long_next:
	.quad 0

	PROBE_STUBS64 RESULT_PORT
	.code64

int80_64:
syscall_handler:
	mov %cs, %eax
	and $3, %eax
	or $0x6000, %eax
	out %eax, $RESULT_PORT
1:	hlt
	jmp 1b

done64:
	mov $0x600d, %eax
	out %eax, $RESULT_PORT
1:	hlt
	jmp 1b

to_user64:
	push $(0x28 | 3)		/* ss */
	push $USTACK			/* rsp */
	push $0x2			/* rflags */
	push $(0x30 | 3)		/* cs */
	push %rbx			/* rip */
	iretq

user_int64:
	int $0x80
1:	jmp 1b

user_syscall64:
	syscall
1:	jmp 1b

user_ud64:
	ud2
1:	jmp 1b

after_long_user_exc:
	/* #UD from ring 3 must reach a CPL-0 handler: point vector 6 at it */
	mov $A(int80_64), %rax
	mov $(IDT + 6 * 16), %rdi
	mov %ax, (%rdi)
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	mov $A(user_ud64), %ebx
	jmp to_user64

after_long_user_int:
	mov $A(user_int64), %ebx
	jmp to_user64

after_long_syscall:
	/* STAR: syscall CS 0x10 / SS 0x18; sysret base 0x20 */
	mov $0xc0000081, %ecx
	xor %eax, %eax
	mov $0x00200010, %edx
	wrmsr
	mov $0xc0000082, %ecx		/* LSTAR */
	mov $A(syscall_handler), %eax
	xor %edx, %edx
	wrmsr
	mov $0xc0000084, %ecx		/* SFMASK: clear IF, TF */
	mov $0x300, %eax
	wrmsr
	mov $A(user_syscall64), %ebx
	jmp to_user64

	.code32
long_switch_entry:
	mov $KSTACK, %esp
	call setup32
	movl $A(done64), A(long_next)
	jmp long_switch

user_int64_entry:
	mov $KSTACK, %esp
	call setup32
	movl $A(after_long_user_int), A(long_next)
	jmp long_switch

syscall64_entry:
	mov $KSTACK, %esp
	call setup32
	movl $A(after_long_syscall), A(long_next)
	jmp long_switch

user_exc64_entry:
	mov $KSTACK, %esp
	call setup32
	movl $A(after_long_user_exc), A(long_next)
	jmp long_switch

hw_probe_blob_end:
	.section .note.GNU-stack, "", @progbits
