# guests/suite_pv.mk: the PV flavour of the guest suite (docs/vmi.md),
# included from guests/guests.mk after suite.mk. The same sources built with
# -DRT_PV (the runtime's VMI layer: every privileged operation through the
# VMI ROM when there is one), linked with guests/arch/guest_pv.ld and the
# Triplex VMI note (guests/arch/vmi_note.S):
#   $(GB)/NAME-pv-32.elf, $(GB)/NAME-pv-64.elf
# for hello, selftest (its privileged cases), apic (x2APIC only) and every
# workload.

GS_PV_NAMES := hello selftest apic $(GS_WORKLOADS)
GS_PV_IMAGES := $(foreach n,$(GS_PV_NAMES),$(GB)/$(n)-pv-32.elf $(GB)/$(n)-pv-64.elf)
GUEST_BINS += $(GS_PV_IMAGES)

GS_PV_CFLAGS := $(GS_CFLAGS) -DRT_PV -I.
GS_PV_ASFLAGS := $(GS_ASFLAGS) -DRT_PV -I.

$(GB)/o32pv/%.o: guests/%.c $(GB)/gen/32/expect.h guests/suite.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC32PV  $<")
	$(Q)$(GUEST_CC) -m32 $(GS_PV_CFLAGS) -I$(GB)/gen/32 -c $< -o $@

$(GB)/o64pv/%.o: guests/%.c $(GB)/gen/64/expect.h guests/suite.mk
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC64PV  $<")
	$(Q)$(GUEST_CC) -m64 $(GS_PV_CFLAGS) -I$(GB)/gen/64 -c $< -o $@

$(GB)/o32pv/%.o: guests/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS32PV  $<")
	$(Q)$(GUEST_CC) -m32 $(GS_PV_ASFLAGS) -c $< -o $@

$(GB)/o64pv/%.o: guests/%.S
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AS64PV  $<")
	$(Q)$(GUEST_CC) -m64 $(GS_PV_ASFLAGS) -c $< -o $@

gs_pv_objs = $(patsubst $(GB)/o$(2)/%,$(GB)/o$(2)pv/%,$(call gs_objs,$(1),$(2),$(3)))

$(GB)/lib32pv/libguest.a: $(call gs_pv_objs,lib,32,64)
$(GB)/lib64pv/libguest.a: $(call gs_pv_objs,lib,64,32)
$(GB)/lib32pv/libwork.a: $(call gs_pv_objs,work,32,64)
$(GB)/lib64pv/libwork.a: $(call gs_pv_objs,work,64,32)
$(GB)/lib32pv/%.a:
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^
$(GB)/lib64pv/%.a:
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && ar rcs $@ $^

# gs_pv_image NAME BITS OBJECTS LIBS: link NAME-pv-BITS.elf.
define gs_pv_image
$(GB)/$(1)-pv-$(2).elf: $(GB)/o$(2)pv/arch/start_$(2).o $(GB)/o$(2)pv/arch/vmi_note.o $(3) $(4) guests/arch/guest_pv.ld
	@$$(if $$(Q),echo "  LD$(2)PV  $$@")
	$$(Q)$$(GUEST_CC) -m$(2) $$(subst guest.ld,guest_pv.ld,$$(GS_LDFLAGS)) -o $$@$(if $(filter 64,$(2)),.tmp) \
		$(GB)/o$(2)pv/arch/start_$(2).o $(GB)/o$(2)pv/arch/vmi_note.o $(3) $(4) -lgcc
	$(if $(filter 64,$(2)),$$(Q)objcopy -O elf32-i386 $$@.tmp $$@ && rm -f $$@.tmp)
endef

gs_pv_libs = $(GB)/lib$(1)pv/libwork.a $(GB)/lib$(1)pv/libguest.a

$(foreach b,32 64,$(foreach n,hello selftest apic,$(eval \
	$(call gs_pv_image,$(n),$(b),$(call gs_pv_objs,$(n),$(b),$(call gs_other,$(b))),$(call gs_pv_libs,$(b))))))

$(GB)/o32pv/work/main_%.o: guests/work/work_main.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC32PV  $< ($*)")
	$(Q)$(GUEST_CC) -m32 $(GS_PV_CFLAGS) -DWORK=$* -c $< -o $@
$(GB)/o64pv/work/main_%.o: guests/work/work_main.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC64PV  $< ($*)")
	$(Q)$(GUEST_CC) -m64 $(GS_PV_CFLAGS) -DWORK=$* -c $< -o $@
$(foreach b,32 64,$(foreach n,$(GS_WORKLOADS),$(eval \
	$(call gs_pv_image,$(n),$(b),$(GB)/o$(b)pv/work/main_$(n).o,$(call gs_pv_libs,$(b))))))

-include $(shell find $(GB)/o32pv $(GB)/o64pv -name '*.d' 2>/dev/null)

# ---- hostile test guests (guests/hostile, tests/guest/hostile.list) ----
# hostile-NAME-pv-BITS.elf: PV images whose kernel tries to reach the host.
GS_HOSTILE := syscall-32 syscall-64 far64-32 spin64-32 write-32 write-64 usersys-32 usersys-64 \
              userfault-32 userfault-64
GUEST_BINS += $(foreach h,$(GS_HOSTILE),$(GB)/hostile-$(subst -,-pv-,$(h)).elf)
gs_hostile_objs = $(GB)/o$(2)pv/hostile/hostile_$(1).o $(if $(wildcard guests/hostile/hostile_$(1)_user.c),$(GB)/o$(2)pv/hostile/hostile_$(1)_user.o)
$(foreach h,$(GS_HOSTILE),$(eval $(call gs_pv_image,hostile-$(firstword $(subst -, ,$(h))),$(lastword $(subst -, ,$(h))),$(call gs_hostile_objs,$(firstword $(subst -, ,$(h))),$(lastword $(subst -, ,$(h)))),$(call gs_pv_libs,$(lastword $(subst -, ,$(h)))))))
