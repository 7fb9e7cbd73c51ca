/* pv_calib_guests.S: the calibration guests of sel_calib_guests.S as PV
 * guests: the same tests (ring-0 and ring-3 loops, port exits, page faults,
 * PTE updates, system calls) with every privileged operation a call into
 * the VMI ROM, so the pv engine can be costed like the others. One flat
 * image at CALIB_BASE; the table at the start has the 32-bit entries, then
 * the 64-bit ones (pv enters 64-bit guests in long mode on its identity
 * map). pv_calib.c gives the VM a ROM window and a note. Memory as in
 * sel_calib_guests.S; user mode marks the interval through system calls
 * (nr 1: start, nr 2: stop), which the kernel turns into port writes. */
#include "vmm/pv/pv_abi.h"
#include "vmm/core/calib_guest.h"

#define A(x) ((x) - pv_calib_blob + CALIB_BASE)
#define ROM PV_ROM_DEFAULT_ADDR
#define ENTRY(n) (ROM + 48 + 8 * (n))
#define TSS 0x12000
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

	.section .rodata
	.globl pv_calib_blob, pv_calib_blob_end
	.balign 4096
pv_calib_blob:
	.long A(t32_ring0), A(t32_ring3), A(t32_exit), A(t32_pf), A(t32_pte), A(t32_syscall)
	.long A(t64_ring0), A(t64_ring3), A(t64_exit), A(t64_pf), A(t64_pte), A(t64_syscall)
idtr32:	.word 256 * 8 - 1
	.long IDT
idtr64:	.word 256 * 16 - 1
	.quad IDT

	.macro LOOP4 count		/* the measured 4-instruction loop */
	mov $\count, %ecx
	xor %eax, %eax
1:	add $3, %eax
	add %ecx, %edx
	dec %ecx
	jnz 1b
	.endm

/* ---------------- 32-bit: cdecl calls into the ROM ---------------- */
	.code32
	.macro CALL32 n
	call *(ENTRY(\n))
	.endm
	.macro MARK32 value
	push $\value
	push $4
	push $CALIB_PORT
	CALL32 PV_CALL_IO_OUT
	add $12, %esp
	.endm
	/* gate vector, handler, dpl */
	.macro GATE32 vector, handler, dpl
	movl $A(\handler), %eax
	mov %ax, (IDT + \vector * 8)
	movw $0x08, (IDT + \vector * 8 + 2)
	movw $(0x8e00 | (\dpl << 13)), (IDT + \vector * 8 + 4)
	shr $16, %eax
	mov %ax, (IDT + \vector * 8 + 6)
	.endm

setup32:
	push $A(idtr32)
	CALL32 PV_CALL_LOAD_IDT
	add $4, %esp
	push $KSTACK
	push $TSS
	CALL32 PV_CALL_SET_KSTACK
	add $8, %esp
	ret

stop32:
	MARK32 CALIB_STOP
1:	CALL32 PV_CALL_HALT
	jmp 1b

/* Identity-map 4 MiB (user), the test pages absent, and turn paging on. */
paging32:
	mov $PT32, %edi
	mov $0x27, %eax			/* P | RW | US | A */
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
	movl $(PT32 | 0x27), (PD32)
	push $PD32
	CALL32 PV_CALL_WRITE_CR3
	add $4, %esp
	CALL32 PV_CALL_READ_CR0
	or $0x80000000, %eax
	push %eax
	CALL32 PV_CALL_WRITE_CR0
	add $4, %esp
	ret

/* int 0x80: nr 1 and 2 mark the interval, anything else just returns. */
sys32:
	cmp $1, %eax
	jne 1f
	MARK32 CALIB_START
	jmp 3f
1:	cmp $2, %eax
	jne 3f
	MARK32 CALIB_STOP
2:	CALL32 PV_CALL_HALT
	jmp 2b
3:	jmp *(ENTRY(PV_CALL_IRET))

	.macro USER32 target		/* iret to ring 3 through the ROM */
	push $0x23
	push $USTACK
	push $0x202
	push $0x1b
	push $A(\target)
	jmp *(ENTRY(PV_CALL_IRET))
	.endm
	.macro SYS32 nr
	push $0
	push $0
	push $\nr
	call *(ENTRY(PV_CALL_USER_INT80))
	add $12, %esp
	.endm

t32_ring0:
	mov $KSTACK, %esp
	call setup32
	MARK32 CALIB_START
	LOOP4 CALIB_N_RING0
	jmp stop32

t32_ring3:
	mov $KSTACK, %esp
	call setup32
	GATE32 0x80, sys32, 3
	call paging32
	USER32 user32_loop
user32_loop:
	SYS32 1
	LOOPU32(CALIB_N_RING3)
	SYS32 2

t32_exit:
	mov $KSTACK, %esp
	call setup32
	MARK32 CALIB_START
	mov $CALIB_N_EXIT, %ebx
1:	push $0
	push $1
	push $(CALIB_PORT + 4)
	CALL32 PV_CALL_IO_OUT
	add $12, %esp
	dec %ebx
	jnz 1b
	jmp stop32

pf32:					/* map the faulting page, retry */
	pusha
	CALL32 PV_CALL_READ_CR2
	and $~0xfff, %eax
	mov %eax, %ebx
	shr $12, %eax
	lea PT32(,%eax,4), %edx
	push $0				/* flags: 4-byte entries */
	push %ebx			/* va */
	push $0				/* val, high */
	lea 0x27(%ebx), %eax
	push %eax			/* val, low */
	push %edx			/* ptep */
	CALL32 PV_CALL_PTE_SET
	add $20, %esp
	popa
	add $4, %esp			/* error code */
	jmp *(ENTRY(PV_CALL_IRET))
t32_pf:
	mov $KSTACK, %esp
	call setup32
	GATE32 14, pf32, 0
	call paging32
	MARK32 CALIB_START
	mov $TESTPG, %edi
	mov $CALIB_N_PF, %esi
1:	mov (%edi), %eax
	add $0x1000, %edi
	dec %esi
	jnz 1b
	jmp stop32

t32_pte:
	mov $KSTACK, %esp
	call setup32
	call paging32
	MARK32 CALIB_START
	mov $CALIB_N_PTE, %esi
	mov $(TESTPG | 0x67), %ebx	/* P | RW | US | A | D */
1:	xor $0x1000, %ebx		/* alternate between two frames */
	push $0
	push $TESTPG
	push $0
	push %ebx
	push $(PT32 + (TESTPG >> 12) * 4)
	CALL32 PV_CALL_PTE_SET
	add $20, %esp
	push $TESTPG
	CALL32 PV_CALL_INVLPG
	add $4, %esp
	mov (TESTPG), %eax
	dec %esi
	jnz 1b
	jmp stop32

t32_syscall:
	mov $KSTACK, %esp
	call setup32
	GATE32 0x80, sys32, 3
	call paging32
	USER32 user32_sys
user32_sys:
	SYS32 1
	mov $CALIB_N_SYSCALL, %esi
1:	SYS32 0
	dec %esi
	jnz 1b
	SYS32 2

/* ---------------- 64-bit: System V calls into the ROM ---------------- */
	.code64
	.macro CALL64 n
	movabs $ENTRY(\n), %rax
	call *(%rax)
	.endm
	.macro MARK64 value
	mov $CALIB_PORT, %edi
	mov $4, %esi
	mov $\value, %edx
	CALL64 PV_CALL_IO_OUT
	.endm
	.macro GATE64 vector, handler, dpl
	mov $A(\handler), %eax
	mov %ax, (IDT + \vector * 16)
	movw $0x08, (IDT + \vector * 16 + 2)
	movw $(0x8e00 | (\dpl << 13)), (IDT + \vector * 16 + 4)
	shr $16, %eax
	mov %ax, (IDT + \vector * 16 + 6)
	movq $0, (IDT + \vector * 16 + 8)
	.endm

setup64:
	mov $A(idtr64), %edi
	CALL64 PV_CALL_LOAD_IDT
	mov $TSS, %edi
	mov $KSTACK, %esi
	CALL64 PV_CALL_SET_KSTACK
	/* 4-level tables: the first 2 MiB in 4 KiB pages (test pages absent),
	 * the next 2 MiB one large page; all user-accessible. */
	mov $PT64, %edi
	mov $0x27, %eax
	mov $512, %ecx
1:	mov %rax, (%rdi)
	add $0x1000, %rax
	add $8, %rdi
	loop 1b
	mov $(PT64 + (TESTPG >> 12) * 8), %edi
	mov $CALIB_N_PF, %ecx
2:	andq $~1, (%rdi)
	add $8, %rdi
	loop 2b
	movq $(PDPT | 0x27), (PML4)
	movq $(PD64 | 0x27), (PDPT)
	movq $(PT64 | 0x27), (PD64)
	movq $(0x200000 | 0xe7), (PD64 + 8)
	mov $PML4, %edi
	CALL64 PV_CALL_WRITE_CR3
	ret

stop64:
	MARK64 CALIB_STOP
1:	CALL64 PV_CALL_HALT
	jmp 1b

sys64:
	cmp $1, %eax
	jne 1f
	MARK64 CALIB_START
	jmp 3f
1:	cmp $2, %eax
	jne 3f
	MARK64 CALIB_STOP
2:	CALL64 PV_CALL_HALT
	jmp 2b
3:	movabs $ENTRY(PV_CALL_IRET), %rax
	jmp *(%rax)			/* the user's RAX is the result: free */

	.macro USER64 target
	push $0x23
	push $USTACK
	push $0x202
	push $0x2b
	push $A(\target)
	movabs $ENTRY(PV_CALL_IRET), %rax
	jmp *(%rax)
	.endm
	.macro SYS64 nr
	mov $\nr, %edi
	xor %esi, %esi
	xor %edx, %edx
	CALL64 PV_CALL_USER_INT80
	.endm

t64_ring0:
	mov $KSTACK, %esp
	call setup64
	MARK64 CALIB_START
	LOOP4 CALIB_N_RING0
	jmp stop64

t64_ring3:
	mov $KSTACK, %esp
	call setup64
	GATE64 0x80, sys64, 3
	USER64 user64_loop
user64_loop:
	SYS64 1
	LOOPU64(CALIB_N_RING3)
	SYS64 2

t64_exit:
	mov $KSTACK, %esp
	call setup64
	MARK64 CALIB_START
	mov $CALIB_N_EXIT, %ebx
1:	mov $(CALIB_PORT + 4), %edi
	mov $1, %esi
	xor %edx, %edx
	CALL64 PV_CALL_IO_OUT
	dec %ebx
	jnz 1b
	jmp stop64

t64_pf:
	mov $KSTACK, %esp
	call setup64
	GATE64 14, pf64b, 0
	MARK64 CALIB_START
	mov $TESTPG, %ebx
	mov $CALIB_N_PF, %r12d
1:	mov (%rbx), %eax
	add $0x1000, %rbx
	dec %r12d
	jnz 1b
	jmp stop64

/* The #PF handler proper: save what the ROM call clobbers, map, return. */
pf64b:
	push %rax
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	CALL64 PV_CALL_READ_CR2
	and $~0xfff, %rax
	mov %rax, %rdx
	lea 0x27(%rax), %rsi
	shr $12, %rax
	lea PT64(,%rax,8), %rdi
	mov $PV_PTE_WIDE, %ecx
	CALL64 PV_CALL_PTE_SET
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rax
	add $8, %rsp
	push %rax
	movabs $ENTRY(PV_CALL_IRET), %rax
	mov (%rax), %rax
	xchg %rax, (%rsp)		/* RAX back, the entry on the stack */
	ret				/* = jmp to the ROM's iret, frame below */

t64_pte:
	mov $KSTACK, %esp
	call setup64
	MARK64 CALIB_START
	mov $CALIB_N_PTE, %r12d
	mov $(TESTPG | 0x67), %ebx
1:	xor $0x1000, %ebx
	mov $(PT64 + (TESTPG >> 12) * 8), %edi
	mov %rbx, %rsi
	mov $TESTPG, %edx
	mov $PV_PTE_WIDE, %ecx
	CALL64 PV_CALL_PTE_SET
	mov $TESTPG, %edi
	CALL64 PV_CALL_INVLPG
	mov (TESTPG), %eax
	dec %r12d
	jnz 1b
	jmp stop64

t64_syscall:
	mov $KSTACK, %esp
	call setup64
	GATE64 0x80, sys64, 3
	USER64 user64_sys
user64_sys:
	SYS64 1
	mov $CALIB_N_SYSCALL, %r12d
1:	SYS64 0
	dec %r12d
	jnz 1b
	SYS64 2

pv_calib_blob_end:
	.section .note.GNU-stack, "", @progbits
