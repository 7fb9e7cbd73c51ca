/* test_bt_interp.c: the bt engine on small guests, run entirely by its
 * interpreter (TRIPLEX_BT_INTERP=1) and then with the translator:
 * instructions, exceptions through the IDT, port I/O, real mode, privilege
 * changes, interrupts. test_bt_paging.c covers paging. */
#include "tests/unit/test_bt_harness.h"
#include "vmm/bt/bt_trans.h"

BTH_CODE(t_arith, "mov $2, %eax\n add $3, %eax\n mov $7, %ebx\n imul %eax, %ebx\n"
		  "sub $1, %ebx\n xor %ecx, %ecx\n dec %ecx\n hlt");

static void test_bt_interp_runs_arithmetic(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_arith_start, t_arith_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RAX], 5);
	assert_int_equal(h->c->gpr[X86_RBX], 34);
	assert_int_equal(h->c->gpr[X86_RCX], 0xffffffffu);
	assert_true(h->c->eflags & X86_FLAGS_SF);
	bth_free(h);
}

BTH_CODE(t_calls, "mov $10, %ecx\n xor %eax, %eax\n"
		  "1: call 2f\n loop 1b\n jmp 3f\n"
		  "2: add %ecx, %eax\n ret\n"
		  "3: push $0x1234\n pop %edx\n pushf\n pop %esi\n hlt");

static void test_bt_interp_calls_and_loops(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_calls_start, t_calls_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RAX], 55);
	assert_int_equal(h->c->gpr[X86_RDX], 0x1234);
	assert_int_equal(h->c->gpr[X86_RSP], BTH_STACK);
	assert_int_equal(h->c->gpr[X86_RSI] & 2, 2);
	bth_free(h);
}

BTH_CODE(t_string, "cld\n mov $0x20000, %esi\n mov $0x20100, %edi\n mov $16, %ecx\n"
		   "rep movsb\n mov $0x20200, %edi\n mov $0x41414141, %eax\n mov $4, %ecx\n"
		   "rep stosl\n mov $0x20000, %esi\n mov $0x20100, %edi\n mov $16, %ecx\n"
		   "repe cmpsb\n hlt");

static void test_bt_interp_string_ops(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_string_start, t_string_end);
	for (unsigned i = 0; i < 16; i += 4)
		bth_poke32(h, BTH_DATA + i, 0x01020304u * (i + 1));
	assert_int_equal(bth_run(h), BTH_HLT);
	for (unsigned i = 0; i < 16; i += 4)
		assert_int_equal(bth_peek32(h, BTH_DATA + 0x100 + i), 0x01020304u * (i + 1));
	assert_int_equal(bth_peek32(h, BTH_DATA + 0x20c), 0x41414141);
	assert_int_equal(h->c->gpr[X86_RCX], 0);
	assert_true(h->c->eflags & X86_FLAGS_ZF);
	bth_free(h);
}

BTH_CODE(t_div0, "mov $5, %eax\n xor %ecx, %ecx\n mov $1, %edx\n div %ecx\n hlt");

static void test_bt_interp_divide_error_is_precise(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_div0_start, t_div0_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_DE);
	assert_int_equal(h->fault_eip, BTH_CODE_ADDR + 5 + 2 + 5);
	assert_int_equal(h->c->gpr[X86_RAX], 5);
	assert_int_equal(h->c->gpr[X86_RDX], 1);
	bth_free(h);
}

BTH_CODE(t_ud, "nop\n ud2\n hlt");
BTH_CODE(t_gp, "mov $0x33, %ax\n mov %ax, %ds\n hlt");
BTH_CODE(t_int, "mov $7, %eax\n int $0x80\n hlt");

static void test_bt_interp_raises_ud_gp_and_int(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_ud_start, t_ud_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_UD);
	assert_int_equal(h->fault_eip, BTH_CODE_ADDR + 1);
	bth_free(h);

	h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_gp_start, t_gp_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_GP); /* 0x33: RPL 3 > DPL 0 */
	assert_int_equal(h->err, 0x30);
	bth_free(h);

	h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_int_start, t_int_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, 0x80);
	assert_int_equal(h->fault_eip, BTH_CODE_ADDR + 5 + 2);
	bth_free(h);
}

BTH_CODE(t_out, "mov $0xe9, %dx\n mov $'h', %al\n out %al, %dx\n mov $'i', %al\n"
		"out %al, $0xe9\n in $0xe9, %al\n hlt");

static void test_bt_interp_port_io(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_out_start, t_out_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->nout, 2);
	assert_memory_equal(h->out, "hi", 2);
	assert_int_equal(h->c->gpr[X86_RAX] & 0xff, 0xe9);
	bth_free(h);
}

BTH_CODE16(t_real, "mov $0x1234, %ax\n mov %ax, %ds\n movw $0x55aa, 0x10\n"
		   "mov $0x100, %cx\n xor %bx, %bx\n 1: add %cx, %bx\n loop 1b\n"
		   "int $0x21\n hlt");
BTH_CODE16(t_real_handler, "mov $0x4242, %dx\n iret");

static void test_bt_interp_real_mode(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_REAL);
	bth_load(h, 0x7c00, t_real_start, t_real_end);
	bth_load(h, 0x8000, t_real_handler_start, t_real_handler_end);
	bth_poke32(h, 0x21 * 4, 0x8000); /* IVT entry 0x21 -> 0000:8000 */
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(bth_peek32(h, 0x12340 + 0x10) & 0xffff, 0x55aa);
	assert_int_equal(h->c->gpr[X86_RBX] & 0xffff, (0x100 * 0x101 / 2) & 0xffff);
	assert_int_equal(h->c->gpr[X86_RDX] & 0xffff, 0x4242);
	bth_free(h);
}

/* Ring 0 -> ring 3 with IRET, then int 0x80 back to ring 0 on the TSS stack. */
BTH_CODE(t_ring3, "push $0x23\n push $0x3f000\n pushf\n push $0x1b\n push $0x10000+(1f-t_ring3_start)\n iret\n"
		  "1: mov $0x1111, %eax\n int $0x80\n hlt");

static void test_bt_interp_ring3_and_back(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_ring3_start, t_ring3_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, 0x80);
	assert_int_equal(h->c->cpl, 0);
	assert_int_equal(h->c->gpr[X86_RAX], 0x1111);
	/* frame on the ring-0 stack: EIP CS EFLAGS ESP SS */
	uint32_t sp = BTH_KSTACK - 20;
	assert_int_equal(bth_peek32(h, sp + 4), BTH_UCS);
	assert_int_equal(bth_peek32(h, sp + 12), 0x3f000);
	assert_int_equal(bth_peek32(h, sp + 16), BTH_UDS);
	bth_free(h);
}

BTH_CODE(t_priv, "push $0x23\n push $0x3f000\n pushf\n push $0x1b\n push $0x10000+(1f-t_priv_start)\n iret\n"
		 "1: cli\n hlt");

static void test_bt_interp_ring3_cli_is_gp(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_priv_start, t_priv_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_GP);
	assert_int_equal(h->err, 0);
	bth_free(h);
}

/* A fake interrupt controller: one pending vector. */
static int fake_vec = -1;
static int fake_ack(void *chip, unsigned cpu)
{
	(void)chip;
	(void)cpu;
	int v = fake_vec;
	fake_vec = -1;
	return v;
}
static const struct irq_ops fake_irq_ops = { .ack = fake_ack };

BTH_CODE(t_irq, "sti\n 1: jmp 1b");

static void test_bt_interp_delivers_external_interrupt(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	h->vm->irq_ops = &fake_irq_ops;
	bth_load(h, BTH_CODE_ADDR, t_irq_start, t_irq_end);
	fake_vec = 0x30;
	h->v->intr = 1;
	h->c->budget = 100;
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, 0x30);
	assert_false(h->c->eflags & X86_FLAGS_IF);
	bth_free(h);
}

BTH_CODE(t_cpuid, "mov $0x40000000, %eax\n cpuid\n mov %ebx, %esi\n mov %ecx, %edi\n"
		  "mov $0x40000001, %eax\n cpuid\n hlt");

static void test_bt_interp_cpuid_identifies_triplex_bt(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_cpuid_start, t_cpuid_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_memory_equal(&h->c->gpr[X86_RSI], "Trip", 4);
	assert_memory_equal(&h->c->gpr[X86_RDI], "lexV", 4);
	assert_int_equal(h->c->gpr[X86_RAX], 1);
	assert_memory_equal(&h->c->gpr[X86_RBX], "bt\0\0", 4);
	bth_free(h);
}

/* Code at an address without RAM, paging off (issue 11): as on QEMU, bytes
 * nobody claims read as zeros (00 00: ADD [EAX], AL) and a device's bytes
 * come from the device; no #PF. Here 8 ADDs from nothing, then the HLT a
 * device at 0xe0000010 returns. */
static int hlt_dev(void *dev, uint64_t off, void *data, unsigned size, bool is_write)
{
	(void)dev;
	(void)off;
	if (!is_write)
		memset(data, 0xf4, size);
	return 0;
}

BTH_CODE(t_noram, "mov $0x20011, %eax\n mov $0xe0000000, %ecx\n jmp *%ecx");

static void test_bt_code_without_ram_runs_zeros_and_device_bytes(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	int dev;
	assert_int_equal(io_register(&h->vm->mmio, 0xe0000010, 16, "hlt-dev", hlt_dev, &dev), 0);
	bth_load(h, BTH_CODE_ADDR, t_noram_start, t_noram_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->eip, 0xe0000011);
	uint8_t v = 0;
	assert_int_equal(mem_read(&h->vm->mem, BTH_DATA + 0x11, &v, 1), 0);
	assert_int_equal(v, 8 * 0x11);
	bth_free(h);
}

/* A code cache too small for the guest's code: translations are dropped
 * and made again, the result does not change. 2000 distinct blocks. */
BTH_CODE(t_flush, "mov $3, %esi\n xor %eax, %eax\n"
		  "2:\n .rept 2000\n add $1, %eax\n jmp 1f\n 1:\n .endr\n"
		  "dec %esi\n jnz 2b\n hlt");

static void test_bt_code_cache_flush_when_full(void **state)
{
	(void)state;
	setenv("TRIPLEX_BT_CACHE_KB", "64", 1);
	struct bth *h = bth_new(BTH_FLAT32);
	unsetenv("TRIPLEX_BT_CACHE_KB");
	bth_load(h, BTH_CODE_ADDR, t_flush_start, t_flush_end);
	h->c->budget = 100000;
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RAX], 6000);
	if (h->c->tc)
		assert_true(h->c->ctr[BT_CTR_CACHE_FLUSH].count > 0);
	bth_free(h);
}

/* PUSH [mem] whose operand and stack slot share a software-TLB entry
 * (pages 0x9 and 0x109): the two accesses evict each other. */
BTH_CODE(t_conflict, "mov $0x109ff0, %esp\n movl $0x5678, 0x9010\n push 0x9010\n"
		     "pop %ebx\n hlt");

static void test_bt_tlb_conflict_in_one_instruction(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_conflict_start, t_conflict_end);
	h->c->budget = 1000;
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RBX], 0x5678);
	bth_free(h);
}

/* A divide that raises #DE again and again (handler skips it): the
 * translator adapts once (the divide moves to a helper) instead of
 * retranslating its page on every few faults. */
BTH_CODE(t_div_loop, "mov $200, %esi\n xor %ecx, %ecx\n"
		     "1: mov $5, %eax\n xor %edx, %edx\n div %ecx\n dec %esi\n jnz 1b\n hlt\n"
		     "t_div_handler: addl $2, (%esp)\n iret");
extern const uint8_t t_div_handler[];

static void test_bt_repeated_divide_error_adapts_once(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_div_loop_start, t_div_loop_end);
	bth_gate(h, X86_EXC_DE, BTH_CODE_ADDR + (uint32_t)(t_div_handler - t_div_loop_start),
		 BTH_KCS, 0xe, 0);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RSI], 0);
	assert_true(h->c->ctr[BT_CTR_RETRANSLATE].count <= 1);
	assert_true(h->c->ctr[BT_CTR_BLOCKS].count < 50);
	bth_free(h);
}

/* 82 /r ib is #UD in 64-bit mode: copied into host code it killed the
 * process with SIGILL. Register and memory forms, and one-byte INC/DEC,
 * SALC, PUSH/POP ES, which also mean something else there. */
BTH_CODE(t_op82, "mov $0x12345678, %eax\n .byte 0x82, 0xc0, 0x7f\n mov %eax, %esi\n"
		 "movl $0x10, 0x20000\n .byte 0x82, 0x2d\n .long 0x20000\n .byte 0x01\n"
		 "stc\n .byte 0xd6\n mov %eax, %ebx\n xor %ecx, %ecx\n .byte 0x41, 0x41, 0x49\n"
		 "push %es\n pop %es\n hlt");

static void test_bt_op82_and_32bit_only_opcodes_run(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_op82_start, t_op82_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RSI], 0x123456f7);
	assert_int_equal(h->c->gpr[X86_RBX], 0x123456ff); /* SALC after STC */
	assert_int_equal(bth_peek32(h, 0x20000), 0xf);
	assert_int_equal(h->c->gpr[X86_RCX], 1);
	bth_free(h);
}

/* A host fault in translated code that nothing explains (here: the host
 * code of an instruction overwritten with UD2) stops the vCPU with an
 * error naming the guest instruction, with the guest registers of that
 * instruction, instead of killing the process. */
BTH_CODE(t_hostill, "mov $7, %ecx\n add $1, %ecx\n mov $9, %edx\n hlt");

static void test_bt_host_sigill_in_translated_code_is_reported(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	if (!h->c->tc) {
		bth_free(h);
		skip(); /* the interpreter has no translated code */
	}
	bth_load(h, BTH_CODE_ADDR, t_hostill_start, t_hostill_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RDX], 9);
	h->c->eip = BTH_CODE_ADDR;
	struct bt_block *b = bt_block_get(h->c);
	assert_non_null(b->host);
	uint8_t *rw = (uint8_t *)b->host - h->c->tc->delta + b->insn_host_off[1];
	rw[0] = 0x0f; /* ud2 in place of add $1, %ecx */
	rw[1] = 0x0b;
	h->c->gpr[X86_RCX] = 0;
	h->c->gpr[X86_RDX] = 0;
	assert_int_equal(bth_run(h), BTH_ERROR);
	assert_int_equal(h->ex.reason, VCPU_EXIT_ERROR);
	assert_non_null(strstr(h->ex.msg, "SIGILL"));
	assert_non_null(strstr(h->ex.msg, "eip 0x10005"));
	assert_int_equal(h->c->eip, BTH_CODE_ADDR + 5);
	assert_int_equal(h->c->gpr[X86_RCX], 7);
	assert_int_equal(h->c->gpr[X86_RDX], 0);
	bth_free(h);
}

/* A loop that patches the immediate of its next instruction 300 times:
 * after a few rewrites the page's blocks run interpreted instead of being
 * retranslated on every write (docs/bt.md "Self-modifying code"), with the
 * same result. (0x1000e: the immediate of the instruction at 2, at
 * BTH_CODE_ADDR + 13.) */
BTH_CODE(t_smc, "xor %ebx, %ebx\n mov $300, %ecx\n"
		"1: mov %ecx, 0x1000e\n 2: mov $0, %eax\n add %eax, %ebx\n dec %ecx\n jnz 1b\n hlt");

static void test_bt_self_modifying_loop_is_not_retranslated_each_time(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_smc_start, t_smc_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RBX], 300 * 301 / 2);
	if (h->c->tc) {
		assert_true(h->c->ctr[BT_CTR_TRANSLATED].count < 40);
		assert_true(h->c->ctr[BT_CTR_SMC_INTERP].count > 250);
	}
	bth_free(h);
}

/* A divide that raises #DE after an instruction the translator emits host
 * code around (CLD updates the vCPU's DF with AND/OR): the #DE frame holds
 * the flags of the ADD before it (OF SF AF; the divide writes flags only
 * when it completes). The translator took flags to be dead before the
 * divide and let CLD's code clobber them (found by the long sequences of
 * test_bt_diff). */
BTH_CODE(t_div_flags, "xor %ecx, %ecx\n mov $0x7f, %al\n add $1, %al\n cld\n div %ecx\n hlt");

static void test_bt_flags_before_a_faulting_divide_are_exact(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_div_flags_start, t_div_flags_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_DE);
	assert_int_equal(h->fault_eflags & 0x8d5, 0x890); /* OF SF AF, not CF ZF PF */
	bth_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bt_interp_runs_arithmetic),
		cmocka_unit_test(test_bt_interp_calls_and_loops),
		cmocka_unit_test(test_bt_interp_string_ops),
		cmocka_unit_test(test_bt_interp_divide_error_is_precise),
		cmocka_unit_test(test_bt_interp_raises_ud_gp_and_int),
		cmocka_unit_test(test_bt_interp_port_io),
		cmocka_unit_test(test_bt_interp_real_mode),
		cmocka_unit_test(test_bt_interp_ring3_and_back),
		cmocka_unit_test(test_bt_interp_ring3_cli_is_gp),
		cmocka_unit_test(test_bt_interp_delivers_external_interrupt),
		cmocka_unit_test(test_bt_interp_cpuid_identifies_triplex_bt),
		cmocka_unit_test(test_bt_code_cache_flush_when_full),
		cmocka_unit_test(test_bt_code_without_ram_runs_zeros_and_device_bytes),
		cmocka_unit_test(test_bt_tlb_conflict_in_one_instruction),
		cmocka_unit_test(test_bt_repeated_divide_error_adapts_once),
		cmocka_unit_test(test_bt_op82_and_32bit_only_opcodes_run),
		cmocka_unit_test(test_bt_host_sigill_in_translated_code_is_reported),
		cmocka_unit_test(test_bt_self_modifying_loop_is_not_retranslated_each_time),
		cmocka_unit_test(test_bt_flags_before_a_faulting_divide_are_exact),
	};
	int r = cmocka_run_group_tests_name("bt interpreter", tests, bth_setup_interp, NULL);
	r |= cmocka_run_group_tests_name("bt translator", tests, bth_setup_trans, NULL);
	r |= cmocka_run_group_tests_name("bt translator, software TLB", tests, bth_setup_softmmu,
					 bth_teardown_softmmu);
	return r;
}
