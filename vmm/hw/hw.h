/* hw.h: the hardware-assisted engine on KVM (/dev/kvm) with Triplex's own
 * device model in user space. */
#ifndef VMM_HW_HW_H
#define VMM_HW_HW_H

#include "vmm/core/engine.h"

extern const struct engine_ops hw_engine_ops;

#endif
