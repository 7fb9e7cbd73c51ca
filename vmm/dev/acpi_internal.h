/* acpi_internal.h: what the firmware table builders share (acpi_build.c,
 * acpi_dsdt.c, mptable.c): the checksum and the DSDT's AML. */
#ifndef VMM_DEV_ACPI_INTERNAL_H
#define VMM_DEV_ACPI_INTERNAL_H

#include "vmm/dev/dev_internal.h"

/* The byte that makes the (len) bytes at (p) sum to zero (with it in place
 * of a zero byte). */
static inline uint8_t fw_checksum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;
	for (size_t i = 0; i < len; i++)
		s = (uint8_t)(s + p[i]);
	return (uint8_t)-s;
}

/* Write the DSDT's AML body (after the 36-byte header) for (c) to (out);
 * returns its length (asserts it fits in (cap)). */
size_t acpi_dsdt_aml(const struct fw_config *c, uint8_t *out, size_t cap);

/* Write the MP floating pointer at (out), which sits at guest address
 * (gpa), and the MP configuration table right after it (mptable.c). */
void mptable_build(const struct fw_config *c, uint8_t *out, gpa_t gpa);

#endif
