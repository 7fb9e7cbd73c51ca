/* guests/lib/rt_catch_user.c: the expected-fault record and catch_arm()
 * (rt.h). A _user object so ring-3 test code can arm it and read it back. */
#include "rt.h"

struct rt_catch rt_catch = { .vector = -1 };

void catch_arm(uint32_t vec_mask)
{
	rt_catch.vector = -1;
	rt_catch.err = rt_catch.ip = rt_catch.cr2 = rt_catch.cs = 0;
	rt_catch.mask = vec_mask;
}
