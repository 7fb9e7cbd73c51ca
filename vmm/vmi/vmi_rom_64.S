/* vmi_rom_64.S: the 64-bit ROM code, two flavours (vmi_rom_asm.h explains the
 * blobs and their tables). Calling convention: System V, arguments in RDI,
 * RSI, RDX, RCX, R8; RAX returned; the SysV caller-saved registers may be
 * clobbered. The shared page is addressed RIP-relative: it sits at
 * PV_SHARED_OFF in the window, the native blob at PV_ROM_CODE_OFF, the pv
 * blob at PV_ROM_PV_CODE_OFF.
 *   pv_rom64n  native: the instruction sequences themselves, for hw
 *   pv_rom64p  pv: cheap calls on the shared page, the rest int3 hypercalls
 *              (the engine preserves every register but RAX) */
#include "vmm/vmi/vmi_rom_asm.h"

#define N pv_rom64n
#define VERSION_NATIVE (PV_ABI_VERSION | (PV_FLAVOUR_NATIVE << 16) | (64 << 24))
#define VERSION_PV (PV_ABI_VERSION | (PV_FLAVOUR_PV << 16) | (64 << 24))
#define COM1 0x3f8

	PV_BLOB_BEGIN N, 64
	/* The shared page, as a symbol of this section: RIP-relative
	 * operands resolve at assembly time. */
	.set NSH, pv_rom64n_start - PV_ROM_CODE_OFF + PV_SHARED_OFF

	PV_ENTRY N, PV_MAX_CALLS
	mov $-PV_ENOSYS, %rax
	ret

	PV_ENTRY N, PV_CALL_VERSION
	PV_NREDIR N, PV_CALL_VERSION, 0, mov $VERSION_NATIVE, %eax
	ret

	PV_ENTRY N, PV_CALL_IRQ_SAVE
	PV_NREDIR N, PV_CALL_IRQ_SAVE, 0, pushfq
	pop %rax
	ret

	PV_ENTRY N, PV_CALL_IRQ_RESTORE
	PV_NREDIR N, PV_CALL_IRQ_RESTORE, 0, push %rdi
	PV_NREDIR N, PV_CALL_IRQ_RESTORE, 8, popfq
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_IRQ_DISABLE
	PV_NREDIR N, PV_CALL_IRQ_DISABLE, 0, cli
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_IRQ_ENABLE
	PV_NREDIR N, PV_CALL_IRQ_ENABLE, 0, sti
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_SAFE_HALT
	PV_NREDIR N, PV_CALL_SAFE_HALT, 0, sti
	PV_NREDIR N, PV_CALL_SAFE_HALT, 0, hlt
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_HALT
	PV_NREDIR N, PV_CALL_HALT, 0, hlt
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_READ_CR0
	PV_NREDIR N, PV_CALL_READ_CR0, 0, mov %cr0, %rax
	ret
	PV_ENTRY N, PV_CALL_WRITE_CR0
	PV_NREDIR N, PV_CALL_WRITE_CR0, 0, mov %rdi, %cr0
	xor %eax, %eax
	ret
	PV_ENTRY N, PV_CALL_READ_CR2
	PV_NREDIR N, PV_CALL_READ_CR2, 0, mov %cr2, %rax
	ret
	PV_ENTRY N, PV_CALL_WRITE_CR2
	PV_NREDIR N, PV_CALL_WRITE_CR2, 0, mov %rdi, %cr2
	xor %eax, %eax
	ret
	PV_ENTRY N, PV_CALL_READ_CR3
	PV_NREDIR N, PV_CALL_READ_CR3, 0, mov %cr3, %rax
	ret
	PV_ENTRY N, PV_CALL_WRITE_CR3
	PV_NREDIR N, PV_CALL_WRITE_CR3, 0, mov %rdi, %cr3
	xor %eax, %eax
	ret
	PV_ENTRY N, PV_CALL_READ_CR4
	PV_NREDIR N, PV_CALL_READ_CR4, 0, mov %cr4, %rax
	ret
	PV_ENTRY N, PV_CALL_WRITE_CR4
	PV_NREDIR N, PV_CALL_WRITE_CR4, 0, mov %rdi, %cr4
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_FLUSH_TLB
	PV_NREDIR N, PV_CALL_FLUSH_TLB, 0, mov %cr3, %rax
	PV_NREDIR N, PV_CALL_FLUSH_TLB, 0, mov %rax, %cr3
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_INVLPG
	PV_NREDIR N, PV_CALL_INVLPG, 0, invlpg (%rdi)
	xor %eax, %eax
	ret

	/* (ptep, val, va, flags) */
	PV_ENTRY N, PV_CALL_PTE_SET
	PV_NREDIR N, PV_CALL_PTE_SET, 0, testb $PV_PTE_WIDE, %cl
	jz 1f
	PV_NREDIR N, PV_CALL_PTE_SET, 0, mov %rsi, (%rdi)
	xor %eax, %eax
	ret
1:	PV_NREDIR N, PV_CALL_PTE_SET, 0, mov %esi, (%rdi)
	xor %eax, %eax
	ret

	/* (ptep, va, flags) */
	PV_ENTRY N, PV_CALL_PTE_CLEAR
	PV_NREDIR N, PV_CALL_PTE_CLEAR, 0, testb $PV_PTE_WIDE, %dl
	jz 1f
	PV_NREDIR N, PV_CALL_PTE_CLEAR, 0, movq $0, (%rdi)
	xor %eax, %eax
	ret
1:	PV_NREDIR N, PV_CALL_PTE_CLEAR, 0, movl $0, (%rdi)
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_PTE_FLUSH
	PV_NREDIR N, PV_CALL_PTE_FLUSH, 0, xor %eax, %eax
	ret

	/* (ptr, cs, ds): lgdt, data segments, CS by a far return. */
	PV_ENTRY N, PV_CALL_LOAD_GDT
	PV_NREDIR N, PV_CALL_LOAD_GDT, 0, lgdt (%rdi)
	mov %edx, %ds
	mov %edx, %es
	mov %edx, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	pop %rcx
	push %rsi
	push %rcx
	lretq

	PV_ENTRY N, PV_CALL_LOAD_IDT
	PV_NREDIR N, PV_CALL_LOAD_IDT, 0, lidt (%rdi)
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_LOAD_TR
	PV_NREDIR N, PV_CALL_LOAD_TR, 0, ltr %di
	xor %eax, %eax
	ret

	/* (tss, sp): TSS.RSP0 (SDM 3A 8.7) and the SYSCALL trampoline's copy. */
	PV_ENTRY N, PV_CALL_SET_KSTACK
	PV_NREDIR N, PV_CALL_SET_KSTACK, 0, mov %rsi, 4(%rdi)
	PV_NREDIR N, PV_CALL_SET_KSTACK, 0, mov %rsi, NSH + PV_SH_KSTACK(%rip)
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_IRET
	PV_NSITE N, PV_CALL_IRET, iretq

	/* SYSRET back to ring 3 (SDM 2B SYSRET: RIP from RCX, RFLAGS from
	 * R11); a frame for ring 0 takes the iretq path. */
	PV_ENTRY N, PV_CALL_SYSRET
	PV_NSITE N, PV_CALL_SYSRET, testb $3, 8(%rsp)
	jz 1f
	pop %rcx
	add $8, %rsp
	pop %r11
	pop %rsp
	sysretq
1:	iretq

	/* (entry, kernel_cs, user_base): STAR, LSTAR (the trampoline below),
	 * FMASK (IF, TF, DF, AC) and EFER.SCE (SDM 3A 5.8.8). */
	PV_ENTRY N, PV_CALL_SET_SYSCALL
	PV_NREDIR N, PV_CALL_SET_SYSCALL, 0, mov %rdi, NSH + PV_SH_SYSCALL_ENTRY(%rip)
	mov %rsi, NSH + PV_SH_KERNEL_CS(%rip)
	lea 16(%rdx), %rax
	or $3, %rax
	mov %rax, NSH + PV_SH_USER_CS(%rip)
	lea 8(%rdx), %rax
	or $3, %rax
	mov %rax, NSH + PV_SH_USER_SS(%rip)
	mov %edx, %r8d
	shl $16, %r8d
	or %esi, %r8d
	mov %r8d, %edx
	xor %eax, %eax
	mov $0xc0000081, %ecx
	wrmsr
	lea .Lsyscall_tramp(%rip), %rax
	mov %rax, %rdx
	shr $32, %rdx
	mov $0xc0000082, %ecx
	wrmsr
	mov $0x40700, %eax
	xor %edx, %edx
	mov $0xc0000084, %ecx
	wrmsr
	mov $0xc0000080, %ecx
	rdmsr
	or $1, %eax
	wrmsr
	xor %eax, %eax
	ret

	/* LSTAR: at CPL 0 on the user stack, RCX = RIP, R11 = RFLAGS, IF
	 * clear. Build the interrupt frame PV_CALL_SET_SYSCALL promises on
	 * the kernel stack and enter the guest's handler. One vCPU: the
	 * scratch slot is not per CPU. */
.Lsyscall_tramp:
	mov %rsp, NSH + PV_SH_SYSCALL_SCRATCH(%rip)
	mov NSH + PV_SH_KSTACK(%rip), %rsp
	pushq NSH + PV_SH_USER_SS(%rip)
	pushq NSH + PV_SH_SYSCALL_SCRATCH(%rip)
	push %r11
	pushq NSH + PV_SH_USER_CS(%rip)
	push %rcx
	jmp *NSH + PV_SH_SYSCALL_ENTRY(%rip)

	/* (nr, a1, a2) with the guest's conventions: int 0x80 and SYSCALL
	 * take RAX = nr, RDI = a1, RSI = a2. */
	PV_ENTRY N, PV_CALL_USER_INT80
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	PV_NSITE N, PV_CALL_USER_INT80, int $0x80
	ret

	PV_ENTRY N, PV_CALL_USER_SYSCALL
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	PV_NSITE N, PV_CALL_USER_SYSCALL, syscall
	ret

	/* (port, size) */
	PV_ENTRY N, PV_CALL_IO_IN
	PV_NREDIR N, PV_CALL_IO_IN, 0, mov %edi, %edx
	xor %eax, %eax
	cmp $1, %esi
	jne 1f
	PV_NREDIR N, PV_CALL_IO_IN, 0, inb %dx, %al
	ret
1:	cmp $2, %esi
	jne 2f
	PV_NREDIR N, PV_CALL_IO_IN, 0, inw %dx, %ax
	ret
2:	cmp $4, %esi
	jne 3f
	PV_NREDIR N, PV_CALL_IO_IN, 0, inl %dx, %eax
	ret
3:	mov $-PV_EINVAL, %rax
	ret

	/* (port, size, value) */
	PV_ENTRY N, PV_CALL_IO_OUT
	PV_NREDIR N, PV_CALL_IO_OUT, 0, pushfq
	PV_NREDIR N, PV_CALL_IO_OUT, 8, cli
	mov %edx, %eax
	mov %edi, %edx
	cmp $1, %esi
	jne 1f
	outb %al, %dx
	jmp 4f
1:	cmp $2, %esi
	jne 2f
	outw %ax, %dx
	jmp 4f
2:	cmp $4, %esi
	jne 3f
	outl %eax, %dx
4:	xor %eax, %eax
	popfq
	ret
3:	mov $-PV_EINVAL, %rax
	popfq
	ret

	PV_ENTRY N, PV_CALL_TIMER_SET
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, mov %edi, %ecx
	test %ecx, %ecx
	jz 1f
	mov %ecx, %eax
	shr $1, %eax
	add $1193182, %eax
	xor %edx, %edx
	div %ecx
	mov %eax, %ecx
	mov $0x34, %al
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, outb %al, $0x43
	mov %cl, %al
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, outb %al, $0x40
	mov %ch, %al
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, outb %al, $0x40
	xor %eax, %eax
	ret
1:	mov $0x30, %al
	PV_NREDIR N, PV_CALL_TIMER_SET, 0, outb %al, $0x43
	xor %eax, %eax
	ret

	PV_ENTRY N, PV_CALL_TIMER_READ
	PV_NREDIR N, PV_CALL_TIMER_READ, 0, xor %eax, %eax
	PV_NREDIR N, PV_CALL_TIMER_READ, 0, outb %al, $0x43
	PV_NREDIR N, PV_CALL_TIMER_READ, 0, inb $0x40, %al
	mov %al, %cl
	PV_NREDIR N, PV_CALL_TIMER_READ, 0, inb $0x40, %al
	mov %al, %ah
	mov %cl, %al
	movzwl %ax, %eax
	ret

	/* (buf, len) */
	PV_ENTRY N, PV_CALL_CONSOLE_WRITE
	PV_NREDIR N, PV_CALL_CONSOLE_WRITE, 0, pushfq
	PV_NREDIR N, PV_CALL_CONSOLE_WRITE, 8, cli
	cmp $PV_CONSOLE_MAX, %rsi
	ja 3f
	mov %rsi, %rcx
	mov %rdi, %r8
1:	test %rcx, %rcx
	jz 2f
	mov $(COM1 + 5), %dx
5:	inb %dx, %al
	test $0x20, %al
	jz 5b
	mov $COM1, %dx
	movb (%r8), %al
	outb %al, %dx
	inc %r8
	dec %rcx
	jmp 1b
2:	mov %rsi, %rax
	popfq
	ret
3:	mov $-PV_EINVAL, %rax
	popfq
	ret

	PV_ENTRY N, PV_CALL_SHUTDOWN
	PV_NREDIR N, PV_CALL_SHUTDOWN, 0, mov %edi, %eax
	PV_NREDIR N, PV_CALL_SHUTDOWN, 0, outl %eax, $0xf4
1:	PV_NREDIR N, PV_CALL_SHUTDOWN, 0, cli
	PV_NREDIR N, PV_CALL_SHUTDOWN, 0, hlt
	jmp 1b

	PV_ENTRY N, PV_CALL_READ_MSR
	PV_NREDIR N, PV_CALL_READ_MSR, 0, mov %edi, %ecx
	PV_NREDIR N, PV_CALL_READ_MSR, 0, rdmsr
	shl $32, %rdx
	or %rdx, %rax
	ret

	PV_ENTRY N, PV_CALL_WRITE_MSR
	PV_NREDIR N, PV_CALL_WRITE_MSR, 0, mov %edi, %ecx
	mov %esi, %eax
	mov %rsi, %rdx
	shr $32, %rdx
	PV_NREDIR N, PV_CALL_WRITE_MSR, 0, wrmsr
	xor %eax, %eax
	ret

	PV_BLOB_END N
#undef N

/* ---------------- the pv flavour ---------------- */
#define P pv_rom64p

.macro FAST64 nr
	incl PSH + PV_SH_FAST + 4 * \nr(%rip)
.endm

	PV_BLOB_BEGIN P, 64
	.set PSH, pv_rom64p_start - PV_ROM_PV_CODE_OFF + PV_SHARED_OFF

	PV_ENTRY P, PV_MAX_CALLS
	mov $-PV_ENOSYS, %rax
	ret

	PV_ENTRY P, PV_CALL_VERSION
	FAST64 PV_CALL_VERSION
	mov $VERSION_PV, %eax
	ret

	PV_ENTRY P, PV_CALL_IRQ_SAVE
	FAST64 PV_CALL_IRQ_SAVE
	movzbl PSH + PV_SH_VIF(%rip), %eax
	shl $9, %eax
	or $2, %eax
	ret

	PV_ENTRY P, PV_CALL_IRQ_RESTORE
	mov %rdi, %rax
	shr $9, %rax
	and $1, %eax
	mov %al, PSH + PV_SH_VIF(%rip)
	jz 1f
	cmpb $0, PSH + PV_SH_IRQ_PENDING(%rip)
	jne 2f
1:	FAST64 PV_CALL_IRQ_RESTORE
	xor %eax, %eax
	ret
2:	PV_HCALL P, PV_HC_IRQ_WINDOW
	ret

	PV_ENTRY P, PV_CALL_IRQ_DISABLE
	movb $0, PSH + PV_SH_VIF(%rip)
	FAST64 PV_CALL_IRQ_DISABLE
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_IRQ_ENABLE
	movb $1, PSH + PV_SH_VIF(%rip)
	cmpb $0, PSH + PV_SH_IRQ_PENDING(%rip)
	jne 1f
	FAST64 PV_CALL_IRQ_ENABLE
	xor %eax, %eax
	ret
1:	PV_HCALL P, PV_HC_IRQ_WINDOW
	ret

	PV_ENTRY P, PV_CALL_SAFE_HALT
	PV_HCALL P, PV_CALL_SAFE_HALT
	ret
	PV_ENTRY P, PV_CALL_HALT
	PV_HCALL P, PV_CALL_HALT
	ret

	PV_ENTRY P, PV_CALL_READ_CR0
	FAST64 PV_CALL_READ_CR0
	mov PSH + PV_SH_CR0(%rip), %rax
	ret
	PV_ENTRY P, PV_CALL_READ_CR2
	FAST64 PV_CALL_READ_CR2
	mov PSH + PV_SH_CR2(%rip), %rax
	ret
	PV_ENTRY P, PV_CALL_READ_CR3
	FAST64 PV_CALL_READ_CR3
	mov PSH + PV_SH_CR3(%rip), %rax
	ret
	PV_ENTRY P, PV_CALL_READ_CR4
	FAST64 PV_CALL_READ_CR4
	mov PSH + PV_SH_CR4(%rip), %rax
	ret

	PV_ENTRY P, PV_CALL_WRITE_CR0
	PV_HCALL P, PV_CALL_WRITE_CR0
	ret
	PV_ENTRY P, PV_CALL_WRITE_CR2
	PV_HCALL P, PV_CALL_WRITE_CR2
	ret
	PV_ENTRY P, PV_CALL_WRITE_CR3
	PV_HCALL P, PV_CALL_WRITE_CR3
	ret
	PV_ENTRY P, PV_CALL_WRITE_CR4
	PV_HCALL P, PV_CALL_WRITE_CR4
	ret
	PV_ENTRY P, PV_CALL_FLUSH_TLB
	PV_HCALL P, PV_CALL_FLUSH_TLB
	ret
	PV_ENTRY P, PV_CALL_INVLPG
	PV_HCALL P, PV_CALL_INVLPG
	ret
	PV_ENTRY P, PV_CALL_PTE_FLUSH
	PV_HCALL P, PV_CALL_PTE_FLUSH
	ret

	/* (ptep, val, va, flags): the store as native, then queue va. */
	PV_ENTRY P, PV_CALL_PTE_SET
	testb $PV_PTE_WIDE, %cl
	jz 1f
	mov %rsi, (%rdi)
	jmp 2f
1:	mov %esi, (%rdi)
2:	mov %rdx, %rax
	jmp .Lpv64_queue

	/* (ptep, va, flags) */
	PV_ENTRY P, PV_CALL_PTE_CLEAR
	testb $PV_PTE_WIDE, %dl
	jz 1f
	movq $0, (%rdi)
	jmp 2f
1:	movl $0, (%rdi)
2:	mov %rsi, %rax
.Lpv64_queue:
	cmp $-1, %rax
	je 2f
3:	mov PSH + PV_SH_QUEUE_LEN(%rip), %edx
	cmp $PV_QUEUE_MAX, %edx
	jae 4f
	lea PSH + PV_SH_QUEUE(%rip), %rcx
	mov %rax, (%rcx, %rdx, 8)
	inc %edx
	mov %edx, PSH + PV_SH_QUEUE_LEN(%rip)
2:	FAST64 PV_CALL_PTE_SET
	xor %eax, %eax
	ret
4:	PV_HCALL P, PV_CALL_PTE_FLUSH
	jmp 3b

	PV_ENTRY P, PV_CALL_LOAD_GDT
	FAST64 PV_CALL_LOAD_GDT
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_LOAD_IDT
	movzwl (%rdi), %eax
	mov %eax, PSH + PV_SH_IDT_LIMIT(%rip)
	mov 2(%rdi), %rax
	mov %rax, PSH + PV_SH_IDT_BASE(%rip)
	FAST64 PV_CALL_LOAD_IDT
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_LOAD_TR
	FAST64 PV_CALL_LOAD_TR
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_SET_KSTACK
	mov %rsi, 4(%rdi)
	mov %rsi, PSH + PV_SH_KSTACK(%rip)
	FAST64 PV_CALL_SET_KSTACK
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_IRET
	PV_HCALL P, PV_CALL_IRET
	PV_ENTRY P, PV_CALL_SYSRET
	PV_HCALL P, PV_CALL_SYSRET

	PV_ENTRY P, PV_CALL_SET_SYSCALL
	mov %rdi, PSH + PV_SH_SYSCALL_ENTRY(%rip)
	mov %rsi, PSH + PV_SH_KERNEL_CS(%rip)
	lea 16(%rdx), %rax
	or $3, %rax
	mov %rax, PSH + PV_SH_USER_CS(%rip)
	lea 8(%rdx), %rax
	or $3, %rax
	mov %rax, PSH + PV_SH_USER_SS(%rip)
	FAST64 PV_CALL_SET_SYSCALL
	xor %eax, %eax
	ret

	PV_ENTRY P, PV_CALL_USER_INT80
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	PV_HCALL P, PV_CALL_USER_INT80
	ret

	PV_ENTRY P, PV_CALL_USER_SYSCALL
	mov %rdi, %rax
	mov %rsi, %rdi
	mov %rdx, %rsi
	PV_HCALL P, PV_CALL_USER_SYSCALL
	ret

	PV_ENTRY P, PV_CALL_IO_IN
	PV_HCALL P, PV_CALL_IO_IN
	ret
	PV_ENTRY P, PV_CALL_IO_OUT
	PV_HCALL P, PV_CALL_IO_OUT
	ret
	PV_ENTRY P, PV_CALL_TIMER_SET
	PV_HCALL P, PV_CALL_TIMER_SET
	ret
	PV_ENTRY P, PV_CALL_TIMER_READ
	PV_HCALL P, PV_CALL_TIMER_READ
	ret
	PV_ENTRY P, PV_CALL_CONSOLE_WRITE
	PV_HCALL P, PV_CALL_CONSOLE_WRITE
	ret
	PV_ENTRY P, PV_CALL_SHUTDOWN
	PV_HCALL P, PV_CALL_SHUTDOWN
	ret
	PV_ENTRY P, PV_CALL_READ_MSR
	PV_HCALL P, PV_CALL_READ_MSR
	ret
	PV_ENTRY P, PV_CALL_WRITE_MSR
	PV_HCALL P, PV_CALL_WRITE_MSR
	ret

	PV_BLOB_END P
	.section .note.GNU-stack, "", @progbits
