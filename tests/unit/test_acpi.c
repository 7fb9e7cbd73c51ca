/* test_acpi.c: the firmware tables and the ACPI PM block. The tables are
 * walked as a guest would (RSDP -> RSDT/XSDT -> FADT -> DSDT/FACS, MADT,
 * HPET; the MP floating pointer -> configuration table) with every checksum
 * and the entries the machine's configuration implies; then acpixtract and
 * iasl -d (Debian's acpica-tools) decode them. The PM timer, status/enable,
 * the SCI and the S5 power-off run against the fake clock. */
#include "tests/unit/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/dev/dev.h"

static uint8_t area[FW_AREA_SIZE];

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static const uint8_t *gpa(uint64_t a, size_t len)
{
	assert_true(a >= FW_AREA_BASE && a + len <= FW_AREA_BASE + FW_AREA_SIZE);
	return area + (a - FW_AREA_BASE);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* A table at (a) with signature (sig): its checksum and its length. */
static const uint8_t *table(uint64_t a, const char *sig)
{
	const uint8_t *t = gpa(a, 36);
	assert_memory_equal(t, sig, 4);
	uint32_t len = (uint32_t)le(t + 4, 4);
	assert_true(len >= 36);
	assert_int_equal(sum(gpa(a, len), len), 0);
	return t;
}

static void build(unsigned cpus)
{
	struct fw_config c = { .nr_cpus = cpus, .ioapic_id = (uint8_t)cpus,
			       .pci_hole = PCI_MMIO_BASE, .hpet = true };
	fw_tables_build(&c, area);
}

/* The tables the RSDT lists, by signature (NULL if absent); checks that the
 * XSDT lists the same ones. */
static const uint8_t *find(const char *sig)
{
	const uint8_t *rsdp = gpa(ACPI_RSDP_ADDR, 36);
	const uint8_t *rsdt = table(le(rsdp + 16, 4), "RSDT");
	const uint8_t *xsdt = table(le(rsdp + 24, 8), "XSDT");
	unsigned n = (unsigned)(le(rsdt + 4, 4) - 36) / 4;
	assert_int_equal(le(xsdt + 4, 4), 36 + 8 * n);
	const uint8_t *found = NULL;
	for (unsigned i = 0; i < n; i++) {
		uint64_t a = le(rsdt + 36 + 4 * i, 4);
		assert_int_equal(le(xsdt + 36 + 8 * i, 8), a);
		if (!memcmp(gpa(a, 4), sig, 4))
			found = table(a, sig);
	}
	return found;
}

static void test_acpi_rsdp_is_in_the_bios_area_with_both_checksums(void **state)
{
	(void)state;
	build(2);
	const uint8_t *r = gpa(ACPI_RSDP_ADDR, 36);
	assert_true(ACPI_RSDP_ADDR >= 0xe0000 && ACPI_RSDP_ADDR % 16 == 0);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_int_equal(r[15], 2);
	assert_int_equal(le(r + 20, 4), 36);
	assert_int_equal(sum(r, 36), 0);
	assert_non_null(find("FACP"));
	assert_non_null(find("APIC"));
	assert_non_null(find("HPET"));
	assert_null(find("DSDT")); /* reached through the FADT only */
}

static void test_acpi_fadt_describes_the_pm_block_sci_and_dsdt(void **state)
{
	(void)state;
	build(1);
	const uint8_t *f = find("FACP");
	assert_int_equal(le(f + 4, 4), 244);
	assert_int_equal(le(f + 46, 2), 9);            /* SCI_INT */
	assert_int_equal(le(f + 48, 4), 0);            /* no SMI_CMD */
	assert_int_equal(le(f + 56, 4), 0x600);        /* PM1a_EVT_BLK */
	assert_int_equal(le(f + 64, 4), 0x604);        /* PM1a_CNT_BLK */
	assert_int_equal(le(f + 76, 4), 0x608);        /* PM_TMR_BLK */
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_int_equal(le(f + 112, 4) & (1u << 8), 0); /* TMR_VAL_EXT: 24 bits */
	assert_int_equal(le(f + 109, 2) & 2, 2);       /* 8042 present */
	assert_int_equal(le(f + 120, 8), 0xcf9);       /* RESET_REG */
	assert_int_equal(le(f + 212, 8), 0x608);       /* X_PM_TMR_BLK */
	uint64_t dsdt = le(f + 40, 4), facs = le(f + 36, 4);
	assert_int_equal(le(f + 140, 8), dsdt);
	assert_int_equal(le(f + 132, 8), facs);
	assert_int_equal(facs % 64, 0);
	assert_memory_equal(gpa(facs, 4), "FACS", 4);
	const uint8_t *d = table(dsdt, "DSDT");
	uint32_t len = (uint32_t)le(d + 4, 4);
	/* Name (\_S5, Package (4) { 0, 0, 0, 0 }) */
	static const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0 };
	assert_non_null(memmem(d, len, s5, sizeof(s5)));
	assert_non_null(memmem(d, len, "PCI0", 4));
}

static void test_acpi_madt_lists_every_cpu_the_ioapic_and_overrides(void **state)
{
	(void)state;
	build(4);
	const uint8_t *m = find("APIC");
	uint32_t len = (uint32_t)le(m + 4, 4);
	assert_int_equal(le(m + 36, 4), 0xfee00000);
	unsigned cpus = 0, ioapics = 0, isos = 0, nmis = 0;
	for (uint32_t off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;
		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[3], cpus); /* APIC IDs 0..n-1 */
			assert_int_equal(le(e + 4, 4) & 1, 1);
			cpus++;
			break;
		case 1:
			assert_int_equal(e[2], 4);
			assert_int_equal(le(e + 4, 4), 0xfec00000);
			assert_int_equal(le(e + 8, 4), 0);
			ioapics++;
			break;
		case 2:
			if (e[3] == 0)
				assert_int_equal(le(e + 4, 4), 2);
			else
				assert_true(e[3] == 9 && le(e + 4, 4) == 9 && le(e + 8, 2) == 0x0d);
			isos++;
			break;
		case 4:
			assert_int_equal(e[5], 1); /* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(cpus, 4);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
}

static void test_acpi_hpet_table_matches_the_device(void **state)
{
	(void)state;
	build(1);
	const uint8_t *h = find("HPET");
	assert_int_equal(le(h + 36, 4), HPET_ID_LOW);
	assert_int_equal(le(h + 36, 4) >> 16, 0x8086);
	assert_int_equal(h[40], 0); /* memory space */
	assert_int_equal(le(h + 44, 8), 0xfed00000);
}

static void test_mptable_has_cpus_buses_ioapic_and_isa_interrupts(void **state)
{
	(void)state;
	build(3);
	const uint8_t *fp = gpa(MP_FLOAT_ADDR, 16);
	assert_true(MP_FLOAT_ADDR >= 0xf0000 && MP_FLOAT_ADDR % 16 == 0);
	assert_memory_equal(fp, "_MP_", 4);
	assert_int_equal(fp[8], 1);
	assert_int_equal(fp[9], 4);
	assert_int_equal(sum(fp, 16), 0);
	const uint8_t *t = gpa(le(fp + 4, 4), 44);
	assert_memory_equal(t, "PCMP", 4);
	uint32_t len = (uint32_t)le(t + 4, 2);
	assert_int_equal(sum(gpa(le(fp + 4, 4), len), len), 0);
	assert_int_equal(le(t + 36, 4), 0xfee00000);
	unsigned n = (unsigned)le(t + 34, 2), cpus = 0, buses = 0, ioapic = 0, ints = 0, lints = 0;
	const uint8_t *e = t + 44;
	for (unsigned i = 0; i < n; i++) {
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], cpus);
			assert_int_equal(e[3], cpus == 0 ? 3 : 1); /* EN, BP on the first */
			cpus++;
			e += 20;
			continue;
		case 1: buses++; break;
		case 2:
			assert_int_equal(e[1], 3);
			assert_int_equal(le(e + 4, 4), 0xfec00000);
			ioapic++;
			break;
		case 3:
			if (e[5] == 0)
				assert_int_equal(e[7], 2); /* IRQ 0 on pin 2 */
			if (e[5] == 9)
				assert_int_equal(le(e + 2, 2), 0x0d);
			ints++;
			break;
		case 4: lints++; break;
		default: fail_msg("unexpected MP entry type %u", e[0]);
		}
		e += 8;
	}
	assert_int_equal(e - t, len);
	assert_int_equal(cpus, 3);
	assert_int_equal(buses, 2);
	assert_int_equal(ioapic, 1);
	assert_int_equal(ints, 15);
	assert_int_equal(lints, 2);
}

/* acpidump's text format, which acpixtract reads. */
static void dump_table(FILE *f, const char *sig, uint64_t a)
{
	const uint8_t *t = gpa(a, 36);
	uint32_t len = memcmp(sig, "RSD ", 4) ? (uint32_t)le(t + 4, 4) : 36;
	fprintf(f, "%.4s @ 0x%016llx\n", sig, (unsigned long long)a);
	for (uint32_t o = 0; o < len; o += 16) {
		fprintf(f, "    %04X:", o);
		for (uint32_t i = o; i < o + 16; i++)
			if (i < len)
				fprintf(f, " %02X", t[i]);
			else
				fprintf(f, "   ");
		fprintf(f, "  ");
		for (uint32_t i = o; i < o + 16 && i < len; i++)
			fputc(t[i] >= 0x20 && t[i] < 0x7f ? t[i] : '.', f);
		fputc('\n', f);
	}
	fputc('\n', f);
}

static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	size_t cap = 1 << 20, len = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	size_t n;
	while ((n = fread(out + len, 1, cap - 1 - len, p)) > 0)
		len += n;
	out[len] = 0;
	pclose(p);
	return out;
}

static void test_acpi_tables_decode_with_iasl(void **state)
{
	(void)state;
	if (system("command -v iasl >/dev/null 2>&1 && command -v acpixtract >/dev/null 2>&1")) {
		printf("skip: iasl/acpixtract missing (apt-get install acpica-tools)\n");
		skip();
	}
	build(2);
	char dir[] = "/tmp/triplex-acpi-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], cmd[1024];
	snprintf(path, sizeof(path), "%s/acpi.txt", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	const uint8_t *fadt = find("FACP");
	dump_table(f, "DSDT", le(fadt + 40, 4));
	dump_table(f, "FACP", (uint64_t)(fadt - area) + FW_AREA_BASE);
	dump_table(f, "APIC", (uint64_t)(find("APIC") - area) + FW_AREA_BASE);
	dump_table(f, "HPET", (uint64_t)(find("HPET") - area) + FW_AREA_BASE);
	dump_table(f, "FACS", le(fadt + 36, 4));
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && acpixtract -a acpi.txt >/dev/null 2>&1 && "
		 "for t in dsdt facp apic hpet; do iasl -d $t.dat >/dev/null 2>&1 || echo FAIL-$t; "
		 "done; cat dsdt.dsl facp.dsl apic.dsl hpet.dsl; [ -n \"$KEEP\" ] || rm -rf %s", dir, dir);
	char *out = run(cmd);
	static const char *const want[] = {
		"Name (\\_S5, Package (0x04)", "PNP0A03", "PNP0103", "Memory32Fixed",
		"DWordMemory", "WordBusNumber", "0xFEBFFFFF",
		"PM1A Event Block Address : 00000600",
		"PM1A Control Block Address : 00000604",
		"PM Timer Block Address : 00000608",
		"SCI Interrupt : 0009",
		"Address : 0000000000000CF9", /* reset register */
		"Local Apic Address : FEE00000",
		"Processor ID : 01",
		"[I/O APIC]",
		"Address : FEC00000",
		"[Interrupt Source Override]",
		"[Local APIC NMI]",
		"Hardware Block ID : 8086A201",
		"Address : 00000000FED00000",
	};
	assert_null(strstr(out, "FAIL-"));
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(want); i++)
		if (!strstr(out, want[i]))
			fail_msg("iasl output lacks \"%s\":\n%s", want[i], out);
	assert_null(strstr(out, "Incorrect checksum"));
	assert_null(strstr(out, "Invalid"));
	free(out);
}

/* ---- the PM block ---- */

static struct acpi_pm *the_pm;

static int pm_setup(void **state)
{
	struct vm *vm = test_vm_create(64 * MiB);
	assert_non_null(vm);
	test_vm_capture_irqs(vm);
	the_pm = acpi_pm_create(vm);
	assert_non_null(the_pm);
	*state = vm;
	return 0;
}

static int pm_teardown(void **state)
{
	struct vm *vm = *state;
	acpi_pm_destroy(the_pm);
	vm_destroy(vm);
	return 0;
}

#define VM ((struct vm *)*state)

static void test_pm_timer_counts_at_3_579545_mhz_in_24_bits(void **state)
{
	uint32_t t0 = test_in(VM, 0x608, 4);
	test_clock_advance(1000000000ull); /* 1 s */
	uint32_t t1 = test_in(VM, 0x608, 4);
	assert_int_equal((t1 - t0) & 0xffffff, 3579545 & 0xffffff);
	assert_int_equal(t1 >> 24, 0);
	test_clock_advance(10000000ull); /* 10 ms: 35795 ticks */
	uint32_t t2 = test_in(VM, 0x608, 4);
	assert_int_equal((t2 - t1) & 0xffffff, 35795);
	/* byte reads see the same count */
	assert_int_equal(inb(VM, 0x608), t2 & 0xff);
	assert_int_equal(test_in(VM, 0x60a, 2), (t2 >> 16) & 0xff);
	test_out(VM, 0x608, 0, 4); /* read-only */
	assert_int_equal(test_in(VM, 0x608, 4), t2);
}

/* A dword read is one instant: its bytes come from one count, even when the
 * clock moves between the device's byte cycles (it moves on every read of a
 * clock that advances by itself). */
static uint64_t ticking_now(void)
{
	test_now += 100000; /* 100 us per look at the clock */
	return test_now;
}

static void test_pm_timer_dword_read_is_not_torn(void **state)
{
	VM->now_ns = ticking_now;
	uint32_t prev = test_in(VM, 0x608, 4);
	for (unsigned i = 0; i < 200; i++) {
		uint32_t v = test_in(VM, 0x608, 4);
		uint32_t d = (v - prev) & 0xffffff;
		assert_true(d > 0 && d < 1000); /* ~358 ticks per read */
		prev = v;
	}
}

static void test_pm_tmr_sts_sets_on_carry_and_clears_by_writing_one(void **state)
{
	assert_int_equal(test_in(VM, 0x600, 2) & 1, 0);
	test_clock_advance(2400000000ull); /* > 2^23 ticks (2.34 s) */
	assert_int_equal(test_in(VM, 0x600, 2) & 1, 1);
	test_out(VM, 0x600, 0x0000, 2); /* writing 0 changes nothing */
	assert_int_equal(test_in(VM, 0x600, 2) & 1, 1);
	test_out(VM, 0x600, 0x0001, 2);
	assert_int_equal(test_in(VM, 0x600, 2) & 1, 0);
	assert_int_equal(test_irq_level[9], 0); /* TMR_EN clear: no SCI */
}

static void test_pm_tmr_en_raises_the_sci_at_the_next_carry(void **state)
{
	/* Linux enables the global lock and RTC events and reads them back */
	test_out(VM, 0x602, 0x0520, 2);
	assert_int_equal(test_in(VM, 0x602, 2), 0x0520);
	assert_int_equal(test_irq_level[9], 0);
	test_out(VM, 0x602, 0x0001, 2);
	assert_int_equal(test_in(VM, 0x602, 2), 1);
	assert_int_equal(test_irq_level[9], 0);
	uint64_t next = timer_next_deadline(&VM->timers);
	assert_true(next > test_now && next - test_now <= 2400000000ull);
	test_clock_advance(next - test_now);
	timer_run_due(&VM->timers, test_now);
	assert_int_equal(test_irq_level[9], 1);
	test_out(VM, 0x600, 0x0001, 2); /* the handler acknowledges */
	assert_int_equal(test_irq_level[9], 0);
}

static void test_pm1_control_reads_sci_en_and_s5_powers_off(void **state)
{
	assert_int_equal(test_in(VM, 0x604, 2) & 1, 1); /* SCI_EN: ACPI mode */
	test_out(VM, 0x604, 0x1400, 2); /* SLP_TYP 5 without SLP_EN */
	assert_int_equal(test_in(VM, 0x604, 2), 0x1401);
	test_out(VM, 0x604, 0x2400, 2); /* SLP_EN, type 1: not offered */
	assert_false(vm_stopping(VM));
	test_out(VM, 0x604, 0x2000 | ACPI_SLP_TYP_S5 << 10, 2);
	assert_int_equal(VM->stop_reason, VM_STOP_POWEROFF);
	assert_int_equal(VM->stop_status, 0);
}

static void test_board_writes_the_tables_into_guest_memory(void **state)
{
	(void)state;
	struct vm *vm = test_vm_create(64 * MiB);
	assert_non_null(vm);
	static const struct board_config cfg = { .serial = "none" };
	struct board_pc *b = board_pc_create(vm, &cfg);
	assert_non_null(b);
	const uint8_t *r = mem_gpa_to_hva(&vm->mem, ACPI_RSDP_ADDR, 36);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 36), 0);
	assert_memory_equal(mem_gpa_to_hva(&vm->mem, MP_FLOAT_ADDR, 4), "_MP_", 4);
	board_pc_destroy(b);
	vm_destroy(vm);
}

#define PM(t) cmocka_unit_test_setup_teardown(t, pm_setup, pm_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acpi_rsdp_is_in_the_bios_area_with_both_checksums),
		cmocka_unit_test(test_acpi_fadt_describes_the_pm_block_sci_and_dsdt),
		cmocka_unit_test(test_acpi_madt_lists_every_cpu_the_ioapic_and_overrides),
		cmocka_unit_test(test_acpi_hpet_table_matches_the_device),
		cmocka_unit_test(test_mptable_has_cpus_buses_ioapic_and_isa_interrupts),
		cmocka_unit_test(test_acpi_tables_decode_with_iasl),
		PM(test_pm_timer_counts_at_3_579545_mhz_in_24_bits),
		PM(test_pm_timer_dword_read_is_not_torn),
		PM(test_pm_tmr_sts_sets_on_carry_and_clears_by_writing_one),
		PM(test_pm_tmr_en_raises_the_sci_at_the_next_carry),
		PM(test_pm1_control_reads_sci_en_and_s5_powers_off),
		cmocka_unit_test(test_board_writes_the_tables_into_guest_memory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
