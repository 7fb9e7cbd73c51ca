/* acpi_build.c: the ACPI tables (ACPI 6.4 chapter 5: RSDP 5.2.5, RSDT
 * 5.2.7, XSDT 5.2.8, FADT 5.2.9, FACS 5.2.10, DSDT 5.2.11.1, MADT 5.2.12;
 * the HPET table from the IA-PC HPET specification 1.0a, 3.2.4) built from
 * the machine's configuration, and their installation with the MP table in
 * the BIOS area. Layout of [FW_AREA_BASE, 1 MiB):
 *
 *     0xe0000 FACS (64-byte aligned), then DSDT, FADT, MADT, HPET, RSDT,
 *             XSDT, each 16-byte aligned
 *     0xf0000 RSDP (revision 2)        0xf0040 MP floating pointer + table
 *
 * The FADT describes the PIIX4-style PM block at ACPI_PM_BASE (acpi_pm.c),
 * SCI on IRQ 9, no SMI command port (the machine is always in ACPI mode),
 * the reset register at 0xcf9 (value 6) and the legacy devices and 8042 in
 * IAPC_BOOT_ARCH. The MADT lists one enabled local APIC per vCPU (IDs 0 ..
 * n-1), the IOAPIC at IOAPIC_BASE with GSI base 0, the overrides QEMU's pc
 * has (IRQ 0 -> GSI 2; IRQ 9, the SCI, level and active high) and LINT1 as
 * NMI on every processor. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/dev/acpi_internal.h"

#define ACPI_HDR 36
#define FADT_LEN 244  /* revision 4 (ACPI 3.0 layout, with the X_ fields) */
#define FACS_LEN 64
#define OEM_ID "TRIPLX"
#define OEM_TABLE_ID "TRIPLEX "
#define MAX_TABLES 8

struct acpi_area {
	uint8_t *area;      /* FW_AREA_SIZE bytes at FW_AREA_BASE */
	size_t next;        /* offset of the next free byte */
	uint64_t table[MAX_TABLES]; /* guest addresses for the RSDT/XSDT */
	unsigned nr_tables;
};

static uint8_t *at(struct acpi_area *a, gpa_t gpa)
{
	return a->area + (gpa - FW_AREA_BASE);
}

static gpa_t area_alloc(struct acpi_area *a, size_t len, size_t align)
{
	a->next = VMM_ALIGN_UP(a->next, align);
	VMM_ASSERT(a->next + len <= ACPI_RSDP_ADDR - FW_AREA_BASE);
	gpa_t g = FW_AREA_BASE + a->next;
	a->next += len;
	return g;
}

/* 5.2.6 System Description Table header; the checksum is set last. */
static uint8_t *table_start(struct acpi_area *a, const char *sig, size_t len, uint8_t rev,
			    gpa_t *gpa)
{
	*gpa = area_alloc(a, len, 16);
	uint8_t *t = at(a, *gpa);
	memcpy(t, sig, 4);
	dev_put_le(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, OEM_ID, 6);
	memcpy(t + 16, OEM_TABLE_ID, 8);
	dev_put_le(t + 24, 1, 4);        /* OEM revision */
	memcpy(t + 28, "TPLX", 4);   /* creator ID */
	dev_put_le(t + 32, 1, 4);        /* creator revision */
	return t;
}

static void table_end(struct acpi_area *a, uint8_t *t, gpa_t gpa, bool listed)
{
	uint32_t len = (uint32_t)dev_get_le(t + 4, 4);
	t[9] = fw_checksum(t, len);
	if (listed) {
		VMM_ASSERT(a->nr_tables < MAX_TABLES);
		a->table[a->nr_tables++] = gpa;
	}
}

/* 5.2.3.2 Generic Address Structure: system I/O, (bits) wide. */
static void gas_io(uint8_t *p, uint16_t port, unsigned bits, unsigned access)
{
	p[0] = 1;
	p[1] = (uint8_t)bits;
	p[2] = 0;
	p[3] = (uint8_t)access; /* 1 byte, 2 word, 3 dword */
	dev_put_le(p + 4, port, 8);
}

static gpa_t build_facs(struct acpi_area *a)
{
	gpa_t g = area_alloc(a, FACS_LEN, 64);
	uint8_t *f = at(a, g);
	memcpy(f, "FACS", 4);
	dev_put_le(f + 4, FACS_LEN, 4);
	f[32] = 1; /* version */
	return g;
}

static gpa_t build_dsdt(struct acpi_area *a, const struct fw_config *c)
{
	uint8_t aml[1024];
	size_t n = acpi_dsdt_aml(c, aml, sizeof(aml));
	gpa_t g;
	uint8_t *t = table_start(a, "DSDT", ACPI_HDR + n, 2, &g); /* 2: 64-bit integers */
	memcpy(t + ACPI_HDR, aml, n);
	table_end(a, t, g, false);
	return g;
}

static void build_fadt(struct acpi_area *a, gpa_t facs, gpa_t dsdt)
{
	gpa_t g;
	uint8_t *t = table_start(a, "FACP", FADT_LEN, 4, &g);
	dev_put_le(t + 36, facs, 4);
	dev_put_le(t + 40, dsdt, 4);
	t[45] = 0;                             /* preferred PM profile: unspecified */
	dev_put_le(t + 46, ACPI_SCI_IRQ, 2);
	dev_put_le(t + 48, 0, 4);                  /* SMI_CMD 0: always in ACPI mode */
	dev_put_le(t + 56, ACPI_PM_BASE, 4);       /* PM1a_EVT_BLK */
	dev_put_le(t + 64, ACPI_PM1_CNT, 4);       /* PM1a_CNT_BLK */
	dev_put_le(t + 76, ACPI_PM_TMR, 4);        /* PM_TMR_BLK */
	t[88] = 4;                             /* PM1_EVT_LEN */
	t[89] = 2;                             /* PM1_CNT_LEN */
	t[91] = 4;                             /* PM_TMR_LEN */
	dev_put_le(t + 96, 0x0fff, 2);             /* P_LVL2_LAT > 100: no C2 */
	dev_put_le(t + 98, 0x0fff, 2);             /* P_LVL3_LAT > 1000: no C3 */
	t[108] = 0x32;                         /* CENTURY: CMOS byte 0x32 */
	dev_put_le(t + 109, 0x0003, 2);            /* IAPC_BOOT_ARCH: LEGACY_DEVICES | 8042 */
	/* flags: WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON (no fixed-feature
	 * buttons), RESET_REG_SUP; TMR_VAL_EXT clear: a 24-bit PM timer */
	dev_put_le(t + 112, 1u << 0 | 1u << 2 | 1u << 4 | 1u << 5 | 1u << 10, 4);
	gas_io(t + 116, 0xcf9, 8, 1);          /* RESET_REG: PIIX3 reset control */
	t[128] = 0x06;                         /* RESET_VALUE: SYS_RST | RST_CPU */
	dev_put_le(t + 132, facs, 8);              /* X_FIRMWARE_CTRL */
	dev_put_le(t + 140, dsdt, 8);              /* X_DSDT */
	gas_io(t + 148, ACPI_PM_BASE, 32, 2);  /* X_PM1a_EVT_BLK */
	gas_io(t + 172, ACPI_PM1_CNT, 16, 2);  /* X_PM1a_CNT_BLK */
	gas_io(t + 208, ACPI_PM_TMR, 32, 3);   /* X_PM_TMR_BLK */
	table_end(a, t, g, true);
}

static void build_madt(struct acpi_area *a, const struct fw_config *c)
{
	/* 5.2.12.2 local APIC (8 bytes each), 5.2.12.3 I/O APIC (12),
	 * 5.2.12.5 interrupt source override (10, two), 5.2.12.7 local APIC
	 * NMI (6) */
	size_t len = ACPI_HDR + 8 + 8 * c->nr_cpus + 12 + 2 * 10 + 6;
	gpa_t g;
	uint8_t *t = table_start(a, "APIC", len, 1, &g);
	uint8_t *p = t + ACPI_HDR;
	dev_put_le(p, APIC_DEFAULT_BASE, 4);
	dev_put_le(p + 4, 1, 4); /* PCAT_COMPAT: dual 8259s present */
	p += 8;
	for (unsigned i = 0; i < c->nr_cpus; i++, p += 8) {
		p[0] = 0;
		p[1] = 8;
		p[2] = (uint8_t)i; /* ACPI processor UID */
		p[3] = (uint8_t)i; /* APIC ID */
		dev_put_le(p + 4, 1, 4); /* enabled */
	}
	p[0] = 1;
	p[1] = 12;
	p[2] = c->ioapic_id;
	dev_put_le(p + 4, IOAPIC_BASE, 4);
	dev_put_le(p + 8, 0, 4); /* GSI base */
	p += 12;
	static const struct { uint8_t irq; uint32_t gsi; uint16_t flags; } iso[] = {
		{ 0, 2, 0x0000 },              /* PIT: conforming */
		{ ACPI_SCI_IRQ, ACPI_SCI_IRQ, 0x000d }, /* SCI: level, active high */
	};
	for (unsigned i = 0; i < VMM_ARRAY_SIZE(iso); i++, p += 10) {
		p[0] = 2;
		p[1] = 10;
		p[2] = 0; /* bus: ISA */
		p[3] = iso[i].irq;
		dev_put_le(p + 4, iso[i].gsi, 4);
		dev_put_le(p + 8, iso[i].flags, 2);
	}
	p[0] = 4;
	p[1] = 6;
	p[2] = 0xff;         /* all processors */
	dev_put_le(p + 3, 0, 2); /* conforming */
	p[5] = 1;            /* LINT1 */
	table_end(a, t, g, true);
}

static void build_hpet(struct acpi_area *a)
{
	gpa_t g;
	uint8_t *t = table_start(a, "HPET", ACPI_HDR + 20, 1, &g);
	uint8_t *p = t + ACPI_HDR;
	dev_put_le(p, HPET_ID_LOW, 4);     /* event timer block ID = capabilities[31:0] */
	p[4] = 0;                      /* GAS: system memory */
	p[5] = 64;
	dev_put_le(p + 8, HPET_ADDR, 8);
	p[16] = 0;                     /* HPET number */
	dev_put_le(p + 17, 0x80, 2);       /* minimum clock tick in periodic mode */
	p[19] = 0;                     /* no page protection */
	table_end(a, t, g, true);
}

static void build_rsdt_xsdt(struct acpi_area *a, gpa_t *rsdt, gpa_t *xsdt)
{
	uint8_t *r = table_start(a, "RSDT", ACPI_HDR + 4 * a->nr_tables, 1, rsdt);
	for (unsigned i = 0; i < a->nr_tables; i++)
		dev_put_le(r + ACPI_HDR + 4 * i, a->table[i], 4);
	table_end(a, r, *rsdt, false);
	uint8_t *x = table_start(a, "XSDT", ACPI_HDR + 8 * a->nr_tables, 1, xsdt);
	for (unsigned i = 0; i < a->nr_tables; i++)
		dev_put_le(x + ACPI_HDR + 8 * i, a->table[i], 8);
	table_end(a, x, *xsdt, false);
}

/* 5.2.5.3: the first 20 bytes have their own checksum, all 36 another. */
static void build_rsdp(struct acpi_area *a, gpa_t rsdt, gpa_t xsdt)
{
	uint8_t *p = at(a, ACPI_RSDP_ADDR);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, OEM_ID, 6);
	p[15] = 2;
	dev_put_le(p + 16, rsdt, 4);
	dev_put_le(p + 20, 36, 4);
	dev_put_le(p + 24, xsdt, 8);
	p[8] = fw_checksum(p, 20);
	p[32] = fw_checksum(p, 36);
}

void fw_tables_build(const struct fw_config *c, uint8_t *area)
{
	struct acpi_area a = { .area = area, .next = 0 };
	memset(area, 0, FW_AREA_SIZE);
	gpa_t facs = build_facs(&a);
	gpa_t dsdt = build_dsdt(&a, c);
	gpa_t rsdt, xsdt;
	build_fadt(&a, facs, dsdt);
	build_madt(&a, c);
	if (c->hpet)
		build_hpet(&a);
	build_rsdt_xsdt(&a, &rsdt, &xsdt);
	build_rsdp(&a, rsdt, xsdt);
	mptable_build(c, area + (MP_FLOAT_ADDR - FW_AREA_BASE), MP_FLOAT_ADDR);
}

void fw_config_of(const struct vm *vm, struct fw_config *c)
{
	*c = (struct fw_config){
		.nr_cpus = vm->nr_vcpus,
		.ioapic_id = 0, /* the IOAPIC's reset value (ioapic.c), as QEMU */
		.pci_hole = PCI_MMIO_BASE,
		.hpet = true,
	};
}

int fw_tables_install(struct vm *vm)
{
	struct fw_config c;
	uint8_t *area = malloc(FW_AREA_SIZE);
	if (!area) {
		vmm_err("firmware tables: out of memory");
		return -ENOMEM;
	}
	fw_config_of(vm, &c);
	fw_tables_build(&c, area);
	int r = mem_write(&vm->mem, FW_AREA_BASE, area, FW_AREA_SIZE);
	free(area);
	if (r)
		vmm_err("firmware tables: cannot write [%#llx, %#llx): not guest memory",
			FW_AREA_BASE, FW_AREA_BASE + FW_AREA_SIZE);
	return r;
}
