/* guests/work/work_ctxsw_user.c: the ring-3 side of ctxsw: count in a
 * private page and yield; a wrong value means the other task's address
 * space leaked through (CR3 not switched, or a stale TLB entry). */
#include "rt_sys.h"
#include "work_ctxsw.h"
#include "work_internal.h"

long ctxsw_user(void *arg)
{
	struct ctxsw_arg *a = arg;
	volatile uint32_t *priv = (volatile uint32_t *)CTXSW_VA;

	*priv = a->magic;
	for (uint64_t i = 0; i < a->n; i++) {
		if (*priv != a->magic + (uint32_t)i) {
			a->bad_at = i + 1;
			return 1;
		}
		*priv = a->magic + (uint32_t)i + 1;
		sys_yield();
	}
	a->final = *priv;
	return 0;
}
