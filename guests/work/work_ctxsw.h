/* guests/work/work_ctxsw.h: what the two halves of ctxsw share. */
#ifndef GUESTS_WORK_WORK_CTXSW_H
#define GUESTS_WORK_WORK_CTXSW_H

#include "rt.h"

/* One task's parameters and results, in user-accessible memory. */
struct ctxsw_arg {
	uint64_t n;	 /* yields to do */
	uint32_t magic;	 /* first value of the private counter */
	uint32_t final;	 /* its last value */
	uint64_t bad_at; /* 1 + the iteration that saw a wrong value, or 0 */
};

long ctxsw_user(void *arg);

#endif
