/* guests/selftest/st_fault_user.c: copying a caught fault out of rt_catch,
 * from either ring (a _user object). */
#include "st.h"

void st_fault_take(struct st_fault *f)
{
	f->vector = rt_catch.vector;
	f->err = rt_catch.err;
	f->ip = rt_catch.ip;
	f->cr2 = rt_catch.cr2;
	f->cs = rt_catch.cs;
}
