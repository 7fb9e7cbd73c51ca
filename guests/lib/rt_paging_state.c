/* guests/lib/rt_paging_state.c: whether and how paging is on. Kept apart
 * from rt_paging.c so that code which only asks (the scheduler) does not
 * link the code that turns paging on. */
#include "rt.h"

enum pg_mode pg_mode;
bool pg_nx;
struct aspace pg_kernel;
