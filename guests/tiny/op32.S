/* tiny-op32: instructions that are valid in 32-bit code but invalid or
 * different in 64-bit mode, in ring 0 and then in ring 3: 82 /r ib, PUSH/POP
 * ES/CS/SS/DS, DAA/DAS/AAA/AAS/AAM/AAD, BOUND, LES/LDS, ARPL, SALC, one-byte
 * INC/DEC, PUSHA/POPA, INTO, far CALL/JMP ptr16:32. bt must interpret them
 * or re-encode them, never copy them into host code (0x82 copied killed the
 * host process with SIGILL). After each instruction `snap` folds the eight
 * GPRs and the flags the SDM defines for it into a hash; each group prints
 * its hash (the expected values come from QEMU). */
#include "tiny.h"
	MULTIBOOT_HEADER

	/* SNAP mask: fold the registers and (flags & mask) into the hash */
	.macro SNAP mask
	movl $\mask, fmask
	call snap
	.endm

	/* REPORT name: print "NAME HASH" and restart the hash */
	.macro REPORT name
	mov $\name, %esi
	call report
	.endm

	.macro GATE vector, handler
	mov $\handler, %eax
	mov %ax, idt + \vector * 8
	shr $16, %eax
	mov %ax, idt + \vector * 8 + 6
	.endm

#define ALL 0x8d5	/* OF SF ZF AF PF CF */
#define LOGIC 0x8c5	/* AF undefined */

	.text
	.code32
	.globl _start
_start:
	mov $0x90000, %esp
	lgdt gdtr
	ljmp $0x08, $1f
1:	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	GATE 0, de_handler
	GATE 4, of_handler
	GATE 5, br_handler
	lidt idtr
	mov $start_msg, %esi
	call puts
	call group_82
	REPORT n_82
	call group_seg
	REPORT n_seg
	call group_bcd
	REPORT n_bcd
	call group_bound
	REPORT n_bound
	call group_ptr
	REPORT n_ptr
	call group_misc
	REPORT n_misc
	call group_stack
	REPORT n_stack
	call group_far
	REPORT n_far
	/* ring 3 (IOPL 3: it may print and exit), flat DPL-3 segments */
	push $0x33
	push $0x80000
	pushf
	orl $0x3000, (%esp)
	push $0x2b
	push $user
	iret

/* 82 /r ib: the 8-bit group-1 alias, #UD in 64-bit mode */
group_82:
	xor %esi, %esi			/* Multiboot leaves these undefined */
	xor %edi, %edi
	xor %ebp, %ebp
	mov $0x12345678, %eax
	mov $0x9abcdef0, %ebx
	mov $0x0fedcba9, %ecx
	mov $0x87654321, %edx
	.byte 0x82, 0xc0, 0x7f		/* add al, 0x7f */
	SNAP ALL
	.byte 0x82, 0xc9, 0x81		/* or cl, 0x81 */
	SNAP LOGIC
	stc
	.byte 0x82, 0xd2, 0xff		/* adc dl, 0xff */
	SNAP ALL
	stc
	.byte 0x82, 0xdb, 0x01		/* sbb bl, 1 */
	SNAP ALL
	.byte 0x82, 0xe4, 0xf0		/* and ah, 0xf0 */
	SNAP LOGIC
	.byte 0x82, 0xed, 0x80		/* sub ch, 0x80 */
	SNAP ALL
	.byte 0x82, 0xf6, 0x55		/* xor dh, 0x55 */
	SNAP LOGIC
	.byte 0x82, 0xff, 0x12		/* cmp bh, 0x12 */
	SNAP ALL
	movl $0x80ff7f01, m82
	.byte 0x82, 0x05		/* add byte [m82], 0xff */
	.long m82
	.byte 0xff
	SNAP ALL
	mov $m82, %esi
	.byte 0x82, 0x6e, 0x01, 0x80	/* sub byte [esi+1], 0x80 */
	SNAP ALL
	.byte 0xf0, 0x82, 0x4e, 0x02, 0x0f	/* lock or byte [esi+2], 0x0f */
	SNAP LOGIC
	.byte 0x82, 0x3c, 0x24, 0x00	/* cmp byte [esp], 0 */
	SNAP ALL
	mov m82, %edi
	SNAP 0
	ret

/* PUSH/POP of ES CS SS DS (one byte each; #UD in 64-bit mode), FS, GS */
group_seg:
	mov $0x18, %ax
	mov %ax, %es
	push %es
	push %cs
	push %ss
	push %ds
	pop %eax
	pop %ebx
	pop %ecx
	pop %edx
	SNAP 0
	push $0x10
	pop %es
	mov %es, %esi
	push $0x18
	pop %ds
	mov %ds, %edi
	push %ss
	pop %ss
	push $0x10
	pop %ds
	SNAP 0
	mov $-1, %eax
	pushw %es
	popw %ax
	pushw %cs
	popw %bx
	mov $0x18, %cx
	mov %cx, %fs
	push %fs
	push %gs
	pop %fs
	pop %gs
	mov %fs, %ecx
	mov %gs, %edx
	SNAP 0
	mov $0x10, %ax
	mov %ax, %fs
	mov %ax, %gs
	ret

/* BCD adjustments (only the flags each one defines) */
group_bcd:
	mov $0x79, %al
	add $0x35, %al
	daa
	SNAP 0xd5
	mov $0x35, %al
	sub $0x47, %al
	das
	SNAP 0xd5
	mov $0x0109, %eax
	add $0x08, %al
	aaa
	SNAP 0x11
	mov $0x0203, %eax
	sub $0x08, %al
	aas
	SNAP 0x11
	mov $0x4f, %eax
	aam
	SNAP 0xc4
	mov $0x0705, %eax
	aad
	SNAP 0xc4
	mov $0xff, %eax
	.byte 0xd4, 0x10		/* aam 16 */
	SNAP 0xc4
	mov $0x0303, %eax
	.byte 0xd5, 0x07		/* aad 7 */
	SNAP 0xc4
	movl $0, last_vec
	mov $0x1234, %eax
	.byte 0xd4, 0x00		/* aam 0: #DE */
	mov last_vec, %edi
	SNAP 0
	ret

/* BOUND: inside, on both edges, outside (#BR, a fault) */
group_bound:
	mov $bounds, %ebx
	movl $0, last_vec
	mov $15, %eax
	bound %eax, (%ebx)
	mov $-5, %eax
	bound %eax, (%ebx)
	mov $5, %eax
	bound %eax, (%ebx)
	mov last_vec, %edi
	SNAP 0
	mov $6, %eax
	bound %eax, (%ebx)		/* 62 03: the handler skips 2 bytes */
	mov last_vec, %edi
	SNAP 0
	ret

/* LES/LDS (VEX prefixes in 64-bit mode), ARPL (MOVSXD there) */
group_ptr:
	mov $fptr, %ebx
	les (%ebx), %ecx
	mov %es, %eax
	SNAP 0
	lds (%ebx), %edx
	mov %ds, %eax
	mov $0x10, %si
	mov %si, %ds
	mov %si, %es
	SNAP 0
	mov $0x0010, %eax
	mov $0x0003, %ebx
	arpl %bx, %ax
	SNAP ALL
	arpl %bx, %ax
	SNAP ALL
	movw $0x0021, sel
	mov $0x0002, %ecx
	arpl %cx, sel
	movzwl sel, %edx
	SNAP ALL
	ret

/* SALC, one-byte INC/DEC (REX prefixes in 64-bit mode), INTO */
group_misc:
	mov $0x1234, %eax
	stc
	.byte 0xd6			/* salc */
	SNAP ALL
	clc
	.byte 0xd6
	SNAP ALL
	mov $0x7fffffff, %eax
	mov $-1, %ecx
	mov $0x8000, %edx
	xor %ebx, %ebx
	mov $1, %esi
	mov $0x80000000, %edi
	mov $0x100, %ebp
	stc
	.byte 0x40, 0x41, 0x42, 0x43, 0x45, 0x46, 0x47	/* inc eax ... edi */
	SNAP ALL
	.byte 0x48, 0x49, 0x4a, 0x4b, 0x4d, 0x4e, 0x4f	/* dec eax ... edi */
	SNAP ALL
	.byte 0x44, 0x44, 0x4c		/* inc esp twice, dec esp */
	mov %esp, %eax
	.byte 0x4c			/* dec esp */
	SNAP ALL
	.byte 0x66, 0x42		/* inc dx */
	.byte 0x66, 0x49		/* dec cx */
	SNAP ALL
	movl $0, last_vec
	xor %eax, %eax
	into				/* OF=0: nothing */
	mov last_vec, %edi
	SNAP 0
	mov $0x7f, %al
	add $1, %al
	into				/* OF=1: #OF, a trap */
	mov last_vec, %edi
	SNAP 0
	ret

/* PUSHA/POPA, 32- and 16-bit */
group_stack:
	mov $0x11111111, %eax
	mov $0x22222222, %ecx
	mov $0x33333333, %edx
	mov $0x44444444, %ebx
	mov $0x55555555, %ebp
	mov $0x66666666, %esi
	mov $0x77777777, %edi
	pusha
	mov 12(%esp), %eax		/* the pushed ESP */
	sub %esp, %eax
	xor %ecx, %ecx
	xor %edx, %edx
	xor %ebp, %ebp
	SNAP 0
	popa
	SNAP 0
	.byte 0x66, 0x60		/* pushaw */
	mov 6(%esp), %eax
	movzwl %sp, %ecx
	sub %ecx, %eax
	mov $-1, %ebx
	.byte 0x66, 0x61		/* popaw */
	SNAP 0
	ret

/* far CALL/JMP ptr16:32 (#UD in 64-bit mode) */
group_far:
	xor %eax, %eax
	lcall $0x20, $far_target
	mov %eax, %ebx
	mov %cs, %eax
	SNAP 0
	ljmp $0x20, $1f
1:	mov %cs, %ecx
	ljmp $0x08, $2f
2:	mov %cs, %edx
	SNAP 0
	ret
far_target:
	mov %cs, %eax
	lret

/* ring 3: the same kinds once more, then print and exit */
user:
	xor %esi, %esi
	xor %edi, %edi
	xor %ebp, %ebp
	mov $0x33, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %fs
	mov %ax, %gs
	mov $0x12345678, %eax
	mov $0x9abcdef0, %ebx
	.byte 0x82, 0xc0, 0x7f		/* add al, 0x7f */
	SNAP ALL
	movl $0x01020304, m82
	.byte 0x82, 0x2d		/* sub byte [m82], 0x10 */
	.long m82
	.byte 0x10
	mov m82, %ecx
	SNAP ALL
	push %es
	push %cs
	push %ss
	pop %edx
	pop %esi
	pop %es
	mov %es, %edi
	SNAP 0
	mov $0x38, %al
	add $0x38, %al
	daa
	SNAP 0xd5
	mov $0x63, %eax
	aam
	SNAP 0xc4
	stc
	.byte 0xd6
	.byte 0x43, 0x4b, 0x4b		/* inc ebx, dec ebx twice */
	SNAP ALL
	pusha
	mov $-1, %eax
	popa
	SNAP 0
	mov $0x0020, %eax
	mov $0x0003, %ebx
	arpl %bx, %ax
	SNAP ALL
	mov $bounds, %ebx
	mov $0, %eax
	bound %eax, (%ebx)
	mov $ufptr, %ebx
	les (%ebx), %ecx
	mov %es, %edx
	SNAP 0
	xor %eax, %eax
	into
	lcall $0x2b, $ufar
	SNAP 0
	REPORT n_user
	mov $bye, %esi
	call puts
	EXIT 0
ufar:
	mov %cs, %eax
	lret

/* snap: hash = (hash * 0x01000193) ^ x for the eight GPRs as PUSHA saw
 * them, then for (EFLAGS & fmask); every register and flag preserved */
snap:
	pushf
	pusha
	mov hash, %edx
	mov %esp, %esi
	mov $8, %ecx
1:	imul $0x01000193, %edx, %edx
	xor (%esi), %edx
	add $4, %esi
	loop 1b
	mov 32(%esp), %eax
	and fmask, %eax
	imul $0x01000193, %edx, %edx
	xor %eax, %edx
	mov %edx, hash
	popa
	popf
	ret

report:
	call puts
	mov hash, %eax
	call puthex
	mov $nl, %esi
	call puts
	movl $0x811c9dc5, hash
	ret

/* AAM 0: #DE (a fault: skip the two bytes); BOUND: #BR (a fault: skip
 * 62 03); INTO: #OF (a trap: EIP is already past it) */
de_handler:
	movl $0, last_vec
	addl $2, (%esp)
	iret
br_handler:
	movl $5, last_vec
	addl $2, (%esp)
	iret
of_handler:
	movl $4, last_vec
	iret

	DEFINE_PUTS
	DEFINE_PUTHEX
start_msg: .asciz "tiny: 32-bit-only instructions\n"
n_82:	.asciz "op82 "
n_seg:	.asciz "seg "
n_bcd:	.asciz "bcd "
n_bound: .asciz "bound "
n_ptr:	.asciz "ptr "
n_misc:	.asciz "misc "
n_stack: .asciz "stack "
n_far:	.asciz "far "
n_user:	.asciz "user "
nl:	.asciz "\n"
bye:	.asciz "done\n"

	.data
	.balign 4096			/* data off the code page */
hash:	.long 0x811c9dc5
fmask:	.long 0
last_vec: .long 0
m82:	.long 0
sel:	.word 0
	.balign 4
bounds:	.long -5, 15
fptr:	.long 0x11223344
	.word 0x18
ufptr:	.long 0x55667788
	.word 0x33
	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08 code */
	.quad 0x00cf92000000ffff	/* 0x10 data */
	.quad 0x00cf92000000ffff	/* 0x18 data (a second selector) */
	.quad 0x00cf9a000000ffff	/* 0x20 code (a second selector) */
	.quad 0x00cffa000000ffff	/* 0x28 user code */
	.quad 0x00cff2000000ffff	/* 0x30 user data */
gdtr:	.word 7 * 8 - 1
	.long gdt
	.balign 8
idt:	.rept 32
	.word 0, 0x08, 0x8e00, 0
	.endr
idtr:	.word 32 * 8 - 1
	.long idt
