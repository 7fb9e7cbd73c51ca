/* guests/selftest/st_ring_64.S: int 0x80 and SYSCALL from ring 3 with
 * every register loaded with a known value (st_user_out gets what comes
 * back), and the SWAPGS case's user side. */
	.section .utext, "ax"
	.globl st_int80_regs, st_syscall_regs, st_swapgs_user

#define OUT(i) st_user_out + 8 * (i)(%rip)

.macro load_regs
	movabs $0x1111111111111111, %rdi
	movabs $0x2222222222222222, %rsi
	movabs $0x3333333333333333, %rdx
	movabs $0x4444444444444444, %rbx
	movabs $0x5555555555555555, %rbp
	movabs $0x8888888888888888, %r8
	movabs $0x9999999999999999, %r9
	movabs $0xaaaaaaaaaaaaaaaa, %r10
	movabs $0xcccccccccccccccc, %r12
	movabs $0xdddddddddddddddd, %r13
	movabs $0xeeeeeeeeeeeeeeee, %r14
	movabs $0xffffffffffffffff, %r15
.endm

.macro store_regs
	mov %rax, OUT(0)
	mov %rdi, OUT(1)
	mov %rsi, OUT(2)
	mov %rdx, OUT(3)
	mov %rbx, OUT(4)
	mov %rbp, OUT(5)
	mov %r8, OUT(6)
	mov %r9, OUT(7)
	mov %r10, OUT(8)
	mov %r12, OUT(9)
	mov %r13, OUT(10)
	mov %r14, OUT(11)
	mov %r15, OUT(12)
.endm

.macro save_callee
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro restore_callee
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
.endm

st_int80_regs:
	save_callee
	load_regs
	movabs $0x7777777777777777, %rcx
	movabs $0xbbbbbbbbbbbbbbbb, %r11
	mov %rsp, OUT(13)
	mov $8, %eax			/* SYS_ST_ECHO */
	int $0x80
	store_regs
	mov %rcx, OUT(14)
	mov %r11, OUT(15)
	restore_callee
	xor %eax, %eax
	ret

/* SYSCALL: RCX gets the return RIP and R11 the RFLAGS (SDM 2B SYSCALL);
 * SYSRET restores RFLAGS from R11, so DF and CF set here come back. */
st_syscall_regs:
	save_callee
	load_regs
	mov %rsp, OUT(13)
	stc
	std
	mov $8, %eax			/* SYS_ST_ECHO */
	syscall
1:	store_regs
	pushf
	pop %rax
	cld
	mov %rcx, OUT(14)
	mov %r11, OUT(15)
	mov %rax, OUT(16)
	lea 1b(%rip), %rax
	mov %rax, OUT(17)
	restore_callee
	xor %eax, %eax
	ret

st_swapgs_user:
	mov %gs:0, %rax
	mov %rax, OUT(0)
	mov $9, %eax			/* SYS_ST_GS */
	syscall
	mov %rax, OUT(1)
	mov %gs:0, %rax
	mov %rax, OUT(2)
	xor %eax, %eax
	ret

	.section .udata, "aw"
	.p2align 4
	.globl st_user_out
st_user_out:
	.space 8 * 24
