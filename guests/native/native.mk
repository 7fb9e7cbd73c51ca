# guests/native/native.mk: native Linux builds of the compute and callret
# workloads (same C and assembly as the guests), and host equivalents of
# syscall, pgfault, ptemod and divzero, for side-by-side figures.
GUEST_BINS += $(GB)/native-32 $(GB)/native-64

$(GB)/native-%: guests/native/native.c guests/native/native_sys.c guests/native/native_sys.h \
		$(GB)/native-kern-%.o guests/work/callret_%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) -m$* -std=gnu11 -O2 -Wall -Wextra -Werror -Iguests/work -Wl,-z,noexecstack -o $@ \
		guests/native/native.c guests/native/native_sys.c -x none $(GB)/native-kern-$*.o \
		guests/work/callret_$*.S

# the kernels get the guests' code-generation flags (no SSE, same loop
# transformations), so native and guest run the same instructions
$(GB)/native-kern-%.o: guests/work/compute_kern_user.c guests/work/compute.h
	@mkdir -p $(@D)
	$(Q)$(CC) -m$* -std=gnu11 -O2 -mgeneral-regs-only -fno-tree-loop-distribute-patterns \
		-fno-pie -Iguests/work -c -o $@ $<
