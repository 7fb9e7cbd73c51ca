/* guests/selftest/st_paging.c: paging permissions and the bits the CPU
 * writes, in each paging mode of the build (32-bit: 2-level, then PAE;
 * 64-bit: 4-level). Page-fault error codes per SDM 3A 4.7: P (bit 0), W
 * (1), U (2), I/D (4, with NX enabled). */
#include "st_paging.h"

#define PF_P 1u
#define PF_W 2u
#define PF_U 4u
#define PF_ID 16u

/* mov $1, %eax; ret */
static const uint8_t ret1_code[] = { 0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3 };

static char case_name[48];
static const char *mode_name;

static void begin(const char *what)
{
	ksnprintf(case_name, sizeof(case_name), "paging.%s.%s", mode_name, what);
	st_begin(case_name);
}

static uint32_t *frames[STP_PAGES];

static void map_pages(void)
{
	const uint64_t nx = pg_nx ? PG_NX : 0;
	const uint64_t flags[STP_PAGES] = {
		[STP_SUP] = PG_P | PG_RW,	  [STP_URO] = PG_P | PG_US,
		[STP_URW] = PG_P | PG_RW | PG_US, [STP_UX] = PG_P | PG_US,
		[STP_UNX] = PG_P | PG_US | nx,	  [STP_SNX] = PG_P | nx,
		[STP_AD] = PG_P | PG_RW,
	};

	for (int k = 0; k < STP_PAGES; k++) {
		frames[k] = page_alloc();
		frames[k][0] = ST_PG_STAMP(k);
		if (k == STP_UX || k == STP_UNX || k == STP_SNX)
			memcpy(frames[k], ret1_code, sizeof(ret1_code));
		if (flags[k])
			pg_map(&pg_kernel, ST_PG(k), (ulong)frames[k], flags[k]);
	}
}

static void user_cases(void)
{
	const struct st_pg_user *u = &st_pg_user;

	st_pg_user.nx = pg_nx;
	(void)user_run(st_paging_user, NULL);
	begin("user_allowed");
	st_eq("read_ro", ST_PG_STAMP(STP_URO), u->ro_read);
	st_eq("write_rw", 0x1234, u->rw_readback);
	st_eq("exec", 1, u->exec_ret);
	st_end();
	begin("user_supervisor_page");
	st_check_fault(&u->sup_read, VEC_PF, PF_P | PF_U, 0, ST_PG(STP_SUP));
	st_end();
	begin("user_write_read_only");
	st_check_fault(&u->ro_write, VEC_PF, PF_P | PF_W | PF_U, 0, ST_PG(STP_URO));
	st_end();
	begin("user_not_present");
	st_check_fault(&u->np_read, VEC_PF, PF_U, 0, ST_PG(STP_NP));
	st_end();
	if (pg_nx) {
		begin("user_nx");
		st_check_fault(&u->nx_fetch, VEC_PF, PF_P | PF_U | PF_ID, ST_PG(STP_UNX),
			       ST_PG(STP_UNX));
		st_end();
	}
}

static void kernel_fault(ulong va, bool write, struct st_fault *f)
{
	ulong v = 0;

	catch_arm(1u << VEC_PF);
	if (write)
		__asm__ volatile(CATCH_RESUME_AT_1 "movl $7, (%[a])\n1:"
				 : : [a] "r"(va) : "memory", CATCH_CLOBBER);
	else
		__asm__ volatile(CATCH_RESUME_AT_1 "mov (%[a]), %[v]\n1:"
				 : [v] "+r"(v) : [a] "r"(va) : "memory", CATCH_CLOBBER);
	st_fault_take(f);
}

static void kernel_cases(void)
{
	struct st_fault f;
	ulong cr0 = read_cr0();

	begin("kernel_not_present");
	kernel_fault(ST_PG(STP_NP), false, &f);
	st_check_fault(&f, VEC_PF, 0, 0, ST_PG(STP_NP));
	kernel_fault(ST_PG(STP_NP) + 8, true, &f);
	st_check_fault(&f, VEC_PF, PF_W, 0, ST_PG(STP_NP) + 8);
	st_end();
	/* CR0.WP=1: ring 0 cannot write read-only pages either; with WP=0
	 * it can (SDM 3A 4.6.1). */
	begin("kernel_write_protect");
	kernel_fault(ST_PG(STP_URO), true, &f);
	st_check_fault(&f, VEC_PF, PF_P | PF_W, 0, ST_PG(STP_URO));
	write_cr0(cr0 & ~(ulong)X86_CR0_WP);
	*(volatile uint32_t *)ST_PG(STP_URO) = 0xabcd;
	write_cr0(cr0);
	st_eq("wp0_write", 0xabcd, frames[STP_URO][0]);
	st_end();
	if (pg_nx) {
		begin("kernel_nx");
		catch_arm(1u << VEC_PF);
#ifdef __x86_64__
		__asm__ volatile(CATCH_RESUME_AT_1 "mov %%rsp, %%rsi\n\tcall *%[t]\n1:\tmov %%rsi, %%rsp"
				 : : [t] "r"(ST_PG(STP_SNX)) : "rax", "rsi", "memory", CATCH_CLOBBER);
#else
		__asm__ volatile(CATCH_RESUME_AT_1 "mov %%esp, %%esi\n\tcall *%[t]\n1:\tmov %%esi, %%esp"
				 : : [t] "r"(ST_PG(STP_SNX)) : "eax", "esi", "memory", CATCH_CLOBBER);
#endif
		st_fault_take(&f);
		st_check_fault(&f, VEC_PF, PF_P | PF_ID, ST_PG(STP_SNX), ST_PG(STP_SNX));
		st_end();
	}
}

/* The CPU sets A on any access and D on a write (SDM 3A 4.8). */
static void accessed_dirty(void)
{
	void *pte = pg_pte(&pg_kernel, ST_PG(STP_AD));
	volatile uint32_t *p = (volatile uint32_t *)ST_PG(STP_AD);
	uint32_t v;

	begin("accessed_dirty");
	st_eq("initial", 0, pg_pte_read(pte) & (PG_A | PG_D));
	v = *p;
	st_eq("read", ST_PG_STAMP(STP_AD), v);
	st_eq("after_read", PG_A, pg_pte_read(pte) & (PG_A | PG_D));
	*p = v + 1;
	st_eq("after_write", PG_A | PG_D, pg_pte_read(pte) & (PG_A | PG_D));
	st_end();
	/* Point the page elsewhere: after invlpg the new frame shows. */
	begin("invlpg");
	pg_pte_write(pte, (ulong)frames[STP_NP] | PG_P | PG_RW);
	invlpg(ST_PG(STP_AD));
	st_eq("new_frame", ST_PG_STAMP(STP_NP), *p);
	st_end();
}

static void cr3_switch(void)
{
	struct aspace *as = pg_aspace_create();
	struct st_fault f;
	uint32_t v;

	pg_map(as, ST_PG(STP_PRIV), (ulong)frames[STP_PRIV], PG_P | PG_RW);
	begin("cr3_switch");
	pg_switch(as);
	v = *(volatile uint32_t *)ST_PG(STP_PRIV);
	pg_switch(&pg_kernel);
	st_eq("private_page", ST_PG_STAMP(STP_PRIV), v);
	kernel_fault(ST_PG(STP_PRIV), false, &f);
	st_check_fault(&f, VEC_PF, 0, 0, ST_PG(STP_PRIV));
	st_end();
}

static void run_mode(const char *name)
{
	mode_name = name;
	map_pages();
	user_cases();
	kernel_cases();
	accessed_dirty();
	cr3_switch();
}

void st_paging(void)
{
#ifdef __x86_64__
	pg_ensure();
	run_mode("4level");
#else
	pg_init(PG_MODE_2LEVEL);
	run_mode("2level");
	pg_init(PG_MODE_PAE);
	run_mode("pae");
#endif
	kprintf("info paging nx=%u\n", pg_nx);
}
