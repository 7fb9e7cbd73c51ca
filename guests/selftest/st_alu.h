/* guests/selftest/st_alu.h: the interface of st_alu_user.c (which alone
 * includes alu_ops.h, so the op table exists once, in user memory). */
#ifndef GUESTS_SELFTEST_ST_ALU_H
#define GUESTS_SELFTEST_ST_ALU_H

#include <stdbool.h>
#include <stdint.h>

/* Ring 3: hash every op over (uint32_t)(ulong)arg pairs. */
long st_alu_user(void *arg);
unsigned st_alu_count(void);
const char *st_alu_name(unsigned k, const char **group);
uint32_t st_alu_hash(unsigned k);
uint32_t st_alu_pairs(bool quick);

#endif
