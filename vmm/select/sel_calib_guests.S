/* sel_calib_guests.S: the calibration guests, assembled into triplex as
 * data. One flat image loaded at CALIB_BASE, entered in flat 32-bit
 * protected mode at one of 2 * CALIB_NR_TESTS entry points (32-bit tests,
 * then 64-bit tests, table at the start). Each test does its set-up, writes
 * CALIB_START, performs CALIB_N_* operations, writes CALIB_STOP and halts.
 * Memory (CALIB_MEM = 4 MiB): TSS32 0x12000, TSS64 0x13000, IDT 0x14000,
 * 64-bit tables PML4 0x20000 PDPT 0x21000 PD 0x22000 PT 0x23000 (the first
 * 2 MiB in 4 KiB pages), 32-bit tables PD 0x24000 PT 0x25000 (the first
 * 4 MiB in 4 KiB pages); test pages from 0x100000; stacks 0x70000 (user)
 * and 0x80000 (kernel). */
#include "vmm/core/calib_guest.h"

#define A(x) ((x) - sel_calib_blob + CALIB_BASE)
#define TSS32 0x12000
#define TSS64 0x13000
#define IDT 0x14000
#define PML4 0x20000
#define PDPT 0x21000
#define PD64 0x22000
#define PT64 0x23000
#define PD32 0x24000
#define PT32 0x25000
#define TESTPG 0x100000
#define KSTACK 0x80000
#define USTACK 0x70000

#include "vmm/core/probe_guest.inc"

	.section .rodata
	.globl sel_calib_blob
	.globl sel_calib_blob_end
	.balign 4096
sel_calib_blob:
	.long A(t32_ring0), A(t32_ring3), A(t32_exit), A(t32_pf), A(t32_pte), A(t32_syscall)
	.long A(t64_ring0), A(t64_ring3), A(t64_exit), A(t64_pf), A(t64_pte), A(t64_syscall)

	PROBE_GDT
idtr32:	.word 256 * 8 - 1
	.long IDT
idtr64:	.word 256 * 16 - 1
	.quad IDT

	.code32
/* ---- 32-bit set-up ---- */
setup32:
	lgdt A(gdtr)
	ljmp $0x08, $A(1f)
1:	mov $0x18, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov %ax, %fs
	mov %ax, %gs
	PROBE_IDT32_FILL			/* every vector reports itself */
	lidt A(idtr32)
	movl $KSTACK, (TSS32 + 4)
	movl $0x18, (TSS32 + 8)
	mov $0x38, %ax
	ltr %ax
	ret

/* gate32 vector, handler, type (0x8e00 DPL 0, 0xee00 DPL 3) */
	.macro GATE32 vector, handler, type
	mov $A(\handler), %eax
	mov $(IDT + \vector * 8), %edi
	mov %ax, (%edi)
	movw $0x08, 2(%edi)
	movw $\type, 4(%edi)
	shr $16, %eax
	mov %ax, 6(%edi)
	.endm

	.macro MARK value
	mov $\value, %eax
	out %eax, $CALIB_PORT
	.endm

	PROBE_STUBS32 CALIB_PORT
	.code32

stop32:
	MARK CALIB_STOP
1:	hlt
	jmp 1b

/* 32-bit paging: identity-map the first 4 MiB with 4 KiB pages, the test
 * pages not present. */
paging32:
	mov $PT32, %edi
	mov $0x7, %eax
	mov $1024, %ecx
1:	mov %eax, (%edi)
	add $0x1000, %eax
	add $4, %edi
	loop 1b
	mov $(PT32 + (TESTPG >> 12) * 4), %edi
	mov $CALIB_N_PF, %ecx
2:	andl $~1, (%edi)
	add $4, %edi
	loop 2b
	movl $(PT32 | 7), (PD32)
	mov $PD32, %eax
	mov %eax, %cr3
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	ret

loop_body:				/* the measured 4-instruction loop */
	.macro LOOP4 count
	mov $\count, %ecx
	xor %eax, %eax
1:	add $3, %eax
	add %ecx, %edx
	dec %ecx
	jnz 1b
	.endm

t32_ring0:
	mov $KSTACK, %esp
	call setup32
	MARK CALIB_START
	LOOP4 CALIB_N_RING0
	jmp stop32

t32_ring3:				/* user code runs paged, as under any OS */
	mov $KSTACK, %esp
	call setup32
	call paging32
	mov $(0x28 | 3), %ax		/* user data segments, as an OS loads them */
	mov %ax, %ds
	mov %ax, %es
	push $(0x28 | 3)
	push $USTACK
	push $0x3002			/* IOPL 3: ring 3 may write the port */
	push $(0x20 | 3)
	push $A(user32_loop)
	iret
user32_loop:
	MARK CALIB_START
	LOOPU32(CALIB_N_RING3)
	MARK CALIB_STOP
1:	jmp 1b

t32_exit:
	mov $KSTACK, %esp
	call setup32
	MARK CALIB_START
	mov $CALIB_N_EXIT, %ecx
1:	out %al, $(CALIB_PORT + 4)
	dec %ecx
	jnz 1b
	jmp stop32

pf_handler32:				/* map the faulting page and retry */
	push %eax
	mov %cr2, %eax
	shr $12, %eax
	orl $1, PT32(,%eax,4)
	pop %eax
	add $4, %esp			/* error code */
	iret
t32_pf:
	mov $KSTACK, %esp
	call setup32
	GATE32 14, pf_handler32, 0x8e00
	call paging32
	MARK CALIB_START
	mov $TESTPG, %edi
	mov $CALIB_N_PF, %ecx
1:	mov (%edi), %eax
	add $0x1000, %edi
	dec %ecx
	jnz 1b
	jmp stop32

t32_pte:
	mov $KSTACK, %esp
	call setup32
	call paging32
	MARK CALIB_START
	mov $CALIB_N_PTE, %ecx
	mov $(TESTPG | 7), %ebx
1:	xor $0x1000, %ebx		/* alternate between two frames */
	mov %ebx, (PT32 + (TESTPG >> 12) * 4)
	invlpg (TESTPG)
	mov (TESTPG), %eax
	dec %ecx
	jnz 1b
	jmp stop32

sys_handler32:
	iret
t32_syscall:
	mov $KSTACK, %esp
	call setup32
	call paging32
	GATE32 0x80, sys_handler32, 0xee00
	mov $(0x28 | 3), %ax		/* user data segments, as an OS loads them */
	mov %ax, %ds
	mov %ax, %es
	push $(0x28 | 3)
	push $USTACK
	push $0x3002
	push $(0x20 | 3)
	push $A(user32_sys)
	iret
user32_sys:
	MARK CALIB_START
	mov $CALIB_N_SYSCALL, %ecx
1:	int $0x80
	dec %ecx
	jnz 1b
	MARK CALIB_STOP
1:	jmp 1b

/* ---- 64-bit ---- */
long_switch:				/* 32-bit: enter long mode, jump to %ebx */
	mov $PT64, %edi			/* PT: first 2 MiB, test pages absent */
	mov $0x7, %eax
	mov $512, %ecx
1:	mov %eax, (%edi)
	movl $0, 4(%edi)
	add $0x1000, %eax
	add $8, %edi
	loop 1b
	mov $(PT64 + (TESTPG >> 12) * 8), %edi
	mov $CALIB_N_PF, %ecx
2:	andl $~1, (%edi)
	add $8, %edi
	loop 2b
	movl $(PDPT | 7), (PML4)
	movl $(PD64 | 7), (PDPT)
	movl $(PT64 | 7), (PD64)
	movl $(0x200000 | 0x87), (PD64 + 8)
	mov %cr4, %eax
	or $0x20, %eax
	mov %eax, %cr4
	mov $PML4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx
	rdmsr
	or $0x101, %eax			/* LME | SCE */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax
	mov %eax, %cr0
	mov %ebx, A(long_target)
	ljmp $0x10, $A(long64)

t64_ring0:	mov $A(ring0_64), %ebx ; jmp t64_common
t64_ring3:	mov $A(ring3_64), %ebx ; jmp t64_common
t64_exit:	mov $A(exit_64), %ebx ; jmp t64_common
t64_pf:		mov $A(pf_64), %ebx ; jmp t64_common
t64_pte:	mov $A(pte_64), %ebx ; jmp t64_common
t64_syscall:	mov $A(syscall_64), %ebx ; jmp t64_common
t64_common:
	mov $KSTACK, %esp
	push %ebx
	call setup32
	pop %ebx
	jmp long_switch

	.code64
long_target: .quad 0
long64:
	mov $0x18, %ax
	mov %ax, %ds
	mov %ax, %ss
	mov $KSTACK, %rsp
	PROBE_IDT64_FILL
	lidt A(idtr64)
	movq $KSTACK, (TSS64 + 4)
	mov $0x40, %ax
	ltr %ax
	jmp *(A(long_target))

	PROBE_STUBS64 CALIB_PORT
	.code64

stop64:
	MARK CALIB_STOP
1:	hlt
	jmp 1b

	.macro TO_USER64 target
	push $(0x28 | 3)
	push $USTACK
	push $0x3002
	push $(0x30 | 3)
	push $A(\target)
	iretq
	.endm

ring0_64:
	MARK CALIB_START
	LOOP4 CALIB_N_RING0
	jmp stop64

ring3_64:
	TO_USER64 user64_loop
user64_loop:
	MARK CALIB_START
	LOOPU64(CALIB_N_RING3)
	MARK CALIB_STOP
1:	jmp 1b

exit_64:
	MARK CALIB_START
	mov $CALIB_N_EXIT, %ecx
1:	out %al, $(CALIB_PORT + 4)
	dec %ecx
	jnz 1b
	jmp stop64

pf_handler64:
	push %rax
	mov %cr2, %rax
	shr $12, %rax
	orq $1, PT64(,%rax,8)
	pop %rax
	add $8, %rsp
	iretq
pf_64:
	mov $A(pf_handler64), %rax
	mov $(IDT + 14 * 16), %rdi
	mov %ax, (%rdi)
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	MARK CALIB_START
	mov $TESTPG, %edi
	mov $CALIB_N_PF, %ecx
1:	mov (%rdi), %eax
	add $0x1000, %rdi
	dec %ecx
	jnz 1b
	jmp stop64

pte_64:
	MARK CALIB_START
	mov $CALIB_N_PTE, %ecx
	mov $(TESTPG | 7), %ebx
1:	xor $0x1000, %ebx
	mov %rbx, (PT64 + (TESTPG >> 12) * 8)
	invlpg (TESTPG)
	mov (TESTPG), %eax
	dec %ecx
	jnz 1b
	jmp stop64

sys_handler64:
	sysretq
syscall_64:
	mov $0xc0000081, %ecx		/* STAR: kernel CS 0x10, sysret base 0x20 */
	xor %eax, %eax
	mov $0x00200010, %edx
	wrmsr
	mov $0xc0000082, %ecx		/* LSTAR */
	mov $A(sys_handler64), %eax
	xor %edx, %edx
	wrmsr
	mov $0xc0000084, %ecx		/* SFMASK: keep IOPL (the user writes the port) */
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	TO_USER64 user64_sys
user64_sys:
	MARK CALIB_START
	mov $CALIB_N_SYSCALL, %r8d
1:	syscall
	dec %r8d
	jnz 1b
	MARK CALIB_STOP
1:	jmp 1b

sel_calib_blob_end:
	.section .note.GNU-stack, "", @progbits
