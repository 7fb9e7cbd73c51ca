/* test_pv_mmu.c: the pv engine's walk of guest page tables (pv_walk), which
 * decides what each sandbox maps and which #PF error code a denied access
 * gets: 2-level with 4 MiB pages, PAE with NX, 4-level with 2 MiB pages,
 * accessed and dirty bits, CR0.WP, and paging off. Tables are built in a
 * test VM's memory; nothing is mapped on the host. */
#include "tests/unit/util.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/pv/pv_internal.h"

struct t {
	struct vm *vm;
	struct pv_chan *chan;
	struct pv_vm pvm;
	struct pv_child c;
};

static int setup(void **state)
{
	struct t *t = calloc(1, sizeof(*t));
	t->vm = test_vm_create(16 * MiB);
	t->chan = calloc(1, sizeof(*t->chan));
	t->pvm.note = (struct pv_note){ .bits = 32, .kernel_start = 0x1000, .kernel_end = 1ull << 32,
					.user_start = 0x1000, .user_end = 1ull << 32 };
	t->pvm.va_top = 1ull << 32;
	t->c = (struct pv_child){ .chan = t->chan, .vm = &t->pvm, .mem = &t->vm->mem, .bits = 32,
				  .window = 0xfff00000 };
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;
	vm_destroy(t->vm);
	free(t->chan);
	free(t);
	return 0;
}

static void put32(struct t *t, uint64_t gpa, uint32_t v)
{
	assert_int_equal(mem_write(&t->vm->mem, gpa, &v, 4), 0);
}

static void put64(struct t *t, uint64_t gpa, uint64_t v)
{
	assert_int_equal(mem_write(&t->vm->mem, gpa, &v, 8), 0);
}

static uint64_t get(struct t *t, uint64_t gpa, unsigned size)
{
	uint64_t v = 0;
	assert_int_equal(mem_read(&t->vm->mem, gpa, &v, size), 0);
	return v;
}

#define PD 0x10000
#define PT 0x11000

/* 2-level: 0x400000 -> frame 0x200000, user read/write, A and D clear;
 * 0x401000 -> 0x201000 supervisor; 0x800000 a 4 MiB page -> 0xc00000. */
static void two_level(struct t *t)
{
	t->chan->cpu.cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP;
	t->chan->cpu.cr3 = PD;
	t->chan->cpu.cr4 = X86_CR4_PSE;
	put32(t, PD + 1 * 4, PT | 0x7);
	put32(t, PT + 0 * 4, 0x200000 | 0x7);
	put32(t, PT + 1 * 4, 0x201000 | 0x3);
	put32(t, PD + 2 * 4, 0xc00000 | 0x87);
}

static void test_user_read_maps_read_only_until_the_first_write_sets_dirty(void **state)
{
	struct t *t = *state;
	uint64_t gpa, span;
	unsigned prot;
	two_level(t);
	assert_int_equal(pv_walk(&t->c, 0x400123, PV_ACC_READ, true, &gpa, &span, &prot, true), 0);
	assert_int_equal(gpa, 0x200000);
	assert_int_equal(span, 4096);
	assert_int_equal(prot, PROT_READ | PROT_EXEC);
	assert_int_equal(get(t, PT, 4) & (X86_PTE_A | X86_PTE_D), X86_PTE_A);
	assert_true(get(t, PD + 4, 4) & X86_PTE_A);
	assert_int_equal(pv_walk(&t->c, 0x400123, PV_ACC_WRITE, true, &gpa, &span, &prot, true), 0);
	assert_int_equal(prot, PROT_READ | PROT_WRITE | PROT_EXEC);
	assert_int_equal(get(t, PT, 4) & (X86_PTE_A | X86_PTE_D), X86_PTE_A | X86_PTE_D);
}

static void test_user_access_to_supervisor_or_absent_pages_gets_the_sdm_error_code(void **state)
{
	struct t *t = *state;
	uint64_t gpa, span;
	unsigned prot;
	two_level(t);
	uint32_t r = pv_walk(&t->c, 0x401000, PV_ACC_READ, true, &gpa, &span, &prot, true);
	assert_int_equal(r, PV_PF_FAULT | X86_PF_P | X86_PF_U);
	r = pv_walk(&t->c, 0x401000, PV_ACC_WRITE, true, &gpa, &span, &prot, true);
	assert_int_equal(r, PV_PF_FAULT | X86_PF_P | X86_PF_W | X86_PF_U);
	r = pv_walk(&t->c, 0x402000, PV_ACC_READ, true, &gpa, &span, &prot, true);
	assert_int_equal(r, PV_PF_FAULT | X86_PF_U);
	r = pv_walk(&t->c, 0x402000, PV_ACC_WRITE, false, &gpa, &span, &prot, true);
	assert_int_equal(r, PV_PF_FAULT | X86_PF_W);
	assert_int_equal(get(t, PT + 4, 4) & X86_PTE_A, 0); /* denied: no A */
}

static void test_kernel_writes_to_read_only_pages_fault_only_with_cr0_wp(void **state)
{
	struct t *t = *state;
	uint64_t gpa, span;
	unsigned prot;
	two_level(t);
	put32(t, PT + 0 * 4, 0x200000 | 0x5); /* user read-only */
	uint32_t r = pv_walk(&t->c, 0x400000, PV_ACC_WRITE, false, &gpa, &span, &prot, true);
	assert_int_equal(r, PV_PF_FAULT | X86_PF_P | X86_PF_W);
	t->chan->cpu.cr0 &= ~X86_CR0_WP;
	assert_int_equal(pv_walk(&t->c, 0x400000, PV_ACC_WRITE, false, &gpa, &span, &prot, true), 0);
	assert_true(prot & PROT_WRITE);
	r = pv_walk(&t->c, 0x400000, PV_ACC_WRITE, true, &gpa, &span, &prot, true);
	assert_int_equal(r, PV_PF_FAULT | X86_PF_P | X86_PF_W | X86_PF_U);
}

static void test_a_4mib_page_maps_as_one_span(void **state)
{
	struct t *t = *state;
	uint64_t gpa, span;
	unsigned prot;
	two_level(t);
	assert_int_equal(pv_walk(&t->c, 0x9a3456, PV_ACC_READ, false, &gpa, &span, &prot, true), 0);
	assert_int_equal(span, 4 * MiB);
	assert_int_equal(gpa, 0xc00000 + 0x1a3000);
}

/* PAE: PDPT at 0x10000, PD 0x11000, PT 0x12000; 0x200000 -> 0x300000
 * execute-disable, 0x201000 -> 0x301000 executable. */
static void test_pae_honours_nx_only_with_efer_nxe(void **state)
{
	struct t *t = *state;
	uint64_t gpa, span;
	unsigned prot;
	t->chan->cpu.cr0 = X86_CR0_PE | X86_CR0_PG;
	t->chan->cpu.cr3 = 0x10000;
	t->chan->cpu.cr4 = X86_CR4_PAE;
	put64(t, 0x10000, 0x11000 | 0x1);
	put64(t, 0x11000 + 1 * 8, 0x12000 | 0x7);
	put64(t, 0x12000 + 0 * 8, 0x300000 | 0x7 | X86_PTE_NX);
	put64(t, 0x12000 + 1 * 8, 0x301000 | 0x7);
	assert_int_equal(pv_walk(&t->c, 0x200000, PV_ACC_FETCH, true, &gpa, &span, &prot, true), 0);
	t->chan->cpu.efer = X86_EFER_NXE;
	uint32_t r = pv_walk(&t->c, 0x200000, PV_ACC_FETCH, true, &gpa, &span, &prot, true);
	assert_int_equal(r, PV_PF_FAULT | X86_PF_P | X86_PF_U | X86_PF_I);
	assert_int_equal(pv_walk(&t->c, 0x200000, PV_ACC_READ, true, &gpa, &span, &prot, true), 0);
	assert_int_equal(prot & PROT_EXEC, 0);
	assert_int_equal(pv_walk(&t->c, 0x201000, PV_ACC_FETCH, true, &gpa, &span, &prot, true), 0);
	assert_int_equal(gpa, 0x301000);
}

/* 4-level: PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000 with a 2 MiB page at
 * 1 GiB + 2 MiB -> 0x600000. */
static void test_4level_walks_to_a_2mib_page(void **state)
{
	struct t *t = *state;
	uint64_t gpa, span;
	unsigned prot;
	t->c.bits = 64;
	t->chan->cpu.cr0 = X86_CR0_PE | X86_CR0_PG;
	t->chan->cpu.cr3 = 0x10000;
	t->chan->cpu.efer = X86_EFER_LME | X86_EFER_LMA;
	put64(t, 0x10000, 0x11000 | 0x7);
	put64(t, 0x11000 + 1 * 8, 0x12000 | 0x7);
	put64(t, 0x12000 + 1 * 8, 0x600000 | 0x87 | X86_PTE_D);
	assert_int_equal(pv_walk(&t->c, 0x40234567, PV_ACC_WRITE, false, &gpa, &span, &prot, true), 0);
	assert_int_equal(span, 2 * MiB);
	assert_int_equal(gpa, 0x600000 + 0x34000);
	assert_true(prot & PROT_WRITE);
	uint32_t r = pv_walk(&t->c, 0x80000000, PV_ACC_READ, false, &gpa, &span, &prot, true);
	assert_int_equal(r, PV_PF_FAULT);
}

static void test_paging_off_is_the_identity_in_2mib_chunks(void **state)
{
	struct t *t = *state;
	uint64_t gpa, span;
	unsigned prot;
	t->chan->cpu.cr0 = X86_CR0_PE;
	assert_int_equal(pv_walk(&t->c, 0x345678, PV_ACC_WRITE, true, &gpa, &span, &prot, true), 0);
	assert_int_equal(gpa, 0x345000);
	assert_int_equal(span, 2 * MiB);
	assert_int_equal(prot, PROT_READ | PROT_WRITE | PROT_EXEC);
}

static void test_the_layout_covers_the_declared_ranges_and_the_rom_window(void **state)
{
	struct t *t = *state;
	t->pvm.note.kernel_end = 0x400000;
	t->pvm.note.user_start = 0x100000;
	t->pvm.note.user_end = 0x80000000;
	assert_true(pv_in_layout(&t->c, 0x1000));
	assert_true(pv_in_layout(&t->c, 0x7fffffff));
	assert_true(pv_in_layout(&t->c, 0xfff0ffff));
	assert_false(pv_in_layout(&t->c, 0x0));
	assert_false(pv_in_layout(&t->c, 0x80000000));
	assert_false(pv_in_layout(&t->c, 0xe0000000));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_user_read_maps_read_only_until_the_first_write_sets_dirty),
		T(test_user_access_to_supervisor_or_absent_pages_gets_the_sdm_error_code),
		T(test_kernel_writes_to_read_only_pages_fault_only_with_cr0_wp),
		T(test_a_4mib_page_maps_as_one_span),
		T(test_pae_honours_nx_only_with_efer_nxe),
		T(test_4level_walks_to_a_2mib_page),
		T(test_paging_off_is_the_identity_in_2mib_chunks),
		T(test_the_layout_covers_the_declared_ranges_and_the_rom_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
