/* vcpu_internal.h: vCPU allocation and thread control, private to the core. */
#ifndef VMM_CORE_VCPU_INTERNAL_H
#define VMM_CORE_VCPU_INTERNAL_H

#include "vmm/core/vm.h"

extern const char *const vcpu_ctr_labels[VCPU_CTR_NR];

struct vcpu *vcpu_alloc(struct vm *vm, unsigned id);
void vcpu_free(struct vcpu *v);
/* Start one thread per vCPU. 0 or -errno; on failure started threads are
 * told to stop (vcpus_join still needed). */
int vcpus_start(struct vm *vm);
void vcpus_join(struct vm *vm);

/* debug.c, on the vCPU thread: park until a controller lets go (cause:
 * enum vcpu_stop_cause); give the engine new debug settings before a run;
 * the engine returned VCPU_EXIT_DEBUG (or HLT while stepping); the thread
 * ends. */
void vcpu_park(struct vcpu *v, unsigned cause);
void vcpu_debug_before_run(struct vcpu *v);
void vcpu_debug_exit(struct vcpu *v);
void vcpu_thread_exit(struct vcpu *v);

#endif
