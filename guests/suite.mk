# guests/suite.mk: the guest suite, included from guests/guests.mk. Builds
# the runtime library (guests/lib) once per bitness as a static archive,
# the host-side generator of expected values (guests/gen), and every image:
#   $(GB)/NAME-32.elf  Multiboot v1, ELF32, 32-bit protected mode
#   $(GB)/NAME-64.elf  Multiboot v1, 64-bit code in an ELF32 container
#                      (objcopy -O elf32-i386; see docs/guests.md)

GS_WORKLOADS := compute callret syscall io pgfault ptemod divzero timer ctxsw mixed
GS_NAMES := hello selftest apic platform clocks $(GS_WORKLOADS) demo
GS_IMAGES := $(foreach n,$(GS_NAMES),$(GB)/$(n)-32.elf $(GB)/$(n)-64.elf)
GUEST_BINS += $(GS_IMAGES)

# -g: symbols and line tables for gdb (tests/monitor/gdb.py); the loaded
# bytes are the same with and without it. C objects depend on this file, so
# a change of flags rebuilds them.
GS_CFLAGS := $(GUEST_CFLAGS) -g -std=gnu11 -Wshadow -Wmissing-prototypes -Wstrict-prototypes \
	-Wno-unused-parameter -mgeneral-regs-only -fno-tree-loop-distribute-patterns \
	-fno-common -fno-pie -Iguests/lib -Iguests/work -MMD -MP
GS_ASFLAGS := -Iguests/arch -MMD -MP
GS_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096 \
	-Wl,-z,noexecstack -Wl,-T,guests/arch/guest.ld -Wl,--orphan-handling=error

# ---- compile: $(GB)/o32/... and $(GB)/o64/... mirror guests/ ----
# Every C object may include the generated expect.h of its bitness.
$(GB)/o32/%.o: guests/%.c $(GB)/gen/32/expect.h guests/suite.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC32    $<")
	$(Q)$(GUEST_CC) -m32 $(GS_CFLAGS) -I$(GB)/gen/32 -c $< -o $@

$(GB)/o64/%.o: guests/%.c $(GB)/gen/64/expect.h guests/suite.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC64    $<")
	$(Q)$(GUEST_CC) -m64 $(GS_CFLAGS) -I$(GB)/gen/64 -c $< -o $@

$(GB)/o32/%.o: guests/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS32    $<")
	$(Q)$(GUEST_CC) -m32 $(GS_ASFLAGS) -c $< -o $@

$(GB)/o64/%.o: guests/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS64    $<")
	$(Q)$(GUEST_CC) -m64 $(GS_ASFLAGS) -c $< -o $@

# Sources of a directory for one bitness: every .c and .S, minus the .S
# files of the other bitness (*_32.S / *_64.S).
gs_srcs = $(filter-out %_$(2).S %/work_main.c,$(wildcard guests/$(1)/*.c guests/$(1)/*.S))
gs_objs = $(patsubst guests/%,$(GB)/o$(2)/%,$(patsubst %.c,%.o,$(patsubst %.S,%.o,$(call gs_srcs,$(1),$(3)))))

# ---- the runtime and the workload library, one archive each per bitness ----
$(GB)/lib32/libguest.a: $(call gs_objs,lib,32,64)
$(GB)/lib64/libguest.a: $(call gs_objs,lib,64,32)
$(GB)/lib32/libwork.a: $(call gs_objs,work,32,64)
$(GB)/lib64/libwork.a: $(call gs_objs,work,64,32)
# (Two rules: a pattern rule with two targets would mean one recipe makes
# both.)
$(GB)/lib32/%.a:
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(GB)/lib64/%.a:
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# ---- the generator of expected values, built and run on the host ----
# Built -m32 and -m64 so it runs the selftest's instructions with the
# guest's operand sizes (aaa, das, ... only exist outside 64-bit mode).
GS_GEN_DEPS := $(wildcard guests/gen/*.c guests/gen/*.h guests/selftest/*.h) \
	guests/work/compute.h guests/work/compute_kern_user.c
$(GB)/gen/%/gen_expect: $(GS_GEN_DEPS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  HOSTCC  $@")
	$(Q)$(CC) -m$* -std=gnu11 -O1 -fno-pie -no-pie -mno-red-zone -Wall -Wextra -Werror -Iguests/selftest -Iguests/work \
		-o $@ guests/gen/gen_expect.c

$(GB)/gen/%/expect.h: $(GB)/gen/%/gen_expect
	@$(if $(Q),echo "  GEN     $@")
	$(Q)$< > $@.tmp && mv $@.tmp $@

# ---- images ----
# gs_image NAME BITS OTHER OBJECTS LIBS: link NAME-BITS.elf.
define gs_image
$(GB)/$(1)-$(2).elf: $(GB)/o$(2)/arch/start_$(2).o $(4) $(5) guests/arch/guest.ld
	@$$(if $$(Q),echo "  LD$(2)    $$@")
	$$(Q)$$(GUEST_CC) -m$(2) $$(GS_LDFLAGS) -o $$@$(if $(filter 64,$(2)),.tmp) \
		$(GB)/o$(2)/arch/start_$(2).o $(4) $(5) -lgcc
	$(if $(filter 64,$(2)),$$(Q)objcopy -O elf32-i386 $$@.tmp $$@ && rm -f $$@.tmp)
endef

gs_other = $(if $(filter 32,$(1)),64,32)
gs_libs = $(GB)/lib$(1)/libwork.a $(GB)/lib$(1)/libguest.a

# hello, selftest, apic, platform, demo: their own directory's objects.
$(foreach b,32 64,$(foreach n,hello selftest apic platform clocks demo,$(eval \
	$(call gs_image,$(n),$(b),,$(call gs_objs,$(n),$(b),$(call gs_other,$(b))),$(call gs_libs,$(b))))))

# Workloads: work_main.c built once per workload with -DWORK=name.
$(GB)/o32/work/main_%.o: guests/work/work_main.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC32    $< ($*)")
	$(Q)$(GUEST_CC) -m32 $(GS_CFLAGS) -DWORK=$* -c $< -o $@
$(GB)/o64/work/main_%.o: guests/work/work_main.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC64    $< ($*)")
	$(Q)$(GUEST_CC) -m64 $(GS_CFLAGS) -DWORK=$* -c $< -o $@
$(foreach b,32 64,$(foreach n,$(GS_WORKLOADS),$(eval \
	$(call gs_image,$(n),$(b),,$(GB)/o$(b)/work/main_$(n).o,$(call gs_libs,$(b))))))
# (named one by one: on the pattern rule, the prerequisite would let make's
# built-in %: %.o chain try to remake the included main_*.d files)
$(foreach b,32 32pv 64 64pv,$(foreach n,$(GS_WORKLOADS),$(GB)/o$(b)/work/main_$(n).o)): guests/suite.mk

-include $(shell find $(GB)/o32 $(GB)/o64 -name '*.d' 2>/dev/null)
