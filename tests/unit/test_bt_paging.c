/* test_bt_paging.c: guest paging under the bt engine: two-level tables,
 * PSE 4 MiB pages, PAE with NX, accessed/dirty bits, CR0.WP, U/S, #PF with
 * CR2 and error code at the faulting instruction, INVLPG, and writes to
 * code (self-modifying code). Each test runs on the interpreter and on the
 * translator (BT_MODE selects it in main). */
#include <stdio.h>

#include "tests/unit/test_bt_harness.h"

#define PD 0x100000u
#define PT 0x101000u
#define PDPT 0x102000u
#define PAE_PD 0x103000u
#define PAE_PT 0x104000u

/* Identity-map the first 4 MiB with 4 KiB pages (P RW US), CR3 = PD. */
static void map_identity(struct bth *h)
{
	bth_poke32(h, PD, PT | 7);
	for (unsigned i = 0; i < 1024; i++)
		bth_poke32(h, PT + 4 * i, (i << 12) | 7);
}

/* Turn paging on through the guest (MOV CR3, MOV CR0). */
BTH_CODE(t_enable, "mov $0x100000, %eax\n mov %eax, %cr3\n mov %cr0, %eax\n"
		   "or $0x80000000, %eax\n mov %eax, %cr0\n"
		   "movl $0x11223344, 0x400123\n mov 0x400120, %ebx\n hlt");

static void test_bt_paging_two_level_maps_and_sets_ad(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	map_identity(h);
	bth_poke32(h, PD + 4, (PT + 0x1000) | 7);       /* 4 MiB..8 MiB */
	bth_poke32(h, PT + 0x1000, 0x50000 | 7);         /* 0x400000 -> 0x50000 */
	bth_load(h, BTH_CODE_ADDR, t_enable_start, t_enable_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(bth_peek32(h, 0x50123) & 0xffffff, 0x223344);
	assert_int_equal(h->c->gpr[X86_RBX], 0x44000000);
	uint32_t pte = bth_peek32(h, PT + 0x1000);
	assert_true(pte & X86_PTE_A);
	assert_true(pte & X86_PTE_D);
	assert_true(bth_peek32(h, PD + 4) & X86_PTE_A);
	/* the code page was read, never written */
	uint32_t code_pte = bth_peek32(h, PT + 4 * (BTH_CODE_ADDR >> 12));
	assert_true(code_pte & X86_PTE_A);
	assert_false(code_pte & X86_PTE_D);
	bth_free(h);
}

BTH_CODE(t_pf, "mov $0x100000, %eax\n mov %eax, %cr3\n mov %cr0, %eax\n"
	       "or $0x80000000, %eax\n mov %eax, %cr0\n"
	       "mov $7, %ecx\n 1: movl $5, 0x800004\n hlt");

static void test_bt_paging_not_present_fault_is_precise(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	map_identity(h);
	bth_load(h, BTH_CODE_ADDR, t_pf_start, t_pf_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_PF);
	assert_int_equal(h->c->cr2, 0x800004);
	assert_int_equal(h->err, X86_PF_W);
	assert_int_equal(h->c->gpr[X86_RCX], 7);
	/* EIP of the faulting MOV: after 5 setup insns (5+3+3+5+3) and mov ecx */
	assert_int_equal(h->fault_eip, BTH_CODE_ADDR + 19 + 5);
	bth_free(h);
}

/* A supervisor read of a not-present page: error code 0 (a valid one). */
BTH_CODE(t_pf_read, "mov $0x100000, %eax\n mov %eax, %cr3\n mov %cr0, %eax\n"
		    "or $0x80000000, %eax\n mov %eax, %cr0\n"
		    "mov 0x800000, %ebx\n hlt");

static void test_bt_paging_supervisor_read_fault_has_error_zero(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	map_identity(h);
	bth_load(h, BTH_CODE_ADDR, t_pf_read_start, t_pf_read_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_PF);
	assert_int_equal(h->err, 0);
	assert_int_equal(h->c->cr2, 0x800000);
	bth_free(h);
}

/* Ring 3 touches a supervisor page: #PF with U and P set. */
BTH_CODE(t_user, "mov $0x100000, %eax\n mov %eax, %cr3\n mov %cr0, %eax\n"
		 "or $0x80000000, %eax\n mov %eax, %cr0\n"
		 "push $0x23\n push $0x3f000\n pushf\n push $0x1b\n push $0x10000+(1f-t_user_start)\n"
		 "iret\n 1: mov $0x23, %ax\n mov %ax, %ds\n mov 0x5000, %eax\n hlt");

static void test_bt_paging_user_cannot_read_supervisor_page(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	map_identity(h);
	bth_poke32(h, PT + 4 * 5, 0x5000 | 3); /* supervisor only */
	bth_load(h, BTH_CODE_ADDR, t_user_start, t_user_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	if (h->vector != X86_EXC_PF)
		fprintf(stderr, "vector %d err %#x eip %#x cpl %u\n", h->vector, h->err,
			h->fault_eip, h->c->cpl);
	assert_int_equal(h->vector, X86_EXC_PF);
	assert_int_equal(h->c->cr2, 0x5000);
	/* the frame is on the ring-0 stack: error code first */
	assert_int_equal(bth_peek32(h, BTH_KSTACK - 24), X86_PF_P | X86_PF_U);
	bth_free(h);
}

BTH_CODE(t_wp, "mov $0x100000, %eax\n mov %eax, %cr3\n mov %cr0, %eax\n"
	       "or $0x80000000, %eax\n mov %eax, %cr0\n"
	       "movl $1, 0x6000\n mov %cr0, %eax\n or $0x10000, %eax\n mov %eax, %cr0\n"
	       "movl $2, 0x6000\n hlt");

static void test_bt_paging_cr0_wp_protects_read_only_pages(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	map_identity(h);
	bth_poke32(h, PT + 4 * 6, 0x6000 | 5); /* read-only, user */
	bth_load(h, BTH_CODE_ADDR, t_wp_start, t_wp_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_PF);
	assert_int_equal(h->err, X86_PF_P | X86_PF_W);
	assert_int_equal(bth_peek32(h, 0x6000), 1); /* WP=0: the first write went through */
	bth_free(h);
}

BTH_CODE(t_pse, "mov %cr4, %eax\n or $0x10, %eax\n mov %eax, %cr4\n"
		"mov $0x100000, %eax\n mov %eax, %cr3\n mov %cr0, %eax\n"
		"or $0x80000000, %eax\n mov %eax, %cr0\n"
		"movl $0xabcd, 0xc0001000\n mov 0xc0001000, %edx\n hlt");

static void test_bt_paging_pse_4mib_page(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	map_identity(h);
	bth_poke32(h, PD + 4 * 0x300, 0x400000 | X86_PTE_PS | 7); /* 0xc0000000 -> 4 MiB */
	bth_load(h, BTH_CODE_ADDR, t_pse_start, t_pse_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(bth_peek32(h, 0x401000), 0xabcd);
	assert_int_equal(h->c->gpr[X86_RDX], 0xabcd);
	assert_true(bth_peek32(h, PD + 4 * 0x300) & X86_PTE_D);
	bth_free(h);
}

/* PAE with NX: jumping to a no-execute page faults with I/D set. */
BTH_CODE(t_pae, "mov $0xc0000080, %ecx\n rdmsr\n or $0x800, %eax\n wrmsr\n"
		"mov %cr4, %eax\n or $0x20, %eax\n mov %eax, %cr4\n"
		"mov $0x102000, %eax\n mov %eax, %cr3\n mov %cr0, %eax\n"
		"or $0x80000000, %eax\n mov %eax, %cr0\n"
		"movl $0x77, 0x7000\n mov $0x7000, %eax\n jmp *%eax");

static void test_bt_paging_pae_nx_faults_on_fetch(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	uint64_t pdpte = PAE_PD | 1, pde = PAE_PT | 7;
	assert_int_equal(mem_write(&h->vm->mem, PDPT, &pdpte, 8), 0);
	assert_int_equal(mem_write(&h->vm->mem, PAE_PD, &pde, 8), 0);
	for (uint64_t i = 0; i < 512; i++) {
		uint64_t pte = (i << 12) | 7;
		if (i == 7)
			pte |= X86_PTE_NX;
		assert_int_equal(mem_write(&h->vm->mem, PAE_PT + 8 * i, &pte, 8), 0);
	}
	bth_load(h, BTH_CODE_ADDR, t_pae_start, t_pae_end);
	assert_int_equal(bth_run(h), BTH_EXC);
	assert_int_equal(h->vector, X86_EXC_PF);
	assert_int_equal(h->c->cr2, 0x7000);
	assert_int_equal(h->err, X86_PF_P | X86_PF_I);
	assert_int_equal(bth_peek32(h, 0x7000), 0x77); /* data writes were fine */
	bth_free(h);
}

/* INVLPG: after remapping a page the new frame is seen. */
BTH_CODE(t_invlpg, "mov $0x100000, %eax\n mov %eax, %cr3\n mov %cr0, %eax\n"
		   "or $0x80000000, %eax\n mov %eax, %cr0\n"
		   "mov 0x9000, %ebx\n movl $0xa007, 0x101000+9*4\n invlpg 0x9000\n"
		   "mov 0x9000, %ecx\n hlt");

static void test_bt_paging_invlpg_sees_new_mapping(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	map_identity(h);
	bth_poke32(h, 0x9000, 0x99);
	bth_poke32(h, 0xa000, 0xaa);
	bth_load(h, BTH_CODE_ADDR, t_invlpg_start, t_invlpg_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RBX], 0x99);
	assert_int_equal(h->c->gpr[X86_RCX], 0xaa);
	bth_free(h);
}

/* Self-modifying code: a store rewrites the immediate of a later insn in
 * the same block, then code in a loop is patched between iterations. */
BTH_CODE(t_smc, "movl $0x42, 0x10000+(1f-t_smc_start)+1\n"
		"1: mov $0x11, %eax\n"
		"mov $3, %ecx\n xor %edx, %edx\n"
		"2: add $1, %edx\n incb 0x10000+(2b-t_smc_start)+2\n loop 2b\n hlt");

static void test_bt_paging_self_modifying_code(void **state)
{
	(void)state;
	struct bth *h = bth_new(BTH_FLAT32);
	bth_load(h, BTH_CODE_ADDR, t_smc_start, t_smc_end);
	assert_int_equal(bth_run(h), BTH_HLT);
	assert_int_equal(h->c->gpr[X86_RAX], 0x42);
	assert_int_equal(h->c->gpr[X86_RDX], 1 + 2 + 3);
	bth_free(h);
}

#define PAGING_TESTS                                                           \
	cmocka_unit_test(test_bt_paging_two_level_maps_and_sets_ad),           \
	cmocka_unit_test(test_bt_paging_not_present_fault_is_precise),         \
	cmocka_unit_test(test_bt_paging_supervisor_read_fault_has_error_zero), \
	cmocka_unit_test(test_bt_paging_user_cannot_read_supervisor_page),     \
	cmocka_unit_test(test_bt_paging_cr0_wp_protects_read_only_pages),      \
	cmocka_unit_test(test_bt_paging_pse_4mib_page),                        \
	cmocka_unit_test(test_bt_paging_pae_nx_faults_on_fetch),               \
	cmocka_unit_test(test_bt_paging_invlpg_sees_new_mapping),              \
	cmocka_unit_test(test_bt_paging_self_modifying_code)

int main(void)
{
	const struct CMUnitTest tests[] = { PAGING_TESTS };
	int r = cmocka_run_group_tests_name("bt paging (interpreter)", tests, bth_setup_interp, NULL);
	r |= cmocka_run_group_tests_name("bt paging (translator)", tests, bth_setup_trans, NULL);
	r |= cmocka_run_group_tests_name("bt paging (translator, software TLB)", tests,
					 bth_setup_softmmu, bth_teardown_softmmu);
	return r;
}
