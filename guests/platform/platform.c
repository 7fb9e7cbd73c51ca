/* guests/platform/platform.c: the firmware a kernel finds, read the way a
 * kernel reads it: the RSDP found by scanning the BIOS area (ACPI 6.4
 * 5.2.5.1), every table the RSDT (and the XSDT, revision 2+) lists with its
 * checksum, the FADT's PM blocks, the DSDT's \_S5 package, the MADT's local
 * APICs, IOAPIC and IRQ 0 override, the HPET table; the MP table. Then the devices
 * (platform_dev.c): PM timer and HPET rates against the TSC, HPET
 * interrupts, PCI configuration space, fw_cfg. On success the guest powers
 * off through ACPI: SLP_TYPa from \_S5 with SLP_EN into PM1a control, so
 * the VMM exits with status 0 (Triplex and QEMU alike). Everything that
 * differs between machines (addresses, table lists) goes to info lines. */
#include "platform.h"

struct acpi_facts acpi;
int fails;

void check(const char *name, uint64_t want, uint64_t got)
{
	if (want != got) {
		kprintf("FAIL %s expected %#llx got %#llx\n", name, (unsigned long long)want,
			(unsigned long long)got);
		fails++;
	}
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;
	for (uint32_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

static const uint8_t *phys(uint64_t pa)
{
	return (const uint8_t *)(ulong)pa;
}

/* 5.2.5.1: "RSD PTR " on a 16-byte boundary of 0xe0000-0xfffff whose first
 * 20 bytes sum to zero. */
static const uint8_t *find_rsdp(void)
{
	for (ulong a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp(phys(a), "RSD PTR ", 8) && sum(phys(a), 20) == 0)
			return phys(a);
	return NULL;
}

/* A table's header signature and checksum; NULL (after a FAIL) if wrong. */
static const uint8_t *table(uint64_t pa, const char *what)
{
	const uint8_t *t = phys(pa);
	uint32_t len = le32(t + 4);
	if (len < 36 || sum(t, len) != 0) {
		kprintf("FAIL acpi.%s.checksum expected 0 got %#x (length %u)\n", what,
			sum(t, len), len);
		fails++;
		return NULL;
	}
	return t;
}

static void walk_fadt(const uint8_t *f)
{
	uint32_t len = le32(f + 4);
	check("acpi.fadt.sci_int", 9, f[46] | f[47] << 8);
	acpi.pm_tmr = (uint16_t)le32(f + 76);
	acpi.pm1a_cnt = (uint16_t)le32(f + 64);
	acpi.tmr_32bit = (le32(f + 112) >> 8) & 1;
	check("acpi.fadt.pm_tmr_len", 4, f[91]);
	check("acpi.fadt.pm1_cnt_len", 2, f[89]);
	kprintf("info fadt revision=%u length=%u pm1a_cnt=%#x pm_tmr=%#x tmr_32bit=%d\n", f[8],
		len, acpi.pm1a_cnt, acpi.pm_tmr, acpi.tmr_32bit);
	uint64_t dsdt = le32(f + 40);
	if (len >= 148 && le64(f + 140))
		check("acpi.fadt.x_dsdt", dsdt, le64(f + 140));
	const uint8_t *facs = phys(le32(f + 36));
	check("acpi.facs.signature", 1, !memcmp(facs, "FACS", 4));
	const uint8_t *d = table(dsdt, "dsdt");
	if (!d)
		return;
	check("acpi.dsdt.signature", 1, !memcmp(d, "DSDT", 4));
	/* Name (_S5, Package (n) { SLP_TYPa, ... }): NameOp, "_S5_", PackageOp,
	 * PkgLength (its lead byte says how many bytes follow), NumElements. */
	uint32_t n = le32(d + 4);
	for (uint32_t i = 37; i + 8 < n; i++) {
		if (memcmp(d + i, "_S5_", 4) || d[i + 4] != 0x12)
			continue;
		const uint8_t *p = d + i + 5;
		p += 1 + (p[0] >> 6) + 1; /* PkgLength, NumElements */
		acpi.have_s5 = true;
		acpi.slp_typ_s5 = p[0] == 0x0a ? p[1] : p[0] <= 1 ? p[0] : 0xff;
		break;
	}
	check("acpi.dsdt.s5_found", 1, acpi.have_s5);
	check("acpi.dsdt.s5_slp_typ_valid", 1, acpi.slp_typ_s5 < 8);
	kprintf("ok acpi.fadt\n");
}

static void walk_madt(const uint8_t *m)
{
	uint32_t len = le32(m + 4);
	bool ioapic = false, iso0 = false;
	check("acpi.madt.lapic_addr", 0xfee00000, le32(m + 36));
	for (uint32_t off = 44; off + 2 <= len && m[off + 1] >= 2; off += m[off + 1]) {
		const uint8_t *e = m + off;
		if (e[0] == 0 && (le32(e + 4) & 1))
			acpi.nr_lapics++;
		if (e[0] == 1 && le32(e + 4) == 0xfec00000 && le32(e + 8) == 0)
			ioapic = true;
		if (e[0] == 2 && e[3] == 0)
			iso0 = le32(e + 4) == 2;
		if (e[0] == 2 && e[3] == 9)
			check("acpi.madt.sci_level_high", 0x0d, e[8] | e[9] << 8);
	}
	check("acpi.madt.ioapic", 1, ioapic);
	check("acpi.madt.irq0_on_gsi2", 1, iso0);
	check("acpi.madt.has_cpus", 1, acpi.nr_lapics >= 1);
	kprintf("info madt lapics=%u\n", acpi.nr_lapics);
	kprintf("ok acpi.madt\n");
}

static void walk_table(uint64_t pa)
{
	const uint8_t *t = phys(pa);
	char sig[5] = { (char)t[0], (char)t[1], (char)t[2], (char)t[3], 0 };
	kprintf("info table %s at %#llx length %u\n", sig, (unsigned long long)pa, le32(t + 4));
	if (!table(pa, sig))
		return;
	if (!memcmp(sig, "FACP", 4))
		walk_fadt(t);
	else if (!memcmp(sig, "APIC", 4))
		walk_madt(t);
	else if (!memcmp(sig, "HPET", 4))
		acpi.hpet_base = le64(t + 44);
}

void acpi_walk(void)
{
	const uint8_t *r = find_rsdp();
	if (!r) {
		check("acpi.rsdp.found", 1, 0);
		return;
	}
	kprintf("info rsdp at %#lx revision %u\n", (ulong)r, r[15]);
	const uint8_t *rsdt = table(le32(r + 16), "rsdt");
	if (!rsdt)
		return;
	check("acpi.rsdt.signature", 1, !memcmp(rsdt, "RSDT", 4));
	unsigned n = (le32(rsdt + 4) - 36) / 4;
	if (r[15] >= 2) {
		/* 5.2.5.3: the whole 36 bytes have their own checksum; the XSDT
		 * lists the same tables with 64-bit addresses. */
		check("acpi.rsdp.ext_checksum", 0, sum(r, le32(r + 20)));
		const uint8_t *x = table(le64(r + 24), "xsdt");
		if (x) {
			check("acpi.xsdt.signature", 1, !memcmp(x, "XSDT", 4));
			check("acpi.xsdt.entries", n, (le32(x + 4) - 36) / 8);
			for (unsigned i = 0; i < n; i++)
				check("acpi.xsdt.same_tables", le32(rsdt + 36 + 4 * i),
				      le64(x + 36 + 8 * i));
		}
	}
	kprintf("ok acpi.rsdp\n");
	for (unsigned i = 0; i < n; i++)
		walk_table(le32(rsdt + 36 + 4 * i));
	check("acpi.fadt.found", 1, acpi.pm_tmr != 0);
	check("acpi.hpet.found", 1, acpi.hpet_base != 0);
	kprintf("ok acpi.tables\n");
}

/* Intel MP specification 1.4, 4.1-4.3: the floating pointer on a 16-byte
 * boundary of the BIOS ROM area, the configuration table it points to,
 * one enabled processor per local APIC of the MADT, the IOAPIC, ISA IRQ 0
 * on IOAPIC pin 2 (the override the MADT also states). */
static void mp_walk(void)
{
	const uint8_t *fp = NULL;
	for (ulong a = 0xf0000; a < 0x100000 && !fp; a += 16)
		if (!memcmp(phys(a), "_MP_", 4) && sum(phys(a), 16) == 0)
			fp = phys(a);
	if (!fp) {
		check("mp.found", 1, 0);
		return;
	}
	const uint8_t *t = phys(le32(fp + 4));
	uint32_t len = t[4] | t[5] << 8;
	check("mp.config.signature", 1, !memcmp(t, "PCMP", 4));
	check("mp.config.checksum", 0, sum(t, len));
	unsigned n = t[34] | t[35] << 8, cpus = 0;
	bool ioapic = false, irq0 = false;
	const uint8_t *e = t + 44;
	for (unsigned i = 0; i < n && e < t + len; i++) {
		if (e[0] == 0) {
			cpus += e[3] & 1;
			e += 20;
			continue;
		}
		if (e[0] == 2 && le32(e + 4) == 0xfec00000)
			ioapic = true;
		if (e[0] == 3 && e[1] == 0 && e[5] == 0 && e[7] == 2)
			irq0 = true;
		e += 8;
	}
	check("mp.cpus_are_madt", acpi.nr_lapics, cpus);
	check("mp.ioapic", 1, ioapic);
	check("mp.irq0_on_pin2", 1, irq0);
	kprintf("info mp table at %#lx, %u entries\n", (ulong)t, n);
	kprintf("ok mp\n");
}

/* 4.8.3.2.1 / 7.4.2: SLP_TYPa of \_S5 with SLP_EN in PM1a control. */
__attribute__((noreturn)) static void acpi_poweroff(void)
{
	kprintf("done\n");
	outw(acpi.pm1a_cnt, (uint16_t)(acpi.slp_typ_s5 << 10 | 0x2000));
	/* QEMU powers off from its main loop a little later; Triplex at once. */
	uint64_t t0 = rdtsc();
	while (rdtsc() - t0 < 4000000000ull)
		__asm__ volatile("pause");
	kprintf("FAIL acpi.s5.poweroff expected off got running\n");
	rt_exit(RT_EXIT_FAIL);
}

int guest_main(void)
{
	/* The tables first: paging is still off (32-bit) or the boot stub's map
	 * of the first GiB is in place (64-bit), so they are reachable wherever
	 * the firmware put them (QEMU: at the top of RAM, which the runtime's
	 * identity map leaves out). Then paging, for the HPET page. */
	acpi_walk();
	mp_walk();
	pg_ensure();
	pg_map(&pg_kernel, HPET_PA, HPET_PA, PG_P | PG_RW | 0x10 /* PCD */);
	if (acpi.pm_tmr)
		test_pm_timer();
	if (acpi.hpet_base)
		test_hpet();
	test_pci();
	test_fw_cfg();
	if (fails || !acpi.have_s5 || !acpi.pm1a_cnt)
		return RT_EXIT_FAIL;
	acpi_poweroff();
}
