/* guests/selftest/st_alu_user.c: the ALU conformance loop, in ring 3: every
 * op of alu_ops.h over the same operand pairs the host generator used,
 * folded into one hash per op (st_alu.c compares them). */
#include "alu_ops.h"
#include "st_alu.h"

static uint32_t hashes[ALU_NOPS];

long st_alu_user(void *arg)
{
	uint32_t pairs = (uint32_t)(unsigned long)arg;

	for (unsigned k = 0; k < ALU_NOPS; k++) {
		uint64_t rng = ALU_SEED;
		uint32_t h = ALU_HASH_INIT;

		for (uint32_t i = 0; i < pairs; i++) {
			struct alu_in in;

			alu_operands(i, &rng, &in);
			h = alu_step(&alu_ops[k], &in, h);
		}
		hashes[k] = h;
	}
	return 0;
}

unsigned st_alu_count(void)
{
	return ALU_NOPS;
}

const char *st_alu_name(unsigned k, const char **group)
{
	*group = alu_ops[k].group;
	return alu_ops[k].name;
}

uint32_t st_alu_hash(unsigned k)
{
	return hashes[k];
}

uint32_t st_alu_pairs(bool quick)
{
	return quick ? ALU_QUICK_PAIRS : ALU_FULL_PAIRS;
}
