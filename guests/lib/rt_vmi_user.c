/* guests/lib/rt_vmi_user.c: the VMI ROM's user-callable entries (rt_vmi.h),
 * in user-accessible memory so ring-3 code can make system calls through
 * the ROM. Set by vmi_init(); zero without a ROM. PV builds only. */
#ifdef RT_PV
#include "rt.h"

struct rt_vmi_user rt_vmi_user;
#endif
