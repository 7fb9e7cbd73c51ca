/* guests/lib/rt_catch_user.c: the expected-fault record (rt.h). A _user
 * object so ring-3 test code can arm it and read it back. */
#include "rt.h"

struct rt_catch rt_catch = { .vector = -1 };
