/* guests/selftest/st_alu.c: integer arithmetic, logic, shifts, rotates,
 * mul/div, bit scans, cmpxchg/xadd, SETcc/CMOVcc/Jcc and (32-bit) BCD:
 * checksums computed in ring 3 over 256 ("quick") or 16384 operand pairs,
 * compared with the host CPU's checksums (guests/gen). One "ok alu.GROUP"
 * per instruction group; a FAIL names the operand size. */
#define EXPECT_ALU_TABLES
#include "expect.h"
#include "st.h"
#include "st_alu.h"

void st_alu(void)
{
	uint32_t pairs = st_alu_pairs(rt_cmd.quick);
	const uint32_t *want = rt_cmd.quick ? expect_alu_quick : expect_alu_full;
	unsigned n = st_alu_count();
	const char *cur = NULL;
	char name[32];

	st_begin("alu.table");
	if (!st_eq("ops", EXPECT_ALU_NOPS, n))
		return;
	(void)user_run(st_alu_user, (void *)(ulong)pairs);
	for (unsigned k = 0; k < n; k++) {
		const char *group;
		const char *op = st_alu_name(k, &group);

		if (!cur || strlen(cur) != strlen(group) || strncmp(cur, group, strlen(cur))) {
			if (cur)
				st_end();
			ksnprintf(name, sizeof(name), "alu.%s", group);
			st_begin(name);
			cur = group;
		}
		st_eq(op, want[k], st_alu_hash(k));
	}
	st_end();
}
