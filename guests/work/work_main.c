/* guests/work/work_main.c: guest_main of the workload image WORK (built
 * once per workload with -DWORK=name, see guests/suite.mk). */
#include "work.h"

#define GLUE2(a, b) a##b
#define GLUE(a, b) GLUE2(a, b)

int guest_main(void)
{
	return work_main(&GLUE(work_, WORK));
}
