/* guests/lib/rt_frame_64.h: the general registers of struct trap_frame
 * (rt.h), saved below the vector and error code by every 64-bit entry (the
 * trap stubs, the SYSCALL entries) and restored in reverse. */
#ifndef GUESTS_LIB_RT_FRAME_64_H
#define GUESTS_LIB_RT_FRAME_64_H

.macro PUSH_GPRS
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
.endm

.macro POP_GPRS
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
.endm

#endif
