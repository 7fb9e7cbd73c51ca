/* guests/platform/platform.h: what the firmware guest's two files share:
 * port and MMIO access, the check helper, and the facts the ACPI walk
 * found that the device tests use. */
#ifndef GUESTS_PLATFORM_H
#define GUESTS_PLATFORM_H

#include "rt.h"

#define HPET_PA 0xfed00000ul

struct acpi_facts {
	uint64_t hpet_base;    /* from the HPET table (0: none) */
	uint16_t pm_tmr;       /* FADT PM_TMR_BLK */
	uint16_t pm1a_cnt;     /* FADT PM1a_CNT_BLK */
	bool tmr_32bit;        /* FADT TMR_VAL_EXT */
	unsigned slp_typ_s5;   /* \_S5's SLP_TYPa */
	bool have_s5;
	unsigned nr_lapics;    /* MADT processor local APIC entries, enabled */
};

extern struct acpi_facts acpi;
extern int fails;

void check(const char *name, uint64_t want, uint64_t got);

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* platform.c: find the RSDP, walk the tables (fills acpi). */
void acpi_walk(void);
/* platform_dev.c */
void test_pm_timer(void);
void test_hpet(void);
void test_pci(void);
void test_fw_cfg(void);

#endif
